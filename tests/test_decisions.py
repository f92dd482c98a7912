"""Decisions that look in the right place: the kinds of change that used to leave both facts
current (promotion, device switch, diet, preference, a move without "moved to", leaving an
employer, OS switch, break-up), endings, repeats and values that add up. Rules only (FakeLLM
says nothing), real SQLite, the hashing embedder; the phrasing is this file's own."""

from __future__ import annotations

import re

import pytest

from localmem.types import Action
from tests.helpers import fake_memory, backend, sql

# (name, adds in order, words some current fact must hold, words no current fact may hold)
SCENARIOS: list[tuple[str, list[str], list[str], list[str]]] = [
    ("promotion", ["I work as a barista at Bean There downtown.",
                   "Guess what, I got promoted! I'm the cafe manager now."],
     ["manager"], ["barista"]),
    ("device-switch", ["I've had an iPhone for years.",
                       "I switched to a Pixel 8 last month and I love it."],
     ["pixel"], ["iphone"]),
    ("diet-change", ["I'm vegan, have been for five years.",
                     "I started eating fish again, so I guess I'm pescatarian now."],
     ["pescatarian"], ["vegan"]),
    ("preference-pair", ["I prefer tea over coffee.",
                         "These days I prefer coffee over tea, honestly."],
     ["coffee over tea"], ["tea over coffee"]),
    ("preference-liking", ["I really love green tea.", "Lately I prefer coffee to tea."],
     ["coffee"], ["love green tea"]),
    ("move-without-moved-to", ["I live in Seattle.",
                               "We bought a house in Portland and moved there in May."],
     ["lives in portland"], ["seattle"]),
    ("leave-employer", ["I work at Acme Corp as an accountant.", "I left Acme last month."],
     ["left acme"], ["works at acme"]),
    ("no-longer-at", ["I work for Initech as a tester.", "I no longer work for Initech."],
     ["no longer works for initech"], ["as a tester"]),
    ("os-switch", ["I use Windows on my laptop.",
                   "I finally switched to Linux, Ubuntu specifically."],
     ["linux"], ["windows"]),
    ("break-up", ["I'm dating Sam, we met in college.", "Sam and I split up a few weeks ago."],
     ["split up"], ["dating sam"]),
    ("single-now", ["I have a girlfriend named Lily.", "I'm single now."],
     ["single"], ["lily"]),
    ("pet-gone", ["I have a cat named Whiskers.", "I don't have a cat anymore, sadly."],
     ["cat anymore"], ["whiskers"]),
    ("trip-off", ["I'm planning a trip to Japan in April.",
                  "The Japan trip is off, work got too busy."],
     ["trip is off"], ["planning a trip"]),
    ("new-employer", ["I work at Google as a software engineer.",
                      "I just started a new job at Stripe."],
     ["stripe"], ["google"]),
    ("car-swap", ["I drive a 2015 Honda Civic.",
                  "I sold my Honda Civic and bought a Tesla Model 3."],
     ["tesla"], ["drives a 2015"]),
    ("instruments-add-up", ["I play the guitar.", "I also started learning the piano."],
     ["guitar", "piano"], []),
    ("languages-add-up", ["I speak Spanish.", "I'm learning Japanese too."],
     ["spanish", "japanese"], []),
    ("two-jobs-at-once", ["I work part-time as a social media manager and I'm a teacher "
                          "assistant at UCLA."], ["social media manager", "teacher assistant"], []),
    ("sister-is-not-me", ["I live in Madrid.", "My sister Ana lives in Lisbon."],
     ["lives in madrid", "ana lives in lisbon"], []),
    ("sister-moves", ["My sister Ana lives in Lisbon.", "My sister Ana moved to Porto."],
     ["ana lives in porto"], ["lisbon"]),
    ("partner-named-in-passing", ["I live in Toronto with my wife Anna.",
                                  "I moved from Toronto to Vancouver."],
     ["wife is anna", "lives in vancouver"], ["lives in toronto"]),
    ("replaced-by-instead-of", ["I cycle to work every day.",
                                "I take the bus instead of cycling now, my knee hurts."],
     ["bus instead of cycling"], ["cycle to work"]),
    ("maybe-replaces-nothing", ["I drive a Mazda 3.", "I might buy a Volvo someday if I win."],
     ["mazda", "volvo"], []),
    ("break-up-ends-the-partner-s-facts", ["My girlfriend Zoe bakes bread every Sunday.",
                                           "Zoe and I broke up last night."],
     ["broke up"], ["bakes bread"]),
    ("named-person-is-the-stored-one", ["My cousin Raj works at a bank in Leeds.",
                                        "Raj got a job at a bakery!"],
     ["cousin raj got a job at a bakery"], ["bank"]),
    ("one-value-ends-whatever-it-names", ["My uncle Bo is a pilot for Delta.",
                                          "my uncle Bo quit the airline"],
     ["quit the airline"], ["pilot"]),
    ("no-more-ends-it", ["I have a donut every morning.", "no more donuts for me"],
     ["no more donuts"], ["every morning"]),
    ("misspelled-name-fixed", ["My neighbour Kiran lent me a ladder.", "*Kieran, sorry"],
     ["kieran lent"], ["kiran"]),
    ("aside-to-the-listener", ["I wait tables at a diner.", "I'm the head waiter now, can you "
                               "believe it"], ["head waiter"], ["wait tables"]),
    ("not-since-then", ["I bite my nails constantly.", "I haven't bitten my nails in 2 weeks!"],
     ["not bitten"], ["constantly"]),
    ("plan-put-off-without-i", ["We're flying to Bali in July.", "Bali trip got postponed."],
     ["postponed"], ["flying to bali"]),
    ("graduated", ["I'm a senior at Rutgers.", "I graduated from Rutgers last week"],
     ["graduated"], ["senior at rutgers"]),
    ("divorce", ["I'm married to Carla.", "Carla and I are getting divorced"],
     ["divorced"], ["married to carla"]),
    ("car-said-goodbye", ["My daily driver is a 2009 Mazda 3.",
                          "Said goodbye to the Mazda, picked up a used Subaru Forester"],
     ["subaru"], ["daily driver"]),
    ("shift-change", ["I work the graveyard shift at the warehouse.",
                      "I finally got moved to day shifts!"], ["day shifts"], ["graveyard"]),
    ("named-relative-moves-home", ["My cousin Ivy lives in Leeds.", "Ivy moved back home to York"],
     ["cousin ivy moved back home to york"], ["lives in leeds"]),
    ("a-named-friend-s-home-is-theirs", ["I live in Perth.", "Tom moved to Sydney last year"],
     ["lives in perth", "tom moved to sydney"], []),
    ("the-class-ended", ["I'm taking a salsa class on Mondays.", "The salsa class ended last week"],
     ["class ended"], ["taking a salsa"]),
]


