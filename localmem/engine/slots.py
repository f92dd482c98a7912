"""A model names the attribute of a fact that the rules and their prototypes left unplaced.

One grammar-constrained call per fact: the answer is one of the vocabulary's keys
(``engine/vocab.py``), "favourite" or "none", so it is always a key the decisions know. The
subject and the change stay the rules' (they name them better: scripts/eval_slots.py). The
instruction and its examples are a fixed prefix (llama.cpp evaluates it once, then only each
fact); a message, where given, comes between them and the fact. Whether a model does this is
recorded per model in the catalog (``slots``), from measurement; it is off for every model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from localmem.backends.llm import LLM
from localmem.engine.attributes import is_single, normalise_key
from localmem.engine.facts import Fact
from localmem.engine.vocab import ATTRIBUTES
from localmem.errors import ModelError

__all__ = ["SLOT_PROMPT", "SlotAnswer", "name_slots", "fill_attributes", "catalog_slots"]

log = logging.getLogger("localmem")

KEYS = tuple(sorted(ATTRIBUTES))
AttributeChoice = Literal[(*KEYS, "favourite", "none")]  # type: ignore[valid-type]


class SlotAnswer(BaseModel):
    """What the model answers for one fact: its attribute only (the rules name the subject
    and the change better: measured by scripts/eval_slots.py)."""

    model_config = ConfigDict(extra="forbid")

    attribute: AttributeChoice


SLOT_PROMPT = """Label each fact with the attribute it is about, or none. A fact about someone \
else ("Sister Ana ...", "Dad ...") gets the attribute of what it says about them.
Attributes: name, age, birthday, origin, home, job, school, relationship, family, pet, phone, \
computer, device, os, car, diet, drink, smoking, sport_team, chronotype, work_setup, commute, \
instrument, hobby, language, health, plan, favourite, none.

Fact: Is called Tom by friends
{"attribute": "name"}
Fact: Turned 41 last week
{"attribute": "age"}
Fact: Was born and raised in Cork
{"attribute": "origin"}
Fact: Got promoted to head chef
{"attribute": "job"}
Fact: Handed in notice at the bank
{"attribute": "job"}
Fact: Had a long day at work
{"attribute": "none"}
Fact: Is doing a master's in statistics
{"attribute": "school"}
Fact: Broke up with Sam
{"attribute": "relationship"}
Fact: Girlfriend is Zoe
{"attribute": "relationship"}
Fact: Brother Tom works as a chef in Leeds
{"attribute": "job"}
Fact: Has two sons
{"attribute": "family"}
Fact: Adopted a kitten named Pip
{"attribute": "pet"}
Fact: Switched to an iPhone 15
{"attribute": "phone"}
Fact: Uses a ThinkPad for work
{"attribute": "computer"}
Fact: Got an Apple Watch
{"attribute": "device"}
Fact: Boss was in a bad mood
{"attribute": "none"}
Fact: Moved from Windows to Ubuntu
{"attribute": "os"}
Fact: Sold the Corolla and drives a Kia now
{"attribute": "car"}
Fact: Stopped eating meat
{"attribute": "diet"}
Fact: Drinks green tea instead of coffee
{"attribute": "drink"}
Fact: Quit vaping in March
{"attribute": "smoking"}
Fact: Supports Arsenal
{"attribute": "sport_team"}
Fact: Is a night owl
{"attribute": "chronotype"}
Fact: Works remotely three days a week
{"attribute": "work_setup"}
Fact: Bikes to the office
{"attribute": "commute"}
Fact: Watched a documentary yesterday
{"attribute": "none"}
Fact: Mom is studying nursing
{"attribute": "school"}
Fact: Is learning the cello
{"attribute": "instrument"}
Fact: Goes bouldering on weekends
{"attribute": "hobby"}
Fact: Loves baking bread
{"attribute": "hobby"}
Fact: Is picking up some Korean
{"attribute": "language"}
Fact: Has a gluten allergy
{"attribute": "health"}
Fact: Is going to Peru in June
{"attribute": "plan"}
Fact: Friend Maya moved back to Rome
{"attribute": "home"}
Fact: Sings in a band on Fridays
{"attribute": "hobby"}
Fact: Favourite band is Blur
{"attribute": "favourite"}
Fact: Just moved into a flat in Leeds
{"attribute": "home"}
"""


def name_slots(llm: LLM, facts: Sequence[str], message: str | None = None) -> list[str]:
    """The attribute key of each fact ("" for none), in the vocabulary's spelling.

    Raises:
        ModelError: the model failed.
    """
    head = f"{SLOT_PROMPT}Message: {message}\n" if message else SLOT_PROMPT
    return [_key(llm.complete_json(f"{head}Fact: {fact}\n", SlotAnswer), fact) for fact in facts]


def _key(got: dict, fact: str) -> str:
    attribute = got.get("attribute") or "none"
    if attribute == "favourite":  # "Favourite band is ..." -> favourite_band
        said = re.search(r"\bfavou?rite (\w+)", fact, re.I)
        attribute = f"favourite_{said.group(1)}" if said else "none"
    return normalise_key(attribute) or ""


def fill_attributes(llm: LLM, facts: Sequence[Fact]) -> None:
    """Set the model's attribute (and whether it is single-valued) on facts nothing else
    placed; a failing model leaves them as they were (logged), the rules' result."""
    try:
        keys = name_slots(llm, [f.text for f in facts]) if facts else []
    except ModelError as exc:
        log.warning("the model could not name attributes, rules only: %s", exc)
        return
    for fact, key in zip(facts, keys):
        fact.attribute, fact.single = key, is_single(key or None)


def catalog_slots(llm: LLM) -> bool:
    """Whether this model's catalog entry says it names attributes (``slots="model"``)."""
    from localmem.models.catalog import entry_for_llm

    return getattr(entry_for_llm(llm), "slots", "rules") == "model"
