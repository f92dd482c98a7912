"""A question that asks for several things ("What are Kate's hobbies?") weighs raw turns on
its own scale: facts, short and many, serve a list better than whole turns."""

from __future__ import annotations

import pytest

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine import retrieval
from localmem.engine.signals import is_list


@pytest.mark.parametrize("query, listing", [
    ("What are Kate's hobbies?", True),
    ("Which cities did Elise visit during her holidays?", True),
    ("What sports does Paola watch?", True),
    ("What is my job?", False),
    ("Where does Kate work as a teacher assistant?", False),
    ("How many times did Nicolas call?", False),  # one number
    ("Does Kevin like his classes?", False),  # yes or no
])
def test_questions_that_ask_for_several_things(query, listing):
    assert is_list(query) == listing


def test_a_list_question_gets_its_own_raw_penalty(tmp_path, monkeypatch):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("Skiing. Cooking.", user_id="kate")  # the rules make no fact of it: raw only
    monkeypatch.setattr(retrieval, "RAW_PENALTY", 0.1)

    def raw_score(query: str) -> float:
        return next(i.score for i in memory.search(query, user_id="kate") if i.kind == "message")

    listing, single = "What are Kate's hobbies?", "What is Kate's hobby?"
    monkeypatch.setattr(retrieval, "LIST_RAW_PENALTY", 0.1)
    plain = raw_score(listing)
    monkeypatch.setattr(retrieval, "LIST_RAW_PENALTY", 0.4)
    assert raw_score(listing) == pytest.approx(plain - 0.3)
    before = raw_score(single)
    monkeypatch.setattr(retrieval, "LIST_RAW_PENALTY", 0.1)
    assert raw_score(single) == pytest.approx(before)  # not a list question: RAW_PENALTY only
