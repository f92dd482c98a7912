"""Whole stored rows, ids and timestamps included: what an export reads and an import writes.

Rows come out as dicts of the columns in ``migrations.COLUMNS`` (metadata as its JSON text,
embedding as float32 bytes); memories add their ``source_message_ids``, and ended memories
travel too (``valid_to`` set). A memory record without the validity columns (an export from
before them) imports as current, valid from its observation time. The record kinds are the
export format's names for the tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from localmem.errors import InvalidInputError
from localmem.storage.migrations import COLUMNS, HISTORY, MEMORIES, MESSAGES
from localmem.storage.sql import Scope, chunks, marks, scope_where
from localmem.storage.store import SOURCES, Store
from localmem.storage.validity import utc

__all__ = ["KINDS", "export_records", "import_records"]

KINDS = {"message": MESSAGES, "memory": MEMORIES, "history": HISTORY}


def export_records(store: Store, scope: Scope) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, row) for every message, memory and history row of the scope (all when empty).

    A scope keeps its messages and memories, the history of those memories and their links to
    those messages.

    Raises:
        StorageError: SQLite failed.
    """
    where, params = scope_where(scope)
    for row in _rows(store, MESSAGES, where, params):
        yield "message", row
    sources = _sources(store, scope)
    for row in _rows(store, MEMORIES, where, params):
        yield "memory", {**row, "source_message_ids": sources.get(row["id"], [])}
    history_where, history_params = _in_scope("memory_id", MEMORIES, scope)
    for row in _rows(store, HISTORY, history_where, history_params):
        yield "history", row


def _in_scope(column: str, table: str, scope: Scope) -> tuple[str, list[Any]]:
    """A WHERE clause keeping rows whose ``column`` is the id of a ``table`` row in the scope."""
    if not scope:  # no filter at all: rows pointing at nothing still travel in a full export
        return "1=1", []
    where, params = scope_where(scope)
    return f"{column} IN (SELECT id FROM {table} WHERE {where})", params


