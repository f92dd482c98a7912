"""One extracted fact and the deterministic work on it: its stored form, what it implies, and
its subject / attribute / change (the model's, where it leads and gave them; else the rules')."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from localmem.engine.attributes import (
    USER, change_of, is_ending, is_single, normalise_key, normalise_subject, rule_attribute,
    split_subject,
)
from localmem.engine.clauses import named_lead
from localmem.engine.extract import has_negation, rewrite_clause, strip_lead_in
from localmem.engine.textutil import content_words, words

__all__ = ["Fact", "stored_form", "with_subject", "derived_facts", "annotate", "covers",
           "best_clause", "touches", "known_subject"]


@dataclass
class Fact:
    text: str
    source_ids: list[int]
    origin: str  # "model" or "rule"
    subject: str = USER  # "user", or who else it is about ("sister ana")
    attribute: str | None = None  # None: not known yet (prototypes may name it); "": none
    single: bool = False  # the attribute holds one value at a time
    change: str = "new"  # "new", "changed" (replaces a value) or "ended" (something stopped)
    fields: dict[str, Any] = field(default_factory=dict, repr=False)  # the model's own answer


_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|i'd|i'll|my|me|mine|myself|we|we're|our|us)\b", re.I
)


def stored_form(fact: str) -> str | None:
    """A model fact in the stored form: first person rewritten; a bare name or word dropped."""
    fact = fact.strip().rstrip(".")
    if _FIRST_PERSON.search(fact):
        fact = rewrite_clause(strip_lead_in(fact))  # "now i work at ..." -> "Works at ..."
    if len(fact.split()) < 2:
        return None  # "Dave" alone says nothing about what Dave is
    if _repeats_itself(fact):
        return None  # a looping model: "going to Miami, and going to Miami, and ..."
    return fact


def with_subject(text: str, subject: str | None, said: str) -> str:
    """A fact about someone else names them: ("Moved to Lisbon", "sister Ana") -> "Sister Ana
    moved to Lisbon". The subject is written as the user wrote it (``said``)."""
    if not subject or subject.lower() in ("user", "the user", "i", "me") or set(
        subject.lower().split()
    ) & {w.split("'")[0] for w in words(text)}:
        return text
    spelled = " ".join(
        next((w for w in re.findall(r"[\w'-]+", said) if w.lower() == part), part)
        for part in subject.split()
    )
    first = text.split()[0]
    if re.search(rf"\b{re.escape(first.lower())}\b", said):  # a verb the user wrote in lower case
        text = text[0].lower() + text[1:]
    return f"{spelled[0].upper()}{spelled[1:]} {text}"


def _repeats_itself(fact: str) -> bool:
    """Whether any three-word run occurs twice in the fact."""
    tokens = [w.lower().strip(".,;!?'\"") for w in fact.split()]
    runs = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return len(runs) != len(set(runs))


_PLACE = r"([A-Z][\w.'-]*(?: [A-Z][\w.'-]*)*)"
_MOVES = [
    # "got moved to HR" is a transfer at work, not a move of home
    re.compile(rf"(?<!got )(?<!was )(?<!been )\b(?i:moved|relocated)(?: back)?"
               rf"(?: home| here| out)? "
               rf"(?:from [\w .'-]+? )?to {_PLACE}"),
    re.compile(rf"\b(?i:moved into|settled into|moved in to) (?:a|an|our|their|the) "
               rf"(?:new )?(?:\w+ )?(?i:house|home|place|apartment|flat|condo) in {_PLACE}"),
    re.compile(rf"\b(?i:bought|got|rented|found) (?:a|an|our|their|the) (?:new )?(?:\w+ )?"
               rf"(?i:house|home|place|apartment|flat|condo) in {_PLACE}"
               r"(?=.*\b(?i:moved|moving|live|living|settled|settling)\b)"),
    re.compile(rf"\b(?i:bought|got|rented|found) (?:a|an|our|their) new "
               rf"(?i:house|home|place|apartment|flat|condo) in {_PLACE}"),
]


