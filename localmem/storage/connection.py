"""The SQLite connection under ``Store``: migrations, transactions, statements, versions.

The schema is built by named, ordered migrations (``m001_...``) recorded in ``_migrations``.
Every write goes through ``transaction()`` (``BEGIN IMMEDIATE``), so several processes can share
one home directory without "database is locked" and without half-applied changes. Writes that
change rows go through ``changing()``: it bumps ``vectors_version`` and logs the rows whose
vectors they changed (``changelog``), so the indexes can follow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from localmem.crypto import Secret
from localmem.errors import LocalmemError, StorageError
from localmem.storage import changelog
from localmem.storage.crypt_home import DB_ERRORS, connect, home_key
from localmem.storage.changelog import VectorChanges
from localmem.storage.migrations import MIGRATIONS
from localmem.storage.sql import insert_sql
from localmem.validate import now_iso

__all__ = ["Connection"]


class Connection:
    """One SQLite connection, shared by threads under a lock (``path=None``: in memory)."""

    def __init__(self, path: Path | None, key: Secret | str | bytes | None = None) -> None:
        """Open ``path``; an encrypted home's file opens with its key (see ``crypt_home``).

        Raises:
            HomeKeyError: no key for an encrypted home, a wrong one, or one for a plaintext home.
            StorageError: the database cannot be opened or is damaged.
        """
        self.path = path = Path(path) if path is not None else None
        self._lock = threading.RLock()
        self._changes: VectorChanges | None = None
        try:
            self.key = home_key(path.parent, key) if path is not None else None
            conn = connect(path, self.key)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
        except LocalmemError:
            raise
        except (*DB_ERRORS, OSError, ValueError) as exc:  # ValueError: NUL or lone surrogate
            raise StorageError(f"cannot open the memory database at {path!s:.200}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
            done = {r[0] for r in self.db.execute("SELECT name FROM _migrations").fetchall()}
            for migration in MIGRATIONS:
                if migration.__name__ not in done:
                    migration(self.db)
                    self.db.execute(
                        "INSERT INTO _migrations VALUES (?, ?)", [migration.__name__, now_iso()]
                    )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: everything inside commits together or not at all.

        Raises:
            StorageError: SQLite failed; the transaction was rolled back.
        """
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:  # nested: join the outer transaction
                yield
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except DB_ERRORS as exc:
                raise StorageError(f"cannot start a write to the memory database: {exc}") from exc
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except DB_ERRORS as exc:
                conn.execute("ROLLBACK")
                raise StorageError(f"cannot save to the memory database: {exc}") from exc

    @contextmanager
    def changing(self) -> Iterator[VectorChanges]:
        """A write transaction whose row writes are collected, then logged with a version bump.

        Yields the change set the writes below fill in; nested, it joins the outer one.

        Raises:
            StorageError: SQLite failed; nothing was written.
        """
        with self._lock, self.transaction():
            if self._changes is not None:
                yield self._changes
                return
            changes = self._changes = VectorChanges()
            try:
                yield changes
                changes.version = self.bump_vectors_version(changes.touched())
            finally:
                self._changes = None

    @property
    def writing(self) -> bool:
        """Whether a ``changing()`` write is open."""
        return self._changes is not None

    @property
    def changes(self) -> VectorChanges:
        """The change set of the open ``changing()`` write."""
        if self._changes is None:  # a programming error: the indexes would miss this write
            raise RuntimeError("a store write outside Store.changing()")
        return self._changes

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the database (or join the open write transaction)."""
        with self._lock:
            own = not self.db.conn.in_transaction
            if own:
                self.execute("BEGIN")
            try:
                yield
            finally:
                if own:
                    self.execute("COMMIT")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the connection and turn SQLite's errors into ``StorageError`` (as ``execute``)."""
        with self._lock:
            try:
                yield
            except DB_ERRORS as exc:
                raise StorageError(f"memory database error: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run one statement; returns its rows, read inside the lock (the connection is shared).

        Raises:
            StorageError: SQLite failed.
        """
        with self._lock:  # the hot path: the same as ``_guard`` without a generator's cost
            try:
                return self.db.execute(sql, params).fetchall()
            except DB_ERRORS as exc:
                raise StorageError(f"memory database error: {exc}") from exc

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of a statement's first row (None without rows).

        Raises:
            StorageError: SQLite failed.
        """
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None

    def stream(
        self, sql: str, params: Sequence[Any] = (), chunk: int = 10_000
    ) -> Iterator[list[Any]]:
        """Run one read and yield its rows in chunks (a big table is never all in memory).

        Raises:
            StorageError: SQLite failed.
        """
        with self._guard():
            cursor = self.db.conn.execute(sql, params)
            while rows := cursor.fetchmany(chunk):
                yield rows

    def _insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int:
        """Insert one row (its keys name the columns); returns its id."""
        sql = insert_sql(table, tuple(row), ignore)
        with self._lock:  # as ``execute``: this runs a few times per memory written
            try:
                return int(self.db.execute(sql, list(row.values())).lastrowid or 0)
            except DB_ERRORS as exc:
                raise StorageError(f"memory database error: {exc}") from exc

    def insert_rows(
        self, table: str, rows: Iterable[dict[str, Any]], *, ignore: bool = False
    ) -> None:
        """Bulk insert rows as given, ids included (an import): the indexes rebuild after it.

        Raises:
            StorageError: SQLite failed.
        """
        self.changes.unknown()
        with self._guard():
            self.db.table(table).insert_all(rows, ignore=ignore)

    def reserve_ids(self, table: str, upto: int) -> None:
        """New rows of ``table`` get ids above ``upto`` (a retired memory's history keeps its id)."""
        self.execute("INSERT INTO sqlite_sequence (name, seq) SELECT ?, 0 WHERE NOT EXISTS "
                     "(SELECT 1 FROM sqlite_sequence WHERE name = ?)", [table, table])
        self.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", [upto, table])

    def get_setting(self, key: str) -> str | None:
        value = self.value("SELECT value FROM store_settings WHERE key=?", [key])
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.execute("INSERT OR REPLACE INTO store_settings VALUES (?, ?)", [key, value])

    def vectors_version(self) -> int:
        return int(self.value("SELECT value FROM meta WHERE key='vectors_version'"))

    def bump_vectors_version(self, changes: Iterable[tuple[str, int]] | None = None) -> int:
        """Call inside a write transaction that changed vectors; returns the new version.

        ``changes``: the (table, row id) pairs whose vectors it added, replaced or removed, so
        other processes catch up row by row (``changelog``); without it they rebuild.
        """
        self.execute("UPDATE meta SET value = value + 1 WHERE key='vectors_version'")
        version = self.vectors_version()
        changelog.record(self, version, changes)
        return version

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap; used to resync the index)."""
        return int(self.value("PRAGMA data_version"))

    def scrub(self) -> None:
        """After a hard delete: merge FTS segments and truncate the WAL so no old text lingers."""
        with self._lock:
            for table in ("memories_fts", "messages_fts"):
                self.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            if self.path is not None:
                self.execute("PRAGMA wal_checkpoint(TRUNCATE)")

