"""Hybrid retrieval: FAISS similarity plus SQLite FTS5 keyword matches, within an exact scope.

Score = cosine similarity + a keyword bonus that decays with the FTS5 (bm25) rank, so names and
rare words surface even when the embedding misses them. Stored raw messages are searched the same
way and fill in after facts (a small penalty keeps facts first); a raw message already behind a
returned fact is left out, since it adds nothing. A raw turn that only asks, greets or thanks
ranks last (kept for provenance, evidence of nothing: ``signals.low_value``); a raw answer
was embedded with the question asked before it (``signals.searched_as``); a fact whose
subject the query names ("What does Caroline's sister do?") ranks a little higher, and so does
an item observed on (or within a few days of) a day the query names ("on 7 Jan 2024").
The query's vector leaves out the people it asks about (``signals.unnamed``); a list question
("What are Kate's hobbies?") also scores each item by its likeness to what is asked for
("hobbies": ``signals.asked_for``), the query's ``focus``, so items are found for what they are
("Loves skiing") and not only for sharing the question's words.

With ``max_words`` the result is a context budget, packed by ``packing.select``: the best items
whose texts fit in that many words together, in rank order, later facts of one subject and
attribute stepping down, raw turns only for what the packed texts don't already say. Facts are
short, so at the same budget they carry more of what was said than whole raw turns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from localmem.engine.packing import Candidate, select
from localmem.engine.signals import (
    asked_for, dates_named, is_list, low_value, named, subject_named, unnamed,
)
from localmem.storage.base import CURRENT, MEMORIES, MESSAGES, Scope, Storage, Validity
from localmem.types import MemoryItem, SearchResults

__all__ = [
    "SearchQuery", "hybrid_search", "ranked", "results", "memory_item", "message_item",
    "KEYWORD_WEIGHT", "RAW_PENALTY", "FOCUS_WEIGHT", "query_vectors",
]

KEYWORD_WEIGHT = 0.4  # eval_memory.py --chats 2 --model fake: facts answer recall 0.568 -> 0.584
# REALTALK tune chats at 167 words: RAW_PENALTY 0.3 -> 0.1 moves category 2 0.668 -> 0.696 but
# category 1 (lists) 0.527 -> 0.491; keeping 0.3 for list questions: overall 0.567 -> 0.577.
RAW_PENALTY = 0.1  # facts first: raw turns only where no fact scores close
LIST_RAW_PENALTY = 0.3  # the same for a question that asks for several things (signals.is_list)
POOL = 30  # candidates taken from each of vector and keyword search
# Measured on REALTALK's tune chats (scripts/eval_memory.py --chats tune --model fake, facts at
# raw's words): SUBJECT_WEIGHT 0.05 moves category 2 0.666 -> 0.680 and evidence 0.496 -> 0.505
# (0.1 cost category 3 more); LOW_VALUE_PENALTY puts a question below every fact (issue 18's chat
# check) for 0.571 -> 0.566 overall: REALTALK's questions sometimes hold their answer's words.
SUBJECT_WEIGHT = 0.05  # a fact about the person the query names (or that person's own turn)
# More than any two scores can differ (cosine -1..1, bonuses under 0.5): such a turn ranks last.
LOW_VALUE_PENALTY = 2.5  # a raw turn that only asks, greets or thanks: evidence of nothing
# REALTALK tune chats (facts at 167 words): DATE_WEIGHT 0.2 moves category 2 0.654 -> 0.668.
DATE_WEIGHT = 0.2  # an item observed on a day the query names ("on 7 Jan 2024")
DATE_NEAR = 3  # days: an item observed this close to a named day gains half of DATE_WEIGHT
# REALTALK tune chats, facts at 193 words (with names out of the vector): FOCUS_WEIGHT 0 -> 1
# moves category 1 0.557 -> 0.578 (0.5 0.558, 2 0.573); on every question it cost categories 2-3.
FOCUS_WEIGHT = 1.0  # times an item's cosine with what a list question asks for


@dataclass(frozen=True)
class SearchQuery:
    """One validated search: the query and its vector, where to look and what to return."""

    text: str
    vector: np.ndarray
    scope: Scope
    limit: int
    filters: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    raw_fallback: bool = True  # stored raw messages fill in after facts
    max_words: int | None = None  # a context budget (see the module docstring)
    when: Validity = CURRENT  # which facts: current, or those valid at a time (no raw messages)
    focus: np.ndarray | None = None  # a list question's vector of what it asks for


def query_vectors(embed: Callable[[str], np.ndarray], query: str
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """The query's search vector (the people it asks about left out) and, for a list question,
    the ``focus`` vector of what it asks for (else None). ``embed`` is the embedder's
    ``embed_query``; its errors pass through (``ModelError``)."""
    vector = embed(unnamed(query) or query)
    wanted = asked_for(query) if is_list(query) else ""
    return vector, embed(wanted) if wanted else None


def _scored(storage: Storage, table: str, query: SearchQuery, pool: int) -> dict[int, float]:
    vectors, when = storage.vectors, query.when
    allowed = vectors.scope_ids(table, query.scope, query.filters, when)
    if allowed.size == 0:
        return {}
    scores = dict(vectors.search(table, query.vector, pool, allowed, when))
    keyword_ids = storage.keywords.keyword_ids(table, query.text, allowed, pool, when)
    missing = [i for i in keyword_ids if i not in scores]
    if missing:
        scores.update(vectors.scores(table, query.vector, missing, when))
    for rank, rid in enumerate(keyword_ids):
        if rid in scores:
            scores[rid] += KEYWORD_WEIGHT / (1 + rank)
    return {i: s for i, s in scores.items() if math.isfinite(s)}  # corrupt vectors: JSON-safe


def hybrid_search(storage: Storage, query: SearchQuery) -> SearchResults:
    """The best ``query.limit`` items of the scope (or those that fit ``query.max_words``)."""
    return results(ranked(storage, query), query)


def results(candidates: list[Candidate], query: SearchQuery) -> SearchResults:
    """What a search returns from its ranked candidates (``ranked``, perhaps reordered since
    by ``engine.rerank``): the best ``query.limit``, or those that fit ``query.max_words``."""
    out = SearchResults()
    for c in select(candidates, query.limit, query.max_words):
        out.append(memory_item(c.row, c.score, c.sources) if c.kind == "fact"
                   else message_item(c.row, c.score))
    return out


def ranked(storage: Storage, query: SearchQuery) -> list[Candidate]:
    """Every candidate with its row, best first, above the threshold.

    A fact whose subject the query names gains ``SUBJECT_WEIGHT``; a raw message loses
    ``RAW_PENALTY``, and ``LOW_VALUE_PENALTY`` more when it only asks, greets or thanks.
    """
    pool = max(POOL, query.limit * 3)
    facts = _scored(storage, MEMORIES, query, pool)
    sources = storage.rows.sources(list(facts))
    names, days = named(query.text), dates_named(query.text)
    ranked = [
        Candidate(facts[row["id"]] + SUBJECT_WEIGHT * subject_named(
            row.get("subject"), row["user_id"], names) + _on_day(row, days), "fact", row["id"],
            row, sources.get(row["id"], []))
        for row in storage.rows.memories({}, ids=list(facts), when=query.when)
        if row["id"] in sources
    ]
    if query.raw_fallback and query.when.current:
        raw = _scored(storage, MESSAGES, query, pool)
        penalty = LIST_RAW_PENALTY if is_list(query.text) else RAW_PENALTY
        ranked += [
            Candidate(raw[row["id"]] - penalty - LOW_VALUE_PENALTY * low_value(row["content"])
                      + SUBJECT_WEIGHT * (row["role"] == "user" and subject_named(
                          "user", row["user_id"], names)) + _on_day(row, days),
                      "message", row["id"], row, [row["id"]])
            for row in storage.rows.messages(list(raw))
        ]
    if query.focus is not None:
        _focused(storage, query, ranked)
    ranked.sort(key=lambda c: (-c.score, c.kind, c.rid))
    if query.threshold is not None:
        ranked = [c for c in ranked if c.score >= query.threshold]
    return ranked


def _focused(storage: Storage, query: SearchQuery, candidates: list[Candidate]) -> None:
    """Each candidate gains ``FOCUS_WEIGHT`` times its cosine with ``query.focus``."""
    for kind, table in (("fact", MEMORIES), ("message", MESSAGES)):
        ids = [c.rid for c in candidates if c.kind == kind]
        likeness = dict(storage.vectors.scores(table, query.focus, ids, query.when)) if ids else {}
        for c in candidates:
            if c.kind == kind and math.isfinite(likeness.get(c.rid, math.nan)):
                c.score += FOCUS_WEIGHT * likeness[c.rid]


def _on_day(row: dict[str, Any], days: list[date]) -> float:
    """``DATE_WEIGHT`` for a row observed on a day the query names, half of it within
    ``DATE_NEAR`` days of one ("shortly before 7 Jan 2024"), else nothing."""
    if not days or not row.get("observed_at"):
        return 0.0
    seen = datetime.fromisoformat(row["observed_at"]).date()
    apart = min(abs((seen - day).days) for day in days)
    return DATE_WEIGHT if apart == 0 else DATE_WEIGHT / 2 if apart <= DATE_NEAR else 0.0


def memory_item(row: dict[str, Any], score: float | None, sources: list[int]) -> MemoryItem:
    return MemoryItem(
        id=row["id"], text=row["text"], kind="fact", score=_round(score),
        user_id=row["user_id"], agent_id=row["agent_id"], run_id=row["run_id"],
        metadata=row["metadata"], created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        observed_at=datetime.fromisoformat(row["observed_at"]) if row["observed_at"] else None,
        hash=row["hash"], source_message_ids=sources, valid_from=_when(row.get("valid_from")),
        valid_to=_when(row.get("valid_to")), ended_by=row.get("ended_by"),
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def message_item(row: dict[str, Any], score: float | None) -> MemoryItem:
    """A raw message as a search item; its id is negative so it never collides with a memory."""
    created = datetime.fromisoformat(row["created_at"])
    return MemoryItem(
        id=-row["id"], text=row["content"], kind="message", score=_round(score),
        user_id=row["user_id"], agent_id=row["agent_id"], run_id=row["run_id"],
        metadata={**row["metadata"], "role": row["role"]}, created_at=created, updated_at=created,
        observed_at=datetime.fromisoformat(row["observed_at"]) if row["observed_at"] else None,
        source_message_ids=[row["id"]],
    )


def _round(score: float | None) -> float | None:
    return None if score is None else round(float(score), 6)
