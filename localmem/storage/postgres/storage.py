"""PostgreSQL + pgvector, one implementation of ``Storage`` for many nodes sharing one store.

Every row, vector and keyword vector lives in PostgreSQL, so there is nothing derived to keep
in step: ``write()`` is one transaction and search reads the committed rows directly. Nothing
is cached in the process (scope ids are read per search through the scope's btree), so a
write committed by another node is seen by the next search on this one; ``sync()`` has
nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from localmem.storage import records
from localmem.storage.base import claim_embedder
from localmem.storage.migrations import MEMORIES, MESSAGES
from localmem.storage.postgres.connection import Database
from localmem.storage.postgres.keywords import Keywords
from localmem.storage.postgres.records import RecordsStore
from localmem.storage.postgres.rows import Rows
from localmem.storage.postgres.schema import migrate
from localmem.storage.postgres.vectors import Vectors, register_vector
from localmem.storage.sql import Scope
from localmem.types import IndexStats, ScopeCounts, StorageStats

__all__ = ["PostgresStorage", "open_postgres"]


class PostgresStorage:
    """``Storage`` over one PostgreSQL database (``url``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows = Rows(db)
        self.vectors = Vectors(db)
        self.keywords = Keywords(db)
        self._records = RecordsStore(db)

    @contextmanager
    def write(self) -> Iterator[None]:
        """The commit step: one transaction (nested: joins the open one).

        Raises:
            StorageError: the database failed; nothing was written.
        """
        with self.db.transaction():
            yield

    def sync(self) -> None:
        """Nothing to catch up: every read goes to the database (see the module docstring)."""

    @contextmanager
    def bulk(self) -> Iterator[None]:
        yield  # nothing derived to save at the end

    def stats(self) -> StorageStats:
        size = self.db.value(
            "SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname IN ('idx_memories_hnsw', 'idx_messages_hnsw') "
            "AND c.relnamespace = current_schema()::regnamespace")
        return StorageStats(
            scopes=[
                ScopeCounts(user_id=u, agent_id=a, run_id=r, memories=m, messages=n)
                for u, a, r, m, n in self.rows.scope_counts()
            ],
            index=IndexStats(
                facts=self._with_vectors(MEMORIES), messages=self._with_vectors(MESSAGES),
                bytes=int(size), files=[],
            ),
        )

    def _with_vectors(self, table: str) -> int:
        return int(self.db.value(f"SELECT count(*) FROM {table} WHERE embedding IS NOT NULL"))

    def export_records(self, scope: Scope) -> Iterator[tuple[str, dict[str, Any]]]:
        return records.export_records(self._records, scope)  # type: ignore[arg-type]

    def import_records(
        self, rows: Mapping[str, Sequence[dict[str, Any]]], replace: bool, scope: Scope
    ) -> list[str]:
        with self.write():
            replaced = records.import_records(
                self._records, rows, replace, scope)  # type: ignore[arg-type]
            self._records.reserve_all()
            return replaced

    def reset(self) -> None:
        with self.write():
            self.rows.clear()

    def close(self) -> None:
        self.db.close()


def open_postgres(url: str, embedder: str, dims: int) -> PostgresStorage:
    """Open (migrating as needed) the store at ``url`` for vectors from ``embedder``.

    Raises:
        ConfigError: psycopg is not installed, or the store's vectors come from another embedder.
        StorageError: the server cannot be reached, or refused the schema.
    """
    db = Database(url, configure=register_vector)
    with db.connect() as conn, db.guard():
        migrate(conn, dims)
    db.open()
    storage = PostgresStorage(db)
    try:
        _claim(storage, embedder, dims)
    except BaseException:
        storage.close()
        raise
    return storage


def _claim(storage: PostgresStorage, embedder: str, dims: int) -> None:
    """A store's vectors come from one embedder; refuse to mix in another's.

    Raises:
        ConfigError: the store was built with a different embedder.
    """
    rows = storage.rows
    stored = rows.get_setting("embedder")
    if stored == embedder:  # also all a replica (read-only) can check
        return
    with storage.write():
        # again, inside the write: another node may race
        claim_embedder(rows, embedder, f"at {storage.db.shown}", "another database, and")