def _rows(store: Store, table: str, where: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    cols = COLUMNS[table]
    sql = f"SELECT {', '.join(cols)} FROM {table} WHERE {where} ORDER BY id"
    for values in store.execute(sql, params):
        yield dict(zip(cols, values))


def _sources(store: Store, scope: Scope) -> dict[int, list[int]]:
    """Provenance links whose memory and message are both in the scope."""
    memories, memory_params = _in_scope("memory_id", MEMORIES, scope)
    messages, message_params = _in_scope("message_id", MESSAGES, scope)
    out: dict[int, list[int]] = {}
    for memory_id, message_id in store.execute(
        f"SELECT memory_id, message_id FROM {SOURCES} WHERE {memories} AND {messages} "
        "ORDER BY memory_id, message_id",
        [*memory_params, *message_params],
    ):
        out.setdefault(int(memory_id), []).append(int(message_id))
    return out


def import_records(
    store: Store, records: Mapping[str, Sequence[dict[str, Any]]], replace: bool, scope: Scope
) -> list[str]:
    """Write validated records by kind, keeping their ids; returns the ``"kind id"`` replaced.

    ``scope`` is the file's (empty for a full export). Call inside ``store.changing()``: the
    indexes are rebuilt after it.

    Raises:
        InvalidInputError: an id exists already and ``replace`` is False; history names a memory
            this home holds and the file does not; a scoped ``replace`` would overwrite a row of
            another scope. Nothing is written.
        StorageError: SQLite failed.
    """
    store.changes.unknown()
    retired = _check_history_targets(store, records)
    replaced: list[str] = []
    for kind, table in KINDS.items():
        taken = _existing_ids(store, table, sorted(r["id"] for r in records.get(kind, ())))
        if taken and not replace:
            raise InvalidInputError(
                f"{kind} id {taken[0]} already exists in this home ({len(taken)} ids clash); "
                "import into an empty home, or pass --replace to overwrite them"
            )
        if taken:
            _check_replaced(kind, _outside(store, kind, taken, scope), scope)
            _delete(store, table, taken)
            replaced += [f"{kind} {i}" for i in taken]
    for kind, table in KINDS.items():
        fill = _with_validity if table == MEMORIES else dict
        store.insert_rows(table, ({c: r[c] for c in COLUMNS[table]}
                                  for r in map(fill, records.get(kind, ()))))
        if table == MEMORIES:
            links = [{"memory_id": r["id"], "message_id": m}
                     for r in records.get(kind, ()) for m in r["source_message_ids"]]
            store.insert_rows(SOURCES, links, ignore=True)
    store.reserve_ids(MEMORIES, retired)
    return replaced


def _with_validity(record: Mapping[str, Any]) -> dict[str, Any]:
    """A memory record with its validity: one exported before m007 lacks it and held from
    when it was observed (or stored) until now; times are kept in UTC."""
    out: dict[str, Any] = {"valid_to": None, "ended_by": None, **record}
    out["valid_from"] = utc(out.get("valid_from") or out["observed_at"] or out["created_at"])
    if out["valid_to"] is not None:
        out["valid_to"] = utc(out["valid_to"])
    return out


def _check_history_targets(store: Store, records: Mapping[str, Sequence[dict[str, Any]]]) -> int:
    """History of memories not in the file (retired ones) must not attach to this home's memories.

    Returns the highest such retired id (0 if none), which new memories must never be given.

    Raises:
        InvalidInputError: a history row names a memory the home holds and the file does not.
    """
    held = {rec["id"] for rec in records.get("memory", ())}
    retired = sorted({row["memory_id"] for row in records.get("history", ())} - held)
    taken = _existing_ids(store, MEMORIES, retired) if retired else []
    if taken:
        raise InvalidInputError(
            f"history names memory {taken[0]}, which this home holds and the file does not "
            f"({len(taken)} such memories); history can only come with its memory"
        )
    return retired[-1] if retired else 0


def _check_replaced(kind: str, outside: list[int], scope: Scope) -> None:
    """With ``replace``, a scoped file overwrites only rows of its own scope.

    Raises:
        InvalidInputError: one of the clashing ids is a row outside ``scope``.
    """
    if outside:
        raise InvalidInputError(
            f"{kind} id {outside[0]} clashes with a row of another scope in this home "
            f"({len(outside)} such ids); a file scoped to {scope} replaces only that scope's rows: "
            "import it into another home"
        )


def _outside(store: Store, kind: str, ids: list[int], scope: Scope) -> list[int]:
    """Of ``ids`` (``kind`` rows this home holds), those outside ``scope`` (history: by memory)."""
    table = KINDS[kind]
    column, owner = ("memory_id", MEMORIES) if kind == "history" else ("id", table)
    inside, params = _in_scope(column, owner, scope)
    found: list[int] = []
    for chunk in chunks(ids):
        found += [int(r[0]) for r in store.execute(
            f"SELECT id FROM {table} WHERE id IN ({marks(len(chunk))}) AND NOT ({inside})",
            [*chunk, *params])]
    return found


def _existing_ids(store: Store, table: str, ids: list[int]) -> list[int]:
    found: list[int] = []
    for chunk in chunks(ids):
        found += [int(r[0]) for r in store.execute(
            f"SELECT id FROM {table} WHERE id IN ({marks(len(chunk))})", chunk)]
    return sorted(found)


def _delete(store: Store, table: str, ids: list[int]) -> None:
    for chunk in chunks(ids):
        where = f"IN ({marks(len(chunk))})"
        if table == MEMORIES:  # the imported record brings its own sources and history
            store.execute(f"DELETE FROM {SOURCES} WHERE memory_id {where}", chunk)
            store.execute(f"DELETE FROM {HISTORY} WHERE memory_id {where}", chunk)
        store.execute(f"DELETE FROM {table} WHERE id {where}", chunk)
