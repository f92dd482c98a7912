"""SQLite + FAISS, one implementation of ``Storage``: a ``Store`` and the ``IndexSet`` over it.

SQLite holds every row and every vector; the FAISS indexes are derived from it. The commit
step (``write``) is where the two meet: one SQLite transaction that bumps the vectors version
and logs the rows it changed, then the indexes apply those rows (or are rebuilt from SQLite
when that fails), and after a user's delete the index is saved and SQLite scrubbed at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localmem.crypto import Secret
from localmem.errors import ConfigError
from localmem.paths import IN_MEMORY
from localmem.storage import records
from localmem.storage.base import claim_embedder
from localmem.storage.indexset import IndexSet
from localmem.storage.sql import Scope
from localmem.storage.store import Store
from localmem.types import IndexStats, ScopeCounts, StorageStats

__all__ = ["SqliteFaissStorage", "open_sqlite_faiss", "DB_FILE"]

DB_FILE = "memory.db"


class SqliteFaissStorage:
    """``Storage`` over one SQLite store and its FAISS indexes."""

    def __init__(self, store: Store, indexes: IndexSet) -> None:
        self.store = store
        self.indexes = indexes
        self.rows = store
        self.vectors = indexes
        self.keywords = indexes

    @contextmanager
    def write(self) -> Iterator[None]:
        """The commit step: SQLite transaction -> vectors version -> indexes, or a rebuild.

        Inside an open write it joins that one (which commits and follows at its end).

        Raises:
            StorageError: SQLite failed; nothing was written and the indexes are untouched.
        """
        if self.store.writing:
            yield
            return
        with self.store.changing() as changes:
            yield
        self.indexes.follow(changes)
        if changes.erased:  # a user's delete: no trace of the text left on disk
            self.indexes.save()
            self.store.scrub()

    def sync(self) -> None:
        self.indexes.sync()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        # If the process dies before the end, the next open catches the indexes up from SQLite.
        self.indexes.defer_saves += 1
        try:
            yield
        finally:
            self.indexes.defer_saves -= 1
            if not self.indexes.defer_saves:
                self.indexes.save()

    def stats(self) -> StorageStats:
        indexes = (self.indexes.facts, self.indexes.messages)
        files = [index.path for index in indexes if index.path and index.path.exists()]
        return StorageStats(
            scopes=[
                ScopeCounts(user_id=u, agent_id=a, run_id=r, memories=m, messages=n)
                for u, a, r, m, n in self.store.scope_counts()
            ],
            index=IndexStats(
                facts=indexes[0].ntotal, messages=indexes[1].ntotal,
                bytes=sum(f.stat().st_size for f in files), files=[str(f) for f in files],
            ),
        )

    def export_records(self, scope: Scope) -> Iterator[tuple[str, dict[str, Any]]]:
        return records.export_records(self.store, scope)

    def import_records(
        self, rows: Mapping[str, Sequence[dict[str, Any]]], replace: bool, scope: Scope
    ) -> list[str]:
        with self.write():
            return records.import_records(self.store, rows, replace, scope)

    def reset(self) -> None:
        with self.write():
            self.store.clear()

    def close(self) -> None:
        self.indexes.save()
        self.store.close()


def open_sqlite_faiss(
    home: Path | None, embedder: str, dims: int, key: Secret | str | bytes | None = None
) -> SqliteFaissStorage:
    """Open (or create) the store of ``home`` (None: in memory) for vectors from ``embedder``.

    Raises:
        ConfigError: the store's vectors come from another embedder.
        StorageError: the database cannot be opened.
    """
    store = Store(home / DB_FILE if home else None, key)
    try:
        _claim(store, embedder, home)
    except ConfigError:
        store.close()
        raise
    return SqliteFaissStorage(store, IndexSet(store, dims, home))


def _claim(store: Store, embedder: str, home: Path | None) -> None:
    """A store's vectors come from one embedder; refuse to mix in another's.

    Raises:
        ConfigError: the store was built with a different embedder.
    """
    claim_embedder(store, embedder, f"in {home or IN_MEMORY}",
                   "start a new home directory (LOCALMEM_HOME) and")
