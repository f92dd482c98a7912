"""SQLite, the source of truth: memories, raw messages, provenance, history, keyword search.

The schema is built by named, ordered migrations (``m001_...``) recorded in ``_migrations``.
Every write goes through ``transaction()`` (``BEGIN IMMEDIATE``), so several processes can share
one home directory without "database is locked" and without half-applied changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from localmem.storage import changelog
from localmem.errors import StorageError
from localmem.storage.migrations import MEMORIES, MESSAGES, MIGRATIONS
from localmem.storage.sql import Rows, Scope, dump_metadata, scope_values, scope_where, vector_blob
from localmem.engine.textutil import fts_query

__all__ = ["Store", "now_iso", "MEMORIES", "MESSAGES"]



def now_iso() -> str:
    """The current time, UTC, ISO 8601 with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Store:
    """SQLite access for one home directory (``path=None`` keeps everything in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path) if path else ":memory:",
                timeout=30.0,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            if path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
        except (sqlite3.Error, OSError, ValueError) as exc:  # ValueError: NUL or lone surrogate
            raise StorageError(f"cannot open the memory database at {path!s:.200}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    # -- plumbing --

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
            except sqlite3.Error as exc:
                raise StorageError(f"cannot start a write to the memory database: {exc}") from exc
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise StorageError(f"cannot save to the memory database: {exc}") from exc

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

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        """Run one statement; its rows are read inside the lock (the connection is shared).

        Raises:
            StorageError: SQLite failed.
        """
        with self._lock:
            try:
                cursor = self.db.execute(sql, params)
                return Rows(cursor.fetchall(), cursor.lastrowid, cursor.description)
            except sqlite3.Error as exc:
                raise StorageError(f"memory database error: {exc}") from exc

    def stream(
        self, sql: str, params: Sequence[Any] = (), chunk: int = 10_000
    ) -> Iterator[list[Any]]:
        """Run one read and yield its rows in chunks (a big table is never all in memory).

        Raises:
            StorageError: SQLite failed.
        """
        with self._lock:
            try:
                cursor = self.db.conn.execute(sql, params)
                while rows := cursor.fetchmany(chunk):
                    yield rows
            except sqlite3.Error as exc:
                raise StorageError(f"memory database error: {exc}") from exc

    def get_setting(self, key: str) -> str | None:
        row = self.execute("SELECT value FROM store_settings WHERE key=?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction():
            self.execute("INSERT OR REPLACE INTO store_settings VALUES (?, ?)", [key, value])

    def vectors_version(self) -> int:
        row = self.execute("SELECT value FROM meta WHERE key='vectors_version'").fetchone()
        return int(row[0])

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
        return int(self.execute("PRAGMA data_version").fetchone()[0])

    # -- writes --

    def insert_messages(
        self,
        messages: Sequence[dict[str, Any]],
        scope: Scope,
        metadata: dict[str, Any],
        observed_at: str,
        embeddings: Sequence[np.ndarray | None] | None = None,
    ) -> list[int]:
        """Store raw messages verbatim (a vector makes one searchable); returns their ids."""
        ids = []
        created = now_iso()
        for i, msg in enumerate(messages):
            vector = embeddings[i] if embeddings is not None else None
            blob = vector_blob(vector) if vector is not None else None
            cur = self.execute(
                "INSERT INTO messages (role, content, name, user_id, agent_id, run_id, metadata,"
                " embedding, created_at, observed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [msg["role"], msg["content"], msg.get("name"), *scope_values(scope),
                 dump_metadata(metadata), blob, created, observed_at],
            )
            ids.append(int(cur.lastrowid))
        return ids

    def insert_memory(
        self,
        text: str,
        hash_: str,
        scope: Scope,
        metadata: dict[str, Any],
        embedding: np.ndarray,
        observed_at: str | None,
        source_ids: Sequence[int],
        actor: str,
        reason: str = "",
        slot: tuple[str | None, str | None] = (None, None),
    ) -> int:
        """Add one memory with its provenance and an ADD history row; returns its id.

        ``slot`` is (subject, attribute): what the memory is about.
        """
        ts = now_iso()
        cur = self.execute(
            "INSERT INTO memories (text, hash, user_id, agent_id, run_id, metadata, embedding,"
            " created_at, updated_at, observed_at, subject, attribute)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [text, hash_, *scope_values(scope), dump_metadata(metadata), vector_blob(embedding), ts, ts,
             observed_at, *slot],
        )
        memory_id = int(cur.lastrowid)
        self.link_sources(memory_id, source_ids)
        self.add_history(memory_id, "ADD", None, text, actor, reason, ts)
        return memory_id

    def update_memory(
        self,
        memory_id: int,
        text: str,
        hash_: str,
        embedding: np.ndarray,
        actor: str,
        *,
        metadata: dict[str, Any] | None = None,
        observed_at: str | None = None,
        source_ids: Sequence[int] = (),
        reason: str = "",
        slot: tuple[str | None, str | None] | None = None,
    ) -> str:
        """Replace a memory's text (history keeps the old one); returns the old text.

        ``slot``, when given, is the new (subject, attribute).
        """
        old = self.get_memory(memory_id)
        ts = now_iso()
        sets = "text=?, hash=?, embedding=?, updated_at=?"
        params: list[Any] = [text, hash_, vector_blob(embedding), ts]
        if metadata is not None:
            sets += ", metadata=?"
            params.append(dump_metadata(metadata))
        if observed_at is not None:
            sets += ", observed_at=?"
            params.append(observed_at)
        if slot is not None:
            sets += ", subject=?, attribute=?"
            params += list(slot)
        self.execute(f"UPDATE memories SET {sets} WHERE id=?", [*params, memory_id])
        self.link_sources(memory_id, source_ids)
        self.add_history(memory_id, "UPDATE", old["text"], text, actor, reason, ts)
        return str(old["text"])

    def retire_memory(self, memory_id: int, actor: str, reason: str = "") -> str:
        """Delete a memory as a model decision: history keeps its text for audit."""
        old = self.get_memory(memory_id)
        self.execute("DELETE FROM memories WHERE id=?", [memory_id])
        self.add_history(memory_id, "DELETE", old["text"], None, actor, reason, now_iso())
        return str(old["text"])

    def erase_memories(self, memory_ids: Sequence[int]) -> list[int]:
        """A user's delete: the memories, their history and their source messages are gone.

        Returns the ids of the raw messages erased with them.
        """
        if not memory_ids:
            return []
        marks = ",".join("?" * len(memory_ids))
        message_ids = [
            int(r[0])
            for r in self.execute(
                f"SELECT DISTINCT message_id FROM memory_sources WHERE memory_id IN ({marks})",
                list(memory_ids),
            )
        ]
        self.execute(f"DELETE FROM history WHERE memory_id IN ({marks})", list(memory_ids))
        self.execute(f"DELETE FROM memories WHERE id IN ({marks})", list(memory_ids))
        self.erase_messages(message_ids)
        return message_ids

    def erase_messages(self, message_ids: Sequence[int]) -> None:
        """Delete raw messages (provenance links go with them)."""
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            self.execute(f"DELETE FROM messages WHERE id IN ({marks})", chunk)

    def link_sources(self, memory_id: int, message_ids: Sequence[int]) -> None:
        for message_id in message_ids:
            self.execute(
                "INSERT OR IGNORE INTO memory_sources (memory_id, message_id) VALUES (?, ?)",
                [memory_id, message_id],
            )

    def add_history(
        self, memory_id: int, event: str, old: str | None, new: str | None,
        actor: str, reason: str, ts: str,
    ) -> None:
        self.execute(
            "INSERT INTO history (memory_id, event, old_text, new_text, created_at, actor, reason)"
            " VALUES (?,?,?,?,?,?,?)",
            [memory_id, event, old, new, ts, actor, reason],
        )

    def scrub(self) -> None:
        """After a hard delete: merge FTS segments and truncate the WAL so no old text lingers."""
        with self._lock:
            for table in ("memories_fts", "messages_fts"):
                self.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            if self.path is not None:
                self.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reads --

    def has_memory(self, memory_id: int) -> bool:
        return self.execute("SELECT 1 FROM memories WHERE id=?", [memory_id]).fetchone() is not None

    def get_memory(self, memory_id: int) -> dict[str, Any]:
        """One memory row as a dict.

        Raises:
            KeyError: no memory has that id.
        """
        row = self.execute(f"SELECT {_MEMORY_COLS} FROM memories WHERE id=?", [memory_id])
        found = row.fetchone()
        if found is None:
            raise KeyError(memory_id)
        return self._memory_dict(found)

    def memories(
        self, scope: Scope, limit: int | None = None, ids: Sequence[int] | None = None,
        filters: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Memories of a scope (newest first), or the given ids in that order."""
        where, params = scope_where(scope, filters=filters)
        if ids is not None:
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            where += f" AND id IN ({marks})"
            params += list(ids)
        sql = f"SELECT {_MEMORY_COLS} FROM memories WHERE {where} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = [self._memory_dict(r) for r in self.execute(sql, params)]
        if ids is not None:
            order = {mid: i for i, mid in enumerate(ids)}
            rows.sort(key=lambda r: order[r["id"]])
        return rows

    def messages(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        cols = "id, role, content, name, user_id, agent_id, run_id, metadata, created_at, observed_at"
        cur = self.execute(f"SELECT {cols} FROM messages WHERE id IN ({marks})", list(ids))
        names = [c[0] for c in cur.description]
        rows = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
        for row in rows.values():
            row["metadata"] = json.loads(row["metadata"])
        return [rows[i] for i in ids if i in rows]

    def scope_ids(
        self, table: str, scope: Scope, filters: dict[str, Any] | None = None
    ) -> np.ndarray:
        """Ids of rows with a vector within a scope, as int64 (for the index's id selector)."""
        where, params = scope_where(scope, filters=filters)
        cur = self.execute(
            f"SELECT id FROM {table} WHERE embedding IS NOT NULL AND {where}", params
        )
        return np.fromiter((r[0] for r in cur), dtype=np.int64)

    def embeddings(self, table: str) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors) of a table with an embedding, for rebuilding the index.

        Filled into one preallocated matrix (one read snapshot for the count and the rows), so
        a large table costs one copy of its vectors in memory, not three.
        """
        where = f"FROM {table} WHERE embedding IS NOT NULL"
        with self.snapshot():
            count = int(self.execute(f"SELECT count(*) {where}").fetchone()[0])
            ids = np.zeros(count, dtype=np.int64)
            vectors: np.ndarray | None = None
            row = 0
            for rows in self.stream(f"SELECT id, embedding {where}"):
                for rid, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vectors is None:
                        vectors = np.empty((count, vector.size), dtype=np.float32)
                    ids[row], vectors[row] = rid, vector
                    row += 1
        if vectors is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        return ids, vectors

    def id_digest(self, table: str) -> tuple[int, int]:
        """(count, sum of ids) of rows with an embedding: cheap agreement check with the index."""
        row = self.execute(
            f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE embedding IS NOT NULL"
        ).fetchone()
        return int(row[0]), int(row[1])

    def find_by_hash(self, hash_: str, scope: Scope) -> dict[str, Any] | None:
        where, params = scope_where(scope)
        cur = self.execute(
            f"SELECT {_MEMORY_COLS} FROM memories WHERE hash=? AND {where} LIMIT 1",
            [hash_, *params],
        )
        row = cur.fetchone()
        return self._memory_dict(row) if row else None

    def slot_memories(
        self, scope: Scope, attribute: str | None, ids: Sequence[int] = (), limit: int = 20
    ) -> list[dict[str, Any]]:
        """Memories of a scope with this attribute (or one of ``ids``), newest first, with
        their vectors."""
        where, params = scope_where(scope)
        marks = ",".join("?" * len(ids)) or "NULL"
        cur = self.execute(
            f"SELECT id, text, subject, attribute, embedding FROM memories WHERE "
            f"(attribute=? OR id IN ({marks})) AND {where} ORDER BY id DESC LIMIT ?",
            [attribute, *ids, *params, int(limit) + len(ids)],
        )
        names = ("id", "text", "subject", "attribute", "embedding")
        return [
            {**dict(zip(names, r)), "embedding": np.frombuffer(r[4], dtype=np.float32)}
            for r in cur.fetchall()
        ]

    def keyword_search(
        self, table: str, query: str, scope: Scope, limit: int,
        filters: dict[str, Any] | None = None,
    ) -> list[int]:
        """Ids of rows with a vector matching any query word (FTS5, bm25 order), in a scope."""
        match = fts_query(query)
        if not match:
            return []
        where, params = scope_where(scope, prefix="t.", filters=filters)
        where += " AND t.embedding IS NOT NULL"
        sql = (
            f"SELECT t.id FROM {table}_fts f JOIN {table} t ON t.id = f.rowid "
            f"WHERE {table}_fts MATCH ? AND {where} ORDER BY bm25({table}_fts) LIMIT ?"
        )
        return [int(r[0]) for r in self.execute(sql, [match, *params, limit])]

    def history(self, memory_id: int) -> list[dict[str, Any]]:
        cur = self.execute(
            "SELECT id, memory_id, event, old_text, new_text, created_at, actor, reason "
            "FROM history WHERE memory_id=? ORDER BY id",
            [memory_id],
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def sources(self, memory_ids: Sequence[int]) -> dict[int, list[int]]:
        if not memory_ids:
            return {}
        marks = ",".join("?" * len(memory_ids))
        out: dict[int, list[int]] = {int(i): [] for i in memory_ids}
        cur = self.execute(
            f"SELECT memory_id, message_id FROM memory_sources WHERE memory_id IN ({marks}) "
            "ORDER BY message_id",
            list(memory_ids),
        )
        for mid, msg in cur:
            out[int(mid)].append(int(msg))
        return out

    def count(self, table: str, scope: Scope | None = None) -> int:
        where, params = scope_where(scope or {})
        return int(self.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0])

    def scope_message_ids(self, scope: Scope) -> list[int]:
        where, params = scope_where(scope)
        return [int(r[0]) for r in self.execute(f"SELECT id FROM messages WHERE {where}", params)]

    def reset(self) -> None:
        """Delete every row of every table (the schema stays)."""
        with self.transaction():
            for table in ("memory_sources", "history", MEMORIES, MESSAGES):
                self.execute(f"DELETE FROM {table}")
            self.bump_vectors_version()
        self.scrub()

    @staticmethod
    def _memory_dict(row: Sequence[Any]) -> dict[str, Any]:
        out = dict(zip(_MEMORY_NAMES, row))
        out["metadata"] = json.loads(out["metadata"])
        return out


_MEMORY_NAMES = (
    "id", "text", "hash", "user_id", "agent_id", "run_id", "metadata", "created_at",
    "updated_at", "observed_at", "subject", "attribute",
)
_MEMORY_COLS = ", ".join(_MEMORY_NAMES)
