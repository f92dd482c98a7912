"""Small SQL pieces for PostgreSQL: scope clauses, which memories are valid, row decoding."""

from __future__ import annotations

import json
from typing import Any

from localmem.storage import validity
from localmem.storage.migrations import COLUMNS, MEMORIES, SCOPE_KEYS
from localmem.storage.sql import Scope
from localmem.storage.validity import CURRENT, Validity

__all__ = ["scope_where", "valid", "READ", "scope_key", "decode"]

READ = {table: tuple(c for c in cols if c != "embedding") for table, cols in COLUMNS.items()}


def valid(when: Validity = CURRENT, table: str = MEMORIES, prefix: str = ""
          ) -> tuple[str, list[Any]]:
    """The condition a row of ``table`` must meet to be read ``when``, with its parameters:
    ``validity.where`` itself (the one rule), in psycopg's placeholders; raw messages have no
    validity. The validity columns are ``COLLATE "C"`` (``schema.TYPES``), so comparing the
    UTC strings compares the instants, as in SQLite."""
    if table != MEMORIES:
        return "TRUE", []
    clause, params = validity.where(when, prefix)
    return clause.replace("?", "%s"), params


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
