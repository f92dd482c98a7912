"""The hand-written extraction/update set, scored end to end through ``Memory``.

Two stand-ins for the model: one that returns nothing (the deterministic path: rules only) and a
"perfect" one that returns the gold facts. The floors are what scripts/eval_memory.py measured on
the tuning split (HashEmbedder), a little below, so a regression in extraction, grounding or
updates fails here. The held-out split is only checked for its shape and that it runs: nothing
may be tuned on it, floors included.
"""

from __future__ import annotations

from collections import Counter

import pytest

from localmem import Memory
from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from tests.helpers import eval_harness


@pytest.fixture(scope="module")
def harness():
    yield from eval_harness("eval_memory")


@pytest.fixture(scope="module")
def tune(harness):
    return harness.load_set("tune")


@pytest.fixture(scope="module")
def heldout(harness):
    return harness.load_set("heldout")


def score(harness, conversations, llm):
    memory = Memory(path=":memory:", llm=llm, embedder=HashEmbedder())
    try:
        return harness.run_set(memory, conversations)
    finally:
        memory.close()


def _updated_attributes(conversations):
    return Counter(c["attributes"][0] for c in conversations if c["gone"])


def test_the_set_is_big_and_split_in_two_similar_halves(harness, tune, heldout):
    both = tune + heldout
    assert len(both) >= 120
    assert sum(len(c["gone"]) for c in both) >= 60
    assert len(_updated_attributes(both)) >= 20
    assert sum(bool(a.get("none")) for c in both for a in c["adds"]) >= 8
    assert sum(len(c["must_not"]) for c in both) >= 25
    assert len({c["id"] for c in both}) == len(both)
    for part in (tune, heldout):  # roughly half each, updates included
        assert 0.4 <= len(part) / len(both) <= 0.6
        assert 0.4 <= sum(len(c["gone"]) for c in part) / sum(len(c["gone"]) for c in both) <= 0.6
    held_kinds, tune_kinds = set(_updated_attributes(heldout)), set(_updated_attributes(tune))
    assert len(held_kinds & tune_kinds) >= 0.8 * len(held_kinds)
    about = harness.SPLITS["heldout"].read_text(encoding="utf-8")[:600]
    assert "no prompt, rule, threshold" in about


def test_every_update_has_a_probing_question_and_one_gold_per_text(harness, tune, heldout):
    gold: dict[str, list[str]] = {}
    for conv in tune + heldout:
        assert set(conv["probes"]) == set(conv["gone"]), conv["id"]
        assert all(q.endswith("?") for q in conv["probes"].values()), conv["id"]
        for add in conv["adds"]:
            text = harness.user_text(add["messages"])
            assert gold.setdefault(text, add["facts"]) == add["facts"], conv["id"]


