"""Keeps the two FAISS indexes (facts, raw messages) in step with SQLite.

SQLite's ``vectors_version`` is bumped by every write that changes vectors; the saved indexes
record the version they hold in ``index.json``. On open, and whenever another connection has
committed (``PRAGMA data_version``), indexes behind the stored version catch up: from the change
log (``changelog``) when it names every row changed since, by a rebuild from the stored
embeddings otherwise. A crash between commit and save, or another process's write, never leaves
search reading a stale index. This process's own writes are applied by ``follow`` (the second
half of the storage's commit step), which rebuilds when applying them fails. The scope mirrors
(``ScopeIds``) follow by themselves: they read rows above the last id they saw whenever the
version moves, by whichever process.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from localmem.errors import IndexCorruptError
from localmem.crypto import SealError
from localmem.paths import atomic_write_bytes
from localmem.storage import changelog
from localmem.storage.changelog import VectorChanges
from localmem.storage.faiss_index import EXACT_MAX, VectorIndex, seal_file, unseal_file
from localmem.storage.scale import KeywordIds, ScopeIds
from localmem.storage.sql import Scope
from localmem.storage.store import MEMORIES, MESSAGES, Store
from localmem.storage.validity import CURRENT, Validity

__all__ = ["IndexSet", "SAVE_EVERY_WRITE_MAX"]

SAVE_EVERY_WRITE_MAX = 20_000  # larger indexes are saved on close / flush, not after each write


class IndexSet:
    """The facts index and the raw-message index of one store."""

    def __init__(
        self, store: Store, dim: int, folder: Path | None, *, exact_max: int = EXACT_MAX
    ) -> None:
        self.store = store
        self.folder = folder
        self.key = key = store.key  # an encrypted home: every saved file is sealed
        self.facts = VectorIndex(
            dim, folder / "facts.faiss" if folder else None, exact_max=exact_max, key=key
        )
        self.messages = VectorIndex(
            dim, folder / "messages.faiss" if folder else None, exact_max=exact_max, key=key
        )
        self.scopes = {table: ScopeIds(store, table) for table in (MEMORIES, MESSAGES)}
        self.keywords = {table: KeywordIds(store, table) for table in (MEMORIES, MESSAGES)}
        self.version = -1
        self.rebuilds = 0  # full rebuilds from SQLite
        self.catchups = 0  # catch-ups replayed from the change log instead
        self._seen_data_version: int | None = None
        self._dirty = False
        self.defer_saves = 0  # > 0 inside Memory.bulk(): save once at its end
        self._lock = threading.RLock()
        self._open()

    def by_table(self, table: str) -> VectorIndex:
        return self.facts if table == MEMORIES else self.messages

    def scope_ids(
        self, table: str, scope: Scope, filters: dict[str, Any] | None = None,
        when: Validity = CURRENT,
    ) -> np.ndarray:
        """Ids of a scope's rows with a vector (memories: valid ``when``), for the id selector.

        Current rows come from the in-memory mirror (it may name a few deleted or ended rows,
        which the index does not hold and the selector ignores); metadata filters and reads of
        the past go to SQLite.
        """
        if table == MEMORIES and not when.current:
            return self.store.scope_ids(table, scope, filters, when)
        with self._lock:
            mirror = self.scopes[table]
            if mirror.size > 2 * self.by_table(table).ntotal + 1000:
                mirror.reset()  # mostly deleted rows: read the live ones again
            found = None if filters else mirror.lookup(scope)
        if found is None:
            return self.store.scope_ids(table, scope, filters)
        return found

    def search(
        self, table: str, vector: np.ndarray, k: int, allowed: np.ndarray | None = None,
        when: Validity = CURRENT,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest rows of ``table`` (within ``allowed``), with cosine scores.

        The index holds current rows; for a read of the past (``allowed`` from ``scope_ids``
        with the same ``when``) the ended rows among ``allowed`` are scored from SQLite.
        """
        index = self.by_table(table)
        found = index.search(vector, k, allowed)
        if when.current or allowed is None:
            return found
        ended = allowed[~index.contains(allowed)]
        found += self._exact(table, vector, ended.tolist()).items()
        return sorted(found, key=lambda t: (-t[1], t[0]))[:k]

    def scores(
        self, table: str, vector: np.ndarray, ids: list[int], when: Validity = CURRENT
    ) -> dict[int, float]:
        """Exact cosine of ``vector`` with each of ``ids`` that the index holds (reads of the
        past: each that has a vector in SQLite)."""
        found = self.by_table(table).scores(vector, ids)
        if not when.current:
            found.update(self._exact(table, vector, [i for i in ids if i not in found]))
        return found

    def _exact(self, table: str, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Cosine with the vectors SQLite stores for ``ids`` (rows the index does not hold)."""
        if not ids:
            return {}
        held, vectors = self.store.vectors_of(table, ids)
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        return {int(i): float(s) for i, s in zip(held, sims)}

    def keyword_ids(
        self, table: str, query: str, allowed: np.ndarray, limit: int,
        when: Validity = CURRENT,
    ) -> list[int]:
        """Ids in ``allowed`` whose text matches the query's uncommon words, best first.

        For current rows, only those the index holds (the mirror's ``allowed`` may name ended
        memories, which keyword search would still find).
        """
        with self._lock:
            index = self.by_table(table)
            held = index.contains if table == MEMORIES and when.current else None
            return self.keywords[table].search(query, allowed, limit, index.ntotal, held)

    def _sidecar(self) -> Path | None:
        return self.folder / "index.json" if self.folder else None

    def _open(self) -> None:
        """Load the saved indexes and catch them up; rebuild when that fails."""
        sidecar = self._sidecar()
        current = False
        try:
            if sidecar is not None and sidecar.exists():
                raw = sidecar.read_bytes()
                if self.key is not None:
                    raw = unseal_file(self.key, raw, sidecar.name)
                payload = json.loads(raw)
                saved = payload.get("version") if isinstance(payload, dict) else None
                if isinstance(saved, int) and self.facts.load() and self.messages.load():
                    self.version = saved
                    stored = self.store.vectors_version()
                    current = (saved == stored or self._replayed()) and self._digests_agree()
        except (IndexCorruptError, SealError, ValueError, OSError):
            pass  # fall through to a rebuild from SQLite
        if not current:
            self.rebuild()
        elif self.facts.unsaved or self.messages.unsaved:  # refitted on load, or caught up
            self._dirty = True
        self._seen_data_version = self.store.data_version()

    def _digests_agree(self) -> bool:
        return (
            self.facts.digest() == self.store.id_digest(MEMORIES)
            and self.messages.digest() == self.store.id_digest(MESSAGES)
        )

    def rebuild(self) -> None:
        """Rebuild both indexes from the embeddings stored in SQLite, and save them."""
        with self._lock:
            version = self.store.vectors_version()
            for table in (MEMORIES, MESSAGES):
                ids, vectors = self.store.embeddings(table)
                self.by_table(table).rebuild(ids, vectors)
                self.scopes[table].reset()
            self.version = version
            self.rebuilds += 1
            self._dirty = True
            self.save()

    def sync(self) -> None:
        """Catch up with writes committed by other connections (cheap when there were none)."""
        with self._lock:
            data_version = self.store.data_version()
            if data_version == self._seen_data_version:
                return
            self._seen_data_version = data_version
            if self.store.vectors_version() != self.version:
                self.catch_up()

    def follow(self, changes: VectorChanges) -> None:
        """Apply this process's committed write (``changes``); rebuild when that cannot work."""
        with self._lock:
            if changes.rows is None:
                self.rebuild()
                return
            try:
                for table, rows in changes.rows.items():
                    index = self.by_table(table)
                    index.remove(np.asarray([i for i, v in rows.items() if v is None], np.int64))
                    kept = {i: v for i, v in rows.items() if v is not None}
                    if kept:
                        index.add(np.asarray(list(kept)), np.vstack(list(kept.values())))
            except Exception:  # noqa: BLE001 - any failure here is repaired the same way
                self.rebuild()
                return
            self._applied(changes.version)

    def _applied(self, version: int) -> None:
        """Record that this process's own write (now at ``version``) is in the indexes."""
        if version == self.version + 1:
            self.version = version
            self._dirty = True
            self._save_if_small()
        else:  # another process wrote in between: the in-memory indexes miss its changes
            self.catch_up()

    def catch_up(self) -> None:
        """Bring the indexes to the stored version: replay the change log, else rebuild."""
        with self._lock:
            if self._replayed():
                self._save_if_small()
            else:
                self.rebuild()

    def _replayed(self) -> bool:
        """Apply the rows changed since ``self.version``; False when only a rebuild can help."""
        try:
            version, changes = changelog.replay(self.store, self.version)
            if changes is None:
                return False
            for table, rows in changes.items():
                index = self.by_table(table)
                index.remove(rows.gone)
                index.add(rows.ids, rows.vectors)
        except Exception:  # noqa: BLE001 - whatever failed, half-applied or not, a rebuild repairs
            return False
        if version != self.version:
            self.version = version
            self.catchups += 1
            self._dirty = True
        return True

    def _save_if_small(self) -> None:
        small = self.facts.ntotal + self.messages.ntotal <= SAVE_EVERY_WRITE_MAX
        if small and not self.defer_saves:
            self.save()

    def save(self) -> None:
        """Write both indexes and their version atomically (no-op in memory or when clean)."""
        with self._lock:
            sidecar = self._sidecar()
            if sidecar is None or not self._dirty:
                return
            for index in (self.facts, self.messages):
                if index.unsaved or not (index.path and index.path.exists()):
                    index.save()
            payload = {"version": self.version, "dim": self.facts.dim, "saved_at": time.time()}
            data = json.dumps(payload).encode()
            if self.key is not None:
                data = seal_file(self.key, data, sidecar.name)
            atomic_write_bytes(sidecar, data)
            self._dirty = False
