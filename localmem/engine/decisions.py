"""Deterministic decisions for one new fact against the memories it may change.

The candidates that matter most are the stored facts about the same subject and attribute (the
"slot"): a new value of a single-valued attribute supersedes the current one, a repeated value
changes nothing, an ending ends the value it names. Then wording across attributes: a flipped
negation ("Does not like X" after "Likes X") and a changed preference ("Prefers X over Y" after
"Likes Y"). What none of these settle goes on to similarity and, when ambiguous, the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localmem.engine.attributes import (
    is_additive, is_ending, is_hypothetical, is_partner, is_single, split_subject,
    subjects_match,
)
from localmem.engine.extract import has_negation, topic_words
from localmem.engine.textutil import content_words, stem
from localmem.engine.vocab import REPLACED
from localmem.types import Action

if TYPE_CHECKING:
    from localmem.engine.facts import Fact

__all__ = ["Candidate", "Verdict", "same_value", "slot_verdict", "ending_targets",
           "negation_flip", "preference_target", "replaced_target", "partner_facts",
           "corrected_target", "shared_slot", "soft_slot", "slot_of", "rule_verdicts"]


@dataclass
class Candidate:
    """A stored memory (id > 0) or a fact planned earlier in the same add (id < 0)."""

    id: int
    text: str
    score: float
    subject: str | None = None
    attribute: str | None = None


@dataclass
class Verdict:
    event: Action
    candidate: Candidate | None
    reason: str


def _stems(*groups: str) -> frozenset[str]:
    return frozenset(stem(w) for g in groups for w in g.split())


# Words that carry the slot, not its value: "Works as X" and "Is X now" share only the value.
_TEMPLATE = _stems("name is lives live living based works work working job goes called named "
                   "has have still now currently these days nowadays new again also really "
                   "just finally recently")
# Words of an ending or a generic slot noun: "Left their job last week" names no value.
_NOT_A_VALUE = _TEMPLATE | _stems(
    "left quit resigned retired laid fired sold gave away rehomed passed died off cancelled "
    "canceled called fell through ended stopped lost moved out broke split up divorced separated "
    "anymore longer job position company boyfriend girlfriend partner relationship together "
    "last week month year ago yesterday today weekend day night morning evening tonight "
    "tbh lol haha honestly ngl omg idk imo sadly finally dropped notice handed got rid hung without rehome "
    "happening happen had going goes go went doing getting graduated dumped postponed divorced getting scrapped scrapping bailed backed pulled quits trip vacation holiday plan plans practice firm office monday tuesday wednesday thursday friday saturday sunday january "
    "february march april may june july august september october november december"
)
_CONTINUES = re.compile(r"^(?:still|as always|as usual)\b", re.I)
_ADVERB = re.compile(r"\w{4,}ly")  # "completely": how, not what
_SWITCH = re.compile(r"\b(switched|replaced|instead|traded|swapped|upgraded|changed)\b", re.I)
_PREFERS = re.compile(  # "Prefers tea over coffee", "Is more into wine than beer"
    r"\b(?:prefers?|(?:is |are )?(?:way |much )?more into|would rather(?: have| drink| eat| do)?|"
    r"likes? (?:\w+ )?better) ([\w' -]+?) (?:over|to|rather than|more than|"
    r"instead of|than) ([\w' -]+?)(?: (?:now|these days|nowadays|lately|anymore))?(?:[,.;!]|$)",
    re.I,
)
# a liking, or a habit a preference can overturn ("Drinks coffee every morning")
_LIKING = re.compile(
    r"\b(likes?|loves?|enjoys?|prefers?|favou?rite|fan of|into|a \w+ (?:person|guy|girl|fan|"
    r"lover|drinker|fanatic)|drinks?|eats?|uses?|listens to|watches|obsessed with|addicted to|"
    r"big on|all about|team \w+|lives on)\b",
    re.I)


def _values(text: str) -> set[str]:
    return set(content_words(text)) - _TEMPLATE


def same_value(new: str, old: str) -> bool:
    """Whether ``new`` says nothing ``old`` does not ("Still lives in Denver" after "Lives in
    Denver")."""
    if has_negation(new) != has_negation(old) or is_ending(new) != is_ending(old):
        return False
    chose = [_PREFERS.search(t) for t in (new, old)]
    first = [set(content_words(c.group(1))) for c in chose if c]
    if len(first) == 2 and first[0] != first[1]:
        return False  # "Prefers coffee over tea" after "Prefers tea over coffee"
    theirs = set(content_words(old))  # "teacher" says what "teaches" does
    return all(w in theirs or len(w) >= 4 and any(_like(w, t) and len(t) >= 4 for t in theirs)
               for w in _values(new))


def _head(text: str) -> str:
    """The statement before a comment: "Is based in Leeds, came up here for uni"."""
    return re.split(r",\s+", text, maxsplit=1)[0]


def slot_verdict(text: str, attribute: str, single: bool, change: str,
                 slot: Sequence[Candidate]) -> Verdict | None:
    """A new (not ending) value against the slot's current values, best match first. The
    value is in the statement before a comment ("Still in Leeds, can't imagine leaving"), and a
    "still" that names a known value says it again ("Still playing guitar with the guys")."""
    head = _head(text)
    for cand in slot:
        if same_value(text, cand.text) or same_value(head, _head(cand.text)) or (
            _CONTINUES.match(text) and not has_negation(text)
            and _values(head) & set(content_words(cand.text))
        ):
            return Verdict(Action.NONE, cand, f"{attribute} already known")
    if not slot:
        return None
    said = set().union(*(content_words(c.text) for c in slot if not has_negation(c.text)))
    if not single and not has_negation(text) and _values(text) <= said:
        return Verdict(Action.NONE, slot[0], f"{attribute} already known")  # told value by value
    if is_hypothetical(text):
        return None  # "might get a Tesla one day" replaces nothing yet
    if single and not (is_additive(text) and change != "changed"):
        return Verdict(Action.UPDATE, slot[0], f"new value for {attribute}")
    if change == "changed" and len(slot) == 1 and _SWITCH.search(text):
        return Verdict(Action.UPDATE, slot[0], f"replaces the {attribute}")
    return None


def ending_targets(text: str, single: bool, slot: Sequence[Candidate],
                   others: Sequence[Candidate]) -> list[Candidate]:
    """The current facts an ending ends: the slot's value it names (any value, for a
    single-valued attribute and an ending that names none: "Left their job"), else a fact it
    negates or names, else every value of a single-valued slot; then the facts that say the same of the same name ("Girlfriend is Chloe"
    and "Went on a date with their girlfriend Chloe", for "Broke up with Chloe")."""
    first = _ending_target(text, single, slot, others)
    if first is None:
        if not (single and slot):
            return []
        return list(slot)  # "Quit the hospital": it names no value, so the attribute ends
    names = _names(text) & _names(first.text)
    told = set(content_words(split_subject(first.text)[1]))  # what was said, not of whom
    more = [
        c for c in [*slot, *others]
        if c.id != first.id and c.id > 0 and not is_ending(c.text) and not has_negation(c.text)
        and names & _names(c.text)
        and len(told & set(content_words(split_subject(c.text)[1])) - names) >= 1
    ]
    return [first, *{c.id: c for c in more}.values()]


def _ending_target(text: str, single: bool, slot: Sequence[Candidate],
                   others: Sequence[Candidate]) -> Candidate | None:
    named = _named(text)
    for cand in slot:
        if _shares(named, set(content_words(cand.text))):
            return cand
    if single and slot and (not named or len(slot) == 1):
        return slot[0]  # one value at a time, and one known: "Quit the hospital" ends it
    # "Clover went to live with their aunt": Clover, not aunt (``named`` holds word stems)
    names = {n for n in _names(text) if n in named or stem(n) in named}
    for cand in others:
        if is_ending(cand.text) or has_negation(cand.text):
            continue
        if negation_flip(text, cand.text) or _overlap(named, cand.text) >= 0.6 or (
            names and names <= _names(cand.text)
        ):
            return cand
    return None


def _named(text: str) -> set[str]:
    """What an ending names, from the part of it that says the ending ("Gave up coffee
    completely, day 10 and the headaches are gone" names coffee), without its subject's name."""
    pieces = [p for p in re.split(r"[,;]\s*|\s+(?:and|but|so)\s+", text) if p.strip()]
    pieces = [re.split(r"\s+(?:since|because|cause|cuz|after)\s+", p)[0] for p in pieces]
    said = next((p for p in pieces if is_ending(p) or has_negation(p)), text)
    said = " ".join(w for w in said.split() if not _ADVERB.fullmatch(w.lower()))
    who = set(content_words(text[: len(text) - len(split_subject(text)[1])]))
    return {w for w in content_words(said) if not w[0].isdigit()} - _NOT_A_VALUE - who


def _names(text: str) -> set[str]:
    """Capitalised words after the first, lower-cased: "Has a hamster named Nugget" -> nugget."""
    return {w.lower() for w in re.findall(r"\b[A-Z][\w'-]+", text[1:])}


def _shares(named: set[str], theirs: set[str]) -> bool:
    """A word in common, or a compound ending in it ("fish" / "goldfish")."""
    return any(w in theirs or any(len(w) >= 3 and t.endswith(w) for t in theirs) for w in named)


def _overlap(named: set[str], old: str) -> float:
    theirs = topic_words(old) - _NOT_A_VALUE
    if not named or not theirs:
        return 0.0
    hits = sum(_shares({w}, theirs) for w in named)
    return hits / min(len(named), len(theirs))


_TIME = _stems("day days week weeks month months year years time times minute minutes hour hours")


def _topic(text: str) -> set[str]:
    return {w for w in topic_words(text) if not w[0].isdigit()} - _TIME


def negation_flip(new: str, old: str) -> bool:
    """Same topic, opposite polarity: "Does not smoke anymore" / "Smokes a pack a week"."""
    if has_negation(new) == has_negation(old):
        return False
    # "anymore" / "quit", numbers and times ("in 3 months") must not dilute the overlap
    a, b = (_topic(t) for t in (new, old))
    shared = sum(_shares({w}, b) or any(_like(w, t) for t in b) for w in a)  # "bitt" / "bit"
    return bool(a and b) and shared / min(len(a), len(b)) >= 0.6


def preference_target(text: str, subject: str, candidates: Sequence[Candidate]) -> Candidate | None:
    """The liking a "Prefers X over Y" fact overturns: a fact that likes Y (not X)."""
    match = _PREFERS.search(text)
    if not match:
        return None
    chosen, over = set(content_words(match.group(1))), set(content_words(match.group(2)))
    for cand in candidates:
        if not subjects_match(subject, cand.subject) or has_negation(cand.text):
            continue
        liking = next((p for p in re.split(r"[,;]\s*|\s+but\s+", cand.text) if _LIKING.search(p)),
                      cand.text)
        theirs = set(content_words(liking))  # "a dog person, cats freak them out": dogs
        old = _PREFERS.search(cand.text)
        if old:  # "Prefers tea over coffee": its first choice is what counts
            theirs = set(content_words(old.group(1)))
        if _LIKING.search(cand.text) and over and over <= theirs and not chosen <= theirs:
            return cand
    return None


def _like(a: str, b: str) -> bool:
    """Same word up to its ending: "running" / "runs" ("runn" / "run")."""
    return a == b or min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a))


