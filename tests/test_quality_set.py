"""The hand-written extraction/update set, scored end to end through ``Memory``.

Two stand-ins for the model: one that returns nothing (the deterministic path: rules only) and a
"perfect" one that returns the gold facts. The floors are what scripts/eval_memory.py measured
(HashEmbedder), a little below, so a regression in extraction, grounding or updates fails here.
"""

from __future__ import annotations

import pytest

from localmem import Memory
from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from tests.helpers import eval_harness


@pytest.fixture(scope="module")
def harness():
    yield from eval_harness("eval_memory")


@pytest.fixture(scope="module")
def conversations(harness):
    return harness.load_set()


def score(harness, conversations, llm):
    memory = Memory(path=":memory:", llm=llm, embedder=HashEmbedder())
    try:
        return harness.run_set(memory, conversations)
    finally:
        memory.close()


def test_the_set_has_updates_repeats_and_traps(conversations):
    assert len(conversations) >= 30
    assert sum(len(c["gone"]) for c in conversations) >= 10
    assert sum(bool(a.get("none")) for c in conversations for a in c["adds"]) >= 3
    assert sum(len(c["must_not"]) for c in conversations) >= 15


def test_rules_only(harness, conversations):
    scores = score(harness, conversations, FakeLLM())
    detail = "\n".join(scores.failures)
    assert scores.precision >= 0.86, detail  # measured 0.878 (43/49)
    assert scores.recall >= 0.93, detail  # measured 0.950
    assert scores.update_accuracy >= 0.70, detail  # measured 0.727 (8/11)
    assert scores.repeat_accuracy == 1.0, detail
    assert scores.invented_rate <= 0.02, detail  # measured 0.000
    assert scores.errors == 0, detail


def test_a_perfect_model_only_makes_it_better(harness, conversations):
    rules = score(harness, conversations, FakeLLM())
    perfect = score(harness, conversations, harness.perfect_llm(conversations))
    detail = "\n".join(perfect.failures)
    assert perfect.precision >= 0.90, detail  # measured 0.923 (48/52)
    assert perfect.recall >= 0.97, detail  # measured 1.000
    assert perfect.update_accuracy >= 0.80, detail  # measured 0.818 (9/11)
    assert perfect.invented_rate <= 0.02, detail
    assert perfect.drop_rate == 0.0, detail  # grounding keeps every gold fact
    assert perfect.precision >= rules.precision and perfect.recall >= rules.recall


def test_scoring_sees_stale_and_invented_facts(harness):
    assert harness.fact_matches("Lives in Toronto", "Lives in Toronto with their wife Anna")
    assert not harness.fact_matches("Lives in Toronto", "Moved from Toronto to Vancouver")
    assert not harness.fact_matches("Eats meat", "Does not eat meat anymore")
    assert harness.supported("Went to Miami on 2023-12-29", "I went to Miami yesterday")
    assert not harness.supported("Has a pet dog named Lucy", "I'm moving to Toronto next month")


def test_two_new_facts_for_one_slot_in_one_add_do_not_fail_the_add():
    memory = Memory(path=":memory:", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("I'm based in Chicago.", user_id="u")
    memory.add("I live in Seattle now, the move went smoothly. I live in Seattle.", user_id="u")
    texts = [item.text for item in memory.get_all(user_id="u")]
    assert any("Seattle" in t for t in texts) and not any("Chicago" in t for t in texts)
