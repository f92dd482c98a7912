"""The rows' writes in PostgreSQL, inside ``PostgresStorage.write()`` (one transaction).

Many nodes write one database. Every write that may add a memory takes its scope's advisory
lock first (``lock_scope``: inserting messages, the ADD's re-check by hash), so two nodes adding
the same fact for one user store it once: the second waits, then finds the first's row. An
update or ending locks the scope and then the row (``FOR UPDATE``), always in that order, so
two nodes updating one memory apply one after the other (history keeps both) and never
deadlock. An ending keeps the row (``valid_to`` set: see ``validity``); a user's delete is hard:
rows go, and the keyword vector goes with its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localmem.storage.migrations import HISTORY, MEMORIES, MESSAGES, SCOPE_KEYS
from localmem.storage.postgres.query import scope_where
from localmem.storage.postgres.reads import Reads
from localmem.storage.postgres.schema import SOURCES
from localmem.storage.sql import Scope, dump_metadata, scope_columns, update_sets
from localmem.storage.validity import utc
from localmem.validate import now_iso

__all__ = ["Rows"]


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING id"


def _vector(vector: np.ndarray | None) -> np.ndarray | None:
    return None if vector is None else np.ascontiguousarray(vector, dtype=np.float32)


class Rows(Reads):
    """The source of truth in PostgreSQL (``base.Rows``)."""

    def insert_messages(
        self, messages: Sequence[dict[str, Any]], scope: Scope, metadata: dict[str, Any],
        observed_at: str, embeddings: Sequence[np.ndarray | None] | None = None,
    ) -> list[int]:
        """Store raw messages verbatim (a vector makes one searchable); returns their ids."""
        self.lock_scope(scope)
        vectors = list(embeddings) if embeddings is not None else [None] * len(messages)
        where, meta, created = scope_columns(scope), dump_metadata(metadata), now_iso()
        columns = ("role", "content", "name", *SCOPE_KEYS, "metadata", "embedding",
                   "created_at", "observed_at")
        rows = [
            (m["role"], m["content"], m.get("name"), *where.values(), meta, _vector(v), created,
             observed_at)
            for m, v in zip(messages, vectors)
        ]
        return self.db.returning(_insert_sql(MESSAGES, columns), rows)

    def insert_memory(
        self, text: str, hash_: str, scope: Scope, metadata: dict[str, Any],
        embedding: np.ndarray, observed_at: str | None, source_ids: Sequence[int], actor: str,
        reason: str = "", slot: tuple[str | None, str | None] = (None, None),
    ) -> int:
        """Add one current memory (true from ``observed_at``, else now) with its provenance and
        an ADD history row; returns its id."""
        self.lock_scope(scope)
        ts = now_iso()
        row = {"text": text, "hash": hash_, **scope_columns(scope),
               "metadata": dump_metadata(metadata), "embedding": _vector(embedding),
               "created_at": ts, "updated_at": ts, "observed_at": observed_at,
               "subject": slot[0], "attribute": slot[1], "valid_from": utc(observed_at or ts)}
        (memory_id,) = self.db.returning(_insert_sql(MEMORIES, list(row)), [list(row.values())])
        self.link_sources(memory_id, source_ids)
        self._add_history(memory_id, "ADD", None, text, actor, reason, ts)
        return memory_id

    def _lock_memory(self, memory_id: int) -> dict[str, Any]:
        """Lock the memory's scope, then its row; returns the row as it is now.

        Raises:
            KeyError: no memory has that id.
        """
        scope = self.db.execute(
            f"SELECT {', '.join(SCOPE_KEYS)} FROM {MEMORIES} WHERE id = %s", [memory_id])
        if not scope:
            raise KeyError(memory_id)
        self.lock_scope({k: v for k, v in zip(SCOPE_KEYS, scope[0]) if v is not None})
        if not self.db.execute(f"SELECT 1 FROM {MEMORIES} WHERE id = %s FOR UPDATE", [memory_id]):
            raise KeyError(memory_id)  # deleted while we waited for the lock
        return self.get_memory(memory_id)

    def update_memory(
        self, memory_id: int, text: str, hash_: str, embedding: np.ndarray, actor: str, *,
        metadata: dict[str, Any] | None = None, observed_at: str | None = None,
        source_ids: Sequence[int] = (), reason: str = "",
        slot: tuple[str | None, str | None] | None = None,
    ) -> str:
        """Replace a memory's text (history keeps the old one); returns the old text."""
        old, ts = self._lock_memory(memory_id), now_iso()
        sets = update_sets(text, hash_, _vector(embedding), ts, metadata, observed_at, slot)
        assignments = ", ".join(f"{column} = %s" for column in sets)
        self.db.execute(f"UPDATE {MEMORIES} SET {assignments} WHERE id = %s",
                        [*sets.values(), memory_id])
        self.link_sources(memory_id, source_ids)
        self._add_history(memory_id, "UPDATE", old["text"], text, actor, reason, ts)
        return str(old["text"])

    def end_memory(self, memory_id: int, actor: str, reason: str, ended_at: str,
                   ended_by: int | None = None) -> str:
        """A memory stops being true at ``ended_at`` (replaced by ``ended_by``, if any): the row
        stays, for reads of the past, and leaves the current ones; returns its text.

        An end observed before the memory began is taken as its beginning (it never held).

        Raises:
            KeyError: no memory has that id.
        """
        old = self._lock_memory(memory_id)
        ended = max(utc(ended_at), old["valid_from"] or "")
        self.db.execute(f"UPDATE {MEMORIES} SET valid_to = %s, ended_by = %s WHERE id = %s",
                        [ended, ended_by, memory_id])
        self._add_history(memory_id, "DELETE", old["text"], None, actor, reason, now_iso())
        return str(old["text"])

    def erase_memories(self, memory_ids: Sequence[int]) -> None:
        """A user's delete: the memories (ended ones too), their history and their source
        messages are gone. Pass a memory's whole ``chain``: its other versions hold its past."""
        ids = [int(i) for i in memory_ids]
        message_ids = [int(r[0]) for r in self.db.execute(
            f"SELECT DISTINCT message_id FROM {SOURCES} WHERE memory_id = ANY(%s)", [ids])]
        self.db.execute(f"DELETE FROM {HISTORY} WHERE memory_id = ANY(%s)", [ids])
        self.db.execute(f"DELETE FROM {MEMORIES} WHERE id = ANY(%s)", [ids])
        self.erase_messages(sorted(message_ids))

    def erase_messages(self, message_ids: Sequence[int]) -> None:
        """A user's delete of raw messages (provenance links go with them)."""
        self.db.execute(f"DELETE FROM {MESSAGES} WHERE id = ANY(%s)", [[int(i) for i in message_ids]])

    def erase_scope(self, scope: Scope) -> int:
        """A user's delete of a scope's memories and raw messages; returns how many memories."""
        where, params = scope_where(scope)
        memory_ids = [int(r[0]) for r in self.db.execute(
            f"SELECT id FROM {MEMORIES} WHERE {where}", params)]
        self.erase_memories(memory_ids)
        self.db.execute(f"DELETE FROM {MESSAGES} WHERE {where}", params)
        return len(memory_ids)

    def clear(self) -> None:
        """Delete every row of every data table (the schema and settings stay)."""
        self.db.execute(f"TRUNCATE {SOURCES}, {HISTORY}, {MEMORIES}, {MESSAGES}")

    def link_sources(self, memory_id: int, message_ids: Sequence[int]) -> None:
        self.db.many(f"INSERT INTO {SOURCES} VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     [(memory_id, int(m)) for m in message_ids])

    def _add_history(
        self, memory_id: int, event: str, old: str | None, new: str | None,
        actor: str, reason: str, ts: str,
    ) -> None:
        self.db.execute(
            f"INSERT INTO {HISTORY} (memory_id, event, old_text, new_text, created_at, actor, "
            "reason) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [memory_id, event, old, new, ts, actor, reason])

