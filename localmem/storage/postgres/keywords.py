"""Keyword search in PostgreSQL full text: the generated ``tsv`` column and its GIN index.

In place of FTS5's bm25: the query's uncommon words (stemmed, English), ranked by ``ts_rank``,
within the same scope the vector search used. As with SQLite (``scale.KeywordIds``), a word
found in more than ``COMMON_DOCS`` rows of the table is left out: ranking every match of a common
word costs time in proportion to the table (measured ~60 ms for a word in half of 100k rows),
its weight is small and the vector search covers it. Word counts are kept for ``COUNT_TTL``
seconds: they bound cost only, so a count a little stale (another node's writes) changes which
words earn the bonus, never which rows may be returned.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from localmem.engine.textutil import fts_query
from localmem.storage.postgres.connection import Database
from localmem.storage.postgres.query import valid
from localmem.storage.postgres.vectors import ScopedIds
from localmem.storage.scale import COMMON_DOCS
from localmem.storage.validity import CURRENT, Validity

__all__ = ["Keywords", "COUNT_TTL"]

COUNT_TTL = 60.0  # seconds a word's row count is reused


def query_words(text: str) -> list[str]:
    """The query's words as FTS5 gets them (stop words out)."""
    return [w.strip('"') for w in fts_query(text).split(" OR ") if w]


class Keywords:
    """``base.KeywordSearch`` over the rows' ``tsv`` columns."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._counts: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def keyword_ids(
        self, table: str, query: str, allowed: np.ndarray, limit: int, when: Validity = CURRENT
    ) -> list[int]:
        """Ids among ``allowed`` valid ``when`` whose text matches an uncommon query word, best
        first (word counts take every row, ended ones too: they bound cost only)."""
        if allowed.size == 0:
            return []
        words = [w for w in query_words(query) if self._count(table, w) <= COMMON_DOCS]
        if not words:
            return []
        if isinstance(allowed, ScopedIds) and allowed.partial:
            where, params = allowed.where  # the scope's clause, its validity included
        else:
            validity, more = valid(when, table)
            where, params = f"id = ANY(%s) AND {validity}", [[int(i) for i in allowed], *more]
        rows = self.db.execute(
            f"SELECT id FROM {table}, websearch_to_tsquery('english', %s) q "
            f"WHERE tsv @@ q AND {where} ORDER BY ts_rank(tsv, q) DESC, id LIMIT %s",
            [" or ".join(words), *params, limit])
        return [int(r[0]) for r in rows]

    def _count(self, table: str, word: str) -> int:
        """Rows of ``table`` matching ``word``, counted up to ``COMMON_DOCS + 1``."""
        now = time.monotonic()
        with self._lock:
            seen = self._counts.get((table, word))
        if seen is not None and now - seen[0] < COUNT_TTL:
            return seen[1]
        count = int(self.db.value(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} "
            "WHERE tsv @@ plainto_tsquery('english', %s) LIMIT %s) found",
            [word, COMMON_DOCS + 1]))
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts.clear()
            self._counts[(table, word)] = (now, count)
        return count
