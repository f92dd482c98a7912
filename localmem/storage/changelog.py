"""The vectors change log: which rows' vectors each ``vectors_version`` changed.

Every bump of ``vectors_version`` writes, in the same transaction, a mark for its version and
one row per (table, row id) whose vector it added, replaced or removed: ids only, never text,
so a user's delete leaves nothing readable here. A bump that cannot name its rows (import,
reset) writes an ``UNKNOWN`` mark instead. A process whose indexes are behind replays the log:
for each row touched it reads the row's current vector, or finds it gone. The replay reads
state, not events, so applying it twice, or over changes already in the index, is harmless.
A version without a ``LOGGED`` mark (unknown, pruned, or older than this table) means rebuild.
The writing process itself applies its own ``VectorChanges`` to its indexes (see ``IndexSet``).

    version  table_name  row_id
         41  ""          0        version 41 is logged in full
         41  memories    1207     it changed memory 1207's vector
         42  "*"         0        version 42 changed rows it does not name: rebuild
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from localmem.storage.migrations import MEMORIES, MESSAGES
from localmem.storage.sql import chunks, marks
from localmem.storage.validity import INDEXED

if TYPE_CHECKING:
    from localmem.storage.connection import Connection

__all__ = [
    "record", "replay", "RowChanges", "VectorChanges", "LOGGED", "UNKNOWN", "KEEP_VERSIONS",
    "MAX_ROWS",
]

LOGGED = ""  # the mark of a version whose changed rows are all in the log
UNKNOWN = "*"  # the mark of a version that changed rows the log does not name
KEEP_VERSIONS = 10_000  # a process further behind than this rebuilds
PRUNE_EVERY = 100  # versions between prunes (a prune is one range delete)
MAX_ROWS = 20_000  # a version touching more rows is logged as unknown: a rebuild costs as much
_CHUNK = 300  # rows per statement (three parameters each)


class VectorChanges:
    """What one write does to vectors, row by row: the store's writes fill it in.

    ``rows[table][id]`` is the row's vector after the write, or None when it has none any more;
    ``rows`` is None when the write changed rows it does not name (import, reset). ``erased``: a
    user's delete, whose text must leave the disk (index saved, SQLite scrubbed) at once.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, np.ndarray | None]] | None = {MEMORIES: {}, MESSAGES: {}}
        self.version = -1  # the vectors_version the write committed
        self.erased = False

    def put(self, table: str, row_id: int, vector: np.ndarray | None) -> None:
        if self.rows is not None:
            self.rows[table][int(row_id)] = vector

    def drop(self, table: str, row_ids: Sequence[int], *, erased: bool = False) -> None:
        for row_id in row_ids:
            self.put(table, row_id, None)
        self.erased = self.erased or erased

    def unknown(self) -> None:
        """The write changes rows it does not name: whoever follows it rebuilds."""
        self.rows = None

    def touched(self) -> list[tuple[str, int]] | None:
        """The (table, row id) pairs for the log; None when unknown."""
        if self.rows is None:
            return None
        return [(table, rid) for table, rows in self.rows.items() for rid in rows]


@dataclass(frozen=True)
class RowChanges:
    """Where one table's touched rows stand now."""

    ids: np.ndarray  # rows with a vector, ascending
    vectors: np.ndarray  # their vectors, one per row of ``ids``
    gone: np.ndarray  # rows deleted, or without a vector


def record(store: Connection, version: int, changes: Iterable[tuple[str, int]] | None) -> None:
    """Log the (table, row id) pairs whose vectors ``version`` changed; None means unknown.

    Call inside the write transaction that bumped the version; prunes old versions now and then.

    Raises:
        StorageError: SQLite failed.
    """
    rows = None if changes is None else sorted({(table, int(rid)) for table, rid in changes})
    if rows is None or len(rows) > MAX_ROWS:
        rows = [(UNKNOWN, 0)]
    else:
        rows.append((LOGGED, 0))
    for chunk in chunks(rows, _CHUNK):
        store.execute(
            "INSERT OR IGNORE INTO vectors_log VALUES " + ",".join(["(?, ?, ?)"] * len(chunk)),
            [value for table, rid in chunk for value in (version, table, rid)],
        )
    if version % PRUNE_EVERY == 0:
        store.execute("DELETE FROM vectors_log WHERE version <= ?", [version - KEEP_VERSIONS])


def replay(store: Connection, since: int) -> tuple[int, dict[str, RowChanges] | None]:
    """The stored version and, per table, the current state of each row changed after ``since``.

    Read in one snapshot. The changes are None when the log does not cover every version in
    (since, stored]: a version pruned, unknown or never logged; the caller rebuilds.

    Raises:
        StorageError: SQLite failed.
    """
    with store.snapshot():
        version = store.vectors_version()
        if since < 0 or since > version:
            return version, None
        span = [since, version]
        logged = store.value(
            "SELECT count(*) FROM vectors_log WHERE version > ? AND version <= ? "
            "AND table_name = ?", [*span, LOGGED],
        )
        if logged != version - since:
            return version, None
        touched: dict[str, list[int]] = {MEMORIES: [], MESSAGES: []}
        for table, rid in store.execute(
            "SELECT DISTINCT table_name, row_id FROM vectors_log WHERE version > ? "
            "AND version <= ? AND table_name IN (?, ?) ORDER BY 1, 2", [*span, MEMORIES, MESSAGES],
        ):
            touched[table].append(int(rid))
        changes = {table: _current(store, table, ids) for table, ids in touched.items() if ids}
        return version, changes


def _current(store: Connection, table: str, ids: list[int]) -> RowChanges:
    """The current vectors of ``ids`` (ascending) in ``table``; the rest are gone (from the
    index: deleted, without a vector, or an ended memory)."""
    found: list[int] = []
    blobs: list[bytes] = []
    for chunk in chunks(ids):
        for rid, blob in store.execute(
            f"SELECT id, embedding FROM {table} WHERE {INDEXED[table]} "
            f"AND id IN ({marks(len(chunk))}) ORDER BY id", chunk,
        ):
            found.append(int(rid))
            blobs.append(blob)
    present = np.asarray(found, dtype=np.int64)
    vectors = (
        np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs])
        if blobs else np.zeros((0, 0), dtype=np.float32)
    )
    gone = np.setdiff1d(np.asarray(ids, dtype=np.int64), present, assume_unique=True)
    return RowChanges(present, vectors, gone)
