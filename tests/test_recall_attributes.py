"""A query that names an attribute ("What are Kate's hobbies?") prefers facts filed under it;
a question that asks for several things weighs raw turns on its own scale."""

from __future__ import annotations

import pytest

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine import retrieval
from localmem.engine.signals import attributes_named, is_list


@pytest.mark.parametrize("query, attributes", [
    ("What are Kate's hobbies?", {"hobby"}),
    ("Why did Nebraas want to change jobs?", {"job"}),
    ("What are the names of Vanessa's pets?", {"name", "pet"}),
    ("Does the family have plans?", {"family", "plan"}),
    ("How does Elise take care of her appearance?", set()),  # "care" is no "car"
    ("What sports does Kevin watch?", set()),  # sport_team: no one word names it
])
def test_the_attributes_a_query_names(query, attributes):
    assert attributes_named(query) == attributes


def _scores(memory: Memory, query: str) -> dict[str, float]:
    return {i.text: i.score for i in memory.search(query, user_id="kate", limit=10)
            if i.kind == "fact"}


def test_a_fact_filed_under_the_named_attribute_gains_the_weight(tmp_path, monkeypatch):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("My hobby is painting.", user_id="kate")  # the rules file it under hobby
    memory.add("I work as a nurse.", user_id="kate")
    monkeypatch.setattr(retrieval, "ATTRIBUTE_WEIGHT", 0.0)
    plain = _scores(memory, "What are Kate's hobbies?")
    monkeypatch.setattr(retrieval, "ATTRIBUTE_WEIGHT", 0.3)
    boosted = _scores(memory, "What are Kate's hobbies?")
    assert set(plain) == {"Hobby is painting", "Works as a nurse"}, plain
    assert boosted["Hobby is painting"] - plain["Hobby is painting"] == pytest.approx(0.3)
    assert boosted["Works as a nurse"] == pytest.approx(plain["Works as a nurse"])


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
