"""Statements said without "I" (a state, "have", a self-introduction, a new thing, family with
"'s"), facts inside longer sentences, and what only mattered in the moment (a reaction,
someone's mood, a telling with nothing told, a hedge): the clause finder's general cues
(engine/clauses.py, passing.py, telling.py). Wordings written for this file, in chat style."""

from __future__ import annotations

import pytest

from localmem.engine.clauses import message_clauses
from localmem.engine.plainly import self_intro
from localmem.engine.extract import candidate_clauses, rewrite_clause
from localmem.engine.passing import passing


def facts(text: str) -> list[str]:
    return [rewrite_clause(c) for c in candidate_clauses(text)]


@pytest.mark.parametrize("text, expected", [
    # a state said without "I'm": diet, relationship, health, work
    ("nope, still pescatarian", ["Is still pescatarian"]),
    ("allergic to shellfish unfortunately", ["Is allergic to shellfish"]),
    ("no longer at Accenture", ["Is no longer at Accenture"]),
    ("happily married, 9 years in June", ["Is happily married, 9 years in June"]),
    ("on a low carb diet these days", ["Is on a low carb diet these days"]),
    ("more of a dog person honestly", ["Is more of a dog person"]),
    # "have" and "got" without "I", "ive" without its apostrophe
    ("have three daughters, all in school", ["Has three daughters, all in school"]),
    ("have a lovely evening!", []),  # a wish, not what the user has
    ("ive got 2 ferrets", ["Has 2 ferrets"]),
    ("we've got a hamster called Nibbles", ["Has a hamster called Nibbles"]),
    # a self-introduction
    ("retired firefighter here, 62 and still kicking",
     ["Is a retired firefighter, 62 and still kicking"]),
    ("Priya here!", ["Name is Priya"]),
    # the user's new thing, said without "my"
    ("new contract starts on the 3rd", ["New contract starts on the 3rd"]),
    # family with "'s" and "the"
    ("dad's moving in with us next month", ["Dad's moving in with them next month"]),
    ("the twins started nursery", ["Twins started nursery"]),
    # plans said plainly, adverbs before "I"
    ("gonna start night classes in April", ["Is going to start night classes in April"]),
    ("so basically I'm a full time carer now", ["Is basically a full time carer now"]),
    # lead-ins that announce a statement
    ("quick update: we adopted a kitten", ["Adopted a kitten"]),
    ("long story short, I'm moving to Cork", ["Is moving to Cork"]),
])
def test_statements_said_without_i(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # a fact after "now that" / "and now" / "cause" is its own clause
    ("the bills are insane now that we own a house in Bath", ["Owns a house in Bath"]),
    ("my cousin got a corgi and now I want one so bad", ["Cousin got a corgi"]),
    ("I walk to work cause I sold my car", ["Walks to work", "Sold their car"]),
    # who a thing came from is a detail after it
    ("finally got a laptop my uncle gave me, works fine", ["Finally got a laptop"]),
])
def test_facts_inside_longer_sentences(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "nervous and hopeful lol", "so relieved honestly",  # a mood said alone, as a reply
    "I don't even miss sugar", "I feel like a proper adult",  # reactions
    "I literally squealed in the shop", "I can't stop smiling",
    "my sister Mia is always so dramatic", "he's so clingy",  # someone's mood, a judgement
    "my neighbour told me on Friday", "my boss won't shut up about it",  # nothing told
    "maybe 20 minutes if I'm lucky", "like twice a month if I'm honest",  # a hedge tail
    "wondering if I should learn the drums", "not sure whether to take the Bristol offer",
])
def test_what_only_mattered_in_the_moment_gives_nothing(text):
    assert facts(text) == []


@pytest.mark.parametrize("text, expected", [
    ("Kemi coaches the under 12s on Saturdays", ["Kemi coaches the under 12s on Saturdays"]),
    ("Jonas owns a bike shop in Ghent", ["Jonas owns a bike shop in Ghent"]),
    ("Rosa just had a baby girl!", ["Rosa just had a baby girl"]),
    ("Rosa had a lovely time", []),  # "had" alone is no life event
    ("Lisbon has the best custard tarts", []),  # a place, not someone the user knows
])
def test_what_someone_named_does(text, expected):
    assert facts(text) == expected


def test_a_passing_cue_leaves_the_fact_it_is_not():
    assert not passing("I'm free on weekends") and not passing("Milo is 14 and deaf")
    assert not passing("my doctor said my iron was low")  # something was told
    assert not passing("I work nights and the shifts are rough")  # the subject is mine
    assert facts("I'm a vet, to be honest") == ["Is a vet"]


def test_a_self_introduction_needs_someone_to_introduce():
    assert self_intro("same here") == "same here"
    assert self_intro("so humid here") == "so humid here"
    assert self_intro("it's snowing here") == "it's snowing here"
    assert self_intro("long time lurker here") == "I'm a long time lurker"


def test_we_met_says_who_the_user_met():
    told = message_clauses(["I'm seeing someone new", "his name is Kofi, we met at a salsa class"])
    said = [rewrite_clause(c) for message in told for c, _ in message]
    assert said == ["Is seeing someone new named Kofi", "Met Kofi at a salsa class"]
    told = message_clauses(["my girlfriend Lena is great", "we split up last week"])
    said = [rewrite_clause(c) for c, _ in told[1]]
    assert said == ["Split up last week with their girlfriend Lena"]
