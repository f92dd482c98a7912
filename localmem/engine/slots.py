"""A model names the slot of a fact: who it is about, its attribute key, whether it changed.

One grammar-constrained call per fact: the attribute is one of the vocabulary's keys
(``engine/vocab.py``), "favourite" or "none", so the answer is always a key the decisions know.
The instruction and examples are a fixed prefix, and the facts of one message follow their
message, so llama.cpp evaluates the prefix once and each message once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from localmem.backends.llm import LLM
from localmem.engine.attributes import normalise_key
from localmem.engine.vocab import ATTRIBUTES

__all__ = ["SLOT_PROMPT", "SlotAnswer", "name_slots"]

KEYS = tuple(sorted(ATTRIBUTES))
AttributeChoice = Literal[(*KEYS, "favourite", "none")]  # type: ignore[valid-type]


class SlotAnswer(BaseModel):
    """What the model answers for one fact: its attribute only (the rules name the subject
    and the change better: measured by scripts/eval_slots.py)."""

    model_config = ConfigDict(extra="forbid")

    attribute: AttributeChoice


SLOT_PROMPT = """Say what each fact the user told is about, as one attribute:
name, age, birthday, origin (where they grew up or come from), home (where they live now), \
job (work, employer, role, promotion, quitting), school (studies, degree), relationship \
(partner, dating, marriage, break-up), family (children, siblings), pet, phone, computer \
(laptop, PC), device (tablet, watch, console), os (operating system), car (any vehicle \
they drive), diet (what they eat or avoid eating), drink (coffee, tea, alcohol), smoking, \
sport_team (team they support), chronotype (morning person, night owl), work_setup \
(remote, office, shifts), commute, instrument, hobby (activities and interests they do), \
language, health (conditions, allergies, injuries), plan (trips, moves and events still to \
come), favourite (a favourite thing), none (a one-off event, a mood, an opinion, anything else).

Message: My sister Ana just got hired as a nurse, and I finally traded my old Civic for a Tesla.
Fact: Sister Ana got hired as a nurse
{{"attribute": "job"}}
Fact: Traded the old Civic for a Tesla
{{"attribute": "car"}}

Message: we gave the hamster to my cousin, too much work. also I'm really into pottery lately
Fact: Gave the hamster away
{{"attribute": "pet"}}
Fact: Is really into pottery lately
{{"attribute": "hobby"}}

Message: ugh my manager was so rude in the meeting today. we're flying to Lisbon in May though
Fact: Manager was rude in a meeting today
{{"attribute": "none"}}
Fact: Is flying to Lisbon in May
{{"attribute": "plan"}}

Message: {message}
"""


def name_slots(llm: LLM, facts: Sequence[str], message: str | None = None) -> list[str]:
    """The attribute key of each fact ("" for none), in the vocabulary's spelling.

    Raises:
        ModelError: the model failed.
    """
    head = SLOT_PROMPT.format(message=message or "(not shown)")
    return [_key(llm.complete_json(f"{head}Fact: {fact}\n", SlotAnswer), fact) for fact in facts]


def _key(got: dict, fact: str) -> str:
    attribute = got.get("attribute") or "none"
    if attribute == "favourite":  # "Favourite band is ..." -> favourite_band
        said = re.search(r"\bfavou?rite (\w+)", fact, re.I)
        attribute = f"favourite_{said.group(1)}" if said else "none"
    return normalise_key(attribute) or ""
