"""What keeps search fast on big stores: a mirror of who owns which row, bounded keyword search.

Reading a scope's row ids from SQLite on every search costs tens of milliseconds once a scope
holds 100k rows. ``ScopeIds`` mirrors (id, user_id, agent_id, run_id) of one table in numpy
arrays and catches up incrementally: scope columns never change after a row is inserted and
AUTOINCREMENT ids only grow, so new rows are exactly those above the last id seen. Deleted rows
stay in the mirror until the next ``reset``, as do memories ended since (the index holds only
current ones); the ids it returns are a superset that the FAISS id selector narrows to what the
index holds.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from localmem.storage.migrations import SCOPE_KEYS
from localmem.storage.sql import Scope
from localmem.storage.validity import INDEXED
from localmem.storage.store import Store
from localmem.engine.textutil import fts_query

__all__ = ["ScopeIds", "KeywordIds", "COMMON_DOCS"]

CACHED_SCOPES = 256  # per table: recent scopes' id arrays, valid until the next write


class ScopeIds:
    """Row ids of one table (rows with a vector) by scope, mirrored from SQLite."""

    def __init__(self, store: Store, table: str) -> None:
        self.store = store
        self.table = table
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next lookup reads the table again."""
        self.ids = np.zeros(0, dtype=np.int64)
        self.codes = {key: np.zeros(0, dtype=np.int32) for key in SCOPE_KEYS}
        self.vocab: dict[str, dict[str, int]] = {key: {} for key in SCOPE_KEYS}
        self.last_id = 0
        self.version: int | None = None
        self._cache: OrderedDict[tuple[str | None, ...], np.ndarray] = OrderedDict()

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def lookup(self, scope: Scope) -> np.ndarray | None:
        """Ids (ascending) of the scope's rows with a vector, plus some since deleted.

        None while this connection is inside a write transaction: rows it sees then may still
        roll back, so the caller asks SQLite instead.
        """
        if self.store.db.conn.in_transaction:
            return None
        self._catch_up()
        key = tuple(scope.get(k) for k in SCOPE_KEYS)
        found = self._cache.get(key)
        if found is None:
            found = self._select(scope)
            self._cache[key] = found
            if len(self._cache) > CACHED_SCOPES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def _select(self, scope: Scope) -> np.ndarray:
        mask: np.ndarray | None = None
        for key in SCOPE_KEYS:
            value = scope.get(key)
            if value is None:
                continue
            code = self.vocab[key].get(value)
            if code is None:
                return np.zeros(0, dtype=np.int64)
            match = self.codes[key] == code
            mask = match if mask is None else mask & match
        found = self.ids if mask is None else self.ids[mask]
        found.flags.writeable = False
        return found

    def _catch_up(self) -> None:
        """Read the rows added since the last look (version first, so none is skipped)."""
        version = self.store.vectors_version()
        if version == self.version:
            return
        for rows in self.store.stream(  # in chunks: a million tuples at once cost ~300 MB
            f"SELECT id, ({INDEXED[self.table]}), {', '.join(SCOPE_KEYS)} FROM {self.table} "
            "WHERE id > ? ORDER BY id",
            [self.last_id],
        ):
            self.last_id = int(rows[-1][0])
            kept = [r for r in rows if r[1]]
            self.ids = np.concatenate([self.ids, np.fromiter((r[0] for r in kept), np.int64)])
            for column, key in enumerate(SCOPE_KEYS, start=2):
                vocab = self.vocab[key]
                new = np.fromiter(
                    (-1 if r[column] is None else vocab.setdefault(r[column], len(vocab))
                     for r in kept),
                    dtype=np.int32,
                    count=len(kept),
                )
                self.codes[key] = np.concatenate([self.codes[key], new])
        self.version = version
        self._cache.clear()


COMMON_DOCS = 2000  # a query word found in more rows than this is left out of keyword search


class KeywordIds:
    """FTS5 keyword matches of one table within a set of allowed ids, at a bounded cost.

    SQLite scores every row that matches before it can order them, so a common word costs
    time in proportion to the table (~10 ms per 7k matches). Words found in more than
    ``COMMON_DOCS`` rows are therefore left out: their bm25 weight is small, the vector search
    already covers them, and the bonus is meant for names and rare words. Stores of up to
    ``COMMON_DOCS`` rows lose nothing. Word counts are cached until the table grows or shrinks
    by a tenth.
    """

    def __init__(self, store: Store, table: str) -> None:
        self.store = store
        self.table = table
        self._doc_counts: dict[str, int] = {}
        self._counted_at = 0

    def search(self, query: str, allowed: np.ndarray, limit: int, rows: int,
               held: Callable[[np.ndarray], np.ndarray] | None = None) -> list[int]:
        """Ids in ``allowed`` (and, given ``held``, in its mask) matching any uncommon word of
        ``query``, best bm25 first."""
        if abs(rows - self._counted_at) > self._counted_at // 10:
            self._doc_counts.clear()
            self._counted_at = rows
        words = [w for w in _QUOTED.findall(fts_query(query)) if self._doc_count(w) <= COMMON_DOCS]
        if not words or allowed.size == 0:
            return []
        fts = f"{self.table}_fts"
        matches = self.store.execute(
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY bm25({fts})",
            [" OR ".join(f'"{w}"' for w in words)],
        )
        found = np.fromiter((r[0] for r in matches), dtype=np.int64, count=len(matches))
        found = found[_member(found, allowed)]
        if held is not None and found.size:
            found = found[held(found)]
        return [int(i) for i in found[:limit]]

    def _doc_count(self, word: str) -> int:
        """Rows matching ``word``, counted up to ``COMMON_DOCS + 1``."""
        count = self._doc_counts.get(word)
        if count is None:
            fts = f"{self.table}_fts"
            count = int(self.store.value(
                f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)",
                [f'"{word}"', COMMON_DOCS + 1],
            ))
            self._doc_counts[word] = count
        return count


_QUOTED = re.compile(r'"([^"]+)"')


def _member(ids: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Mask of ``ids`` found in ``allowed``."""
    if not np.all(allowed[1:] >= allowed[:-1]):
        allowed = np.sort(allowed)
    pos = np.searchsorted(allowed, ids)
    pos[pos == allowed.size] = 0
    return allowed[pos] == ids
