"""The default prompts teach what the engine then checks: every example answer fits its schema,
its facts are grounded in its message and keep no first person; a model fact that starts with the
user's own verb gets the third person."""

from __future__ import annotations

import json
import re

import pytest

from localmem.engine.extract import is_grounded, third_person_lead
from localmem.engine.facts import stored_form
from localmem.engine.prompts import (
    FACT_EXTRACTION_PROMPT, STRUCTURED_EXTRACTION_PROMPT, ExtractedFacts, StructuredFacts,
)


def examples(template: str) -> list[tuple[str, dict]]:
    """(message, answer) pairs of a prompt's few-shot examples."""
    text = template.format(messages="<the message>", today="2024-05-01")
    pairs = re.findall(r"^Message: (.+)\n(\{.+\})$", text, re.M)
    return [(message, json.loads(answer)) for message, answer in pairs]


@pytest.mark.parametrize("template, schema", [
    (STRUCTURED_EXTRACTION_PROMPT, StructuredFacts), (FACT_EXTRACTION_PROMPT, ExtractedFacts),
])
def test_every_example_fits_the_schema_and_is_grounded_in_its_message(template, schema):
    pairs = examples(template)
    assert len(pairs) >= 3 and any(not a["facts"] for _, a in pairs)  # chatter gives []
    for message, answer in pairs:
        schema.model_validate(answer)
        for fact in answer["facts"]:
            text = fact if isinstance(fact, str) else fact["text"]
            assert is_grounded(text, message), (text, message)
            assert stored_form(text) == text, text  # nothing left for the engine to rewrite


def test_the_structured_prompt_ends_with_the_message_so_its_prefix_is_shared():
    a = STRUCTURED_EXTRACTION_PROMPT.format(messages="I live in Oslo.", today="2024-05-01")
    b = STRUCTURED_EXTRACTION_PROMPT.format(messages="I sold my car.", today="2024-05-02")
    shared = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    assert shared > 0.9 * min(len(a), len(b))


@pytest.mark.parametrize("fact, source, expected", [
    ("Drive a Jeep Wrangler", "I drive a Jeep Wrangler, the gas bill hurts",
     "Drives a Jeep Wrangler"),
    ("Live in Toronto with my wife Anna", "I live in Toronto with my wife Anna.",
     "Lives in Toronto with their wife Anna"),
    ("Love hiking", "I really love hiking", "Loves hiking"),
    ("Quit Google", "I quit Google", "Quit Google"),  # a past tense stays
    ("Moved to Oslo", "I moved to Oslo", "Moved to Oslo"),
    ("Teach math", "My sister teaches math", "Teach math"),  # no "I teach": not the user's verb
    ("Is vegan", "I am vegan", "Is vegan"),
])
def test_a_model_fact_led_by_the_users_own_verb_takes_the_third_person(fact, source, expected):
    assert third_person_lead(fact, source) == expected