def check(texts: list[str], current: list[str], gone: list[str]) -> list[str]:
    """What is wrong with the current facts: a wanted phrase missing, a gone one still there."""
    low = [re.sub(r"\s+", " ", t.lower()) for t in texts]
    missing = [w for w in current if not any(w in t for t in low)]
    stale = [w for w in gone if any(w in t for t in low)]
    return [f"missing {w!r}" for w in missing] + [f"still current {w!r}" for w in stale]


@pytest.mark.parametrize("name, adds, current, gone", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_the_right_fact_stays_current(name, adds, current, gone):
    memory = fake_memory()
    for text in adds:
        memory.add(text, user_id="u")
    texts = [m.text for m in memory.get_all(user_id="u")]
    assert not check(texts, current, gone), texts


@pytest.mark.parametrize("first, again", [
    ("I live in Denver.", "I'm still living in Denver."),
    ("I work as a nurse at Mercy hospital.", "I work as a nurse."),
    ("I have a dog named Rex.", "I have a dog named Rex."),
    ("I live in York, grew up here and never left.", "still living in York, love it"),
    ("I play bass in a jazz trio.", "still playing bass with the trio every week"),
    ("I teach chemistry at Hill High.", "I'm a chemistry teacher at Hill High."),
])
def test_a_repeated_value_changes_nothing(first, again):
    memory = fake_memory()
    memory.add(first, user_id="u")
    events = memory.add(again, user_id="u")
    assert all(e.event is Action.NONE for e in events), events


def test_an_ending_ends_the_old_fact_and_history_says_why():
    memory = fake_memory()
    old = memory.add("I have a cat named Whiskers.", user_id="u")[0]
    events = memory.add("I don't have a cat anymore.", user_id="u")
    assert [e.event for e in events] == [Action.DELETE, Action.ADD]
    assert events[0].id == old.id and events[0].previous_text == "Has a cat named Whiskers"
    entry = memory.history(old.id)[-1]
    assert entry.event is Action.DELETE and entry.old_text == "Has a cat named Whiskers"
    assert entry.reason == f"ended by memory {events[1].id}"  # names it, never copies its text


def test_a_new_value_updates_in_place_and_stores_the_slot():
    memory = fake_memory()
    old = memory.add("I work as a barista at Bean There.", user_id="u")[0]
    event = memory.add("I'm the cafe manager now.", user_id="u")[0]
    assert event.event is Action.UPDATE and event.replaced_id == old.id  # the new value's row
    row = sql(memory, "SELECT subject, attribute FROM memories WHERE id=?", [event.id])
    assert row == [("user", "job")]
    history = memory.history(old.id)
    assert [h.old_text for h in history] == [None, None, "Works as a barista at Bean There"]


def test_memories_stored_before_the_slot_columns_are_read_from_their_text():
    memory = fake_memory()
    old = memory.add("I live in Seattle.", user_id="u")[0]
    with backend(memory).write():  # a memory from before m006: no subject, no attribute
        sql(memory, "UPDATE memories SET subject=NULL, attribute=NULL WHERE id=?", [old.id])
    event = memory.add("I live in Boston now.", user_id="u")[0]
    assert event.event is Action.UPDATE and event.replaced_id == old.id