def derived_facts(fact: str) -> list[tuple[str, str, bool]]:
    """(fact, attribute, whether the statement was the event that set it) a statement implies:
    a move sets home, a birthday sets age, "with their wife Anna" names the partner."""
    out = []
    who = fact[: len(fact) - len(split_subject(fact)[1])]  # "Sister Ana " or ""
    name = named_lead(fact)
    who = who or (f"{name} " if name else "")  # "Maya moved back home to Austin"
    for pattern in _MOVES:
        moved = pattern.search(fact)
        if moved:
            lives = f"{who}lives in" if who else "Lives in"
            out.append((f"{lives} {moved.group(1)}", "home", True))
            break
    partner = re.search(r"\bwith (?:their|my|our) (wife|husband|partner|girlfriend|boyfriend|"
                        r"fianc[eé]e?) ([A-Z][\w'-]+)\b", fact)
    if partner and not fact.lower().startswith(partner.group(1)):
        said = f"{partner.group(1).capitalize()} is {partner.group(2)}"
        out.append((said, "relationship", False))
    turned = re.search(r"\b(?i:turned) (\d{1,3})\b(?! (?:years? )?(?:ago|times|out|down))", fact)
    if turned:
        out.append((f"Is {turned.group(1)} years old", "age", True))
    return out


# Attributes a named person's statement must not take from the user ("Jake got a job at ...").
_PERSONAL = {"home", "job", "school", "work_setup", "origin"}


def annotate(fact: Fact, source: str, leads: bool, clause: str | None = None) -> None:
    """Set subject, attribute, single and change: the model's where it leads and said something
    usable, the rules' otherwise. A model's "ended" needs a word of ending or a negation; a
    fact from a clause that says something ended ("I don't have fish anymore") ended it too."""
    rule_subject = split_subject(fact.text)[0]
    name = named_lead(fact.text)
    said = bool(name) and re.search(rf"\b{name}\b", source) is not None  # "Maya", not "my company"
    if rule_subject == USER and said and not is_ending(fact.text) and (
        rule_attribute(fact.text[len(name):].strip()) in _PERSONAL
    ):
        rule_subject = name.lower()  # "Maya lives in Austin" is Maya's home, not the user's
    got = fact.fields if leads else {}
    model_subject = normalise_subject(got.get("subject"), source) if got else None
    fact.subject = rule_subject if rule_subject != USER else (model_subject or USER)
    if fact.attribute is None:
        fact.attribute = normalise_key(got.get("attribute")) or rule_attribute(fact.text)
    fact.single = is_single(fact.attribute or None, got.get("single"))
    change = got.get("change")
    if change == "ended" and not (is_ending(fact.text) or has_negation(fact.text)):
        change = None
    fact.change = change or change_of(fact.text)
    if fact.change != "ended" and clause and has_negation(clause) == has_negation(fact.text) and (
        change_of(clause) == "ended" and (is_ending(fact.text) or has_negation(fact.text))
    ):
        fact.change = "ended"


def covers(fact: str, clause: str) -> bool:
    """Whether ``fact`` holds at least half of the clause's content words."""
    clause_words = set(content_words(clause)) - {"name"}
    if not clause_words:
        return True
    return len(clause_words & set(content_words(fact))) / len(clause_words) >= 0.5


def best_clause(fact: str, clauses: list[str]) -> str | None:
    """The clause sharing the most content words with the fact, if any shares one."""
    words = set(content_words(fact))
    scored = [(len(words & set(content_words(c))), c) for c in clauses]
    best = max(scored, default=(0, None), key=lambda s: s[0])
    return best[1] if best[0] else None


def touches(fact: str, clause: str) -> bool:
    """Whether a leading model's fact is about the clause (shares two words, or a quarter)."""
    clause_words = set(content_words(clause))
    shared = clause_words & set(content_words(fact))
    return len(shared) >= 2 or bool(clause_words) and len(shared) / len(clause_words) >= 0.25


def known_subject(fact: Fact, subjects: list[str | None]) -> bool:
    """Name the fact's subject as the store knows them: "Jake got a job at Google" is about
    "brother jake" when a stored fact is; the text then says so ("Brother Jake got a job ...").
    Returns whether the fact changed."""
    lead = re.match(r"^([A-Z][a-z]+)\s+(?=[a-z])", fact.text)
    if not lead or fact.subject not in (USER, lead.group(1).lower()):
        return False
    name = lead.group(1).lower()
    fuller = next((s for s in subjects if s and name in s.split()[1:]), None)
    if fuller is None:
        return False
    said = " ".join(w for w in fuller.split() if w != name)
    fact.text = f"{said[0].upper()}{said[1:]} {fact.text}"
    fact.subject = fuller
    fact.attribute = rule_attribute(fact.text) or fact.attribute
    fact.single = is_single(fact.attribute or None)
    return True
