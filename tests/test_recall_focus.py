"""A search vector without the people a question asks about, and a list question's focus:
items scored by their likeness to what is asked for ("hobbies"), not to the question's wording."""

from __future__ import annotations

import numpy as np
import pytest

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine import retrieval
from localmem.engine.retrieval import query_vectors
from localmem.engine.signals import asked_for, unnamed


@pytest.mark.parametrize("query, left", [
    ("What are Kate's hobbies?", "What are hobbies?"),
    ("When did Mel paint the sunrise?", "When did paint the sunrise?"),
    ("What does Caroline's sister do?", "What does sister do?"),
    ("What games are both Kate and Elise interested in?", "What games are both interested in?"),
    ("When did Kate visit Art Basel?", "When did visit Art Basel?"),  # a place stays
    ("When did Elise return from Turks and Caicos?", "When did return from Turks and Caicos?"),
    ("Where did Elise celebrate the New Year?", "Where did celebrate the New Year?"),
    ("What is my job?", "What is my job?"),  # no one named
])
def test_the_people_asked_about_leave_the_vector(query, left):
    assert unnamed(query) == left


@pytest.mark.parametrize("query, wanted", [
    ("What are Kate's hobbies?", "hobbies"),
    ("Which cities have both, Kate and Elise, been to?", "cities"),
    ("What movies did Paola watch?", "movies watch"),
    ("Who?", ""),
])
def test_what_a_question_asks_for(query, wanted):
    assert asked_for(query) == wanted


def test_query_vectors_focus_only_for_a_list_question():
    embedder = HashEmbedder()
    vector, focus = query_vectors(embedder.embed_query, "What are Kate's hobbies?")
    assert np.allclose(vector, embedder.embed_query("What are hobbies?"))
    assert focus is not None and np.allclose(focus, embedder.embed_query("hobbies"))
    vector, focus = query_vectors(embedder.embed_query, "What is Kate's job?")
    assert focus is None and np.allclose(vector, embedder.embed_query("What is job?"))


def test_a_list_question_scores_items_by_what_it_asks_for(tmp_path, monkeypatch):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("hobbies: skiing, hiking", user_id="kate", infer=False)
    memory.add("my car is blue", user_id="kate", infer=False)

    def scores(query: str) -> dict[str, float]:
        return {i.text: i.score for i in memory.search(query, user_id="kate", limit=5)}

    monkeypatch.setattr(retrieval, "FOCUS_WEIGHT", 0.0)
    plain, single = scores("What are Kate's hobbies?"), scores("What is Kate's hobby?")
    monkeypatch.setattr(retrieval, "FOCUS_WEIGHT", 1.0)
    focused = scores("What are Kate's hobbies?")
    embedder = HashEmbedder()
    likeness = float(embedder.embed_query("hobbies") @ embedder.embed("hobbies: skiing, hiking"))
    assert likeness > 0
    assert focused["hobbies: skiing, hiking"] == pytest.approx(
        plain["hobbies: skiing, hiking"] + likeness, abs=1e-5)
    assert focused["my car is blue"] == pytest.approx(plain["my car is blue"], abs=1e-5)
    assert scores("What is Kate's hobby?") == single  # not a list question: no focus


def test_a_name_in_the_question_does_not_find_texts_that_only_say_it(tmp_path):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("Kate! Kate! Kate!", user_id="elise", infer=False)  # Elise calls out to Kate
    memory.add("I love skiing", user_id="elise", infer=False)
    found = memory.search("What does Kate love?", user_id="elise", limit=5)
    assert [i.text for i in found] == ["I love skiing", "Kate! Kate! Kate!"]
