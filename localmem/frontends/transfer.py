"""Export and import a home's memories as JSON Lines, exactly: ids, scope, metadata, timestamps.

One JSON object per line, each with a ``type``::

    {"type": "header", "format": "localmem-export", "version": 1, "dims": 384}
    {"type": "message", "id": 7, "role": "user", "content": "...", "embedding": "<base64>", ...}
    {"type": "memory", "id": 3, "text": "...", "source_message_ids": [7], "embedding": "...", ...}
    {"type": "history", "id": 5, "memory_id": 3, "event": "ADD", ...}

Embeddings travel as base64 float32, so an import needs no model and search ranks the same.
An export may be limited to a scope (``"scope": {"user_id": "ana"}`` in its header): the scope's
messages and memories, the history of those memories, and their links to those messages.
An import validates every line before it writes anything, then stores all of it in one
transaction and rebuilds the indexes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from localmem import validate
from localmem.errors import InvalidInputError
from localmem.storage.migrations import SCOPE_KEYS
from localmem.storage.sql import Scope, scope_where
from localmem.storage.store import MEMORIES, MESSAGES, Store
from localmem.types import Action

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = ["export_lines", "import_lines", "ImportReport", "FORMAT", "VERSION"]

FORMAT = "localmem-export"
VERSION = 1

_MESSAGE_COLS = ("id", "role", "content", "name", *SCOPE_KEYS, "metadata", "embedding",
                 "created_at", "observed_at")
_MEMORY_COLS = ("id", "text", "hash", *SCOPE_KEYS, "metadata", "embedding", "created_at",
                "updated_at", "observed_at", "subject", "attribute")
_OPTIONAL = {"subject", "attribute"}  # what a memory is about (m006); older exports lack them
_HISTORY_COLS = ("id", "memory_id", "event", "old_text", "new_text", "created_at", "actor",
                 "reason")
_TABLES = {"message": MESSAGES, "memory": MEMORIES, "history": "history"}


@dataclass
class ImportReport:
    """What an import stored."""

    messages: int = 0
    memories: int = 0
    history: int = 0
    replaced: list[str] = field(default_factory=list)


# --- export -----------------------------------------------------------------------------------


def export_lines(
    store: Store, dims: int, *, user_id: str | None = None, agent_id: str | None = None,
    run_id: str | None = None,
) -> Iterator[str]:
    """Every message, memory (with its sources) and history row of the store, one JSON line each.

    Given a scope (matched exactly, as everywhere), only that scope's messages and memories, the
    history of those memories and their links to those messages. History of a memory that is
    gone (a model's DELETE) has no scope left, so it travels only in a full export.

    Raises:
        InvalidInputError: a scope value is not a valid id (raised at the call, before any line).
    """
    scope = validate.scope(user_id, agent_id, run_id)
    return _export(store, dims, scope)


def _export(store: Store, dims: int, scope: Scope) -> Iterator[str]:
    header: dict[str, Any] = {"type": "header", "format": FORMAT, "version": VERSION, "dims": dims}
    if scope:  # a full export keeps its header exactly as before scopes existed
        header["scope"] = scope
    yield _line(header)
    where, params = scope_where(scope)
    for row in _rows(store, MESSAGES, _MESSAGE_COLS, where, params):
        yield _line({"type": "message", **_encoded(row)})
    sources = _sources(store, scope)
    for row in _rows(store, MEMORIES, _MEMORY_COLS, where, params):
        yield _line({"type": "memory", **_encoded(row), "source_message_ids": sources.get(row["id"], [])})
    history_where, history_params = _in_scope("memory_id", MEMORIES, scope)
    for row in _rows(store, "history", _HISTORY_COLS, history_where, history_params):
        yield _line({"type": "history", **row})


def _in_scope(column: str, table: str, scope: Scope) -> tuple[str, list[Any]]:
    """A WHERE clause keeping rows whose ``column`` is the id of a ``table`` row in the scope."""
    if not scope:  # no filter at all: rows pointing at nothing still travel in a full export
        return "1=1", []
    where, params = scope_where(scope)
    return f"{column} IN (SELECT id FROM {table} WHERE {where})", params


def _rows(
    store: Store, table: str, cols: tuple[str, ...], where: str, params: list[Any]
) -> Iterator[dict[str, Any]]:
    cur = store.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where} ORDER BY id", params)
    for values in cur.fetchall():
        yield dict(zip(cols, values))


def _sources(store: Store, scope: Scope) -> dict[int, list[int]]:
    """Provenance links whose memory and message are both in the scope."""
    memories, memory_params = _in_scope("memory_id", MEMORIES, scope)
    messages, message_params = _in_scope("message_id", MESSAGES, scope)
    out: dict[int, list[int]] = {}
    cur = store.execute(
        f"SELECT memory_id, message_id FROM memory_sources WHERE {memories} AND {messages} "
        "ORDER BY memory_id, message_id",
        [*memory_params, *message_params],
    )
    for memory_id, message_id in cur.fetchall():
        out.setdefault(int(memory_id), []).append(int(message_id))
    return out


def _encoded(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["metadata"] = json.loads(row["metadata"])
    blob = row["embedding"]
    out["embedding"] = base64.b64encode(blob).decode("ascii") if blob is not None else None
    return out


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


# --- import -----------------------------------------------------------------------------------


def import_lines(memory: Memory, lines: Iterable[str], *, replace: bool = False) -> ImportReport:
    """Store the records of an export in ``memory``'s home, keeping their ids and timestamps.

    Raises:
        InvalidInputError: a line is not a valid record (the message names the line), or an id
            already exists and ``replace`` is False; nothing is stored.
        StorageError: SQLite failed; nothing is stored.
    """
    dims = memory.indexes.facts.dim
    records: dict[str, list[dict[str, Any]]] = {"message": [], "memory": [], "history": []}
    seen: dict[str, set[int]] = {kind: set() for kind in records}
    header_seen = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = _parse(raw, dims)
        except InvalidInputError as exc:
            raise InvalidInputError(f"line {number}: {exc}") from None
        kind = record.pop("type")
        if kind == "header":
            header_seen = True
            continue
        if not header_seen:
            raise InvalidInputError(f"line {number}: expected the {FORMAT} header line first")
        if record["id"] in seen[kind]:
            raise InvalidInputError(f"line {number}: {kind} id {record['id']} appears twice")
        seen[kind].add(record["id"])
        records[kind].append(record)
    if not header_seen:
        raise InvalidInputError(f"no {FORMAT} header line: this is not a localmem export")
    known_messages = seen["message"]
    for rec in records["memory"]:
        missing = [m for m in rec["source_message_ids"] if m not in known_messages]
        if missing:
            raise InvalidInputError(
                f"memory {rec['id']} names source messages {missing} that the file does not hold"
            )
    report = ImportReport()
    store = memory.store
    with store.transaction():
        for kind, ids in seen.items():
            taken = _existing_ids(store, _TABLES[kind], sorted(ids))
            if taken and not replace:
                raise InvalidInputError(
                    f"{kind} id {taken[0]} already exists in this home ({len(taken)} ids clash); "
                    "import into an empty home, or pass --replace to overwrite them"
                )
            if taken:
                _delete(store, kind, taken)
                report.replaced += [f"{kind} {i}" for i in taken]
        for rec in records["message"]:
            _insert(store, MESSAGES, _MESSAGE_COLS, rec)
        for rec in records["memory"]:
            _insert(store, MEMORIES, _MEMORY_COLS, rec)
            for message_id in rec["source_message_ids"]:
                store.execute(
                    "INSERT OR IGNORE INTO memory_sources (memory_id, message_id) VALUES (?, ?)",
                    [rec["id"], message_id],
                )
        for rec in records["history"]:
            _insert(store, "history", _HISTORY_COLS, rec)
        store.bump_vectors_version()
    memory.indexes.rebuild()
    report.messages = len(records["message"])
    report.memories = len(records["memory"])
    report.history = len(records["history"])
    return report


def _existing_ids(store: Store, table: str, ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found += [int(r[0]) for r in store.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)]
    return sorted(found)


def _delete(store: Store, kind: str, ids: list[int]) -> None:
    marks = ",".join("?" * len(ids))
    if kind == "memory":  # the imported record brings its own sources and history
        store.execute(f"DELETE FROM memory_sources WHERE memory_id IN ({marks})", ids)
        store.execute(f"DELETE FROM history WHERE memory_id IN ({marks})", ids)
    store.execute(f"DELETE FROM {_TABLES[kind]} WHERE id IN ({marks})", ids)


def _insert(store: Store, table: str, cols: tuple[str, ...], rec: dict[str, Any]) -> None:
    values = [rec[c] for c in cols]
    store.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})", values
    )


# --- validation of one line -------------------------------------------------------------------


def _parse(raw: str, dims: int) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise InvalidInputError(f"expected a JSON object, got {type(record).__name__}")
    kind = record.get("type")
    if kind == "header":
        return _header(record, dims)
    if kind not in _TABLES:
        raise InvalidInputError(
            f"unknown record type {kind!r:.40}; expected header, message, memory or history"
        )
    cols = {"message": _MESSAGE_COLS, "memory": _MEMORY_COLS, "history": _HISTORY_COLS}[kind]
    expected = {"type", *cols} | ({"source_message_ids"} if kind == "memory" else set())
    missing, unknown = expected - set(record) - _OPTIONAL, set(record) - expected
    if missing or unknown:
        raise InvalidInputError(
            f"{kind} record has missing keys {sorted(missing)} and unknown keys {sorted(unknown)}"
        )
    out: dict[str, Any] = {"type": kind, "id": _row_id(record["id"], f"{kind} id")}
    if kind == "history":
        return {**out, **_history(record)}
    for key in SCOPE_KEYS:
        value = record[key]
        out[key] = None if value is None else validate.scope_value(value, key)
    out["metadata"] = json.dumps(
        validate.metadata(record["metadata"]), ensure_ascii=False, sort_keys=True, allow_nan=False
    )
    out["created_at"] = _timestamp(record["created_at"], "created_at")
    out["observed_at"] = _timestamp(record["observed_at"], "observed_at", optional=True)
    if kind == "message":
        if record["role"] not in validate.ROLES:
            raise InvalidInputError(
                f"message role {record['role']!r:.40} is not one of {list(validate.ROLES)}"
            )
        out["role"] = record["role"]
        out["content"] = validate.text(record["content"], "message content")
        out["name"] = None if record["name"] is None else validate.scope_value(record["name"], "name")
        out["embedding"] = _embedding(record["embedding"], dims, optional=True)
        return out
    for key in _OPTIONAL:
        value = record.get(key)
        out[key] = None if value is None else _string(value, key, empty_ok=True)
    out["text"] = validate.text(record["text"], "memory text")
    out["hash"] = _string(record["hash"], "hash")
    out["updated_at"] = _timestamp(record["updated_at"], "updated_at")
    out["embedding"] = _embedding(record["embedding"], dims, optional=False)
    sources = record["source_message_ids"]
    if not isinstance(sources, list):
        raise InvalidInputError("source_message_ids must be a list of message ids")
    out["source_message_ids"] = [_row_id(s, "source message id") for s in sources]
    return out


def _header(record: dict[str, Any], dims: int) -> dict[str, Any]:
    if record.get("format") != FORMAT or record.get("version") != VERSION:
        raise InvalidInputError(
            f"header says format {record.get('format')!r:.40} version {record.get('version')!r:.10}; "
            f"this localmem reads {FORMAT} version {VERSION}"
        )
    if record.get("dims") != dims:
        raise InvalidInputError(
            f"the export holds {record.get('dims')!r:.10}-dimension embeddings but this home's "
            f"embedder makes {dims}; import with the same embedder model"
        )
    scope = record.get("scope", {})
    if not isinstance(scope, dict) or set(scope) - set(SCOPE_KEYS):
        raise InvalidInputError(f"header scope must be an object with keys among {list(SCOPE_KEYS)}")
    validate.scope(**scope)
    return {"type": "header"}


def _history(record: dict[str, Any]) -> dict[str, Any]:
    events = [a.value for a in Action if a is not Action.NONE]
    if record["event"] not in events:
        raise InvalidInputError(f"history event {record['event']!r:.40} is not one of {events}")
    out = {
        "memory_id": _row_id(record["memory_id"], "history memory_id"),
        "event": record["event"],
        "created_at": _timestamp(record["created_at"], "created_at"),
        "actor": _string(record["actor"], "actor"),
        "reason": _string(record["reason"], "reason", empty_ok=True),
    }
    for key in ("old_text", "new_text"):
        value = record[key]
        out[key] = None if value is None else validate.text(value, key)
    return out


def _row_id(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**62:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r:.40}")
    return value


def _string(value: Any, what: str, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not empty_ok and not value):
        raise InvalidInputError(f"{what} must be a{'' if empty_ok else ' non-empty'} string")
    return value


def _timestamp(value: Any, what: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    try:
        datetime.fromisoformat(_string(value, what))
    except ValueError:
        raise InvalidInputError(f"{what} {value!r:.60} is not an ISO 8601 timestamp") from None
    return str(value)  # kept verbatim: the round trip is exact


def _embedding(value: Any, dims: int, optional: bool) -> bytes | None:
    if value is None and optional:
        return None
    try:
        blob = base64.b64decode(_string(value, "embedding"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("embedding is not base64") from None
    if len(blob) != 4 * dims:
        raise InvalidInputError(
            f"embedding is {len(blob)} bytes, expected {4 * dims} ({dims} float32 values)"
        )
    if not np.isfinite(np.frombuffer(blob, dtype=np.float32)).all():
        raise InvalidInputError("embedding holds NaN or infinity")
    return blob
