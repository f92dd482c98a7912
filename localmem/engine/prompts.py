"""Default prompts (short: the bundled models are tiny) and the response schemas they must fit.

Every prompt is a ``str.format`` template. The static part comes first so llama.cpp can reuse the
evaluated prefix between calls; the per-call part is at the end. The response schemas become
llama.cpp grammars, so any prompt, a user's custom one included, always parses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Bounded strings keep a looping model inside max_tokens: 4 facts of 100 characters of words are
# about 130 tokens, under LLMConfig.max_tokens (192), so the grammar closes the JSON in time. A loop
# over digits or single letters tokenizes finer and can still run out; that add then falls back to
# the rules with a warning (3 of 8,944 REALTALK adds with SmolLM2; nothing is lost).
FactText = Annotated[str, Field(max_length=100)]
# A structured fact adds about 24 tokens of keys and short values; 3 facts of 90 characters stay
# near 180 tokens, so the JSON still closes within max_tokens (192).
ShortFactText = Annotated[str, Field(max_length=90)]
Subject = Annotated[str, Field(max_length=24)]
AttributeKey = Annotated[str, Field(pattern=r"^[a-z_]{0,20}$")]

__all__ = [
    "FACT_EXTRACTION_PROMPT",
    "STRUCTURED_EXTRACTION_PROMPT",
    "UPDATE_MEMORY_PROMPT",
    "ExtractedFacts",
    "StructuredFact",
    "StructuredFacts",
    "MemoryDecision",
]


class ExtractedFacts(BaseModel):
    """What the extraction prompt must return."""

    model_config = ConfigDict(extra="forbid")

    facts: list[FactText] = Field(default_factory=list, max_length=4)


class StructuredFact(BaseModel):
    """One fact with what it is about: the schema a leading model fills."""

    model_config = ConfigDict(extra="forbid")

    text: ShortFactText
    subject: Subject  # "user", or who else: "sister Ana"
    attribute: AttributeKey  # job, home, pet, ... (engine/vocab.py); "" for none
    single: bool  # the attribute holds one value at a time
    change: Literal["new", "changed", "ended"]


class StructuredFacts(BaseModel):
    """What the structured extraction prompt must return."""

    model_config = ConfigDict(extra="forbid")

    facts: list[StructuredFact] = Field(default_factory=list, max_length=3)


class MemoryDecision(BaseModel):
    """What the update prompt must return for one new fact."""

    model_config = ConfigDict(extra="forbid")

    event: Literal["ADD", "UPDATE", "DELETE", "NONE"]
    id: int | None = None
    text: FactText = ""


# Measured (tune-a, Qwen2.5-Coder-0.5B, rules lead): this prompt in the model's ChatML turns
# (system, the same examples as user / assistant turns) kept one more fact, not a gold one
# (precision 0.781 against 0.786); the plain prompt stays for every model.
FACT_EXTRACTION_PROMPT = """Extract lasting personal facts the user states about themselves. \
Write each as a short third-person phrase without a subject. Use only what the message says; \
return [] for questions and small talk.

Message: Hi, I'm Sam and I work as a nurse in Boston.
{{"facts": ["Name is Sam", "Works as a nurse in Boston"]}}

Message: What's the weather like today?
{{"facts": []}}

Message: I don't eat meat anymore, and my daughter Mia started school.
{{"facts": ["Does not eat meat", "Daughter Mia started school"]}}

Message: {messages}
"""

# The measured prompt (a fresher one with more examples scored worse with the 0.5B model on
# a third of the tuning split: precision 0.398). Its examples stay grounded in their messages.
STRUCTURED_EXTRACTION_PROMPT = """Extract lasting personal facts the user states. For each \
fact give: text, a short third-person phrase without "I" or "my" (name the person when it is \
about someone else); subject, "user" or who it is about; attribute, one word such as name, age, \
home, job, school, relationship, pet, phone, computer, os, car, diet, instrument, hobby, \
language, health, plan, family, favourite_food; single, true if it has one value at a time; \
change, "changed" if it replaces an earlier value, "ended" if something stopped, else "new". \
Use only what the message says; return [] for questions and small talk.

Message: Hi, I'm Sam and I work as a nurse in Boston.
{{"facts": [{{"text": "Name is Sam", "subject": "user", "attribute": "name", "single": true, \
"change": "new"}}, {{"text": "Works as a nurse in Boston", "subject": "user", "attribute": \
"job", "single": true, "change": "new"}}]}}

Message: I switched to a Pixel, and my sister Ana moved to Lisbon.
{{"facts": [{{"text": "Switched to a Pixel", "subject": "user", "attribute": "phone", \
"single": true, "change": "changed"}}, {{"text": "Sister Ana moved to Lisbon", "subject": \
"sister Ana", "attribute": "home", "single": true, "change": "changed"}}]}}

Message: I don't have a cat anymore and I speak Spanish.
{{"facts": [{{"text": "Does not have a cat anymore", "subject": "user", "attribute": "pet", \
"single": false, "change": "ended"}}, {{"text": "Speaks Spanish", "subject": "user", \
"attribute": "language", "single": false, "change": "new"}}]}}

Message: What's the weather like today?
{{"facts": []}}

Message: {messages}
"""

UPDATE_MEMORY_PROMPT = """Compare a new fact with stored memories. Answer ADD if it is new \
information, UPDATE with the id if it replaces or refines a memory (text = the merged fact), \
DELETE with the id if it says a memory is no longer true, NONE if a memory already says it.

Memories:
0: Lives in Toronto
1: Likes pizza
New fact: Moved to Vancouver
{{"event": "UPDATE", "id": 0, "text": "Lives in Vancouver"}}

Memories:
0: Name is Dave
New fact: Likes hiking
{{"event": "ADD", "id": null, "text": "Likes hiking"}}

Memories:
{memories}
New fact: {facts}
"""
