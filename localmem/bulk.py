"""What ``Memory`` offers for whole-store work: stats, export/import records, bulk writes.

The CLI's ``stats``, the JSON Lines transfer, the dashboard and chat-history import use these;
``Memory`` inherits them (``BulkAccess`` holds no state of its own).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from localmem import validate
from localmem.types import StorageStats

if TYPE_CHECKING:
    from localmem.storage.base import Storage

__all__ = ["BulkAccess"]


class BulkAccess:
    """Stats, records in and out, bulk writes and metadata lookups over ``self._storage``."""

    _lock: threading.RLock
    _storage: Storage

    def _scope(self, user_id: Any, agent_id: Any, run_id: Any) -> dict[str, str]:
        raise NotImplementedError  # Memory's: the default user when no scope is given

    def stats(self) -> StorageStats:
        """Memories and raw messages per scope, and the indexes: vectors held, files, bytes."""
        with self._lock:
            return self._storage.stats()

    def export_records(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind, stored row) of every message, memory and history row, or of one scope's.

        Rows hold their stored form (metadata as JSON text, embedding as float32 bytes);
        ``localmem.frontends.transfer`` turns them into an export.

        Raises:
            InvalidInputError: a scope value is not a valid id (raised at the call).
        """
        scope = validate.scope(user_id, agent_id, run_id)
        return self._storage.export_records(scope)

    def import_records(
        self,
        records: Mapping[str, Sequence[dict[str, Any]]],
        *,
        replace: bool = False,
        scope: dict[str, str] | None = None,
    ) -> list[str]:
        """Store export records by kind, keeping ids and timestamps; returns the ``"kind id"``
        replaced.

        The records must be validated (``localmem.frontends.transfer`` does); all of them are
        stored in one transaction, then the indexes are rebuilt. ``scope`` is the file's: a
        scoped ``replace`` overwrites only rows of that scope.

        Raises:
            InvalidInputError: an id exists already and ``replace`` is False; history names a
                memory this home holds and the records do not; a scoped ``replace`` would
                overwrite another scope's row. Nothing is stored.
            StorageError: the database failed; nothing is stored.
        """
        with self._lock:
            return self._storage.import_records(records, replace, scope or {})

    def metadata_values(
        self,
        key: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> set[Any]:
        """The distinct values of metadata ``key`` on the scope's stored raw messages.

        Every add stores its messages with its metadata, whatever the model decided, so an
        importer that tags each add with a key learns here which adds it has already made.

        Raises:
            InvalidInputError: bad key or scope.
        """
        validate.filters({key: 0})  # the same key rules as a filter's
        scope = self._scope(user_id, agent_id, run_id)
        with self._lock:
            self._storage.sync()
            return self._storage.rows.message_metadata_values(key, scope)

    @contextmanager
    def bulk(self) -> Iterator[BulkAccess]:
        """Many writes in a row: the indexes are saved once at the end, not after each write.

        Each write still commits on its own; if the process dies before the end, the next open
        catches the indexes up from the database.
        """
        with self._lock:  # the lock only around entering and leaving: other calls go on
            deferred = self._storage.bulk()
            deferred.__enter__()
        try:
            yield self
        finally:
            with self._lock:
                deferred.__exit__(None, None, None)
