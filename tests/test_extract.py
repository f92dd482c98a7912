"""The deterministic fact steps: candidate clauses, third-person rewriting, grounding, dates."""

from __future__ import annotations

from datetime import date

import pytest

from localmem.engine.extract import (
    candidate_clauses,
    has_negation,
    is_grounded,
    resolve_dates,
    rewrite_clause,
)


def facts(text: str) -> list[str]:
    return [rewrite_clause(c) for c in candidate_clauses(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hi, I'm Sam and I work as a nurse in Boston.", ["Name is Sam", "Works as a nurse in Boston"]),
        ("I love hiking in the mountains.", ["Loves hiking in the mountains"]),
        ("I'm vegetarian.", ["Is vegetarian"]),
        ("I don't eat meat anymore, my doctor told me to stop.",
         ["Does not eat meat anymore", "Doctor told them to stop"]),
        ("I quit Google, now I work at a small startup called Finch.",
         ["Quit Google", "Works at a small startup called Finch"]),
        ("These days my favorite food is ramen.", ["Favorite food is ramen"]),
        ("Big news: I moved from Toronto to Vancouver.", ["Moved from Toronto to Vancouver"]),
        ("As for me, I'm getting ready for a game of basketball with my friends.",
         ["Is getting ready for a game of basketball with their friends"]),
        ("I might try making brownies at home.", ["Might try making brownies at home"]),
        ("I just set up a coffee with friends.", ["Just set up a coffee with friends"]),
        ("My name's Dan.", ["Name is Dan"]),
    ],
)
def test_first_person_statements_become_facts(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hey! How are you doing today?",
        "What's the weather like in Miami this weekend?",
        "Thanks so much, have a good night!",
        "I'm glad to hear you're doing well!",
        "I hope you get better soon.",
        "If there's anything you'd like to discuss, I'd love to hear it.",
        "Can you recommend a good book?",
        "I love your idea, it's great.",
        "The weather is nice today.",
    ],
)
def test_questions_small_talk_and_talk_about_the_listener_give_nothing(text):
    assert facts(text) == []


def test_a_list_stays_one_fact():
    assert facts("I speak Spanish, French and German.") == ["Speaks Spanish, French and German"]


@pytest.mark.parametrize(
    "fact, source",
    [
        ("Is vegetarian", "I'm vegetarian."),
        ("Lives in Toronto", "I live in Toronto with my wife."),
        ("Likes hiking", "I love hiking on weekends."),
        ("Does not eat meat", "I don't eat meat anymore."),
    ],
)
def test_paraphrases_of_the_users_words_are_grounded(fact, source):
    assert is_grounded(fact, source)


@pytest.mark.parametrize(
    "fact, source",
    [
        ("Has a pet dog named Lucy", "I'm moving to Toronto next month."),
        ("Lives in Vancouver", "I live in Toronto."),
        ("Is 31 years old", "I'm 30 years old."),
        ("Eats meat", "I don't eat meat anymore."),
        ("Name is Sam", "Hi, I'm Mia."),
    ],
)
def test_invented_names_numbers_and_flipped_negations_are_not_grounded(fact, source):
    assert not is_grounded(fact, source)


def test_negation():
    assert has_negation("I don't smoke")
    assert has_negation("Is no longer vegan")
    assert not has_negation("Smokes a pack a week")


def test_relative_dates_resolve_against_the_observation_day():
    seen = date(2024, 3, 5)
    assert resolve_dates("Turned 30 yesterday", seen) == "Turned 30 on 2024-03-04"
    assert resolve_dates("Moved last week", seen) == "Moved in the week before 2024-03-05"
    assert resolve_dates("Turned 30 yesterday", None) == "Turned 30 yesterday"
