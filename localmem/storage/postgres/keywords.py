"""Keyword search in PostgreSQL full text: the generated ``tsv`` column and its GIN index.

In place of FTS5's bm25: any of the query's words (stemmed, English), ranked by ``ts_rank``,
within the same scope the vector search used.
"""

from __future__ import annotations

import numpy as np

from localmem.engine.textutil import fts_query
from localmem.storage.postgres.connection import Database
from localmem.storage.postgres.vectors import ScopedIds

__all__ = ["Keywords"]


def websearch_query(text: str) -> str:
    """The query's words (as FTS5 gets them: stop words out) joined by ``or``."""
    words = [w.strip('"') for w in fts_query(text).split(" OR ") if w]
    return " or ".join(words)


class Keywords:
    """``base.KeywordSearch`` over the rows' ``tsv`` columns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keyword_ids(self, table: str, query: str, allowed: np.ndarray, limit: int) -> list[int]:
        """Ids among ``allowed`` whose text matches a query word, best first."""
        words = websearch_query(query)
        if not words or allowed.size == 0:
            return []
        if isinstance(allowed, ScopedIds) and allowed.partial:
            where, params = allowed.where
        else:
            where, params = "id = ANY(%s)", [[int(i) for i in allowed]]
        rows = self.db.execute(
            f"SELECT id FROM {table}, websearch_to_tsquery('english', %s) q "
            f"WHERE tsv @@ q AND {where} ORDER BY ts_rank(tsv, q) DESC, id LIMIT %s",
            [words, *params, limit])
        return [int(r[0]) for r in rows]
