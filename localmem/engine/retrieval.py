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
from datetime import datetime
from typing import Any

import numpy as np

from localmem.storage.indexset import IndexSet
from localmem.storage.store import MEMORIES, MESSAGES, Store
from localmem.types import MemoryItem, SearchResults

__all__ = ["hybrid_search", "memory_item", "message_item", "KEYWORD_WEIGHT", "RAW_PENALTY"]

KEYWORD_WEIGHT = 0.4  # eval_memory.py --chats 2 --model fake: facts answer recall 0.568 -> 0.584
RAW_PENALTY = 0.3  # facts first: raw turns only where no fact scores close
POOL = 30  # candidates taken from each of vector and keyword search


def _scored(
    store: Store, indexes: IndexSet, table: str, query: str, vector: np.ndarray,
    scope: dict[str, str], filters: dict[str, Any], pool: int,
) -> dict[int, float]:
    allowed = indexes.scope_ids(table, scope, filters)
    if allowed.size == 0:
        return {}
    index = indexes.by_table(table)
    scores = dict(index.search(vector, pool, allowed))
    keyword_ids = indexes.keyword_ids(table, query, allowed, pool)
    missing = [i for i in keyword_ids if i not in scores]
    if missing:
        scores.update(index.scores(vector, missing))
    for rank, rid in enumerate(keyword_ids):
        if rid in scores:
            scores[rid] += KEYWORD_WEIGHT / (1 + rank)
    return {i: s for i, s in scores.items() if math.isfinite(s)}  # corrupt vectors: JSON-safe


def hybrid_search(
    store: Store,
    indexes: IndexSet,
    query: str,
    vector: np.ndarray,
    scope: dict[str, str],
    limit: int,
    filters: dict[str, Any],
    threshold: float | None,
    raw_fallback: bool = True,
    max_words: int | None = None,
) -> SearchResults:
    """The best ``limit`` items of the scope for ``query``; facts first, then raw messages.

    ``max_words`` caps the words of all returned texts together (see the module docstring).
    """
    pool = max(POOL, limit * 3)
    facts = _scored(store, indexes, MEMORIES, query, vector, scope, filters, pool)
    ranked: list[tuple[float, str, int]] = [(s, "fact", i) for i, s in facts.items()]
    if raw_fallback:
        raw = _scored(store, indexes, MESSAGES, query, vector, scope, filters, pool)
        ranked += [(s - RAW_PENALTY, "message", i) for i, s in raw.items()]
    ranked.sort(key=lambda t: (-t[0], t[1], t[2]))
    if threshold is not None:
        ranked = [t for t in ranked if t[0] >= threshold]
    fact_ids = [i for _, kind, i in ranked if kind == "fact"][: limit if max_words is None else None]
    sources = store.sources(fact_ids)
    covered = {m for ids in sources.values() for m in ids}
    chosen: list[tuple[float, str, int]] = []
    for score, kind, rid in ranked:
        if len(chosen) == limit and max_words is None:
            break
        if kind == "fact" and rid in sources or kind == "message" and (
            max_words is not None or rid not in covered
        ):
            chosen.append((score, kind, rid))
    rows = {r["id"]: r for r in store.memories({}, ids=[i for _, k, i in chosen if k == "fact"])}
    messages = {r["id"]: r for r in store.messages([i for _, k, i in chosen if k == "message"])}
    out = SearchResults()
    budget = max_words
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
        if len(out) == limit:
            break
    return out


def memory_item(row: dict[str, Any], score: float | None, sources: list[int]) -> MemoryItem:
    return MemoryItem(
        id=row["id"], text=row["text"], kind="fact", score=_round(score),
        user_id=row["user_id"], agent_id=row["agent_id"], run_id=row["run_id"],
        metadata=row["metadata"], created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        observed_at=datetime.fromisoformat(row["observed_at"]) if row["observed_at"] else None,
        hash=row["hash"], source_message_ids=sources,
    )


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
