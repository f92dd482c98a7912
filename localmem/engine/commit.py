"""Applying a plan: raw messages, memory changes, provenance and history in one SQLite
transaction, then the FAISS indexes (rebuilt from SQLite if updating them fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localmem.storage.indexset import IndexSet
from localmem.engine.pipeline import PlannedChange
from localmem.storage.store import MEMORIES, MESSAGES, Store
from localmem.engine.textutil import text_hash
from localmem.types import Action, MemoryEvent

__all__ = ["apply_plan"]


def apply_plan(
    store: Store,
    indexes: IndexSet,
    plan: list[PlannedChange],
    msgs: list[dict[str, Any]],
    message_vectors: Sequence[np.ndarray | None] | None,
    scope: dict[str, str],
    meta: dict[str, Any],
    observed: str,
    actor: str,
) -> list[MemoryEvent]:
    """Store messages and apply the plan in one transaction, then update the indexes."""
    events: list[MemoryEvent] = []
    added: list[tuple[int, np.ndarray]] = []
    removed: list[int] = []
    with store.transaction():
        message_ids = store.insert_messages(msgs, scope, meta, observed, message_vectors)
        message_added = [
            (mid, vec) for mid, vec in zip(message_ids, message_vectors or []) if vec is not None
        ]
        for change in plan:
            sources = [message_ids[i] for i in change.source_ids if i < len(message_ids)]
            events.extend(
                _apply_one(store, change, sources, scope, meta, observed, actor, added, removed)
            )
        changed = [(MESSAGES, mid) for mid, _ in message_added]
        changed += [(MEMORIES, mid) for mid in removed] + [(MEMORIES, mid) for mid, _ in added]
        version = store.bump_vectors_version(changed)
    try:  # committed: the indexes must follow, or be rebuilt from SQLite
        facts = indexes.facts
        facts.remove(np.asarray(removed, dtype=np.int64))
        latest = dict(added)  # one vector per id: the last one written
        if latest:
            facts.add(np.asarray(list(latest)), np.vstack(list(latest.values())))
        if message_added:
            indexes.messages.add(
                np.asarray([i for i, _ in message_added]),
                np.vstack([v for _, v in message_added]),
            )
    except Exception:  # noqa: BLE001 - any failure here is repaired the same way
        indexes.rebuild()
        return events
    indexes.applied(version)
    return events


def _apply_one(
    store: Store,
    change: PlannedChange,
    sources: list[int],
    scope: dict[str, str],
    meta: dict[str, Any],
    observed: str,
    actor: str,
    added: list[tuple[int, np.ndarray]],
    removed: list[int],
) -> list[MemoryEvent]:
    event, target = change.event, change.memory_id
    exists = target is not None and target > 0 and store.has_memory(target)
    if event in (Action.UPDATE, Action.DELETE, Action.NONE) and not exists:
        event, target = Action.ADD, None  # the memory vanished (another process deleted it)
    if event is Action.ADD:
        same = store.find_by_hash(text_hash(change.text), scope)  # re-check inside the lock
        if same is not None:
            store.link_sources(same["id"], sources)
            return [MemoryEvent(id=same["id"], text=same["text"], event=Action.NONE,
                                reason="same text is stored")]
    if event in (Action.ADD, Action.UPDATE):
        written = _write(store, change, target, sources, scope, meta, observed, actor, added)
        return [*_end(store, change, written.id, actor, removed), written]
    assert target is not None
    if event is Action.NONE:
        store.link_sources(target, sources)
        row = store.get_memory(target)
        return [MemoryEvent(id=target, text=row["text"], event=Action.NONE, reason=change.reason)]
    old = store.retire_memory(target, actor, change.reason)
    removed.append(target)
    return [MemoryEvent(id=target, text=old, event=Action.DELETE, previous_text=old,
                        reason=change.reason)]


def _write(store: Store, change: PlannedChange, target: int | None, sources: list[int],
           scope: dict[str, str], meta: dict[str, Any], observed: str, actor: str,
           added: list[tuple[int, np.ndarray]]) -> MemoryEvent:
    """Insert (target None) or update one memory; its vector goes to ``added``."""
    assert change.embedding is not None
    slot = (change.subject, change.attribute)
    hash_ = text_hash(change.text)
    if target is None:
        target = store.insert_memory(change.text, hash_, scope, meta, change.embedding, observed,
                                     sources, actor, change.reason, slot)
        old, event = None, Action.ADD
    else:
        old = store.update_memory(target, change.text, hash_, change.embedding, actor,
                                  observed_at=observed, source_ids=sources, reason=change.reason,
                                  slot=slot)
        event = Action.UPDATE
    added.append((target, change.embedding))
    return MemoryEvent(id=target, text=change.text, event=event, previous_text=old,
                       reason=change.reason)


def _end(store: Store, change: PlannedChange, by: int, actor: str,
         removed: list[int]) -> list[MemoryEvent]:
    """End the memories ``change`` ends; history keeps each, naming the memory that ended it."""
    events = []
    for gone in (g for g in change.ends if g != by and store.has_memory(g)):
        old = store.retire_memory(gone, actor, f"ended by memory {by}")
        removed.append(gone)
        events.append(MemoryEvent(id=gone, text=old, event=Action.DELETE, previous_text=old,
                                  reason=change.reason))
    return events
