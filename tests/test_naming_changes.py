"""A new value said in everyday words lands in the old value's slot (issue 13): change and
ending vocabulary, value words and employers by name, comments that are no condition, the
change-worded prototypes, and the memory that results."""

from __future__ import annotations

import pytest

from helpers import fake_memory
from localmem.engine.attributes import (
    change_of, is_additive, is_hypothetical, rule_attribute,
)
from localmem.engine.decisions import Candidate, ending_targets, preference_target
from localmem.engine.vocab import ATTRIBUTES
from localmem.engine.vocab_prototypes import PROTOTYPES
from localmem.engine.vocab_prototypes_change import CHANGES


@pytest.mark.parametrize("text, change", [
    ("Broke things off with Jake", "ended"), ("Walked away from the council job", "ended"),
    ("Is six months smoke free", "ended"), ("Got let go from Target", "ended"),
    ("Ditched the Pixel for an iPhone 13", "changed"),  # an ending naming what came instead
    ("Switched over to green tea", "changed"), ("Got poached by Meta", "changed"),
    ("Made the jump to Linux", "changed"), ("Is all about matcha these days", "changed"),
    ("Closed on a place in York", "changed"), ("Is the cafe manager now", "changed"),
    ("Likes hiking", "new"),
])
def test_changes_and_endings_are_read_in_everyday_words(text, change):
    assert change_of(text) == change


@pytest.mark.parametrize("text, hypothetical", [
    ("Got the senior title finally, if you can believe it", False),
    ("Is eating dairy again, could not live without cheese", False),
    ("Will get a dog, if the landlord agrees", True),  # the comment is the condition
    ("Might switch to Linux one day", True),
])
def test_a_comment_after_the_statement_makes_it_no_less_sure(text, hypothetical):
    assert is_hypothetical(text) is hypothetical


@pytest.mark.parametrize("text, additive", [
    ("Is charge nurse now, way too much paperwork", False),
    ("Plays the piano too", True), ("Has a cat as well.", True),
    ("Also tutors on weekends", True), ("Picked up a second job at a bookstore", True),
])
def test_only_a_closing_too_adds_a_value(text, additive):
    assert is_additive(text) is additive


@pytest.mark.parametrize("text, key", [
    ("Got poached by Meta, started last month", "job"), ("Starts at Stripe in two weeks", "job"),
    ("Is at Accenture", "job"), ("Walked away from the Council", "job"),
    ("Is at home all day", None), ("Is at home now", None),
    ("Switched to a OnePlus", "phone"), ("Ditched the Samsung for a Xiaomi", "phone"),
    ("Uses Linux Mint now", "os"), ("Does the mediterranean diet these days", "diet"),
    ("Separated in the summer from Anne", "relationship"),
    ("Broke things off with Jake", "relationship"),
    ("Is not together with Chris anymore", "relationship"),
    ("Lives in Toronto with their wife Anna", "home"),  # a partner named in passing
    ("Is a dental hygienist now", "job"), ("Became a detective", "job"),
    ("Is a good driver", None),  # a word of many jobs and of everyone
    ("Runs Mint on the old laptop", "os"), ("Mint chocolate chip is their weakness", None),
    ("Best friend Priya moved to Seattle for a job at Microsoft", "home"),
])
def test_value_words_and_employers_by_name_name_the_attribute(text, key):
    assert rule_attribute(text) == key


def test_an_ending_finds_the_partner_it_names():
    stored = Candidate(1, "Boyfriend Jake is taking them to dinner", 0.5, "boyfriend jake", None)
    other = Candidate(2, "Coworker Sam is loud", 0.5, "coworker sam", None)
    assert ending_targets("Broke things off with Jake", True, [], [other, stored]) == [stored]


@pytest.mark.parametrize("new, old, overturned", [
    ("Prefers tea over coffee these days", "Drinks black coffee every morning", True),
    ("Is more into wine than beer these days", "Is a beer guy", True),
    ("Would rather have tacos than sushi", "Favorite food is sushi", True),
    ("Prefers tea over coffee", "The coffee shop on 5th closed", False),  # no liking, no habit
    ("Prefers tea over coffee", "Loves tea", False),  # the choice itself is what it liked
])
def test_a_preference_overturns_the_liking_or_habit_it_names(new, old, overturned):
    cand = Candidate(1, old, 0.5, "user", None)
    assert (preference_target(new, "user", [cand]) is cand) is overturned


def test_change_wordings_join_their_single_valued_attribute():
    for key, texts in CHANGES.items():
        assert ATTRIBUTES[key].single, key  # a change replaces only one-at-a-time values
        assert set(texts) <= set(PROTOTYPES[key]), key
        assert len(PROTOTYPES[key]) == len(set(PROTOTYPES[key])), key


@pytest.mark.parametrize("name, adds, gone, kept", [
    ("promotion-with-a-comment", ["I'm a staff nurse on the cardiac ward.",
                                  "I'm charge nurse as of this month, way too much paperwork"],
     "staff nurse", "charge nurse"),
    ("diet-with-a-could", ["I'm vegan.", "I'm eating dairy again, could not live without cheese"],
     "is vegan", "dairy"),
    ("employer-by-name", ["I work at Microsoft.", "I got poached by Meta last month"],
     "microsoft", "meta"),
    ("phone-switch", ["I have an iPhone 11.", "I switched to a OnePlus, way cheaper"],
     "iphone", "oneplus"),
])
def test_a_new_value_in_everyday_words_supersedes_the_old(name, adds, gone, kept):
    memory = fake_memory()
    for text in adds:
        memory.add(text, user_id="u")
    texts = [m.text.lower() for m in memory.get_all(user_id="u")]
    assert any(kept in t for t in texts), texts
    assert not any(gone in t for t in texts), texts


def test_a_second_value_of_a_many_valued_attribute_keeps_the_first():
    memory = fake_memory()
    for text in ["I play guitar.", "I've also started learning piano"]:
        memory.add(text, user_id="u")
    texts = " | ".join(m.text.lower() for m in memory.get_all(user_id="u"))
    assert "guitar" in texts and "piano" in texts, texts
