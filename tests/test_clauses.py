"""Which parts of a message are the user's statements, said the way people chat: without "I",
with "we", about family without "my", endings without a subject; moods and moments left out."""

from __future__ import annotations

import pytest

from localmem.engine.extract import candidate_clauses, correction, rewrite_clause


def facts(text: str) -> list[str]:
    return [rewrite_clause(c) for c in candidate_clauses(text)]


@pytest.mark.parametrize("text, expected", [
    ("caved and got an iphone 15", ["Caved and got an iphone 15"]),
    ("switched to guitar!", ["Switched to guitar"]),
    ("back in the office 4 days a week now", ["Back in the office 4 days a week now"]),
    ("3 weeks without vaping!!", ["3 weeks without vaping"]),
    ("We bought a house in Portland and moved there.",
     ["Bought a house in Portland and moved there"]),
    ("mom sold her condo and moved in with us last week",
     ["Mom sold her condo and moved in with them last week"]),
    ("Nugget died last night 😢", ["Nugget died last night"]),
    ("The Japan trip is off, sadly.", ["The Japan trip is off"]),
    ("Sam and I split up last month.", ["Split up last month with Sam"]),
    ("my girlfriend Chloe and I are doing a pottery date tonight",
     ["Is doing a pottery date tonight with their girlfriend Chloe"]),
    ("I guess I'm pescatarian now", ["Is pescatarian now"]),
    ("remember I'm allergic to cats lol", ["Is allergic to cats"]),
    ("I no longer work for Initech.", ["No longer works for Initech"]),
    ("now i work at a small bakery in town", ["Works at a small bakery in town"]),
    # someone the user names (the store knows who: see test_decisions), and what they did
    ("Jake got a job at Google!!", ["Jake got a job at Google"]),
    ("Ana finally quit the hospital", ["Ana finally quit the hospital"]),
    ("no more ice cream for me", ["No more ice cream for them"]),
    ("guess who's the cafe manager now", ["Is the cafe manager now"]),
    ("we have a beagle named Cooper, he's the laziest dog ever", ["Has a beagle named Cooper"]),
    ("my sister Ana works long hours, she's a nurse at St. Mary's",
     ["Sister Ana works long hours", "Sister Ana is a nurse at St. Mary's"]),
    ("Iceland isn't happening anymore", ["Iceland isn't happening anymore"]),
    ("I still can't handle the summers", ["Still can't handle the summers"]),
])
def test_statements_said_the_way_people_chat(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "Sounds great!", "Loved it!", "Wanted to say hi", "Looking forward to it", "I love it",
    "we are all so proud", "Having lunch right now", "I'm so tired", "We should hang out sometime.",
    "they finally gave me the keys", "it broke my heart", "Today was a long day",
    "I'm terrified lol", "I just got back from the gym",
])
def test_moods_moments_and_small_talk_give_nothing(text):
    assert facts(text) == []


def test_a_mood_about_something_keeps_the_something():
    assert facts("I'm excited to start my new job at Google") == [
        "Is excited to start their new job at Google"]


@pytest.mark.parametrize("text, fixed", [
    ("*Kieran, not Kiran", ("Kieran", "Kiran")),
    ("oops it's Aidan with an a", ("Aidan", None)),
    ("sorry I meant Tuesday", ("Tuesday", None)),
    ("It's Aidan and he is great", None),  # a name, not a correction
    ("I spelled it wrong", None),  # no name to fix it with
])
def test_a_spelling_correction_is_recognised(text, fixed):
    assert correction(text) == fixed


@pytest.mark.parametrize("text, expected", [
    # a time leads, not someone else
    ("This New Years Eve I enjoyed some delicious Tiramisu.",
     ["This New Years Eve I enjoyed some delicious Tiramisu"]),
    ("This weekend I went hiking with my dog", ["This weekend I went hiking with my dog"]),
    ("Me and my friends also play padel", ["Me and my friends also play padel"]),  # one clause
    ("Some of our favorite moments were sitting by the beach in Mexico!",
     ["Some of our favorite moments were sitting by the beach in Mexico"]),
])
def test_clauses_led_by_a_time_or_said_with_others(text, expected):
    assert candidate_clauses(text) == expected


@pytest.mark.parametrize("text", ["I'm doing well Kate! How are you?", "I'm good, Sam",
                                  "It broke my heart", "This is my favorite song"])
def test_small_talk_with_a_name_or_things_leading_say_nothing(text):
    assert candidate_clauses(text) == []
