"""Whether a candidate fact is worth a memory: a durable fact about a person, or chatter.

The rules turn every first-person clause into a candidate ("Literally screamed in the car",
"Misses their sweatpants"). The raw message is stored anyway, so a clause that only mattered in
the moment need not become a memory: a memory that says nothing durable crowds the ones that
do, in search and in the model's context. ``Worth`` votes by the nearest labelled examples
(``worth_examples``), embedded once with the configured embedder; ``keeps`` adds what the rules
already know: a fact whose attribute a pattern names, an ending, a correction, a name (also a
lower-case one: "a game called cult of the lamb") or a number (a dated event) is kept whatever
the vote, an attribute the prototypes name tips a close vote to keeping, and a clause that says
little but "it" or "them" ("Back hates them") is dropped whatever the vote. What a day held (a
meal, a game, a show, an ailment, a plan) counts as durable: REALTALK's gold events and its
questions ask for it ("What food did Vanessa make?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.engine.attributes import (
    USER, pair_votes, predicate, rule_attribute, split_subject, statement_vectors,
)
from localmem.engine.textutil import content_words
from localmem.engine.worth_examples import CHATTER, DURABLE

if TYPE_CHECKING:
    from localmem.engine.facts import Fact

__all__ = ["Worth"]

_NOW = re.compile(r"(?<!right )(?<!just )\bnow\b|\b(?:these days|nowadays|officially)\b", re.I)
_TASTE = re.compile(r"^(?:really |kind of |totally )?(?:likes?|loves?|enjoys?|prefers?|hates?|"
                    r"adores?|can't stand|is (?:a )?(?:big |huge )?fan of|is into)\s+"
                    r"(?!it\b|this\b|that\b|them\b|so\b|how\b)\w", re.I)
_SPECIFIC = re.compile(r"(?<!^)\b[A-Z][\w'-]+|\b\d")  # a name after the first word, a number
# ... but not a common word shouted ("lost again AGAIN") nor a time of day or a few minutes
# ("till 2am", "like 15 minutes"): they date nothing ("8 hours a day" may say a routine)
_NOT_SPECIFIC = re.compile(
    r"\b\d{1,2}(?::\d\d)? ?(?:am|pm)\b|\b\d{1,2}:\d\d\b"
    r"|\b\d+ ?(?:sec|secs|seconds|min|mins|minutes)\b"
    r"|\b(?:AGAIN|FINALLY|NEVER|ALWAYS|SO|NOT|LITERALLY|ACTUALLY|REALLY|TOTALLY|ALL|EVER|OMG|"
    r"LOL)\b")
# Something someone keeps doing to or for the user: a standing situation ("Boss keeps yelling
# at them", "Mom always calls at dinner"), not one moment.
_HABIT = re.compile(r"^(?:keeps|kept|always|constantly|never stops|still)\b|\bevery (?:day|"
                    r"morning|night|week|weekend|time)\b", re.I)
# a name in lower case, as chats write them ("a new game called cult of the lamb")
_NAMED = re.compile(r"\b(?:called|named|titled)\s+(?!it\b|them\b|that\b|this\b)\w", re.I)
# a clause that leans on what was said before it ("Back hates them", "Wife basically runs it")
# (or on nothing said at all: "Can walk to everything")
_POINTER = re.compile(r"\b(?:it|them|that|this|those|these|there|stuff|everything|anything)\b",
                      re.I)


class Worth:
    """Scores facts by their nearest labelled examples: the mean cosine of the ``k`` nearest
    durable examples minus that of the ``k`` nearest chatter ones. A fact is kept when its score
    is at least ``threshold`` (``lean`` less when the prototypes named its attribute)."""

    def __init__(self, embedder: Embedder, k: int = 5, threshold: float = -0.02,
                 lean: float = 0.03) -> None:
        self.embedder = embedder
        self.k = k
        self.threshold = threshold
        self.lean = lean
        self._durable: np.ndarray | None = None
        self._chatter: np.ndarray | None = None

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._durable is None or self._chatter is None:
            self._durable = self.embedder.embed_many(list(DURABLE))
            self._chatter = self.embedder.embed_many(list(CHATTER))
        return self._durable, self._chatter

    def scores(self, texts: Sequence[str],
               vectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The vote of each text's predicate (its subject cut off), or of the statement before
        a comment where that votes higher ("Loves horror movies, the gorier the better"): > 0
        leans durable.

        Raises:
            ModelError: the embedder failed.
        """
        if not texts:
            return np.zeros(0, dtype=np.float32)
        durable, chatter = self._load()

        def vote(v: np.ndarray) -> np.ndarray:
            return _top_mean(v @ durable.T, self.k) - _top_mean(v @ chatter.T, self.k)

        return pair_votes(texts, vectors or statement_vectors(self.embedder, texts), vote)

    @staticmethod
    def needs_vote(fact: Fact) -> bool:
        """Whether ``keeps`` votes on the fact (the rules do not already place it)."""
        return not _known(fact)

    def keeps(self, facts: Sequence[Fact],
              vectors: dict[str, np.ndarray] | None = None) -> list[bool]:
        """Whether each fact should become a memory (see the module docstring); ``vectors``:
        the facts' ``statement_vectors`` where the caller has them.

        Raises:
            ModelError: the embedder failed.
        """
        open_ = [i for i, f in enumerate(facts) if not _known(f)]
        out = [True] * len(facts)
        for i, score in zip(open_, self.scores([facts[i].text for i in open_], vectors)):
            out[i] = not _leaning(facts[i].text) and bool(
                score >= self.threshold - (self.lean if facts[i].attribute else 0.0))
        return out


def _known(fact: Fact) -> bool:
    """Whether the rules already place the fact: a pattern's attribute, an ending, a fix, a
    name or a number (a dated event, a person: what questions about a past ask for; not a time
    of day nor a shouted word), someone who keeps doing something, a state
    said to hold now ("Is all about padel now": the new value of something), or a
    taste for a named thing ("Prefers coffee over tea"; not "Loves it")."""
    who, said = split_subject(fact.text)
    plain = _NOT_SPECIFIC.sub("", fact.text)  # someone's mood ("Brother Jake is always tired")
    # is left out before (``passing``); a named person's deed is kept ("Kiran lent them a ladder")
    return (fact.change in ("ended", "corrected") or rule_attribute(fact.text) is not None
            or _SPECIFIC.search(plain) is not None or _NAMED.search(plain) is not None
            or who != USER and _HABIT.search(said) is not None
            or fact.change == "changed" and _NOW.search(fact.text) is not None
            or _TASTE.match(predicate(fact.text)) is not None)


def _leaning(text: str) -> bool:
    """Whether the clause says little but "it" or "them" (at most three content words): what
    it means lies in the message before, which the raw messages keep."""
    rest = predicate(text)
    return _POINTER.search(rest) is not None and len(content_words(rest)) <= 3


def _top_mean(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, scores.shape[1])
    return np.sort(scores, axis=1)[:, -k:].mean(axis=1)
