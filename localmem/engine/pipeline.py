"""add(infer=True): extract -> ground -> dedupe -> decide. Returns a plan; memory.py applies it.

The model is asked once per add for facts (grammar-constrained JSON). Its facts must be grounded
in the user's words; clauses it missed are rewritten deterministically, so a weak model loses
nothing and a strong one makes the rules moot. Decisions are deterministic where they can be
(same text -> NONE, near-duplicate -> NONE, same slot or flipped negation -> UPDATE, nothing
similar -> ADD); only ambiguous cases go to the model, which sees small integer ids, never real
ones, and an id it was not offered is rejected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.errors import ModelError
from localmem.engine.extract import (
    candidate_clauses,
    has_negation,
    is_grounded,
    resolve_dates,
    rewrite_clause,
    topic_words,
)
from localmem.backends.llm import LLM
from localmem.engine.prompts import FACT_EXTRACTION_PROMPT, UPDATE_MEMORY_PROMPT, ExtractedFacts, MemoryDecision
from localmem.engine.textutil import content_words, normalize, text_hash
from localmem.types import Action

__all__ = ["Pipeline", "Fact", "PlannedChange", "Candidate", "ExtractionReport", "slot_of"]

log = logging.getLogger("localmem")

NEAR_DUPLICATE = 0.95  # cosine at or above which a fact is the memory it resembles
AMBIGUOUS_MIN = 0.55  # below this no stored memory is close enough to ask the model about
CANDIDATES = 5


@dataclass
class Fact:
    text: str
    source_ids: list[int]
    origin: str  # "model" or "rule"


@dataclass
class Candidate:
    """A stored memory (id > 0) or a fact planned earlier in the same add (id < 0)."""

    id: int
    text: str
    score: float


@dataclass
class PlannedChange:
    event: Action
    text: str
    embedding: np.ndarray | None
    memory_id: int | None = None  # the memory updated / deleted / matched
    previous_text: str | None = None
    source_ids: list[int] = field(default_factory=list)
    reason: str = ""


@dataclass
class ExtractionReport:
    facts: list[Fact] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # model facts not grounded in the messages
    partial: list[str] = field(default_factory=list)  # grounded, but only part of a user clause
    model_error: str | None = None


_SLOTS = [
    (r"^(name is|goes by|is called)\b", "name"),
    (r"^(lives|is living|resides|is based) in\b", "home"),
    (r"^works (as|at|for)\b", "job"),
    (r"^is \d+( years old)?$|^age is\b", "age"),
    (r"^birthday is\b", "birthday"),
    (r"^(is married to|wife is|husband is|partner is|is dating|girlfriend is|boyfriend is)\b",
     "partner"),
    (r"^(is from|comes from)\b", "origin"),
]


def slot_of(fact: str) -> str | None:
    """The single-valued attribute a fact sets ("Lives in X" -> "home"), or None."""
    norm = normalize(fact)
    for pattern, slot in _SLOTS:
        if re.search(pattern, norm):
            return slot
    match = re.match(r"^favou?rite (\w+) (is|are)\b", norm)
    return f"favorite {match.group(1)}" if match else None


def _negation_flip(new: str, old: str) -> bool:
    if has_negation(new) == has_negation(old):
        return False
    a, b = topic_words(new), topic_words(old)  # "anymore" / "quit" must not dilute the overlap
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.6


def _derived_facts(fact: str) -> list[str]:
    """Facts a statement implies that update a slot: a move sets home, a birthday sets age."""
    out = []
    moved = re.search(
        r"\b(?i:moved|relocated) (?:from [\w .'-]+? )?to ([A-Z][\w.'-]*(?: [A-Z][\w.'-]*)*)", fact
    )
    if moved:
        out.append(f"Lives in {moved.group(1)}")
    turned = re.search(r"\b(?i:turned) (\d{1,3})\b", fact)
    if turned:
        out.append(f"Is {turned.group(1)} years old")
    return out


class Pipeline:
    """Turns messages into a plan of memory changes."""

    def __init__(
        self,
        llm: LLM,
        embedder: Embedder,
        extraction_prompt: str | None = None,
        update_prompt: str | None = None,
    ) -> None:
        self.llm = llm
        self.embedder = embedder
        self.extraction_prompt = extraction_prompt or FACT_EXTRACTION_PROMPT
        self.update_prompt = update_prompt or UPDATE_MEMORY_PROMPT

    # -- extraction --

    def extract(
        self,
        user_messages: Sequence[tuple[int, str]],
        observed: date | None = None,
        prompt: str | None = None,
    ) -> ExtractionReport:
        """Grounded facts from (message id, text) pairs of the user's messages."""
        report = ExtractionReport()
        if not user_messages:
            return report
        source = "\n".join(text for _, text in user_messages)
        try:
            template = prompt or self.extraction_prompt
            answer = self.llm.complete_json(
                template.format(messages=source, today=(observed or date.today()).isoformat()),
                ExtractedFacts,
            )
            model_facts = [f.strip() for f in answer["facts"] if f and f.strip()]
        except ModelError as exc:
            # The raw messages are stored and the deterministic path still runs: warn, go on.
            report.model_error = str(exc)
            log.warning("fact extraction by the model failed, rules only: %s", exc)
            model_facts = []
        clauses = [(mid, c) for mid, text in user_messages for c in candidate_clauses(text)]
        grounded: list[str] = []
        for fact in model_facts:
            if not is_grounded(fact, source):
                report.dropped.append(fact)
                continue
            stored_form = _third_person_fact(fact)
            if stored_form is None:
                report.dropped.append(fact)  # a bare word, or a model looping on itself
            elif stored_form not in grounded:
                grounded.append(stored_form)
        partial = _partial_paraphrases(grounded, [c for _, c in clauses])
        report.partial.extend(partial)  # the rule rewrite of their clause says it better
        kept = [f for f in grounded if f not in partial]
        facts = [Fact(f, self._sources(f, user_messages), "model") for f in kept]
        for msg_id, clause in clauses:
            if not any(_covers(f, clause) for f in kept):
                facts.append(Fact(rewrite_clause(clause), [msg_id], "rule"))
        for fact in list(facts):
            facts.extend(Fact(d, fact.source_ids, fact.origin) for d in _derived_facts(fact.text))
        seen: set[str] = set()
        for fact in facts:
            fact.text = resolve_dates(fact.text, observed)
            key = text_hash(fact.text)
            if key not in seen and fact.text:
                seen.add(key)
                report.facts.append(fact)
        return report

    @staticmethod
    def _sources(fact: str, user_messages: Sequence[tuple[int, str]]) -> list[int]:
        words = set(content_words(fact))
        best = max(user_messages, key=lambda m: len(words & set(content_words(m[1]))))
        return [best[0]]

    # -- decisions --

    def decide(
        self,
        facts: Sequence[Fact],
        similar: Callable[[np.ndarray, int], list[Candidate]],
        by_hash: Callable[[str], Candidate | None],
    ) -> list[PlannedChange]:
        """One change per fact; ``similar``/``by_hash`` look at stored memories of the scope."""
        if not facts:
            return []
        vectors = self.embedder.embed_many([f.text for f in facts])
        plan: list[PlannedChange] = []
        for fact, vector in zip(facts, vectors):
            pending = [
                Candidate(-(i + 1), p.text, float(np.dot(p.embedding, vector)))
                for i, p in enumerate(plan)
                if p.event is Action.ADD and p.embedding is not None
            ]
            change = self._decide_one(fact, vector, similar, by_hash, pending)
            target = None
            if change.memory_id is not None and change.memory_id < 0:
                target = plan[-change.memory_id - 1]  # a fact planned earlier in this add
            elif change.event is not Action.ADD:
                # A stored memory already changed by this add: the later statement wins.
                target = next((p for p in plan if p.memory_id == change.memory_id
                               and p.event in (Action.UPDATE, Action.DELETE)), None)
            if target is None:
                plan.append(change)
            elif change.event is Action.UPDATE and target.event is not Action.DELETE:
                target.text, target.embedding = change.text, change.embedding
                target.source_ids = sorted({*target.source_ids, *change.source_ids})
        return plan

    def _decide_one(
        self,
        fact: Fact,
        vector: np.ndarray,
        similar: Callable[[np.ndarray, int], list[Candidate]],
        by_hash: Callable[[str], Candidate | None],
        pending: list[Candidate],
    ) -> PlannedChange:
        def change(event: Action, cand: Candidate | None, reason: str, text: str | None = None):
            return PlannedChange(
                event=event,
                text=text or fact.text,
                embedding=vector if event in (Action.ADD, Action.UPDATE) else None,
                memory_id=cand.id if cand else None,
                previous_text=cand.text if cand and event is not Action.ADD else None,
                source_ids=list(fact.source_ids),
                reason=reason,
            )

        same = by_hash(text_hash(fact.text))
        if same is not None:
            return change(Action.NONE, same, "same text is stored")
        candidates = sorted(
            [*similar(vector, CANDIDATES), *pending], key=lambda c: -c.score
        )[:CANDIDATES]
        if any(normalize(c.text) == normalize(fact.text) for c in candidates):
            return change(Action.NONE, candidates[0], "same text is stored")
        slot = slot_of(fact.text)
        for cand in candidates:
            if slot and slot_of(cand.text) == slot:
                return change(Action.UPDATE, cand, f"new value for {slot}")
            if _negation_flip(fact.text, cand.text):
                return change(Action.UPDATE, cand, "contradicts the stored memory")
        if candidates and candidates[0].score >= NEAR_DUPLICATE:
            return change(Action.NONE, candidates[0], "near-duplicate of a stored memory")
        ambiguous = [c for c in candidates if c.score >= AMBIGUOUS_MIN]
        if not ambiguous:
            return change(Action.ADD, None, "new information")
        return self._ask_model(fact, ambiguous, change)

    def _ask_model(self, fact: Fact, offered: list[Candidate], change) -> PlannedChange:
        listing = "\n".join(f"{i}: {c.text}" for i, c in enumerate(offered))
        try:
            answer = self.llm.complete_json(
                self.update_prompt.format(memories=listing, facts=fact.text, fact=fact.text),
                MemoryDecision,
            )
        except ModelError as exc:
            log.warning("the model could not decide on %r, kept as new: %s", fact.text, exc)
            return change(Action.ADD, None, "model failed; kept as new")
        event = Action(answer["event"])
        if event is Action.ADD:
            return change(Action.ADD, None, "model: new information")
        index = answer.get("id")
        if index is None or not 0 <= index < len(offered):
            return change(Action.ADD, None, f"model chose id {index}, not offered; kept as new")
        cand = offered[index]
        if event is Action.NONE:
            return change(Action.NONE, cand, "model: already known")
        if event is Action.DELETE:
            if not has_negation(fact.text):  # a weak model deletes freely; require a negation
                return change(Action.ADD, None, "model deletion without a negation; kept as new")
            return change(Action.DELETE, cand, "model: no longer true")
        text = (answer.get("text") or "").strip()
        source = f"{fact.text}\n{cand.text}"
        if not text or not is_grounded(text, source) or not _covers(text, fact.text):
            text = fact.text  # the merged text must carry the new fact, not just the old one
        return change(Action.UPDATE, cand, "model: replaces the stored memory", text)


