"""The storage seam: what the engine needs from storage, whichever database is behind it.

A backend is a ``Storage``: ``rows`` (the source of truth: memories, history, raw messages,
provenance), ``vectors`` and ``keywords`` (search over those rows), and ``write()``, the commit
step every change goes through. SQLite + FAISS (``sqlite_backend``) is one implementation;
``open_storage`` (in ``localmem.storage``) picks one by ``VectorStoreConfig.provider``.

Row ids are positive integers; ``Scope`` matches user_id / agent_id / run_id exactly. A row is a
plain dict of its table's columns (``migrations.COLUMNS``) without the embedding, metadata
decoded; export records keep the stored form (see ``Storage.export_records``).

Facts valid in time (``validity``): a memory row holds from ``valid_from`` until ``valid_to``
(NULL: current) and names in ``ended_by`` the memory that replaced it. An ending or a
supersession never deletes the row: ``end_memory`` sets ``valid_to``; only a user's erase
removes rows. Memory reads take a ``Validity`` (``when``, default ``CURRENT``): current rows,
rows valid at ``as_of`` (``valid_from <= t < valid_to``) or every row, with exactly the rule
``validity.where`` writes; the engine's own lookups (``find_by_hash``, ``slot_memories``, the
default ``scope_ids`` / ``search``) see current rows only. A backend may keep only current
rows in its vector index, as SQLite + FAISS does, if reads of the past still rank ended rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from localmem.errors import ConfigError
from localmem.storage.migrations import MEMORIES, MESSAGES
from localmem.storage.sql import Scope
from localmem.storage.validity import CURRENT, Validity
from localmem.types import StorageStats

__all__ = [
    "claim_embedder", "Storage", "Rows", "MemoryRows", "History", "RawMessages", "Provenance", "Vectors",
    "KeywordSearch", "Scope", "MEMORIES", "MESSAGES", "Validity", "CURRENT",
]

Row = dict[str, Any]


class MemoryRows(Protocol):
    """Memories (facts). Writes happen inside ``Storage.write()``."""

    def has_memory(self, memory_id: int) -> bool:
        """Whether the row exists, current or ended."""

    def get_memory(self, memory_id: int) -> Row:
        """The row, current or ended. Raises KeyError: no memory has that id."""

    def memories(
        self, scope: Scope, limit: int | None = None, ids: Sequence[int] | None = None,
        filters: dict[str, Any] | None = None, when: Validity = CURRENT,
    ) -> list[Row]:
        """A scope's memories valid ``when``, newest first; or those of ``ids`` in that order."""

    def find_by_hash(self, hash_: str, scope: Scope) -> Row | None:
        """A current memory of the scope with this text hash."""

    def slot_memories(
        self, scope: Scope, attribute: str | None, ids: Sequence[int] = (), limit: int = 20
    ) -> list[Row]:
        """A scope's current memories with this attribute (or one of ``ids``), newest first,
        each with its subject, attribute and vector (``embedding``)."""

    def insert_memory(
        self, text: str, hash_: str, scope: Scope, metadata: dict[str, Any],
        embedding: np.ndarray, observed_at: str | None, source_ids: Sequence[int], actor: str,
        reason: str = "", slot: tuple[str | None, str | None] = (None, None),
    ) -> int:
        """A new current memory (``valid_from``: ``observed_at`` in UTC, else now) with its
        sources and an ADD history entry; returns its id."""

    def update_memory(
        self, memory_id: int, text: str, hash_: str, embedding: np.ndarray, actor: str, *,
        metadata: dict[str, Any] | None = None, observed_at: str | None = None,
        source_ids: Sequence[int] = (), reason: str = "",
        slot: tuple[str | None, str | None] | None = None,
    ) -> str:
        """New text (and vector) in place, validity unchanged (a user's edit, a refined
        wording), with an UPDATE history entry; returns the old text."""

    def end_memory(self, memory_id: int, actor: str, reason: str, ended_at: str,
                   ended_by: int | None = None) -> str:
        """The memory stops holding: ``valid_to`` = ``ended_at`` in UTC (not before its
        ``valid_from``), ``ended_by`` set, a DELETE history entry; the row stays but leaves
        current reads (and may leave the vector index). Returns its text."""

    def chain(self, memory_id: int) -> list[int]:
        """The memory and every row linked to it through ``ended_by``, either way, ascending."""

    def erase_memories(self, memory_ids: Sequence[int]) -> None:
        """A user's delete: the memories (ended ones too), their history and their source
        messages go. ``Memory.delete`` passes a memory's whole ``chain``."""

    def erase_scope(self, scope: Scope) -> int:
        """A user's delete of a scope's memories and messages; returns how many memories."""