def replaced_target(text: str, subject: str, candidates: Sequence[Candidate]) -> Candidate | None:
    """The current fact a new one says it replaced: "Swims laps instead of running now" after
    "Runs every morning"; "Switched from tea to coffee" after "Drinks tea"."""
    match = re.search(REPLACED, text, re.I)
    if not match:
        return None
    old = set(content_words(next(g for g in match.groups() if g))) - _NOT_A_VALUE
    for cand in candidates:
        if not old or not subjects_match(subject, cand.subject) or has_negation(cand.text) \
                or is_ending(cand.text) or re.search(REPLACED, cand.text, re.I):
            continue
        theirs = topic_words(cand.text)
        if all(any(_like(w, t) for t in theirs) for w in old):
            return cand
    return None


def partner_facts(text: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Facts about a partner a break-up names ("Boyfriend Theo surprised them ..." for "Broke up
    with Theo"): an ending of the relationship ends them too."""
    names = _names(text)
    return [c for c in candidates if is_partner(c.subject) and names & set(c.subject.split())]


def _spelled_alike(a: str, b: str) -> bool:
    """"Aiden" / "Aidan", "Biskit" / "Biscuit": one name misspelled as the other."""
    a, b = a.lower(), b.lower()
    return a != b and a[0] == b[0] and SequenceMatcher(None, a, b).ratio() >= 0.6


def corrected_target(right: str, wrong: str | None,
                     candidates: Sequence[Candidate]) -> tuple[Candidate, str] | None:
    """The stored fact a spelling correction fixes, and its corrected text: the fact naming
    ``wrong`` (or, when it was not said, a name spelled like ``right``)."""
    for cand in candidates:
        for name in re.findall(r"\b[A-Z][\w-]+", cand.text):
            if name == wrong or (wrong is None and _spelled_alike(name, right)):
                return cand, re.sub(rf"\b{re.escape(name)}\b", right, cand.text)
    return None


def shared_slot(fact: Fact, stored: list[Candidate],
                lean: Callable[[list[str]], list[str | None]], near: float = 0.35,
                agree: Callable[[str, list[str]], list[float]] | None = None,
                soft: float = 0.35) -> None:
    """Where only one side names an attribute, let the other join it when it leans there: a
    stored "Stocks shelves overnight at a grocery store" (no attribute named) is in the job
    slot of "Is the assistant store manager now". A fact without one takes a stored memory's
    single-valued attribute only when it says something changed and the two are alike
    (cosine >= ``near``). Then ``soft_slot`` (with ``agree``). Changes the candidates (and the
    fact) in place."""
    mine = [c for c in stored if subjects_match(fact.subject, c.subject)]
    if fact.attribute:
        open_ = [c for c in mine if not c.attribute and not is_ending(c.text)]
        for cand, key in zip(open_, lean([c.text for c in open_]) if open_ else []):
            if key == fact.attribute:
                cand.attribute = key
    else:
        alike = [c for c in mine if c.attribute and is_single(c.attribute) and c.score >= near]
        if fact.change == "changed" and alike:
            key = lean([fact.text])[0]
            if key and any(c.attribute == key for c in alike):
                fact.attribute, fact.single = key, True
    if agree is not None:
        soft_slot(fact, mine, agree, soft)


def soft_slot(fact: Fact, mine: list[Candidate],
              agree: Callable[[str, list[str]], list[float]], soft: float = 0.35) -> None:
    """A fact that says something changed or ended, and a stored fact of the same subject named
    otherwise, share a slot when the attribute classifier's distributions of the two agree
    (``agree``: the chance both name the same attribute, at least ``soft``) and each attribute
    named holds one value: "Works from their kitchen table now" (job) after "Company went fully remote"
    (work_setup). The stored fact joins the fact's slot (a fact with none takes the stored
    one's). Changes the candidate (or the fact) in place."""
    if fact.change == "new" and not _SWITCH.search(fact.text):
        return
    key = fact.attribute
    others = [c for c in mine if c.id > 0 and c.attribute != key and not is_ending(c.text)
              and (key or c.attribute) and all(is_single(a) for a in (key, c.attribute) if a)]
    if not others:
        return
    scores = agree(fact.text, [c.text for c in others])
    best = max(range(len(others)), key=lambda i: scores[i])
    if scores[best] < soft:
        return
    if key:
        for cand, score in zip(others, scores):
            if score >= soft:
                cand.attribute = key
    else:
        fact.attribute, fact.single = others[best].attribute, True


def slot_of(fact: Fact, stored: list[Candidate]) -> list[Candidate]:
    """Stored current values of the fact's subject and attribute, best match first (a
    memory stored without an attribute counts when its text names the same one)."""
    if not fact.attribute:
        return []
    found = {c.id: c for c in stored if c.attribute == fact.attribute}
    return sorted(
        (c for c in found.values() if not is_ending(c.text)
         and subjects_match(fact.subject, c.subject)),
        key=lambda c: -c.score,
    )

def rule_verdicts(fact: Fact, slot: list[Candidate], mine: list[Candidate],
                  told: list[Candidate]) -> list[Verdict]:
    """The deterministic decision for ``fact`` (the first verdict decides; the rest are values it
    ends besides), or [] when similarity and the model should decide. ``mine``: stored facts of
    the same subject; ``told``: facts of this same add with the fact's attribute."""
    if fact.change == "ended":
        reason = f"ends the {fact.attribute or 'stated'} fact"
        return [Verdict(Action.DELETE, t, reason)
                for t in ending_targets(fact.text, fact.single, slot, mine)]
    if fact.attribute:
        verdict = slot_verdict(fact.text, fact.attribute, fact.single, fact.change,
                               [*slot, *told])
        if verdict and verdict.event is Action.UPDATE and verdict.candidate in told:
            verdict = None  # two values said together both stand
        if verdict and verdict.event is Action.UPDATE and fact.single:
            rest = [Verdict(Action.DELETE, c, verdict.reason) for c in slot
                    if c is not verdict.candidate]  # one value at a time: the others end
            return [verdict, *rest]
        if verdict:
            return [verdict]
    replaced = replaced_target(fact.text, fact.subject, [*slot, *mine])
    if replaced:
        return [Verdict(Action.UPDATE, replaced, "says what it replaced")]
    liked = preference_target(fact.text, fact.subject, mine)
    if liked:
        return [Verdict(Action.UPDATE, liked, "the preference changed")]
    for cand in mine:
        if negation_flip(fact.text, cand.text):
            return [Verdict(Action.UPDATE, cand, "contradicts the stored memory")]
        if cand.id > 0 and fact.change != "ended" and same_value(fact.text, cand.text):
            return [Verdict(Action.NONE, cand, "says nothing new")]  # in other words
    return []