_FIRST_PERSON_START = re.compile(r"^(i|i'm|i've|i'd|i'll|my|me)\b", re.I)


def _third_person_fact(fact: str) -> str | None:
    """A model fact in the stored form: first person rewritten; a bare name or word dropped."""
    fact = fact.strip().rstrip(".")
    if _FIRST_PERSON_START.match(fact):
        fact = rewrite_clause(fact)
    if len(fact.split()) < 2:
        return None  # "Dave" alone says nothing about what Dave is
    if _repeats_itself(fact):
        return None  # a looping model: "going to Miami, and going to Miami, and ..."
    return fact


def _repeats_itself(fact: str) -> bool:
    """Whether any three-word run occurs twice in the fact."""
    tokens = [w.lower().strip(".,;!?'\"") for w in fact.split()]
    runs = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return len(runs) != len(set(runs))


def _partial_paraphrases(facts: Sequence[str], clauses: Sequence[str]) -> list[str]:
    """Model facts that restate only part of the user clause they come from.

    A weak model often returns a fragment ("Spanish and French" for "I speak Spanish and
    French"); the deterministic rewrite of the whole clause is then the better fact. Several
    facts split from one clause are fine when together they cover it. A fact drawn from no
    first-person clause is not judged here.
    """
    by_clause: dict[int, list[str]] = {}
    for fact in facts:
        words = topic_words(fact)
        scored = [(len(words & topic_words(c)), i) for i, c in enumerate(clauses)]
        overlap, best = max(scored, default=(0, -1))
        if overlap:
            by_clause.setdefault(best, []).append(fact)
    partial: list[str] = []
    for index, group in by_clause.items():
        clause_words = topic_words(clauses[index]) - {"name"}
        union = set().union(*(topic_words(f) for f in group)) & clause_words
        if len(union) < 0.75 * len(clause_words):
            partial.extend(group)
            continue
        for fact in group:  # a fact mostly made of words from outside its clause
            words = topic_words(fact)
            if len(words & clause_words) < 0.75 * len(words):
                partial.append(fact)
    return partial


def _covers(fact: str, clause: str) -> bool:
    clause_words = set(content_words(clause)) - {"name"}
    if not clause_words:
        return True
    return len(clause_words & set(content_words(fact))) / len(clause_words) >= 0.5
