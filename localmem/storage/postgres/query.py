"""Small SQL pieces for PostgreSQL: scope clauses, which memories are current, row decoding."""

from __future__ import annotations

import json
from typing import Any

from localmem.storage.migrations import COLUMNS, SCOPE_KEYS
from localmem.storage.sql import Scope

__all__ = ["scope_where", "current", "READ", "scope_key", "decode"]

READ = {table: tuple(c for c in cols if c != "embedding") for table, cols in COLUMNS.items()}


def current(prefix: str = "") -> str:
    """The condition a memory row must meet to be searched and listed (one place to change when
    rows gain a validity period: today every stored row is current)."""
    return "TRUE"


def scope_where(
    scope: Scope, prefix: str = "", filters: dict[str, Any] | None = None
) -> tuple[str, list[Any]]:
    """A WHERE clause matching the scope exactly (and metadata filters), with its parameters.

    Metadata is stored as canonical JSON text (the export's form); a filter compares its value
    as JSON, as SQLite's ``json_extract`` does (True matches ``true``).
    """
    parts, params = [], []
    for key in SCOPE_KEYS:
        if scope.get(key) is not None:
            parts.append(f"{prefix}{key} = %s")
            params.append(scope[key])
    for key, value in (filters or {}).items():  # keys are checked by validate.filters
        parts.append(f"({prefix}metadata::jsonb -> %s) = %s::jsonb")
        params += [key, json.dumps(value)]
    return (" AND ".join(parts) or "TRUE"), params


def scope_key(scope: Scope) -> str:
    """The scope as one string: what its advisory lock is keyed by."""
    return "localmem:" + json.dumps([scope.get(key) for key in SCOPE_KEYS])


def decode(table: str, values: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One row read with ``READ[table]`` (or ``names``) as a dict, metadata decoded."""
    row = dict(zip(names or READ[table], values))
    if "metadata" in row:
        row["metadata"] = json.loads(row["metadata"])
    return row
