"""Applying a plan: raw messages, memory changes, provenance and history in one storage write.

The storage's commit step (``Storage.write``) makes it one transaction and brings the search
indexes along; this module only decides which rows each planned change writes.

Facts are valid in time: an UPDATE that replaces a value (the new text drops words of the old,
or flips its negation) ends the old row and inserts the new fact as its own row, so the past
stays answerable; an UPDATE that only refines the wording ("Has a dog" -> "Has a dog named Rex")
rewrites the row in place. Endings and DELETEs end rows (``valid_to``), never remove them; every
end is dated by the observation time of the message that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from localmem.engine.extract import has_negation
from localmem.engine.pipeline import PlannedChange
from localmem.engine.textutil import content_words, text_hash
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
    exists = target is not None and target > 0 and _is_current(rows, target)
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
        return [*_end(rows, change, written.id, incoming), written]
    assert target is not None
    if event is Action.NONE:
        rows.link_sources(target, sources)
        row = rows.get_memory(target)
        return [MemoryEvent(id=target, text=row["text"], event=Action.NONE, reason=change.reason)]
    old = rows.end_memory(target, incoming.actor, change.reason, incoming.observed)
    return [MemoryEvent(id=target, text=old, event=Action.DELETE, previous_text=old,
                        reason=change.reason)]


def _write(rows: Rows, change: PlannedChange, target: int | None, sources: list[int],
           incoming: Incoming) -> MemoryEvent:
    """Insert (``target`` None), supersede or refine one memory, with its subject and attribute.

    A supersession's event carries the new row's id and names the ended one in ``replaced_id``.
    """
    assert change.embedding is not None
    slot = (change.subject, change.attribute)
    hash_ = text_hash(change.text)
    old = None if target is None else str(rows.get_memory(target)["text"])
    if target is not None and old is not None and not _replaces(old, change.text):
        rows.update_memory(target, change.text, hash_, change.embedding, incoming.actor,
                           observed_at=incoming.observed, source_ids=sources,
                           reason=change.reason, slot=slot)
        return MemoryEvent(id=target, text=change.text, event=Action.UPDATE, previous_text=old,
                           reason=change.reason)
    if target is not None:  # as the row rewritten in place did, the new version keeps the old
        # one's sources: search still hides the raw turns behind the value it replaced
        sources = sorted({*rows.sources([target])[target], *sources})
    new_id = rows.insert_memory(change.text, hash_, incoming.scope, incoming.metadata,
                                change.embedding, incoming.observed, sources, incoming.actor,
                                change.reason, slot)
    if target is None:
        return MemoryEvent(id=new_id, text=change.text, event=Action.ADD, reason=change.reason)
    rows.end_memory(target, incoming.actor, f"superseded by memory {new_id}: {change.reason}",
                    incoming.observed, ended_by=new_id)
    return MemoryEvent(id=new_id, text=change.text, event=Action.UPDATE, previous_text=old,
                       reason=change.reason, replaced_id=target)


def _replaces(old: str, new: str) -> bool:
    """Whether ``new`` states another value than ``old`` rather than refining its wording:
    it drops a word of the old text, or flips its negation."""
    return (has_negation(old) != has_negation(new)
            or not set(content_words(old)) <= set(content_words(new)))


def _is_current(rows: Rows, memory_id: int) -> bool:
    return rows.has_memory(memory_id) and rows.get_memory(memory_id)["valid_to"] is None


def _end(rows: Rows, change: PlannedChange, by: int, incoming: Incoming) -> list[MemoryEvent]:
    """End the memories ``change`` ends at the message's time, each naming the memory that
    ended it (``ended_by``); the rows stay, for reads of the past."""
    events = []
    for gone in (g for g in change.ends if g != by and _is_current(rows, g)):
        old = rows.end_memory(gone, incoming.actor, f"ended by memory {by}", incoming.observed,
                              ended_by=by)
        events.append(MemoryEvent(id=gone, text=old, event=Action.DELETE, previous_text=old,
                                  reason=change.reason))
    return events