class History(Protocol):
    def history(self, memory_id: int) -> list[Row]:
        """Every ADD / UPDATE / DELETE of the memory's ``chain``, oldest first."""


class RawMessages(Protocol):
    def insert_messages(
        self, messages: Sequence[dict[str, Any]], scope: Scope, metadata: dict[str, Any],
        observed_at: str, embeddings: Sequence[np.ndarray | None] | None = None,
    ) -> list[int]:
        """Store messages verbatim (one with a vector is searchable); returns their ids."""

    def messages(self, ids: Sequence[int]) -> list[Row]:
        """The messages of ``ids`` in that order (missing ones left out)."""

    def erase_messages(self, message_ids: Sequence[int]) -> None: ...

    def message_metadata_values(self, key: str, scope: Scope) -> set[Any]:
        """The distinct values of metadata ``key`` on the raw messages of a scope."""


class Provenance(Protocol):
    def link_sources(self, memory_id: int, message_ids: Sequence[int]) -> None: ...

    def sources(self, memory_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each memory's source message ids, ascending."""


class Rows(MemoryRows, History, RawMessages, Provenance, Protocol):
    """The source of truth."""


class Vectors(Protocol):
    """Similarity search over the rows' vectors, in ``MEMORIES`` or ``MESSAGES``."""

    def scope_ids(
        self, table: str, scope: Scope, filters: dict[str, Any] | None = None,
        when: Validity = CURRENT,
    ) -> np.ndarray:
        """Ids (int64) of the scope's rows with a vector (memories: valid ``when``); current
        ones may include a few deleted or ended rows, which ``search`` must never return."""

    def search(
        self, table: str, vector: np.ndarray, k: int, allowed: np.ndarray | None = None,
        when: Validity = CURRENT,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest rows among ``allowed`` ids, best first, with cosine scores:
        current rows only unless ``when`` reads the past (then ``allowed`` came from
        ``scope_ids`` with the same ``when``)."""

    def scores(
        self, table: str, vector: np.ndarray, ids: list[int], when: Validity = CURRENT
    ) -> dict[int, float]:
        """Exact cosine with each of ``ids`` that has a vector (and is current, by default)."""


class KeywordSearch(Protocol):
    def keyword_ids(
        self, table: str, query: str, allowed: np.ndarray, limit: int, when: Validity = CURRENT
    ) -> list[int]:
        """Ids among ``allowed`` whose text matches the query's uncommon words, best first
        (current rows only unless ``when`` reads the past)."""


class Storage(Protocol):
    """One backend: rows, search over them, and the commit step."""

    @property
    def rows(self) -> Rows: ...

    @property
    def vectors(self) -> Vectors: ...

    @property
    def keywords(self) -> KeywordSearch: ...

    def write(self) -> AbstractContextManager[None]:
        """The commit step: row writes inside commit together, then search follows them.

        Raises:
            StorageError: the database failed; nothing was written.
        """

    def sync(self) -> None:
        """Catch up with writes committed by other processes (cheap when there were none)."""

    def bulk(self) -> AbstractContextManager[None]:
        """Many writes in a row: derived state is saved once at the end, not after each write.

        Each write still commits on its own.
        """

    def stats(self) -> StorageStats: ...

    def export_records(self, scope: Scope) -> Iterator[tuple[str, Row]]:
        """(kind, stored row) of every message, memory and history row of a scope."""

    def import_records(
        self, records: Mapping[str, Sequence[Row]], replace: bool, scope: Scope
    ) -> list[str]:
        """Store validated records keeping their ids; returns the ``"kind id"`` replaced.

        Raises:
            InvalidInputError: an id exists and ``replace`` is False; history names a memory
                this store holds and the records do not; a ``replace`` within ``scope`` would
                overwrite another scope's row. Nothing is stored.
        """

    def reset(self) -> None:
        """Erase every row."""

    def close(self) -> None:
        """Save what is unsaved and let go of the database."""


def claim_embedder(rows: Any, embedder: str, where: str, instead: str) -> None:
    """Record that a store's vectors come from ``embedder``, or refuse another's: vectors of two
    embedders are not comparable. ``rows`` has get_setting / set_setting / count; ``where``
    ("in /home", "at postgresql://...") and ``instead`` (what else the user can open) name the
    store in the error. Called inside the backend's write when others may race.

    Raises:
        ConfigError: the store holds rows embedded by another embedder.
    """
    stored = rows.get_setting("embedder")
    if stored == embedder:
        return
    if stored is not None and rows.count(MEMORIES) + rows.count(MESSAGES):
        raise ConfigError(
            f"the memories {where} were embedded with {stored!r}, not {embedder!r}; use that "
            f"embedder again, or {instead} re-import with `localmem export` / `localmem import`"
        )
    rows.set_setting("embedder", embedder)
