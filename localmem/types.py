"""The values the public API returns: memories, search results, events and history entries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Action", "MemoryItem", "SearchResults", "MemoryEvent", "HistoryEntry", "ScopeCounts",
    "IndexStats", "StorageStats",
]


class Action(str, Enum):
    """What an add did to one memory."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NONE = "NONE"


class MemoryItem(BaseModel):
    """A stored memory (kind="fact") or a stored raw message (kind="message").

    A fact holds from ``valid_from`` until ``valid_to`` (None: it still holds); ``ended_by`` is
    the memory that replaced it, if one did.
    """

    model_config = ConfigDict(frozen=True)

    id: int
    text: str
    kind: Literal["fact", "message"] = "fact"
    score: float | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    metadata: dict[str, Any] = {}
    created_at: datetime
    updated_at: datetime
    observed_at: datetime | None = None
    hash: str = ""
    source_message_ids: list[int] = []
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    ended_by: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A mem0-shaped dict (``"memory"`` holds the text) for code ported from mem0."""
        out: dict[str, Any] = {
            "id": self.id,
            "memory": self.text,
            "hash": self.hash,
            "metadata": dict(self.metadata),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "kind": self.kind,
        }
        for key in ("user_id", "agent_id", "run_id", "score", "ended_by"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        for key in ("valid_from", "valid_to"):
            when = getattr(self, key)
            if when is not None:
                out[key] = when.isoformat()
        return out


class SearchResults(list[MemoryItem]):
    """A list of ``MemoryItem``, best first; empty (and falsy) when nothing matched.

    ``rerank_error``: why a search asked to rerank kept hybrid search's order (the model
    failed); None otherwise.
    """

    rerank_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """mem0's shape: ``{"results": [...]}``."""
        return {"results": [item.to_dict() for item in self]}


class MemoryEvent(BaseModel):
    """One change ``add`` made (or chose not to make, for NONE).

    An UPDATE that replaced a value names the new memory in ``id`` and the ended one in
    ``replaced_id`` (None: the memory was rewritten in place).
    """

    model_config = ConfigDict(frozen=True)

    id: int
    text: str
    event: Action
    previous_text: str | None = None
    reason: str = ""
    replaced_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """mem0's shape for an add result entry."""
        out: dict[str, Any] = {"id": self.id, "memory": self.text, "event": self.event.value}
        if self.previous_text is not None:
            out["previous_memory"] = self.previous_text
        if self.replaced_id is not None:
            out["replaced_id"] = self.replaced_id
        return out


class HistoryEntry(BaseModel):
    """One ADD / UPDATE / DELETE of a memory, with old and new text."""

    model_config = ConfigDict(frozen=True)

    id: int
    memory_id: int
    event: Action
    old_text: str | None
    new_text: str | None
    created_at: datetime
    actor: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """mem0's shape for a history entry."""
        return {
            "id": self.id,
            "memory_id": self.memory_id,
            "event": self.event.value,
            "old_memory": self.old_text,
            "new_memory": self.new_text,
            "created_at": self.created_at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
        }


class ScopeCounts(BaseModel):
    """How many memories and raw messages one scope holds."""

    model_config = ConfigDict(frozen=True)

    user_id: str | None
    agent_id: str | None
    run_id: str | None
    memories: int
    messages: int


class IndexStats(BaseModel):
    """The search indexes: vectors held and their files on disk (none in memory)."""

    model_config = ConfigDict(frozen=True)

    facts: int
    messages: int
    bytes: int
    files: list[str] = []


class StorageStats(BaseModel):
    """What ``Memory.stats()`` reports: counts per scope and the indexes."""

    model_config = ConfigDict(frozen=True)

    scopes: list[ScopeCounts]
    index: IndexStats
