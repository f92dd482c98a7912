"""Packing a word budget: subject + attribute groups, raw turns only for what facts don't say."""

from __future__ import annotations

import pytest

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine import packing
from localmem.engine.packing import Candidate, select


def _fact(rid: int, score: float, text: str, attribute: str | None = None,
          sources: tuple[int, ...] = ()) -> Candidate:
    row = {"id": rid, "text": text, "user_id": "kate", "subject": "user", "attribute": attribute}
    return Candidate(score, "fact", rid, row, list(sources))


def _message(rid: int, score: float, text: str) -> Candidate:
    return Candidate(score, "message", rid, {"id": rid, "content": text}, [rid])


def test_one_topic_does_not_crowd_out_the_others():
    hobbies = [_fact(i, 0.9 - i * 0.01, f"Likes hobby {i}", "hobby") for i in range(1, 5)]
    job = _fact(9, 0.86, "Works as a teacher assistant at UCLA", "job")
    chosen = select([*hobbies, job], limit=3, budget=100)
    assert [c.rid for c in chosen] == [1, 9, 2]  # the second hobby steps down behind the job
    assert chosen[2].score == pytest.approx(0.88 - packing.GROUP_STEP)  # the score shows it


def test_without_a_budget_the_order_is_the_score_order():
    hobbies = [_fact(i, 0.9 - i * 0.01, f"Likes hobby {i}", "hobby") for i in range(1, 5)]
    job = _fact(9, 0.86, "Works as a teacher assistant at UCLA", "job")
    assert [c.rid for c in select([*hobbies, job], limit=3, budget=None)] == [1, 2, 3]


def test_facts_without_an_attribute_are_not_grouped():
    plain = [_fact(i, 0.9 - i * 0.01, f"Went somewhere {i}") for i in range(1, 4)]
    assert [c.rid for c in select(plain, limit=3, budget=100)] == [1, 2, 3]


def test_a_raw_turn_is_left_out_when_the_context_already_says_it():
    fact = _fact(1, 0.9, "Adopted a beagle named Pretzel last weekend", sources=(7,))
    behind = _message(7, 0.8, "I adopted a beagle named Pretzel last weekend!")
    echo = _message(8, 0.7, "Pretzel the beagle, adopted last weekend")  # another turn, same words
    new = _message(9, 0.6, "Pretzel loves the dog park on Elm street")
    assert [c.rid for c in select([fact, behind, echo, new], limit=10, budget=100)] == [1, 9]


def test_a_longer_item_is_skipped_for_shorter_ones_below_it():
    items = [_fact(1, 0.9, "one two three four"), _fact(2, 0.8, "five six"),
             _fact(3, 0.7, "seven eight nine"), _fact(4, 0.6, "ten")]
    assert [c.rid for c in select(items, limit=10, budget=3)] == [2, 4]


def test_neither_speakers_raw_turn_is_repeated_behind_its_fact(tmp_path):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("I adopted a beagle named Pretzel.", user_id="ana", run_id="chat")
    memory.add("I adopted a kitten named Pretzel too.", user_id="ben", run_id="chat")
    found = memory.search("Who adopted a pet named Pretzel?", run_id="chat", limit=20,
                          max_words=200)
    facts = [i for i in found if i.kind == "fact"]
    assert {i.user_id for i in facts} == {"ana", "ben"}
    behind = {m for i in facts for m in i.source_message_ids}
    assert not [i for i in found if i.kind == "message" and -i.id in behind]


def test_a_fact_that_repeats_the_packed_ones_steps_down_for_a_new_one(monkeypatch):
    skiing = _fact(1, 0.90, "Loves skiing in Aspen")
    again = _fact(2, 0.88, "Went skiing in Aspen again")  # of went, ski, aspen only went is new
    cooking = _fact(3, 0.80, "Takes an Italian cooking class")
    assert [c.rid for c in select([skiing, again, cooking], limit=3, budget=100)] == [1, 2, 3]
    monkeypatch.setattr(packing, "REPEAT_COST", 0.2)  # again: 0.88 - 0.2 * 2/3 = 0.75 < 0.80
    assert [c.rid for c in select([skiing, again, cooking], limit=3, budget=100)] == [1, 3, 2]
    monkeypatch.setattr(packing, "REPEAT_COST", 0.1)  # again: 0.88 - 0.1 * 2/3 = 0.81 > 0.80
    assert [c.rid for c in select([skiing, again, cooking], limit=3, budget=100)] == [1, 2, 3]
