"""Applying a plan: raw messages, memory changes, provenance and history in one storage write.

The storage's commit step (``Storage.write``) makes it one transaction and brings the search
indexes along; this module only decides which rows each planned change writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from localmem.engine.pipeline import PlannedChange
from localmem.engine.textutil import text_hash
from localmem.storage.base import Rows, Scope, Storage
from localmem.types import Action, MemoryEvent

__all__ = ["Incoming", "apply_plan"]


@dataclass(frozen=True)
class Incoming:
    """What one ``add`` brings: its messages and where, when and by whom they were said."""

    messages: list[dict[str, Any]]
    scope: Scope
    metadata: dict[str, Any]
    observed: str  # ISO 8601
    actor: str  # "user" (stored verbatim) or "model" (decided by the model)
    vectors: Sequence[np.ndarray | None] | None = None  # per message; None: not searchable


def apply_plan(
    storage: Storage, plan: list[PlannedChange], incoming: Incoming
) -> list[MemoryEvent]:
    """Store the messages and apply the plan in one write; returns the events applied.

    Raises:
        StorageError: the database failed; nothing was stored.
    """
    with storage.write():
        rows = storage.rows
        message_ids = rows.insert_messages(incoming.messages, incoming.scope, incoming.metadata,
                                           incoming.observed, incoming.vectors)
        events: list[MemoryEvent] = []
        for change in plan:
            sources = [message_ids[i] for i in change.source_ids if i < len(message_ids)]
            events.extend(_apply_one(rows, change, sources, incoming))
        return events


def _apply_one(
    rows: Rows, change: PlannedChange, sources: list[int], incoming: Incoming
) -> list[MemoryEvent]:
    event, target = change.event, change.memory_id
    exists = target is not None and target > 0 and rows.has_memory(target)
    if event in (Action.UPDATE, Action.DELETE, Action.NONE) and not exists:
        event, target = Action.ADD, None  # the memory vanished (another process deleted it)
    if event is Action.ADD:
        same = rows.find_by_hash(text_hash(change.text), incoming.scope)  # re-check in the lock
        if same is not None:
            rows.link_sources(same["id"], sources)
            return [MemoryEvent(id=same["id"], text=same["text"], event=Action.NONE,
                                reason="same text is stored")]
    if event in (Action.ADD, Action.UPDATE):
        written = _write(rows, change, target, sources, incoming)
        return [*_end(rows, change, written.id, incoming.actor), written]
    assert target is not None
    if event is Action.NONE:
        rows.link_sources(target, sources)
        row = rows.get_memory(target)
        return [MemoryEvent(id=target, text=row["text"], event=Action.NONE, reason=change.reason)]
    old = rows.retire_memory(target, incoming.actor, change.reason)
    return [MemoryEvent(id=target, text=old, event=Action.DELETE, previous_text=old,
                        reason=change.reason)]


def _write(rows: Rows, change: PlannedChange, target: int | None, sources: list[int],
           incoming: Incoming) -> MemoryEvent:
    """Insert (``target`` None) or update one memory, with its subject and attribute."""
    assert change.embedding is not None
    slot = (change.subject, change.attribute)
    hash_ = text_hash(change.text)
    if target is None:
        target = rows.insert_memory(change.text, hash_, incoming.scope, incoming.metadata,
                                    change.embedding, incoming.observed, sources, incoming.actor,
                                    change.reason, slot)
        old, event = None, Action.ADD
    else:
        old = rows.update_memory(target, change.text, hash_, change.embedding, incoming.actor,
                                 observed_at=incoming.observed, source_ids=sources,
                                 reason=change.reason, slot=slot)
        event = Action.UPDATE
    return MemoryEvent(id=target, text=change.text, event=event, previous_text=old,
                       reason=change.reason)


def _end(rows: Rows, change: PlannedChange, by: int, actor: str) -> list[MemoryEvent]:
    """End the memories ``change`` ends; history keeps each, naming the memory that ended it."""
    events = []
    for gone in (g for g in change.ends if g != by and rows.has_memory(g)):
        old = rows.retire_memory(gone, actor, f"ended by memory {by}")
        events.append(MemoryEvent(id=gone, text=old, event=Action.DELETE, previous_text=old,
                                  reason=change.reason))
    return events
