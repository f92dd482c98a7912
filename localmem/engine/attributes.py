"""What a fact is about: its subject, its attribute key, whether it changed or ended something.

A model may fill these (the extraction schema asks for them); ``normalise_key`` and
``normalise_subject`` turn its words into the vocabulary's (``engine/vocab.py``). Where it gives
nothing usable, the rules here do: patterns on the fact's wording, then ``Prototypes``, the
nearest prototype facts by the configured embedder, then a linear classifier fitted on them
(``engine/namer.py``), whose attribute distributions also let two differently named facts share
a slot (``decisions.soft_slot``). Everything is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.engine.extract import has_negation
from localmem.engine.namer import Classifier, overlap, pick
from localmem.engine.textutil import stem, words
from localmem.engine.vocab import (
    ADDITIVE, ATTRIBUTES, CASED_PATTERNS, CHANGE, ENDING, HYPOTHETICAL, JOB_WORDS, PATTERNS,
    RELATIONS, SYNONYMS,
)
from localmem.engine.vocab_prototypes import PROTOTYPES
from localmem.engine.vocab_prototypes_none import NEAR_MISSES

__all__ = [
    "USER", "Change", "normalise_key", "is_single", "rule_attribute", "split_subject",
    "normalise_subject", "subjects_match", "change_of", "predicate", "head", "is_ending",
    "is_additive", "is_hypothetical", "is_partner", "statement_vectors", "pair_votes",
    "Prototypes",
]

USER = "user"
Change = Literal["new", "changed", "ended"]

_NO_KEY = {"", "none", "null", "other", "misc", "fact", "general", "unknown", "info", "personal",
           "statement", "event", "n_a", "na", "thing", "detail", "about"}
_PATTERNS = [
    (re.compile(p.replace("{jobs}", "|".join(JOB_WORDS)), re.I), key) for p, key in PATTERNS
]
_CASED = [(re.compile(p), key) for p, key in CASED_PATTERNS]
_PET_WORDS = {"dog", "cat", "puppy", "kitten"}  # "Dog Rex died" is about the user's pet
_PERSON = sorted({r for r in RELATIONS if r not in _PET_WORDS}, key=len, reverse=True)
_INTERJECTION = r"(?:(?:ugh|omg|oh|wow|well|so|btw|lol|haha|anyway|honestly|yeah|ok|okay)[,!]* )*"
_LEAD = re.compile(  # case matters only for the name: "Sister Ana ..." but "Sister is ..."
    rf"^(?i:{_INTERJECTION}(?:(?:their|the|user's|his|her|my|our) )?"
    rf"((?:(?:{'|'.join(_PERSON)})'s )*"
    rf"(?:best |older |younger |little |big )?(?:{'|'.join(_PERSON)})s?))"
    rf"(?: ([A-Z][\w-]+)(?:'s)?)?\s+(?=\S)"
)
_PREDICATE_LEAD = re.compile(
    r"^(?:still|now|also|just|recently|currently|finally|actually|really|even|already|"
    r"no longer|never|(?:does|do|did) not|doesn't|don't|didn't|hasn't|has not)\s+",
    re.I,
)
_NOT = re.compile(r"^(is|are|was|has|have) (?:not|no longer|never)\s+", re.I)
_MY_SIDE = {"user", "i", "me", "myself", "self", "speaker", "the user", "they", "them", "we", "us",
            "you", "my", "mine", "themselves", "the speaker", "person", "the person"}
_POSSESSIVE = re.compile(r"^(?:the user's|user's|my|their|his|her|our|the)\s+", re.I)


def normalise_key(raw: str | None) -> str | None:
    """An attribute key in the vocabulary's spelling ("Employer" -> "job"), or None for none."""
    if not raw:
        return None
    key = re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
    if key in _NO_KEY:
        return None
    favourite = re.match(r"^(?:favou?rite|fav|preferred)_?([a-z0-9_]+)$", key)
    if favourite:
        return f"favourite_{SYNONYMS.get(favourite.group(1), favourite.group(1))}"[:24]
    key = SYNONYMS.get(key, key)
    if key not in ATTRIBUTES and key.endswith("s") and key[:-1] in ATTRIBUTES:
        key = key[:-1]
    return key[:24] or None


