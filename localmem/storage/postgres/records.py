"""Export and import through ``storage.records`` (the one implementation), over PostgreSQL.

``records`` speaks the SQLite store's small statement API (``?`` parameters, rows as tuples,
embeddings as float32 bytes); ``RecordsStore`` gives it that over the pool, so the checks an
import makes (clashing ids, other scopes, history without its memory) are the same code for
both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from localmem.storage.migrations import HISTORY, MEMORIES, MESSAGES
from localmem.storage.postgres.connection import Database
from localmem.storage.sql import vector_blob

__all__ = ["RecordsStore"]


class _Changes:
    """``records`` marks an import as changing unknown rows; nothing here derives from rows."""

    def unknown(self) -> None:
        pass


def _stored(value: Any) -> Any:
    return vector_blob(value) if isinstance(value, np.ndarray) else value


class RecordsStore:
    """The statement API ``storage.records`` uses, over a PostgreSQL ``Database``."""

    changes = _Changes()

    def __init__(self, db: Database) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Raises: StorageError: the database failed."""
        rows = self.db.execute(sql.replace("?", "%s"), list(params))
        return [tuple(_stored(v) for v in row) for row in rows]

    def insert_rows(
        self, table: str, rows: Iterable[dict[str, Any]], *, ignore: bool = False
    ) -> None:
        """Insert rows as given, ids included (embeddings arrive as float32 bytes)."""
        rows = list(rows)
        if not rows:
            return
        columns = list(rows[0])
        values = [
            [np.frombuffer(r[c], dtype=np.float32) if c == "embedding" and r[c] is not None
             else r[c] for c in columns]
            for r in rows
        ]
        conflict = " ON CONFLICT DO NOTHING" if ignore else ""
        marks = ", ".join(["%s"] * len(columns))
        self.db.many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){conflict}",
                     values)

    def reserve_ids(self, table: str, upto: int) -> None:
        """New rows of ``table`` get ids above ``upto`` and above every id it holds."""
        self.db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), greatest(m, 1), m > 0) "
            f"FROM (SELECT greatest(coalesce(max(id), 0), %s) AS m FROM {table}) top", [upto])

    def reserve_all(self) -> None:
        """After rows were inserted with their own ids: every table's next id is above them."""
        for table in (MESSAGES, MEMORIES, HISTORY):
            self.reserve_ids(table, 0)
