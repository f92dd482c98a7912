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
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from localmem import validate
from localmem.errors import InvalidInputError
from localmem.crypto import HomeKey
from localmem.frontends import import_checks
from localmem.storage import crypt_export
from localmem.storage.migrations import COLUMNS, SCOPE_KEYS
from localmem.storage.records import KINDS
from localmem.types import Action

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = ["export_lines", "import_lines", "ImportReport", "FORMAT", "VERSION"]

FORMAT = "localmem-export"
VERSION = 1

_TABLES = KINDS  # record type -> table
_COLS = {kind: COLUMNS[table] for kind, table in KINDS.items()}  # a record's keys, as stored
_SLOT = ("subject", "attribute")
_VALIDITY = ("valid_from", "valid_to", "ended_by")
_OPTIONAL = {"memory": {*_SLOT, *_VALIDITY}}  # exports made before these columns lack them
MAX_SLOT_CHARS = 100


@dataclass
class ImportReport:
    """What an import stored."""

    messages: int = 0
    memories: int = 0
    history: int = 0
    replaced: list[str] = field(default_factory=list)


# --- export -----------------------------------------------------------------------------------


def export_lines(
    memory: Memory, *, user_id: str | None = None, agent_id: str | None = None,
    run_id: str | None = None, key: HomeKey | None = None,
) -> Iterator[str]:
    """Every message, memory (with its sources) and history row of the store, one JSON line each.

    Given a scope (matched exactly, as everywhere), only that scope's messages and memories, the
    history of those memories and their links to those messages; ended memories travel with their
    validity. History of a memory that is gone (deleted by a model before memories kept their
    validity, m007) has no scope left, so it travels only in a full export. With
    ``key`` (``crypt_export.sealing_key``) the lines are sealed (``crypt_export``).

    Raises:
        InvalidInputError: a scope value is not a valid id (raised at the call, before any line).
    """
    scope = validate.scope(user_id, agent_id, run_id)
    records = memory.export_records(**scope)
    lines = _export(records, memory.embedder.dims, memory.embedder.name, scope)
    return lines if key is None else crypt_export.seal_lines(lines, key)


def _export(
    records: Iterable[tuple[str, dict[str, Any]]], dims: int, embedder: str, scope: dict[str, str]
) -> Iterator[str]:
    header: dict[str, Any] = {"type": "header", "format": FORMAT, "version": VERSION, "dims": dims,
                              "embedder": embedder}  # vouches for the vectors
    if scope:  # a full export keeps its header exactly as before scopes existed
        header["scope"] = scope
    yield _line(header)
    for kind, row in records:
        yield _line({"type": kind, **(row if kind == "history" else _encoded(row))})


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

    A sealed export (``crypt_export``) opens with this home's key or the one set.

    Raises:
        InvalidInputError: a line is not a valid record (the message names the line), or an id
            already exists and ``replace`` is False; nothing is stored.
        HomeKeyError: a sealed export without its key; nothing is stored.
        StorageError: SQLite failed; nothing is stored.
    """
    lines = _opened(iter(lines), memory)
    dims = memory.embedder.dims
    records: dict[str, list[dict[str, Any]]] = {"message": [], "memory": [], "history": []}
    seen: dict[str, set[int]] = {kind: set() for kind in records}
    header: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = _parse(raw, dims)
        except InvalidInputError as exc:
            raise InvalidInputError(f"line {number}: {exc}") from None
        kind = record.pop("type")
        if kind == "header" and header is None:
            header = record
            continue
        if header is None or kind == "header":
            raise InvalidInputError(f"line {number}: expected the {FORMAT} header line first, once")
        if record["id"] in seen[kind]:
            raise InvalidInputError(f"line {number}: {kind} id {record['id']} appears twice")
        seen[kind].add(record["id"])
        records[kind].append(record)
    if header is None:
        raise InvalidInputError(f"no {FORMAT} header line: this is not a localmem export")
    import_checks.check_scopes(records, header["scope"])
    import_checks.rederive_vectors(records, memory.embedder, header["embedder"])
    report = ImportReport()
    # One transaction; also refuses history that would attach to this home's memories, and a
    # scoped --replace that would overwrite another scope's rows.
    report.replaced = memory.import_records(records, replace=replace, scope=header["scope"])
    report.messages = len(records["message"])
    report.memories = len(records["memory"])
    report.history = len(records["history"])
    return report


def _opened(lines: Iterator[str], memory: Memory) -> Iterable[str]:
    """The export's lines, unsealed when it is a sealed export."""
    first = next((line for line in lines if line.strip()), "")
    if crypt_export.is_sealed(first):
        return crypt_export.unseal_lines(itertools.chain([first], lines), memory.home)
    return itertools.chain([first], lines)


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
    if not isinstance(kind, str) or kind not in _TABLES:  # a list would not even hash
        raise InvalidInputError(
            f"unknown record type {kind!r:.40}; expected header, message, memory or history"
        )
    expected = {"type", *_COLS[kind]} | ({"source_message_ids"} if kind == "memory" else set())
    missing, unknown = expected - set(record) - _OPTIONAL.get(kind, set()), set(record) - expected
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
    out["text"] = validate.text(record["text"], "memory text")
    out["hash"] = import_checks.rehash(record["hash"], out["text"])
    out["updated_at"] = _timestamp(record["updated_at"], "updated_at")
    for key in _SLOT:
        out[key] = _slot_value(record.get(key), key)
    for key in _VALIDITY[:2]:
        out[key] = _timestamp(record.get(key), key, optional=True)
    ended_by = record.get("ended_by")
    out["ended_by"] = None if ended_by is None else _row_id(ended_by, "memory ended_by")
    out["embedding"] = _embedding(record["embedding"], dims, optional=False)
    sources = record["source_message_ids"]
    if not isinstance(sources, list):
        raise InvalidInputError("source_message_ids must be a list of message ids")
    out["source_message_ids"] = [_row_id(s, "source message id") for s in sources]
    return out


def _slot_value(value: Any, what: str) -> str | None:
    """A memory's subject or attribute: absent (an export from before them), or a short label."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_SLOT_CHARS or not value.isprintable():
        raise InvalidInputError(
            f"memory {what} must be null or a printable string of at most {MAX_SLOT_CHARS} characters")
    return value


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
    return {"type": "header", "scope": validate.scope(**scope),
            "embedder": import_checks.embedder_name(record.get("embedder"))}


def _history(record: dict[str, Any]) -> dict[str, Any]:
    events = [a.value for a in Action if a is not Action.NONE]
    if record["event"] not in events:
        raise InvalidInputError(f"history event {record['event']!r:.40} is not one of {events}")
    out = {
        "memory_id": _row_id(record["memory_id"], "history memory_id"),
        "event": record["event"],
        "created_at": _timestamp(record["created_at"], "created_at"),
        "actor": import_checks.actor(record["actor"]),
        "reason": import_checks.reason(record["reason"]),
    }
    for key in ("old_text", "new_text"):
        value = record[key]
        out[key] = None if value is None else validate.text(value, key)
    return out


def _row_id(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**62:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r:.40}")
    return value


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{what} must be a non-empty string")
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
