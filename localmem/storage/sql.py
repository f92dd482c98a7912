"""Small SQL pieces the store is built from: placeholders, id chunks, scope clauses, encodings."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from localmem.storage.migrations import SCOPE_KEYS

__all__ = [
    "Scope", "CHUNK", "marks", "chunks", "insert_sql", "scope_columns", "scope_where", "dump_metadata",
    "vector_blob", "update_sets",
]

Scope = dict[str, str]  # any of user_id / agent_id / run_id, matched exactly
CHUNK = 500  # ids per ``IN (...)``: far below any SQLite build's variable limit (999 at least)

T = TypeVar("T")


def marks(count: int) -> str:
    """``?,?,...`` for ``count`` parameters."""
    return ",".join("?" * count)


@lru_cache(maxsize=64)
def insert_sql(table: str, columns: tuple[str, ...], ignore: bool = False) -> str:
    """``INSERT [OR IGNORE] INTO table (columns) VALUES (?,...)`` (cached: built once per shape)."""
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))})"


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in consecutive lists of at most ``size`` (none for an empty sequence)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def scope_columns(scope: Scope) -> dict[str, str | None]:
    """The scope as its three column values (None where not given)."""
    return {key: scope.get(key) for key in SCOPE_KEYS}


def scope_where(
    scope: Scope, prefix: str = "", filters: dict[str, Any] | None = None
) -> tuple[str, list[Any]]:
    """A WHERE clause matching the scope exactly (and metadata filters), with its parameters."""
    parts, params = [], []
    for key in SCOPE_KEYS:
        if scope.get(key) is not None:
            parts.append(f"{prefix}{key} = ?")
            params.append(scope[key])
    for key, value in (filters or {}).items():  # keys are checked by validate.filters
        parts.append(f"json_extract({prefix}metadata, ?) = ?")
        params += [f'$."{key}"', int(value) if isinstance(value, bool) else value]
    return (" AND ".join(parts) or "1=1"), params


def dump_metadata(metadata: dict[str, Any]) -> str:
    """Metadata as stored: canonical JSON."""
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True, allow_nan=False)


def update_sets(
    text: str, hash_: str, embedding: Any, updated_at: str, metadata: dict[str, Any] | None,
    observed_at: str | None, slot: tuple[str | None, str | None] | None,
) -> dict[str, Any]:
    """The columns a memory's update sets (``embedding`` already in the backend's form); the
    optional ones only when given. Shared by every backend so an update means the same."""
    sets: dict[str, Any] = {"text": text, "hash": hash_, "embedding": embedding,
                            "updated_at": updated_at}
    if metadata is not None:
        sets["metadata"] = dump_metadata(metadata)
    if observed_at is not None:
        sets["observed_at"] = observed_at
    if slot is not None:
        sets["subject"], sets["attribute"] = slot
    return sets


def vector_blob(vector: np.ndarray) -> bytes:
    """A vector as stored: float32 bytes."""
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
