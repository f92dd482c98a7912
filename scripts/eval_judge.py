"""The judge of the hand-written set (scripts/eval_set.py): whether a stored fact says a gold
one, a forbidden one, or something its source messages do not support. Its own stemmer and
word lists, so the scores do not move when the engine's do."""

from __future__ import annotations

import re

from localmem.engine.textutil import STOP_WORDS, words

__all__ = ["ALTERNATIVES", "fact_matches", "must_not_matches", "supported"]


def _root(word: str) -> str:
    """A word without its inflection ("tries" / "try", "misses" / "miss", "running" / "run"):
    the judge's own stemmer, so the scores do not move when the engine's changes."""
    w = word[:-2] if word.endswith("'s") else word
    if len(w) > 4 and w[-3:] in ("ies", "ied"):
        return w[:-3] + "y"
    if len(w) > 4 and re.search(r"(s|sh|ch|x|z)es$", w):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # "runn" -> "run", "stopp" -> "stop"
    return w[:-1] if len(w) > 2 and w.endswith("e") else w


def _content(text: str) -> set[str]:
    """The roots of the words of ``text`` that carry meaning (no stop words)."""
    return {_root(w) for w in words(text) if w not in STOP_WORDS and w.strip("'")}


# Words a rewritten fact adds to the user's own ("I'm Sam" -> "Name is Sam").
_TEMPLATE_WORDS = {_root(w) for w in ("name", "is", "has", "their", "they")}
# ... and the slot verbs a fact may use for the user's paraphrase ("I'm based in X" -> "Lives in X").
_SLOT_WORDS = _TEMPLATE_WORDS | {_root(w) for w in ("lives", "works", "goes")}
# A fact that says something is not so, or no longer so ("Quit nursing", "Sold the Corolla"),
# never matches one that says it is: "Sister Ana quit nursing" is not "Sister Ana is a nurse".
_ENDED = re.compile(
    r"\b(not|no|never|nobody|no longer|anymore|any more|quit|quitting|stopped|left|former|"
    r"formerly|ex|used to|passed away|died|gave up|given up|giving up|broke up|broken up|"
    r"split up|splitting up|sold|dropped|cancell?ed|retired|divorced?|divorcing|got rid of|"
    r"ended)\b|n't\b"
)
_CLAUSES = re.compile(r"[,;:]\s*|\s+(?:and|but|so|while|because|though|although)\s+", re.I)
ALTERNATIVES = " | "  # a gold fact may be said in several ways: "Lives in Porto | Moved to Porto"
# A stored fact naming one of these (and its must_not entry not) is about someone else: "Friend
# Nina went vegan" is not the must_not "Is vegan"; "Went vegan" is.
_OTHERS = {_root(w) for w in """friend sister brother mom mum dad mother father parent roommate
    coworker colleague neighbor neighbour cousin boss wife husband partner girlfriend boyfriend son
    daughter kid aunt uncle niece nephew grandma grandpa grandmother grandfather""".split()}


def _names(text: str) -> set[str]:
    """Capitalised words but the first, and numbers: what an invented fact gets wrong."""
    found = re.finditer(r"\b[A-Z][a-zA-Z]+\b|\b\d[\d.,:/-]*\b", text)
    return {m.group().lower() for m in found if m.start() > 0 or m.group()[0].isdigit()}


def _negated(text: str) -> bool:
    return bool(_ENDED.search(text.lower().replace("\u2019", "'")))


def _word_set(text: str) -> set[str]:
    """Words of ``text``, possessives also without "'s" ("Marco's" holds the name Marco)."""
    found = set(words(text))
    return found | {w.split("'")[0] for w in found}


def _about_other(must_not: str, stored: str) -> bool:
    """Whether ``stored`` is about a relative or friend that ``must_not`` does not name."""
    return bool((_content(stored) & _OTHERS) - _content(must_not))


def must_not_matches(must_not: str, stored: str) -> bool:
    """Whether ``stored`` says the forbidden fact about the user (not about someone else)."""
    return any(
        _matches(alt, stored) and not _about_other(alt, stored)
        for alt in must_not.split(ALTERNATIVES)
    )


def fact_matches(gold: str, stored: str) -> bool:
    """Whether ``stored`` says ``gold`` (or one of its " | " alternatives): same polarity, its
    names/numbers, >= 3/4 of its words."""
    return any(_matches(alt, stored) for alt in gold.split(ALTERNATIVES))


def _polarity_clause(stored: str, gold_words: set[str]) -> str:
    """The clause of ``stored`` that says most of ``gold_words``: its polarity is the one that
    counts ("Lives in Lisbon, no elevator" lives in Lisbon; "Sold the car and bikes" bikes)."""
    clauses = [c for c in _CLAUSES.split(stored) if c.strip()] or [stored]
    return max(clauses, key=lambda c: len(gold_words & _content(c)))


def _matches(gold: str, stored: str) -> bool:
    gold_words = _content(gold) - _TEMPLATE_WORDS
    if _negated(gold) != _negated(_polarity_clause(stored, gold_words)):
        return False
    stored_words = _content(stored)
    if not _names(gold) <= _word_set(stored):
        return False
    if not gold_words:
        return bool(_content(gold) & stored_words)
    return len(gold_words & stored_words) / len(gold_words) >= 0.75


def supported(fact: str, source: str) -> bool:
    """Whether every name/number and >= 3/4 of the content words of ``fact`` are in ``source``.

    Dates resolved from "yesterday" etc. are allowed; this is the judge of "unsupported".
    """
    fact = re.sub(r"\b(on|in the week before) \d{4}-\d\d-\d\d\b", "", fact)
    if not _names(fact) <= _word_set(source):
        return False
    fact_words = _content(fact) - _SLOT_WORDS
    if not fact_words:
        return True
    return len(fact_words & _content(source)) / len(fact_words) >= 0.75
