"""The vectors change log: which rows' vectors each ``vectors_version`` changed.

Every bump of ``vectors_version`` writes, in the same transaction, a mark for its version and
one row per (table, row id) whose vector it added, replaced or removed: ids only, never text,
so a user's delete leaves nothing readable here. A bump that cannot name its rows (import,
reset) writes an ``UNKNOWN`` mark instead. A process whose indexes are behind replays the log:
for each row touched it reads the row's current vector, or finds it gone. The replay reads
state, not events, so applying it twice, or over changes already in the index, is harmless.
A version without a ``LOGGED`` mark (unknown, pruned, or older than this table) means rebuild.

    version  table_name  row_id
         41  ""          0        version 41 is logged in full
         41  memories    1207     it changed memory 1207's vector
         42  "*"         0        version 42 changed rows it does not name: rebuild
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from localmem.storage.migrations import MEMORIES, MESSAGES

if TYPE_CHECKING:
    from localmem.storage.store import Store

__all__ = ["record", "replay", "RowChanges", "LOGGED", "UNKNOWN", "KEEP_VERSIONS", "MAX_ROWS"]

LOGGED = ""  # the mark of a version whose changed rows are all in the log
UNKNOWN = "*"  # the mark of a version that changed rows the log does not name
KEEP_VERSIONS = 10_000  # a process further behind than this rebuilds
PRUNE_EVERY = 100  # versions between prunes (a prune is one range delete)
MAX_ROWS = 20_000  # a version touching more rows is logged as unknown: a rebuild costs as much
_CHUNK = 300  # rows per statement (three parameters each)


@dataclass(frozen=True)
class RowChanges:
    """Where one table's touched rows stand now."""

    ids: np.ndarray  # rows with a vector, ascending
    vectors: np.ndarray  # their vectors, one per row of ``ids``
    gone: np.ndarray  # rows deleted, or without a vector


def record(store: Store, version: int, changes: Iterable[tuple[str, int]] | None) -> None:
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
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        store.execute(
            "INSERT OR IGNORE INTO vectors_log VALUES " + ",".join(["(?, ?, ?)"] * len(chunk)),
            [value for table, rid in chunk for value in (version, table, rid)],
        )
    if version % PRUNE_EVERY == 0:
        store.execute("DELETE FROM vectors_log WHERE version <= ?", [version - KEEP_VERSIONS])


def replay(store: Store, since: int) -> tuple[int, dict[str, RowChanges] | None]:
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
        logged = store.execute(
            "SELECT count(*) FROM vectors_log WHERE version > ? AND version <= ? "
            "AND table_name = ?", [*span, LOGGED],
        ).fetchone()[0]
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


def _current(store: Store, table: str, ids: list[int]) -> RowChanges:
    """The current vectors of ``ids`` (ascending) in ``table``; the rest are gone."""
    found: list[int] = []
    blobs: list[bytes] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for rid, blob in store.execute(
            f"SELECT id, embedding FROM {table} WHERE embedding IS NOT NULL "
            f"AND id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk,
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
