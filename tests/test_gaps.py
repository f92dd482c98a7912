"""Where the rules lead, a model fact is kept only where it fills a gap the rules left: not from
a sentence the rules declined (a question, a wish, the listener, a mood, the body complaining),
not a piece of a clause the rules already took, every content word said by the user."""

from __future__ import annotations

import pytest

from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from localmem.engine.clauses import candidate_clauses
from localmem.engine.gaps import declined, fills_gap, model_fills_gap
from localmem.engine.pipeline import Pipeline


def _gap(fact: str, message: str) -> bool:
    return model_fills_gap(fact, message, candidate_clauses(message))


def test_a_fact_the_rules_made_nothing_of_fills_a_gap():
    said = "nuked windows off the desktop lol, it's running Pop OS now and steam just works??"
    assert not candidate_clauses(said)  # the rules read the whole sentence as a question
    assert _gap("Nuked windows off the desktop", said)


@pytest.mark.parametrize("fact, message", [
    # the body complaining, said without "I": a moment, not a lasting fact
    ("Stomach just can't handle it anymore",
     "these days I prefer green tea over coffee\nmy stomach just can't handle it anymore"),
    ("Shoulder can't take it anymore", "sold my cello, my shoulder can't take it anymore"),
    # a question about something: the user did not say they have it
    ("Moved to Denver", "should I have moved to Denver?"),
    # a wish or a condition
    ("Quit the job", "if the commute gets worse I might quit the job"),
    # the listener's life, not the user's
    ("Moved to Denver", "so you moved to Denver last spring"),
])
def test_a_fact_from_a_sentence_the_rules_declined_fills_no_gap(fact, message):
    assert not _gap(fact, message)


def test_a_piece_of_a_rule_clause_fills_no_gap():
    message = "I'm in Melbourne for uni, doing my masters in urban planning"
    assert candidate_clauses(message)  # the rules took the sentence ...
    assert not _gap("In Melbourne", message)  # ... so its piece is theirs, no gap


@pytest.mark.parametrize("fact, message", [
    # a comment the rules cut from the sentence they took
    ("Puppy cuddles are part of their salary",
     "I'm a receptionist at a vet clinic, puppy cuddles are part of my salary"),
    ("Cat is hiding in one", "moving boxes everywhere, the cat is hiding in one"),
])
def test_what_the_rules_cut_from_a_sentence_they_took_fills_no_gap(fact, message):
    assert candidate_clauses(message)
    assert not _gap(fact, message)


def test_a_gap_fact_holds_only_words_the_user_said():
    message = "nuked windows off the desktop last weekend lol"
    assert fills_gap("Switched off windows on the desktop", leader_answered=True)
    assert not _gap("Switched off windows on the desktop", message)  # "switched": not said


def test_declined_pieces():
    assert declined("do you still have the cat?")
    assert declined("maybe we'll get a dog one day")
    assert declined("your sister moved to Lisbon")
    assert not declined("your advice helped, I quit my job")  # the user speaks too
    assert not declined("sold my cello")


def _led(facts):
    def respond(prompt, schema):
        return {"facts": facts} if "facts" in schema.model_fields else {"event": "ADD"}
    return Pipeline(FakeLLM(respond), HashEmbedder(), model_leads=False, keep_chatter=True)


def test_the_pipeline_keeps_only_gap_facts_of_a_model_the_rules_lead():
    message = ("sold my cello, my shoulder can't take it anymore\n"
               "nuked windows off the desktop lol, steam just works??")
    report = _led(["Shoulder can't take it anymore", "Nuked windows off the desktop"]).extract(
        [(0, message)])
    model = [f.text for f in report.facts if f.origin == "model"]
    assert model == ["Nuked windows off the desktop"]
    assert "Shoulder can't take it anymore" in report.partial  # counted, set aside
    assert any(f.origin == "rule" and "cello" in f.text for f in report.facts)
