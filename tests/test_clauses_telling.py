"""Clauses cut where a new thought starts, and read in the order the user told them: who "she"
is, who "her name's ..." names, where "here" is; complaints of the body left out."""

from __future__ import annotations

import pytest

from localmem.engine.clauses import message_clauses
from localmem.engine.extract import candidate_clauses, rewrite_clause


def facts(text: str) -> list[str]:
    return [rewrite_clause(c) for c in candidate_clauses(text)]


@pytest.mark.parametrize("text, expected", [
    # "no" is an answer only before a pause or a statement
    ("no pets for me yet!", ["Has no pets yet"]),
    ("no, I moved to Denver last year", ["Moved to Denver last year"]),
    ("no more ice cream for me", ["No more ice cream for them"]),
    # a perfect said without "I've"
    ("been living in Porto since May", ["Has been living in Porto since May"]),
    ("been a nurse 10 years, the pay is awful", ["Has been a nurse 10 years"]),
    # an emoji ends a thought
    ("we're engaged 💍 I said yes obviously", ["Is engaged", "Said yes"]),
    # a new subject after a comma is a comment, not the user's fact
    ("I rent a studio in Leeds, the heating keeps breaking", ["Rents a studio in Leeds"]),
    ("I'm a cashier at a garden centre, free plants are basically part of my pay",
     ["Is a cashier at a garden centre"]),
    ("the kids and I are going camping in June", ["Is going camping in June with the kids"]),
    ("working at Google has been great", ["Working at Google has been great"]),
    ("being a nurse has its perks", ["Being a nurse has its perks"]),  # what they are
    # an ending or an outcome said of a thing
    ("the sling came off!!", ["The sling came off"]),
    ("the ankle is fully healed, no more crutches", ["The ankle is fully healed, no more crutches"]),
    ("the adoption went through today", ["The adoption went through today"]),
    # interjections and announcements lead nothing
    ("funny thing, these days I prefer oat milk over cow milk", ["Prefers oat milk over cow milk"]),
    ("tbh I'm thinking about selling the boat", ["Is thinking about selling the boat"]),
    ("apparently I'm allergic to latex", ["Is allergic to latex"]),
    # an adverb before the verb keeps the verb the verb
    ("I only drive on weekends", ["Only drives on weekends"]),
    # an adjective before a relative is not the thing that acts
    ("my little brother is doing an apprenticeship in Bristol now",
     ["Little brother is doing an apprenticeship in Bristol now"]),
    ("grandpa finally sold his boat", ["Grandpa finally sold his boat"]),
])
def test_cut_where_a_new_thought_starts(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "my knees said absolutely not", "my arms are dead", "my shoulder just can't take it anymore",
    "my stomach hates me", "puppy cuddles are basically part of my salary",
])
def test_complaints_of_the_body_and_comments_give_nothing(text):
    assert facts(text) == []


@pytest.mark.parametrize("text, expected", [
    ("my wrist is broken", ["Wrist is broken"]),
    ("my knee is fully healed", ["Knee is fully healed"]),
])
def test_an_ailment_or_a_recovery_of_the_body_is_kept(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("it's snowing in Denver again, I live here", ["Lives in Denver"]),
    ("12 hour shift at Costco, I'm a stocker there", ["Is a stocker at Costco"]),
    ("bought a house in Porto and moved there", ["Bought a house in Porto and moved there"]),
])
def test_here_and_there_say_the_place_named(text, expected):
    assert facts(text) == expected


def test_a_name_given_next_names_the_someone_just_met():
    told = message_clauses(["so... I met someone 🙈", "his name's Marek, he's a mechanic"])
    assert told == [[("I met someone named Marek", [0, 1])], [("Marek is a mechanic", [1])]]


def test_a_pet_named_in_the_same_message():
    assert facts("we got a kitten!!! her name is Pickle and she's tiny") == [
        "Got a kitten named Pickle"]


def test_she_in_a_later_message_is_the_person_named_before():
    told = message_clauses(["Priya finally left the bank!", "she's teaching piano now"])
    assert told[1] == [("Priya is teaching piano now", [1, 0])]


def test_a_statement_of_what_someone_does_is_not_kept_without_is():
    # "he cooks" after "Omar ..." says what he does in passing, not what he is
    assert message_clauses(["Omar quit his job", "he cooks a lot"])[1] == []


def test_a_name_with_nobody_to_name_is_left_alone():
    assert message_clauses(["his name is Otto"]) == [[]]


@pytest.mark.parametrize("text, expected", [
    # what "who" says of a name is its own thought, here a passing one
    ("we have a parrot named Kiwi who screams every morning", ["Has a parrot named Kiwi"]),
    # the one named last is who "he" is
    ("my cousin Ben is dating a girl named Ivy, she's a dentist",
     ["Cousin Ben is dating a girl named Ivy", "Ivy is a dentist"]),
    # two names doing one thing
    ("Mara and Joel got married last weekend!!", ["Mara and Joel got married last weekend"]),
    # a doing as the subject is not a deed of the user's
    ("renting the piano was too expensive and a guitar fits in my tiny flat", []),
    ("driving the kids around is so tiring", []),
    ("being vegan is so annoying sometimes", []),  # a mood about what they are
    # a new subject after a comma, with its verb
    ("I sold my Honda for a Kia, the mileage actually matters",
     ["Sold their Honda for a Kia"]),
    ("my mom has run the bakery for 20 years, everyone in town knows her",
     ["Mom has run the bakery for 20 years"]),
])
def test_thoughts_of_their_own_are_cut_off(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "we have a beagle named Cooper, he's the laziest dog ever",
    "we have a beagle named Cooper, he's a sweetheart",
])
def test_a_judgement_of_someone_named_is_no_statement_about_them(text):
    assert facts(text) == ["Has a beagle named Cooper"]
