"""Hybrid retrieval: FAISS similarity plus SQLite FTS5 keyword matches, within an exact scope.

Score = cosine similarity + a keyword bonus that decays with the FTS5 (bm25) rank, so names and
rare words surface even when the embedding misses them. Stored raw messages are searched the same
way and fill in after facts (a small penalty keeps facts first); a raw message already behind a
returned fact is left out, since it adds nothing.

With ``max_words`` the result is a context budget: the best items whose texts fit in that many
words together, in rank order (a longer item is skipped for shorter ones below it). Facts are
short, so at the same budget they carry more of what was said than whole raw turns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from localmem.storage.base import CURRENT, MEMORIES, MESSAGES, Scope, Storage, Validity
from localmem.types import MemoryItem, SearchResults

__all__ = [
    "SearchQuery", "hybrid_search", "memory_item", "message_item", "KEYWORD_WEIGHT", "RAW_PENALTY",
]

KEYWORD_WEIGHT = 0.4  # eval_memory.py --chats 2 --model fake: facts answer recall 0.568 -> 0.584
RAW_PENALTY = 0.3  # facts first: raw turns only where no fact scores close
POOL = 30  # candidates taken from each of vector and keyword search

Ranked = tuple[float, str, int]  # (score, "fact" or "message", row id)


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
    """The best ``query.limit`` items of the scope; facts first, then raw messages."""
    ranked = _ranked(storage, query)
    budgeted = query.max_words is not None
    fact_ids = [i for _, kind, i in ranked if kind == "fact"][: None if budgeted else query.limit]
    sources = storage.rows.sources(fact_ids)
    covered = {m for ids in sources.values() for m in ids}
    chosen: list[Ranked] = []
    for score, kind, rid in ranked:
        if len(chosen) == query.limit and not budgeted:
            break
        if (kind == "fact" and rid in sources) or (
            kind == "message" and (budgeted or rid not in covered)
        ):
            chosen.append((score, kind, rid))
    return _items(storage, query, chosen, sources)


def _ranked(storage: Storage, query: SearchQuery) -> list[Ranked]:
    """Every candidate, best first, above the threshold."""
    pool = max(POOL, query.limit * 3)
    facts = _scored(storage, MEMORIES, query, pool)
    ranked: list[Ranked] = [(s, "fact", i) for i, s in facts.items()]
    if query.raw_fallback and query.when.current:
        raw = _scored(storage, MESSAGES, query, pool)
        ranked += [(s - RAW_PENALTY, "message", i) for i, s in raw.items()]
    ranked.sort(key=lambda t: (-t[0], t[1], t[2]))
    if query.threshold is not None:
        ranked = [t for t in ranked if t[0] >= query.threshold]
    return ranked


def _items(
    storage: Storage, query: SearchQuery, chosen: list[Ranked], sources: dict[int, list[int]]
) -> SearchResults:
    """The chosen rows as items, in order, within the word budget."""
    fact_ids = [i for _, kind, i in chosen if kind == "fact"]
    message_ids = [i for _, kind, i in chosen if kind == "message"]
    rows = {r["id"]: r for r in storage.rows.memories({}, ids=fact_ids, when=query.when)}
    messages = {r["id"]: r for r in storage.rows.messages(message_ids)}
    out = SearchResults()
    budget = query.max_words
    shown: set[int] = set()  # with a budget: messages behind the facts actually returned
    for score, kind, rid in chosen:
        if kind == "fact" and rid in rows:
            item = memory_item(rows[rid], score, sources.get(rid, []))
        elif kind == "message" and rid in messages and rid not in shown:
            item = message_item(messages[rid], score)
        else:
            continue
        if budget is not None:
            size = len(item.text.split())
            if size > budget:
                continue
            budget -= size
            if kind == "fact":
                shown.update(item.source_message_ids)
        out.append(item)
        if len(out) == query.limit:
            break
    return out


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
