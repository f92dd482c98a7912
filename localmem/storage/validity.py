"""Which memory rows a read sees: the one place that says what "current" and "valid at t" mean.

A memory row is true from ``valid_from`` (the observation time of the message that set it) until
``valid_to`` (that of the message that ended or superseded it; NULL while it holds), and
``ended_by`` names the memory that replaced it, when one did. A row is *current* when
``valid_to IS NULL``; it is *valid at t* when ``valid_from <= t < valid_to`` (open ends count as
unbounded). Both times are stored as UTC ISO 8601 with microseconds (``utc``), so comparing the
strings compares the instants.

Every backend filters with these rules; SQL backends can use ``where`` as it is (a Postgres
backend mirrors it: the same columns, the same comparisons). The SQLite + FAISS backend keeps
only current rows in its FAISS index (``INDEXED``), so the default search needs no filter at
all; reads of the past score ended rows exactly from the stored vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from localmem.storage.migrations import MEMORIES, MESSAGES

__all__ = ["Validity", "CURRENT", "EVERY", "at", "where", "utc", "INDEXED"]


@dataclass(frozen=True)
class Validity:
    """Current rows (the default), rows valid at ``as_of``, or every row (``include_ended``)."""

    as_of: str | None = None  # UTC ISO 8601 (see ``utc``)
    include_ended: bool = False

    @property
    def current(self) -> bool:
        return self.as_of is None and not self.include_ended


CURRENT = Validity()
EVERY = Validity(include_ended=True)


def at(as_of: str | None, include_ended: bool = False) -> Validity:
    """The validity of a read: rows valid at ``as_of`` (a timestamp), else current or every row."""
    if as_of is not None:
        return Validity(as_of=utc(as_of))
    return EVERY if include_ended else CURRENT


def where(when: Validity, prefix: str = "") -> tuple[str, list[Any]]:
    """A WHERE clause on memory rows for ``when``, with its parameters."""
    if when.as_of is not None:
        return (f"({prefix}valid_from IS NULL OR {prefix}valid_from <= ?) AND "
                f"({prefix}valid_to IS NULL OR {prefix}valid_to > ?)", [when.as_of, when.as_of])
    if when.include_ended:
        return "1=1", []
    return f"{prefix}valid_to IS NULL", []


def utc(timestamp: str) -> str:
    """An ISO 8601 timestamp as stored for validity: UTC, microseconds (naive means UTC).

    Raises:
        ValueError: not an ISO 8601 timestamp.
    """
    when = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


# The rows each table's vector index holds: memories only while current (an ended fact leaves
# the index, as a deleted one does), every message with a vector.
INDEXED = {
    MEMORIES: "embedding IS NOT NULL AND valid_to IS NULL",
    MESSAGES: "embedding IS NOT NULL",
}