def is_single(key: str | None, claimed: bool | None = None) -> bool:
    """Whether ``key`` holds one value at a time; a key outside the vocabulary: as claimed."""
    if key is None:
        return False
    if key.startswith("favourite_"):
        return True
    spec = ATTRIBUTES.get(key)
    return spec.single if spec else bool(claimed)


def split_subject(text: str) -> tuple[str, str]:
    """(subject, predicate): "Sister Ana moved to Lisbon" -> ("sister ana", "moved to Lisbon").

    A relation naming the user's own partner ("Wife is Anna") stays the user's fact.
    """
    match = _LEAD.match(text.strip())
    if not match:
        return USER, text.strip()
    rest = text.strip()[match.end():]
    if re.match(r"^(is|was|'s) [A-Z][\w'-]+$", rest) or not rest:
        return USER, text.strip()
    subject = " ".join(p for p in (match.group(1), match.group(2)) if p).lower()
    return subject, rest


def normalise_subject(raw: str | None, source: str) -> str | None:
    """A model's subject in stored form ("my sister Ana" -> "sister ana"); None if ungrounded."""
    if raw is None:
        return None
    text = _POSSESSIVE.sub("", raw.strip().lower().replace("\u2019", "'"))
    text = re.sub(r"[^\w' -]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if text in _MY_SIDE or not text:
        return USER
    said = {stem(w) for w in words(source)}
    if any(stem(w) in said for w in text.split()) and len(text.split()) <= 3:
        return text  # "brother jake" for "Jake got a job": the name is what must be said
    return None  # a person the user never mentioned


def subjects_match(a: str | None, b: str | None) -> bool:
    """Same person: equal, or one names the other more fully ("ana" / "sister ana")."""
    a, b = a or USER, b or USER
    if a == b:
        return True
    if USER in (a, b):
        return False
    x, y = set(a.split()), set(b.split())
    return x <= y or y <= x


def predicate(text: str) -> str:
    """The fact without its subject, adverbs or negation: what patterns look at."""
    rest = split_subject(text)[1].replace("\u2019", "'")
    for _ in range(3):
        rest = _NOT.sub(r"\1 ", _PREDICATE_LEAD.sub("", rest))
    return rest


def head(text: str) -> str:
    """The statement before a comment: "Loves horror movies, the gorier the better"."""
    return re.split(r",\s+|\s+(?:lol|haha|tbh|ngl)\b", text, maxsplit=1)[0]


def statement_vectors(embedder: Embedder, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each distinct text's (predicate, head) vectors, a (2, dims) array, from one embedder
    call: what the attribute prototypes and the worth vote compare a fact by.

    Raises:
        ModelError: the embedder failed.
    """
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return {}
    preds = [predicate(t) or t for t in distinct]
    vectors = embedder.embed_many([*preds, *map(head, preds)])
    n = len(distinct)
    return {t: vectors[[i, n + i]] for i, t in enumerate(distinct)}


def pair_votes(texts: Sequence[str], vectors: dict[str, np.ndarray],
               vote: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``vote`` of each text's predicate and of its head (``statement_vectors``), the higher
    of the two per text."""
    pairs = np.stack([vectors[t] for t in texts])  # (texts, 2, dims)
    return np.maximum(vote(pairs[:, 0]), vote(pairs[:, 1]))


def rule_attribute(text: str) -> str | None:
    """The attribute the wording names, or None ("Drives a Honda Civic" -> "car")."""
    cased = predicate(text)
    for pattern, key in _CASED:  # "Quit Google", "Is back in Auckland"
        if pattern.search(cased):
            return key
    pred = cased.lower()
    for pattern, key in _PATTERNS:
        match = pattern.search(pred)
        if match:
            if key == "favourite":
                return normalise_key(f"favourite_{match.group(1)}")
            return key
    return None


def is_ending(text: str) -> bool:
    """Whether the fact says something stopped ("no longer", "split up", "is off")."""
    text = text.replace("\u2019", "'")
    return any(not re.search(r"\b(?:never|not|didn't|don't|won't|haven't|hasn't)\s+$",
                             text[: m.start()], re.I)  # "never left" ended nothing
               for m in re.finditer(ENDING, text, re.I))


def is_additive(text: str) -> bool:
    """Whether the fact adds a value next to the old ones ("also", "a second job")."""
    return bool(re.search(ADDITIVE, text, re.I))


_MONTH_MAY = re.compile(r"\b(?:(?i:in|since|last|next|early|late|mid|by|until|this|of) May|May \d)\b")


def is_hypothetical(text: str) -> bool:
    """Whether the fact only might happen ("Might get a Tesla one day if prices drop"); the
    month ("moved there in May") is no "may", and a comment after the statement ("Got the
    senior title, if you can believe it"; "Eats dairy again, could not live without cheese")
    leaves the statement as sure as it was."""
    return bool(re.search(HYPOTHETICAL, _MONTH_MAY.sub(" ", _statement(text)), re.I))


def _statement(text: str) -> str:
    """The statement before a comma's comment, unless the comment carries the condition
    ("Will get a dog, if the landlord agrees": a comma then "if"/"when"/"once" + a clause)."""
    first, *rest = re.split(r",\s+", text, maxsplit=1)
    if rest and re.match(r"(?i)(?:if|unless|once|provided) (?!you can|that makes|i'm honest|"
                         r"i'm being honest|that's)", rest[0]):
        return text
    return first


_PARTNERS = {"wife", "husband", "partner", "girlfriend", "boyfriend", "fiance", "fiancee",
             "fiancé", "ex"}


def is_partner(subject: str | None) -> bool:
    """Whether a subject is the user's partner ("boyfriend theo"): what a break-up ends."""
    return bool(subject) and subject.split()[0] in _PARTNERS


# an ending that names what came instead ("ditched the Pixel for an iPhone") is a change
_NEW_VALUE = (r"\b(bought|got|switched|now|started|instead|new|for (?:an?|the|my|their)|"
              r"(?:over|back) to|these days|went with|replaced|swapped|traded)\b")


def change_of(text: str) -> Change:
    """"ended" when something stopped and nothing replaced it, "changed" when a value is new."""
    lowered = text.lower().replace("\u2019", "'")
    new_value = re.search(CHANGE, lowered)
    if is_ending(lowered) and not (new_value and re.search(_NEW_VALUE, lowered)):
        return "ended"
    if has_negation(lowered) and re.search(r"\b(anymore|any more|no longer)\b", lowered):
        return "ended"
    return "changed" if new_value else "new"


_NEAR_MISS = ""  # the group of near misses (``vocab_prototypes_none``): it names nothing


class Prototypes:
    """Names the attribute of a fact by a vote of its nearest prototype facts
    (``vocab_prototypes.PROTOTYPES``).

    The prototypes are embedded once, with the embedder the facts are embedded with. Each
    attribute scores the mean cosine of its ``k`` nearest prototypes; a match needs a score of
    at least ``threshold`` and a lead of ``margin`` over the next attribute (or a score ``lower``
    less with a lead ``lower`` more: a clear winner among weak votes), so a fact between two
    attributes gets none. Near misses (``vocab_prototypes_none``: "Helped a friend move on
    Saturday") vote as one more group, and a fact they win names nothing. ``name`` scores a
    fact's predicate (its subject and adverbs cut off) and the statement before a comment, the
    better of the two, so "Sister Ana is running the whole cafe now, lol" meets "Is the manager
    of a cafe now" as a job. Where the vote names nothing, a linear classifier fitted on the
    same prototypes (``namer.Classifier``) names the attribute it gives a probability of at
    least ``confident``: it weighs every prototype, not the wording of the nearest two.
    """

    def __init__(self, embedder: Embedder, threshold: float = 0.42, margin: float = 0.04,
                 k: int = 2, lower: float = 0.06, confident: float = 0.6) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self.k = k
        self.lower = lower
        self.confident = confident
        self._keys: list[str] = []
        self._groups: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self._classifier = Classifier()

    def _load(self) -> np.ndarray:
        if self._matrix is None:
            groups = {**PROTOTYPES, _NEAR_MISS: NEAR_MISSES}
            pairs = [(k, t) for k, texts in groups.items() for t in texts]
            self._keys = sorted(groups)
            self._groups = [np.array([i for i, (k, _) in enumerate(pairs) if k == key])
                            for key in self._keys]
            matrix = self.embedder.embed_many([t for _, t in pairs])
            self._classifier.fit(matrix, [k for k, _ in pairs])
            self._matrix = matrix
        return self._matrix

    @property
    def keys(self) -> list[str]:
        """The classes of ``distributions``' columns ("" = the near misses: no attribute)."""
        self._load()
        return list(self._classifier.keys)

    def distributions(self, texts: Sequence[str],
                      vectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """(texts x ``keys``) the classifier's attribute probabilities of each fact text, the
        mean of its predicate's and its head's (``statement_vectors``).

        Raises:
            ModelError: the embedder failed.
        """
        self._load()
        if not texts:
            return np.zeros((0, len(self._classifier.keys)))
        vectors = vectors or statement_vectors(self.embedder, texts)
        pairs = np.stack([vectors[t] for t in texts])
        return (self._classifier.proba(pairs[:, 0]) + self._classifier.proba(pairs[:, 1])) / 2

    def _votes(self, vectors: np.ndarray) -> np.ndarray:
        """(facts x attributes): the mean cosine of each attribute's k nearest prototypes."""
        scores = np.asarray(vectors, dtype=np.float32) @ self._load().T
        votes = np.empty((len(scores), len(self._keys)), dtype=np.float32)
        for j, group in enumerate(self._groups):
            k = min(self.k, len(group))
            votes[:, j] = np.sort(scores[:, group], axis=1)[:, -k:].mean(axis=1)
        return votes

    def nearest(self, vectors: Sequence[np.ndarray] | np.ndarray) -> list[str | None]:
        """The attribute of each vector, or None where no attribute clearly wins.

        Raises:
            ModelError: the embedder failed.
        """
        if len(vectors) == 0:
            return []
        return self._decide(self._votes(np.asarray(vectors)))

    def agreement(self, text: str, others: Sequence[str]) -> list[float]:
        """For each of ``others``, how much its attribute distribution and ``text``'s agree
        (``namer.overlap``): what soft slot matching compares.

        Raises:
            ModelError: the embedder failed.
        """
        if not others:
            return []
        texts = list(dict.fromkeys([text, *others]))  # each distinct text once
        rows = dict(zip(texts, self.distributions(texts)))
        return [overlap(rows[text], rows[o]) for o in others]

    def lean(self, texts: Sequence[str], floor: float = 0.3, lead: float = 0.05
             ) -> list[str | None]:
        """The attribute each text leans to, named or not (a weaker test than ``name``): the
        best vote when it is at least ``floor`` and ``lead`` ahead of the next.

        Raises:
            ModelError: the embedder failed.
        """
        return self._decide(self._text_votes(texts), floor, lead)

    def name(self, texts: Sequence[str],
             vectors: dict[str, np.ndarray] | None = None) -> list[str | None]:
        """The attribute of each fact text, by its predicate and its head (see the class);
        ``vectors``: the texts' ``statement_vectors`` where the caller has them.

        Raises:
            ModelError: the embedder failed.
        """
        if not texts:
            return []
        vectors = vectors or statement_vectors(self.embedder, texts)
        votes = self._text_votes(texts, vectors)
        named = [a or b for a, b in zip(  # a clear winner among weak votes counts too
            self._decide(votes, self.threshold, self.margin),
            self._decide(votes, self.threshold - self.lower, self.margin + self.lower))]
        if all(named):
            return named
        probs = pair_votes(texts, vectors, self._classifier.proba)  # the likelier of the two
        return [a or b for a, b in zip(
            named, pick(probs, self._classifier.keys, self.confident, _NEAR_MISS))]

    def _text_votes(self, texts: Sequence[str],
                    vectors: dict[str, np.ndarray] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(PROTOTYPES) + 1), dtype=np.float32)
        vectors = vectors or statement_vectors(self.embedder, texts)
        return pair_votes(texts, vectors, self._votes)

    def _decide(self, votes: np.ndarray, floor: float | None = None,
                lead: float | None = None) -> list[str | None]:
        floor = self.threshold if floor is None else floor
        lead = self.margin if lead is None else lead
        out: list[str | None] = []
        for row in votes:
            order = np.argsort(-row)
            best, rival = row[order[0]], row[order[1]] if len(order) > 1 else -1.0
            key = self._keys[order[0]]
            out.append(key if best >= floor and best - rival >= lead and key != _NEAR_MISS
                       else None)
        return out
