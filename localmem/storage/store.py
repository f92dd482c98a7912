"""SQLite, the source of truth: memories, raw messages, provenance, history, keyword search.

Memory reads see current rows unless told otherwise (a ``Validity``; see ``validity``).

Row writes happen inside ``changing()`` (see ``Connection``) and record there which rows'
vectors they changed; reads return plain dicts of the columns in ``migrations.COLUMNS``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from localmem.engine.textutil import fts_query
from localmem.storage.connection import Connection
from localmem.storage.migrations import COLUMNS, HISTORY, MEMORIES, MESSAGES
from localmem.storage.sql import (
    Scope, chunks, dump_metadata, marks, scope_columns, scope_where, update_sets, vector_blob,
)
from localmem.storage.validity import CURRENT, INDEXED, Validity, utc, where as valid_where
from localmem.validate import now_iso

__all__ = ["Store", "MEMORIES", "MESSAGES", "HISTORY", "SOURCES"]

SOURCES = "memory_sources"
_READ = {table: [c for c in cols if c != "embedding"] for table, cols in COLUMNS.items()}


class Store(Connection):
    """The rows of one home directory: what the engine reads and writes."""

    # -- writes (inside ``changing()``) --

    def insert_messages(
        self,
        messages: Sequence[dict[str, Any]],
        scope: Scope,
        metadata: dict[str, Any],
        observed_at: str,
        embeddings: Sequence[np.ndarray | None] | None = None,
    ) -> list[int]:
        """Store raw messages verbatim (a vector makes one searchable); returns their ids."""
        changes, created, where = self.changes, now_iso(), scope_columns(scope)
        vectors = list(embeddings) if embeddings is not None else [None] * len(messages)
        ids = []
        for msg, vector in zip(messages, vectors):
            # One statement per row, in this transaction: a bulk insert's savepoint would make
            # FTS5 write a segment of its own each time (more pages, slower keyword search).
            message_id = self._insert(MESSAGES, {
                "role": msg["role"], "content": msg["content"], "name": msg.get("name"), **where,
                "metadata": dump_metadata(metadata),
                "embedding": vector_blob(vector) if vector is not None else None,
                "created_at": created, "observed_at": observed_at,
            })
            if vector is not None:
                changes.put(MESSAGES, message_id, vector)
            ids.append(message_id)
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
        """Add one current memory with its provenance and an ADD history row; returns its id.

        ``slot`` is (subject, attribute): what the memory is about. It is true from
        ``observed_at`` (now when None).
        """
        changes, ts = self.changes, now_iso()
        memory_id = self._insert(MEMORIES, {
            "text": text, "hash": hash_, **scope_columns(scope),
            "metadata": dump_metadata(metadata), "embedding": vector_blob(embedding),
            "created_at": ts, "updated_at": ts, "observed_at": observed_at,
            "subject": slot[0], "attribute": slot[1], "valid_from": utc(observed_at or ts),
        })
        self.link_sources(memory_id, source_ids)
        self._add_history(memory_id, "ADD", None, text, actor, reason, ts)
        changes.put(MEMORIES, memory_id, embedding)
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
        changes, old, ts = self.changes, self.get_memory(memory_id), now_iso()
        sets = update_sets(text, hash_, vector_blob(embedding), ts, metadata, observed_at, slot)
        assignments = ", ".join(f"{column}=?" for column in sets)
        self.execute(f"UPDATE {MEMORIES} SET {assignments} WHERE id=?", [*sets.values(), memory_id])
        self.link_sources(memory_id, source_ids)
        self._add_history(memory_id, "UPDATE", old["text"], text, actor, reason, ts)
        changes.put(MEMORIES, memory_id, embedding)
        return str(old["text"])

    def end_memory(self, memory_id: int, actor: str, reason: str, ended_at: str,
                   ended_by: int | None = None) -> str:
        """A memory stops being true at ``ended_at`` (replaced by ``ended_by``, if any): the row
        stays, for reads of the past, and leaves the current ones; returns its text.

        An end observed before the memory began is taken as its beginning (it never held).
        """
        changes, old = self.changes, self.get_memory(memory_id)
        ended = max(utc(ended_at), old["valid_from"] or "")
        self.execute(f"UPDATE {MEMORIES} SET valid_to=?, ended_by=? WHERE id=?",
                     [ended, ended_by, memory_id])
        self._add_history(memory_id, "DELETE", old["text"], None, actor, reason, now_iso())
        changes.put(MEMORIES, memory_id, None)  # the index holds current rows only
        return str(old["text"])

    def chain(self, memory_id: int) -> list[int]:
        """The memory and every version linked to it by ``ended_by`` (what it replaced, what
        replaced it, and theirs), ascending; [] when no such memory."""
        found: set[int] = set()
        todo = [memory_id] if self.has_memory(memory_id) else []
        while todo:
            found.update(todo)
            linked = [i for chunk in chunks(todo) for i in self._ids(
                f"SELECT ended_by FROM {MEMORIES} WHERE id IN ({marks(len(chunk))}) AND "
                f"ended_by IS NOT NULL UNION SELECT id FROM {MEMORIES} WHERE ended_by IN "
                f"({marks(len(chunk))})", chunk + chunk)]
            todo = [i for i in set(linked) - found if self.has_memory(i)]
        return sorted(found)

    def erase_memories(self, memory_ids: Sequence[int]) -> None:
        """A user's delete: the memories, their history and their source messages are gone.

        Pass a memory's whole ``chain``: its other versions hold its past values."""
        changes, message_ids = self.changes, set[int]()
        for chunk in chunks(memory_ids):
            where = f"memory_id IN ({marks(len(chunk))})"
            message_ids.update(self._ids(f"SELECT message_id FROM {SOURCES} WHERE {where}", chunk))
            self.execute(f"DELETE FROM {HISTORY} WHERE {where}", chunk)
            self.execute(f"DELETE FROM {MEMORIES} WHERE id IN ({marks(len(chunk))})", chunk)
        changes.drop(MEMORIES, memory_ids, erased=True)
        self.erase_messages(sorted(message_ids))

    def erase_messages(self, message_ids: Sequence[int]) -> None:
        """A user's delete of raw messages (provenance links go with them)."""
        changes = self.changes
        for chunk in chunks(message_ids):
            self.execute(f"DELETE FROM {MESSAGES} WHERE id IN ({marks(len(chunk))})", chunk)
        changes.drop(MESSAGES, message_ids, erased=True)

    def erase_scope(self, scope: Scope) -> int:
        """A user's delete of a scope's memories and raw messages; returns how many memories."""
        where, params = scope_where(scope)
        memory_ids = self._ids(f"SELECT id FROM {MEMORIES} WHERE {where}", params)
        self.erase_memories(memory_ids)
        self.erase_messages(self._ids(f"SELECT id FROM {MESSAGES} WHERE {where}", params))
        return len(memory_ids)

    def clear(self) -> None:
        """Delete every row of every data table (the schema stays)."""
        changes = self.changes
        for table in (SOURCES, HISTORY, MEMORIES, MESSAGES):
            self.execute(f"DELETE FROM {table}")
        changes.unknown()
        changes.erased = True

    def link_sources(self, memory_id: int, message_ids: Sequence[int]) -> None:
        for message_id in message_ids:
            self._insert(SOURCES, {"memory_id": memory_id, "message_id": message_id}, ignore=True)

    def _add_history(
        self, memory_id: int, event: str, old: str | None, new: str | None,
        actor: str, reason: str, ts: str,
    ) -> None:
        self._insert(HISTORY, {"memory_id": memory_id, "event": event, "old_text": old,
                               "new_text": new, "created_at": ts, "actor": actor, "reason": reason})

    # -- reads --

    def has_memory(self, memory_id: int) -> bool:
        return bool(self.execute(f"SELECT 1 FROM {MEMORIES} WHERE id=?", [memory_id]))

    def get_memory(self, memory_id: int) -> dict[str, Any]:
        """One memory row as a dict.

        Raises:
            KeyError: no memory has that id.
        """
        rows = self._dicts(MEMORIES, "id=?", [memory_id])
        if not rows:
            raise KeyError(memory_id)
        return rows[0]

    def memories(
        self, scope: Scope, limit: int | None = None, ids: Sequence[int] | None = None,
        filters: dict[str, Any] | None = None, when: Validity = CURRENT,
    ) -> list[dict[str, Any]]:
        """Memories of a scope valid ``when`` (newest first), or the given ids in that order."""
        where, params = self._valid(scope, filters, when)
        tail = "ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
        if ids is None:
            return self._dicts(MEMORIES, where, params, tail)
        rows = [
            row for chunk in chunks(ids)
            for row in self._dicts(MEMORIES, f"{where} AND id IN ({marks(len(chunk))})",
                                   params + chunk)
        ]
        rows.sort(key=lambda r: -r["id"])
        order = {mid: i for i, mid in enumerate(ids)}
        return sorted(rows[:limit], key=lambda r: order[r["id"]])

    def messages(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The raw messages with these ids, in that order (ids not found are left out)."""
        rows = {
            row["id"]: row for chunk in chunks(ids)
            for row in self._dicts(MESSAGES, f"id IN ({marks(len(chunk))})", chunk)
        }
        return [rows[i] for i in ids if i in rows]

    def _ids(self, sql: str, params: Sequence[Any]) -> list[int]:
        """The first column of a statement's rows, as ints."""
        return [int(r[0]) for r in self.execute(sql, params)]

    def _dicts(
        self, table: str, where: str, params: Sequence[Any], tail: str = ""
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` as dicts of their columns (no embedding), metadata decoded."""
        names = _READ[table]
        sql = f"SELECT {', '.join(names)} FROM {table} WHERE {where} {tail}"
        out = [dict(zip(names, row)) for row in self.execute(sql, params)]
        if "metadata" in names:
            for row in out:
                row["metadata"] = json.loads(row["metadata"])
        return out

    def scope_ids(
        self, table: str, scope: Scope, filters: dict[str, Any] | None = None,
        when: Validity = CURRENT,
    ) -> np.ndarray:
        """Ids of rows with a vector within a scope (memories: valid ``when``), as int64."""
        if table == MEMORIES:
            where, params = self._valid(scope, filters, when)
        else:
            where, params = scope_where(scope, filters=filters)
        ids = self._ids(f"SELECT id FROM {table} WHERE embedding IS NOT NULL AND {where}", params)
        return np.asarray(ids, dtype=np.int64)

    def vectors_of(self, table: str, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of those of ``ids`` with a vector, stored ones, ascending ids."""
        found: list[tuple[int, bytes]] = []
        for chunk in chunks(sorted(ids)):
            found += self.execute(f"SELECT id, embedding FROM {table} WHERE embedding IS NOT "
                                  f"NULL AND id IN ({marks(len(chunk))}) ORDER BY id", chunk)
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        return (np.asarray([r[0] for r in found], dtype=np.int64),
                np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in found]))

    @staticmethod
    def _valid(scope: Scope, filters: dict[str, Any] | None, when: Validity
               ) -> tuple[str, list[Any]]:
        """The WHERE clause of memories in a scope, matching the filters, valid ``when``."""
        where, params = scope_where(scope, filters=filters)
        validity, more = valid_where(when)
        return f"{where} AND {validity}", [*params, *more]

    def embeddings(self, table: str) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors) of a table with an embedding, for rebuilding the index.

        Filled into one preallocated matrix (one read snapshot for the count and the rows), so
        a large table costs one copy of its vectors in memory, not three.
        """
        where = f"FROM {table} WHERE {INDEXED[table]}"
        with self.snapshot():
            count = int(self.value(f"SELECT count(*) {where}"))
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
        """(count, sum of ids) of the rows the index holds: cheap agreement check with it."""
        ((count, total),) = self.execute(
            f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE {INDEXED[table]}"
        )
        return int(count), int(total)

    def find_by_hash(self, hash_: str, scope: Scope) -> dict[str, Any] | None:
        """A current memory of the scope with this text hash."""
        where, params = self._valid(scope, None, CURRENT)
        rows = self._dicts(MEMORIES, f"hash=? AND {where}", [hash_, *params], "LIMIT 1")
        return rows[0] if rows else None

    def slot_memories(
        self, scope: Scope, attribute: str | None, ids: Sequence[int] = (), limit: int = 20
    ) -> list[dict[str, Any]]:
        """Current memories of a scope with this attribute (or one of ``ids``), newest first,
        with their vectors."""
        where, params = self._valid(scope, None, CURRENT)
        listed = marks(len(ids)) if ids else "NULL"
        found = self.execute(
            f"SELECT id, text, subject, attribute, embedding FROM {MEMORIES} WHERE "
            f"(attribute=? OR id IN ({listed})) AND {where} ORDER BY id DESC LIMIT ?",
            [attribute, *ids, *params, int(limit) + len(ids)],
        )
        names = ("id", "text", "subject", "attribute", "embedding")
        return [
            {**dict(zip(names, r)), "embedding": np.frombuffer(r[4], dtype=np.float32)}
            for r in found
        ]

    def keyword_search(self, table: str, query: str, scope: Scope, limit: int) -> list[int]:
        """Ids of indexed rows matching any query word (FTS5, bm25 order), in a scope."""
        match = fts_query(query)
        if not match:
            return []
        where, params = scope_where(scope, prefix="t.")
        indexed = " AND ".join(f"t.{c}" for c in INDEXED[table].split(" AND "))
        return [int(r[0]) for r in self.execute(
            f"SELECT t.id FROM {table}_fts f JOIN {table} t ON t.id = f.rowid WHERE {table}_fts "
            f"MATCH ? AND {where} AND {indexed} ORDER BY bm25({table}_fts) LIMIT ?",
            [match, *params, limit])]

    def history(self, memory_id: int) -> list[dict[str, Any]]:
        """The history of the memory's whole ``chain``, oldest first (its own when ended
        rows are gone: retired before validity, or imported without them)."""
        ids = self.chain(memory_id) or [memory_id]
        return self._dicts(HISTORY, f"memory_id IN ({marks(len(ids))})", ids, "ORDER BY id")

    def sources(self, memory_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each memory's source message ids, ascending."""
        out: dict[int, list[int]] = {int(i): [] for i in memory_ids}
        for chunk in chunks(memory_ids):
            for mid, msg in self.execute(
                f"SELECT memory_id, message_id FROM {SOURCES} "
                f"WHERE memory_id IN ({marks(len(chunk))}) ORDER BY message_id",
                chunk,
            ):
                out[int(mid)].append(int(msg))
        return out

    def count(self, table: str) -> int:
        return int(self.value(f"SELECT count(*) FROM {table}"))

    def scope_counts(self) -> list[tuple[str | None, str | None, str | None, int, int]]:
        """(user_id, agent_id, run_id, memories, messages) of every scope that has rows."""
        counts: dict[tuple[Any, ...], list[int]] = {}
        for *scope, kind, n in self.execute(
            "SELECT user_id, agent_id, run_id, kind, count(*) FROM ("
            f" SELECT user_id, agent_id, run_id, 0 AS kind FROM {MEMORIES}"
            " WHERE valid_to IS NULL UNION ALL"
            f" SELECT user_id, agent_id, run_id, 1 FROM {MESSAGES})"
            " GROUP BY user_id, agent_id, run_id, kind ORDER BY user_id, agent_id, run_id"
        ):
            counts.setdefault(tuple(scope), [0, 0])[kind] = int(n)
        return [(*scope, memories, messages) for scope, (memories, messages) in counts.items()]

    def message_metadata_values(self, key: str, scope: Scope) -> set[Any]:
        """The distinct values of metadata ``key`` on the raw messages of a scope."""
        where, params = scope_where(scope)
        rows = self.execute(
            f"SELECT DISTINCT json_extract(metadata, ?) FROM messages WHERE {where}",
            [f'$."{key}"', *params],
        )
        return {r[0] for r in rows if r[0] is not None}