def test_a_gone_fact_without_a_question_is_refused(harness, tmp_path):
    path = tmp_path / "set.json"
    path.write_text('{"conversations": [{"id": "x", "attributes": ["home"], "adds": [], '
                    '"current": [], "gone": ["Lives in Oslo"], "must_not": []}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="probing question"):
        harness.load_set(path)


def test_rules_only(harness, tune):
    scores = score(harness, tune, FakeLLM())
    detail = "\n".join(scores.failures)
    # the w- conversations (phrased like people talk, not like the rules parse) lowered these
    assert scores.precision >= 0.63, detail  # measured 0.645 (216/335)
    assert scores.recall >= 0.86, detail  # measured 0.878 (165/188)
    assert scores.update_accuracy >= 0.71, detail  # measured 0.724 (84/116)
    assert scores.repeat_accuracy >= 0.78, detail  # measured 0.800 (12/15)
    assert scores.invented_rate <= 0.02, detail  # measured 0.006 (1/169 conversations)
    assert scores.unsupported_rate <= 0.02, detail  # measured 0.000 (0/335)
    assert scores.stale_rate <= 0.21, detail  # measured 0.198 (23/116)
    assert scores.errors == 0, detail


def test_a_perfect_model_only_makes_it_better(harness, tune):
    rules = score(harness, tune, FakeLLM())
    perfect = score(harness, tune, harness.perfect_llm(tune))
    detail = "\n".join(perfect.failures)
    assert perfect.precision >= 0.65, detail  # measured 0.661 (226/342)
    assert perfect.recall >= 0.90, detail  # measured 0.910 (171/188)
    assert perfect.update_accuracy >= 0.74, detail  # measured 0.759 (88/116)
    assert perfect.unsupported_rate <= 0.02, detail
    # measured 0.013 (5/383): a negation elsewhere in the clause ("I'm doing keto, no carbs")
    # makes grounding drop a gold fact
    assert perfect.drop_rate <= 0.02, detail
    assert perfect.precision >= rules.precision and perfect.recall >= rules.recall


def test_the_held_out_split_runs(harness, heldout):
    scores = score(harness, heldout, FakeLLM())
    assert scores.errors == 0 and scores.conversations == len(heldout)
    assert scores.probes == scores.contradictions == sum(len(c["gone"]) for c in heldout)


def test_scoring_sees_stale_and_invented_facts(harness):
    assert harness.fact_matches("Lives in Toronto", "Lives in Toronto with their wife Anna")
    assert not harness.fact_matches("Lives in Toronto", "Moved from Toronto to Vancouver")
    assert not harness.fact_matches("Eats meat", "Does not eat meat anymore")
    assert not harness.fact_matches("Sister Ana is a nurse", "Sister Ana quit nursing")
    assert harness.fact_matches("Lives in Lisbon", "Lives in Lisbon, tiny flat and no elevator")
    assert harness.fact_matches("Bikes to work", "Sold the Corolla and bikes to work now")
    assert harness.fact_matches("Lives in Porto | Moved to Porto", "Moved to Porto in May")
    assert harness.fact_matches("Works at Marco's", "Slings pizzas and works at Marco's")
    assert harness.supported("Went to Miami on 2023-12-29", "I went to Miami yesterday")
    assert harness.supported("Tries to go before work", "I try to go before work")
    assert not harness.supported("Has a pet dog named Lucy", "I'm moving to Toronto next month")
    assert harness.must_not_matches("Is vegan", "Went vegan in May, is vegan now")
    assert not harness.must_not_matches("Is vegan", "Friend Nina is vegan")


def _conv(cid, gone, must_not=()):
    return {"id": cid, "attributes": ["job"], "current": ["Is the cafe manager"],
            "adds": [{"messages": "m", "facts": ["Works as a barista", "Is the cafe manager now"]}],
            "gone": list(gone), "probes": {g: f"q {g}?" for g in gone}, "must_not": list(must_not)}


def test_the_new_figures_on_a_tiny_synthetic_set(harness):
    scores = harness.SetScores()
    superseded = _conv("a", ["Works as a barista", "Has a cat named Tom"],
                       ["Is vegan", "Lives in Berlin"])
    harness.score_conversation(scores, superseded, harness.Observed(
        stored=[("Is the cafe manager now", "I'm the cafe manager now"),
                ("Friend Nina went vegan", "my friend Nina went vegan"),
                ("Lives in Berlin", "my friend moved to Berlin")],
        ever=["Works as a barista at Bean There", "Is the cafe manager now"],
        shown={"q Works as a barista?": [("fact", "Is the cafe manager now"),
                                          ("message", "I work as a barista at Bean There")]},
    ))
    stale = _conv("b", ["Works as a barista"])
    harness.score_conversation(scores, stale, harness.Observed(
        stored=[("Works as a barista", "I work as a barista"),
                ("Is the cafe manager", "I'm the cafe manager")],
        ever=["Works as a barista", "Is the cafe manager"],
        shown={"q Works as a barista?": [("fact", "Is the cafe manager"),
                                          ("fact", "Works as a barista")]},
    ))
    assert (scores.conversations, scores.stored, scores.correct) == (2, 5, 2)  # the managers
    assert (scores.recalled, scores.gold) == (2, 2)
    # the cat was never stored, so it was not superseded either; b's barista is still current
    assert (scores.superseded, scores.old_stored, scores.contradictions) == (1, 2, 3)
    assert scores.must_not_hits == 1 and scores.invented_rate == 0.5  # Berlin; Nina is a friend
    assert (scores.stale_facts, scores.stale_items, scores.probes) == (1, 2, 3)
    assert scores.stale_rate == pytest.approx(1 / 3)


def test_run_set_asks_each_probing_question_and_counts_must_not(harness):
    conversations = [
        {"id": "name", "attributes": ["name"], "current": ["Name is Dan"], "must_not": [],
         "adds": [{"messages": "My name is Daniel.", "facts": ["Name is Daniel"]},
                  {"messages": "My name is Dan.", "facts": ["Name is Dan"]}],
         "gone": ["Name is Daniel"], "probes": {"Name is Daniel": "What is the user's name?"}},
        {"id": "dog", "attributes": ["pet"], "current": [], "gone": [], "probes": {},
         "adds": [{"messages": "I have a dog named Rex.", "facts": []}],
         "must_not": ["Has a dog named Rex"]},
    ]
    scores = score(harness, conversations, FakeLLM())
    assert (scores.superseded, scores.probes, scores.stale_facts) == (1, 1, 0), scores.failures
    assert scores.must_not_hits == 1 and scores.invented_rate == 0.5


def test_two_new_facts_for_one_slot_in_one_add_do_not_fail_the_add():
    memory = Memory(path=":memory:", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("I'm based in Chicago.", user_id="u")
    memory.add("I live in Seattle now, the move went smoothly. I live in Seattle.", user_id="u")
    texts = [item.text for item in memory.get_all(user_id="u")]
    assert any("Seattle" in t for t in texts) and not any("Chicago" in t for t in texts)


def test_the_tuning_halves_share_nothing_and_cover_the_tuning_split(harness, tune):
    a, b = harness.load_set("tune-a"), harness.load_set("tune-b")
    ids = [c["id"] for c in a] + [c["id"] for c in b]
    assert sorted(ids) == sorted(c["id"] for c in tune)
    assert not {c["id"] for c in a} & {c["id"] for c in b}
    assert abs(len(a) - len(b)) <= 1
    assert harness.load_slots("tune-a") == harness.load_slots("tune")
