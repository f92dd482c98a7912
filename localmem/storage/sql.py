"""Small SQL pieces the store is built from: read-out results, scope clauses, encodings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from localmem.storage.migrations import SCOPE_KEYS

__all__ = ["Rows", "Scope", "scope_values", "scope_where", "dump_metadata", "vector_blob"]

Scope = dict[str, str]  # any of user_id / agent_id / run_id, matched exactly


class Rows:
    """A statement's result, fully read: rows, ``lastrowid`` and column ``description``."""

    def __init__(self, rows: list[Any], lastrowid: int | None, description: Any) -> None:
        self.rows = rows
        self.lastrowid = lastrowid
        self.description = description

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        return self.rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


# --- the store --------------------------------------------------------------------------------


def scope_values(scope: Scope) -> list[str | None]:
    """The scope as (user_id, agent_id, run_id) column values."""
    return [scope.get(k) for k in SCOPE_KEYS]


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


def vector_blob(vector: np.ndarray) -> bytes:
    """A vector as stored: float32 bytes."""
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
