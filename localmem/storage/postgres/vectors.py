"""Vectors in pgvector: the adapters for numpy, and scoped nearest-neighbour search.

A WHERE clause on an HNSW scan filters after the scan, so a selective scope would get fewer rows
than asked. Each search picks its plan by the scope's size (``scope_ids`` counts it): a scope
of at most ``EXACT_MAX`` rows is scored exactly through its btree (every row, no index over the
vectors); a larger one goes through HNSW with ``hnsw.iterative_scan``, which keeps scanning
until the limit is filled. ``scripts/bench.py --backend postgres`` measures both.

The HNSW index holds every memory row, ended ones too: each search filters by the validity of
its read (``query.valid``), so the default never returns an ended row and a read of the past
still ranks them.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from localmem.storage.postgres.connection import Database
from localmem.storage.postgres.query import scope_where, valid
from localmem.storage.sql import Scope
from localmem.storage.validity import CURRENT, Validity

__all__ = ["ScopedIds", "Vectors", "register_vector", "EXACT_MAX", "EF_SEARCH"]

# Largest scope scored exactly. bench.py --backend postgres at 100k rows (load average ~8):
# exact 3 ms at 100 rows, 8.9 ms at 2,000, 38 ms at 10,000; HNSW with iterative scan on a
# 0.1 % scope 226 ms (and a plain filtered HNSW scan returns 0.9 of 10 rows).
EXACT_MAX = 2_000
EF_SEARCH = 800  # HNSW candidate list: recall@10 0.967 at 100k (bench.py --backend postgres)


class ScopedIds(np.ndarray):
    """Scope ids that remember their scope, so search can filter in SQL.

    Above ``EXACT_MAX`` rows only the first ``EXACT_MAX + 1`` ids are read (``partial``): the
    search then filters by ``where``, never by the ids.
    """

    where: tuple[str, list[Any]]
    partial: bool


def scoped_ids(ids: list[int], where: tuple[str, list[Any]], partial: bool) -> ScopedIds:
    found = np.asarray(ids, dtype=np.int64).view(ScopedIds)
    found.where, found.partial = where, partial
    return found


def register_vector(conn: Any) -> None:
    """numpy arrays in and out of ``vector`` columns (binary), and this node's search options."""
    from psycopg.adapt import Dumper, Loader
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise RuntimeError("the vector extension is not installed in this database")

    class VectorDumper(Dumper):
        format = Format.BINARY
        oid = info.oid

        def dump(self, obj: np.ndarray) -> bytes:
            values = np.ascontiguousarray(obj, dtype=">f4")
            return struct.pack(">HH", values.size, 0) + values.tobytes()

    class VectorBinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> np.ndarray:
            (dim,) = struct.unpack_from(">H", data)
            return np.frombuffer(bytes(data), dtype=">f4", count=dim, offset=4).astype(np.float32)

    class VectorTextLoader(Loader):
        def load(self, data: Any) -> np.ndarray:
            return np.array(bytes(data)[1:-1].split(b","), dtype=np.float32)

    conn.adapters.register_dumper(np.ndarray, VectorDumper)
    conn.adapters.register_loader(info.oid, VectorBinaryLoader)
    conn.adapters.register_loader(info.oid, VectorTextLoader)
    conn.execute(f"SET hnsw.ef_search = {EF_SEARCH}")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")


class Vectors:
    """``base.Vectors`` over the pgvector columns of the rows."""

    def __init__(self, db: Database, exact_max: int = EXACT_MAX) -> None:
        self.db = db
        self.exact_max = exact_max

    def scope_ids(
        self, table: str, scope: Scope, filters: dict[str, Any] | None = None,
        when: Validity = CURRENT,
    ) -> np.ndarray:
        """Ids of the scope's rows with a vector (memories: valid ``when``); a large scope: the
        first ones only, see ``ScopedIds``."""
        where, params = scope_where(scope, filters=filters)
        validity, more = valid(when, table)
        where, params = f"{where} AND embedding IS NOT NULL AND {validity}", [*params, *more]
        rows = self.db.execute(f"SELECT id FROM {table} WHERE {where} LIMIT %s",
                               [*params, self.exact_max + 1])
        return scoped_ids([r[0] for r in rows], (where, params), len(rows) > self.exact_max)

    def search(
        self, table: str, vector: np.ndarray, k: int, allowed: np.ndarray | None = None,
        when: Validity = CURRENT,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest rows among ``allowed`` valid ``when``, best first, with cosine
        scores (``allowed`` may name rows ended or deleted since: they are left out)."""
        query = np.ascontiguousarray(vector, dtype=np.float32)
        if isinstance(allowed, ScopedIds) and allowed.partial:
            where, params = allowed.where
        elif allowed is not None:
            # Exact: ordering by the score (not the distance operator) keeps HNSW out.
            validity, more = valid(when, table)
            rows = self.db.execute(
                f"SELECT id, 1 - (embedding <=> %s) AS score FROM {table} WHERE id = ANY(%s) "
                f"AND embedding IS NOT NULL AND {validity} ORDER BY score DESC, id LIMIT %s",
                [query, [int(i) for i in allowed], *more, k])
            return [(int(i), float(s)) for i, s in rows]
        else:
            validity, params = valid(when, table)
            where = f"embedding IS NOT NULL AND {validity}"
        rows = self.db.execute(
            f"SELECT id, 1 - (embedding <=> %s) FROM {table} WHERE {where} "
            "ORDER BY embedding <=> %s LIMIT %s", [query, *params, query, k])
        return [(int(i), float(s)) for i, s in rows]

    def scores(
        self, table: str, vector: np.ndarray, ids: list[int], when: Validity = CURRENT
    ) -> dict[int, float]:
        """Exact cosine with each of ``ids`` that has a vector and is valid ``when``."""
        validity, more = valid(when, table)
        rows = self.db.execute(
            f"SELECT id, 1 - (embedding <=> %s) FROM {table} "
            f"WHERE id = ANY(%s) AND embedding IS NOT NULL AND {validity}",
            [np.ascontiguousarray(vector, dtype=np.float32), [int(i) for i in ids], *more])
        return {int(i): float(s) for i, s in rows}
