"""The rows' reads in PostgreSQL: memories, raw messages, history, provenance, counts."""

from __future__ import annotations

from collections.abc import Sequence
import json
from typing import Any

from localmem.storage.migrations import HISTORY, MEMORIES, MESSAGES
from localmem.storage.postgres.connection import Database
from localmem.storage.postgres.query import READ, decode, scope_key, scope_where, valid
from localmem.storage.postgres.schema import SETTINGS, SOURCES
from localmem.storage.sql import Scope
from localmem.storage.validity import CURRENT, Validity

__all__ = ["Reads"]


class Reads:
    """What the engine reads; ``db`` is the pool (inside a write: that write's connection)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _dicts(self, table: str, where: str, params: Sequence[Any], tail: str = "") -> list[dict]:
        sql = f"SELECT {', '.join(READ[table])} FROM {table} WHERE {where} {tail}"
        return [decode(table, row) for row in self.db.execute(sql, params)]

    def has_memory(self, memory_id: int) -> bool:
        """Whether the row exists, current or ended."""
        return bool(self.db.execute(f"SELECT 1 FROM {MEMORIES} WHERE id = %s", [memory_id]))

    def get_memory(self, memory_id: int) -> dict[str, Any]:
        """The row, current or ended. Raises: KeyError: no memory has that id."""
        rows = self._dicts(MEMORIES, "id = %s", [memory_id])
        if not rows:
            raise KeyError(memory_id)
        return rows[0]

    def memories(
        self, scope: Scope, limit: int | None = None, ids: Sequence[int] | None = None,
        filters: dict[str, Any] | None = None, when: Validity = CURRENT,
    ) -> list[dict[str, Any]]:
        """A scope's memories valid ``when``, newest first; or those of ``ids`` in that order."""
        where, params = _valid(scope, filters, when)
        tail = "ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
        if ids is None:
            return self._dicts(MEMORIES, where, params, tail)
        rows = self._dicts(MEMORIES, f"{where} AND id = ANY(%s)", [*params, list(ids)], tail)
        order = {mid: i for i, mid in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r["id"]])

    def find_by_hash(self, hash_: str, scope: Scope) -> dict[str, Any] | None:
        """A current memory of the scope with this text hash."""
        if self.db.writing:  # the re-check before an ADD: wait for this scope's other writers
            self.lock_scope(scope)
        where, params = _valid(scope, None, CURRENT)
        rows = self._dicts(MEMORIES, f"hash = %s AND {where}", [hash_, *params], "LIMIT 1")
        return rows[0] if rows else None

    def lock_scope(self, scope: Scope) -> None:
        """Hold the scope's advisory lock until this write commits (see ``Rows``)."""
        self.db.lock(scope_key(scope))

    def slot_memories(
        self, scope: Scope, attribute: str | None, ids: Sequence[int] = (), limit: int = 20
    ) -> list[dict[str, Any]]:
        """A scope's current memories with this attribute (or one of ``ids``), newest first,
        with vectors."""
        where, params = _valid(scope, None, CURRENT)
        names = ("id", "text", "subject", "attribute", "embedding")
        found = self.db.execute(
            f"SELECT {', '.join(names)} FROM {MEMORIES} WHERE (attribute = %s OR id = ANY(%s)) "
            f"AND {where} ORDER BY id DESC LIMIT %s",
            [attribute, list(ids), *params, int(limit) + len(ids)],
        )
        return [dict(zip(names, row)) for row in found]

    def messages(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The raw messages with these ids, in that order (ids not found are left out)."""
        rows = {r["id"]: r for r in self._dicts(MESSAGES, "id = ANY(%s)", [list(ids)])}
        return [rows[i] for i in ids if i in rows]

    def chain(self, memory_id: int) -> list[int]:
        """The memory and every row linked to it through ``ended_by``, either way (what it
        replaced, what replaced it, and theirs), ascending; [] when no such memory."""
        rows = self.db.execute(
            f"WITH RECURSIVE linked(id) AS (SELECT id FROM {MEMORIES} WHERE id = %s UNION "
            f"SELECT n.id FROM linked l JOIN {MEMORIES} n ON n.ended_by = l.id OR n.id = "
            f"(SELECT m.ended_by FROM {MEMORIES} m WHERE m.id = l.id)) "
            "SELECT id FROM linked ORDER BY id", [memory_id])
        return [int(r[0]) for r in rows]

    def history(self, memory_id: int) -> list[dict[str, Any]]:
        """Every ADD / UPDATE / DELETE of the memory's ``chain``, oldest first (its own when
        the memory is gone)."""
        ids = self.chain(memory_id) or [memory_id]
        return self._dicts(HISTORY, "memory_id = ANY(%s)", [ids], "ORDER BY id")

    def sources(self, memory_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each memory's source message ids, ascending."""
        out: dict[int, list[int]] = {int(i): [] for i in memory_ids}
        for mid, msg in self.db.execute(
            f"SELECT memory_id, message_id FROM {SOURCES} WHERE memory_id = ANY(%s) "
            "ORDER BY message_id", [list(out)],
        ):
            out[int(mid)].append(int(msg))
        return out

    def message_metadata_values(self, key: str, scope: Scope) -> set[Any]:
        """The distinct values of metadata ``key`` on the raw messages of a scope."""
        where, params = scope_where(scope)
        rows = self.db.execute(
            f"SELECT DISTINCT metadata::jsonb -> %s FROM {MESSAGES} WHERE {where}", [key, *params]
        )
        return {_scalar(r[0]) for r in rows if r[0] is not None}

    def count(self, table: str) -> int:
        return int(self.db.value(f"SELECT count(*) FROM {table}"))

    def scope_counts(self) -> list[tuple[str | None, str | None, str | None, int, int]]:
        """(user_id, agent_id, run_id, memories, messages) of every scope that has rows;
        memories: those that hold now."""
        found = self.db.execute(
            "SELECT user_id, agent_id, run_id, count(*) FILTER (WHERE kind = 0), "
            "count(*) FILTER (WHERE kind = 1) FROM ("
            f" SELECT user_id, agent_id, run_id, 0 AS kind FROM {MEMORIES}"
            f" WHERE {valid()[0]} UNION ALL"
            f" SELECT user_id, agent_id, run_id, 1 FROM {MESSAGES}) rows"
            " GROUP BY user_id, agent_id, run_id ORDER BY user_id, agent_id, run_id"
        )
        return [(u, a, r, int(m), int(n)) for u, a, r, m, n in found]

    def get_setting(self, key: str) -> str | None:
        value = self.db.value(f"SELECT value FROM {SETTINGS} WHERE key = %s", [key])
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute(f"INSERT INTO {SETTINGS} VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value])


def _valid(scope: Scope, filters: dict[str, Any] | None, when: Validity
           ) -> tuple[str, list[Any]]:
    """The WHERE clause of memories in a scope, matching the filters, valid ``when``."""
    where, params = scope_where(scope, filters=filters)
    validity, more = valid(when)
    return f"{where} AND {validity}", [*params, *more]


def _scalar(value: Any) -> Any:
    """A JSON value as SQLite's ``json_extract`` gives it: objects and arrays as JSON text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value
