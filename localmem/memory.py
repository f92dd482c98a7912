"""``Memory``: the public facade. add / search / get / get_all / update / delete / history / reset.

Data flows one way: ``add`` -> pipeline (model, embedder) -> storage's commit step (one
transaction, then the indexes). Storage comes from ``open_storage`` (``VectorStoreConfig``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from localmem import validate
from localmem.config import MemoryConfig, VectorStoreConfig
from localmem.crypto import Secret, as_secret
from localmem.backends.embeddings import Embedder, make_embedder
from localmem.errors import ConfigError, InvalidInputError, MemoryNotFoundError
from localmem.engine import ingest
from localmem.engine.commit import Incoming
from localmem.backends.llm import LLM, make_llm
from localmem.paths import IN_MEMORY, home_dir
from localmem.engine.pipeline import ExtractionReport, Pipeline
from localmem.engine.rerank import Reranker
from localmem.engine.retrieval import (
    SearchQuery, memory_item, message_item, query_vectors, ranked, results,
)
from localmem.storage import open_storage, validity
from localmem.bulk import BulkAccess
from localmem.engine.textutil import text_hash
from localmem.types import Action, HistoryEntry, MemoryEvent, MemoryItem, SearchResults

__all__ = ["Memory"]


class Memory(BulkAccess):
    """Long-term memory for an agent, fully local.

    Args:
        config: a ``MemoryConfig`` (defaults work offline with the bundled models).
        path: the home directory (overrides ``config.vector_store.path``); ":memory:" for a
            throwaway store.
        llm, embedder: backends to use instead of the configured ones (tests pass fakes).
        key: the key or passphrase of an encrypted home (default: ``LOCALMEM_KEY``, the file
            ``LOCALMEM_KEY_FILE`` names, the OS keyring); a new home given one is encrypted.

    Raises:
        ConfigError: a config value cannot be honoured (e.g. a model file is missing).
        HomeKeyError: an encrypted home without its key or with a wrong one, or a key given
            for a plaintext home; nothing was read or changed.
        StorageError: the database cannot be opened.
    """

    def __init__(
        self,
        config: MemoryConfig | None = None,
        *,
        path: str | Path | None = None,
        llm: LLM | None = None,
        embedder: Embedder | None = None,
        key: Secret | str | bytes | None = None,
    ) -> None:
        if config is not None and not isinstance(config, MemoryConfig):
            raise ConfigError(
                f"config must be a MemoryConfig, got {type(config).__name__}; "
                "for a dict use Memory.from_config({...})"
            )
        key = as_secret(key)  # from here on, never shown (repr, tracebacks)
        self.config = config or MemoryConfig()
        location = str(path) if path is not None else self.config.vector_store.path
        if path is not None:
            VectorStoreConfig(path=location)  # same checks as the config's path (ConfigError)
        self.home: Path | None = None if location == IN_MEMORY else home_dir(location)
        self._lock = threading.RLock()
        sqlite = self.config.vector_store.provider == "faiss"
        if sqlite and self.home is not None and self.home.is_dir():  # else open_storage tells
            from localmem.storage.crypt_home import home_key

            home_key(self.home, key)  # a missing or wrong key fails before any model loads
        self._llm = llm if llm is not None else make_llm(self.config.llm, self.home)
        if embedder is None:
            embedder = make_embedder(self.config.embedder, self.home)
        self.embedder = embedder
        self._storage = open_storage(
            self.config.vector_store, self.home, self.embedder.name, self.embedder.dims, key
        )
        self._pipeline: Pipeline | None = None
        self.last_extraction: ExtractionReport | None = None  # what the last add(infer=True) saw

    @classmethod
    def from_config(cls, config: dict[str, Any], **kwargs: Any) -> Memory:
        """Build from a plain dict (mem0's form).

        Raises:
            ConfigError: the dict does not describe a valid config.
        """
        if not isinstance(config, dict):
            raise ConfigError(f"from_config takes a dict, got {type(config).__name__}")
        return cls(MemoryConfig.model_validate(config), **kwargs)

    # -- backends --

    @property
    def llm(self) -> LLM:
        """The language model (llama.cpp loads its file on first use)."""
        return self._llm

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = Pipeline(
                self.llm,
                self.embedder,
                self.config.fact_extraction_prompt,
                self.config.update_memory_prompt,
                self.config.llm.model_leads,
                self.config.keep_chatter,
            )
        return self._pipeline

    def _scope(self, user_id: Any, agent_id: Any, run_id: Any) -> dict[str, str]:
        scope = validate.scope(user_id, agent_id, run_id)
        return scope or {"user_id": self.config.default_user_id}

    # -- add --

    def add(
        self,
        messages: str | dict[str, Any] | Sequence[dict[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        prompt: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> list[MemoryEvent]:
        """Remember what the messages say; returns the events applied (ADD/UPDATE/DELETE/NONE).

        The raw messages are always stored (provenance, and a search fallback). With
        ``infer=False`` each message is stored verbatim as a memory, without the model.

        Raises:
            InvalidInputError: bad messages, scope, metadata, prompt or timestamp; nothing stored.
            StorageError: SQLite failed; nothing stored.
        """
        msgs = validate.messages(messages)
        scope = self._scope(user_id, agent_id, run_id)
        meta = validate.metadata(metadata)
        observed = validate.observed_at(timestamp if timestamp is not None else meta.get("timestamp"))
        if prompt is not None:
            validate.prompt(prompt, validate.EXTRACTION_PLACEHOLDERS)
            if "{messages}" not in prompt:
                prompt = prompt + "\n\n{messages}\n"
        if not isinstance(infer, bool):
            raise InvalidInputError(f"infer must be True or False, got {infer!r:.40}")
        incoming = Incoming(msgs, scope, meta, observed, "model" if infer else "user")
        if not infer:
            with self._lock:
                self._storage.sync()
                return ingest.add_verbatim(self._storage, self.embedder, incoming)
        with self._lock:
            pipeline = self.pipeline
        # The model reads the messages outside the lock: it needs no stored rows, and other
        # callers' reads and writes must not wait for it (the backend serialises model calls).
        report = ingest.extract(pipeline, incoming, prompt)
        with self._lock:
            self.last_extraction = report
            self._storage.sync()
            return ingest.add_extracted(self._storage, pipeline, self.embedder, incoming, report)

    # -- reads --

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 5,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        max_words: int | None = None,
        as_of: datetime | str | float | None = None,
        rerank: bool | None = None,
    ) -> SearchResults:
        """Current memories of the scope most relevant to ``query``, best first.

        Facts come first; stored raw messages fill in only where they add something.
        ``max_words`` makes the result a context budget: the best items (at most ``limit``)
        whose texts fit in that many words together; an item longer than what is left is skipped.
        ``as_of`` (a datetime, ISO 8601 string or epoch seconds) answers with the facts that
        held then instead (``valid_from <= as_of < valid_to``; no raw messages).
        ``rerank`` (default: ``config.rerank.enabled``, off) lets the model reorder the best
        ``config.rerank.candidates`` items first: one model call, slower; if the model fails,
        hybrid search's order stands and ``rerank_error`` on the results says why.

        Raises:
            InvalidInputError: bad query, scope, limit, filters, threshold, max_words, as_of
                or rerank.
        """
        validate.text(query, "query")
        scope = self._scope(user_id, agent_id, run_id)
        limit = validate.limit(limit, 1000)
        flt = validate.filters(filters)
        minimum = validate.threshold(threshold)
        budget = validate.max_words(max_words)
        when = validity.at(validate.as_of(as_of))
        if rerank is None:
            rerank = self.config.rerank.enabled
        elif not isinstance(rerank, bool):
            raise InvalidInputError(f"rerank must be True, False or None (the config's), "
                                    f"got {rerank!r:.40}")
        vector, focus = query_vectors(self.embedder.embed_query, query)
        search = SearchQuery(query, vector, scope, limit, flt, minimum,
                             self.config.raw_fallback, budget, when, focus)
        with self._lock:
            self._storage.sync()
            candidates = ranked(self._storage, search)
        if not rerank:
            return results(candidates, search)
        # The model reads outside the lock, as in add: other reads and writes need not wait.
        reranker = Reranker(self.llm, self.config.rerank.candidates)
        reordered = reranker.rerank(query, candidates)
        out = results(reordered.ranked, search)
        out.rerank_error = reordered.error
        return out

    def get(self, memory_id: int | str) -> MemoryItem:
        """One memory by id (a negative id is a raw message).

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no such memory.
        """
        mid = validate.memory_id(memory_id)
        rows = self._storage.rows
        with self._lock:  # reads share the connection: never interleave with a write
            if mid < 0:
                found = rows.messages([-mid])
                if not found:
                    raise MemoryNotFoundError(f"no raw message has id {mid}")
                return message_item(found[0], None)
            try:
                row = rows.get_memory(mid)
            except KeyError:
                raise MemoryNotFoundError(f"no memory has id {mid}; list ids with get_all()") from None
            return memory_item(row, None, rows.sources([mid])[mid])

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: dict[str, Any] | None = None,
        include_ended: bool = False,
        as_of: datetime | str | float | None = None,
    ) -> SearchResults:
        """The scope's current memories, newest first; with ``include_ended`` also those that
        stopped holding (``valid_to`` set), or with ``as_of`` those that held then.

        Raises:
            InvalidInputError: bad scope, limit, filters, include_ended or as_of.
        """
        scope = self._scope(user_id, agent_id, run_id)
        limit, flt = validate.limit(limit, 1_000_000), validate.filters(filters)
        if not isinstance(include_ended, bool):
            raise InvalidInputError(f"include_ended must be True or False, got {include_ended!r:.40}")
        when = validity.at(validate.as_of(as_of), include_ended)
        with self._lock:
            rows = self._storage.rows.memories(scope, limit, filters=flt, when=when)
            sources = self._storage.rows.sources([r["id"] for r in rows])
        return SearchResults(memory_item(r, None, sources[r["id"]]) for r in rows)

    def history(self, memory_id: int | str) -> list[HistoryEntry]:
        """Every ADD / UPDATE / DELETE of a memory and of its other versions, oldest first:
        what it replaced and what replaced it (each entry names its ``memory_id``).

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no memory or history with that id (a user delete erases both).
        """
        mid = validate.memory_id(memory_id)
        with self._lock:
            rows = self._storage.rows.history(mid)
        if not rows:
            raise MemoryNotFoundError(f"no memory or history has id {mid}")
        return [HistoryEntry.model_validate(r) for r in rows]

    # -- user edits --

    def update(
        self, memory_id: int | str, text: str, metadata: dict[str, Any] | None = None
    ) -> MemoryEvent:
        """Replace a memory's text (re-embedded; history keeps the old text).

        Raises:
            InvalidInputError: bad id, text or metadata.
            MemoryNotFoundError: no such memory.
        """
        mid = validate.memory_id(memory_id)
        text = validate.text(text)
        meta = validate.metadata(metadata) if metadata is not None else None
        vector = self.embedder.embed(text)
        rows = self._storage.rows
        with self._lock:
            self._storage.sync()
            with self._storage.write():
                if mid < 0 or not rows.has_memory(mid):
                    raise MemoryNotFoundError(f"no memory has id {mid}")
                old = rows.update_memory(mid, text, text_hash(text), vector, "user",
                                         metadata=meta, reason="updated by the user")
        return MemoryEvent(id=mid, text=text, event=Action.UPDATE, previous_text=old)

    def delete(self, memory_id: int | str) -> None:
        """Erase a memory everywhere, with every version of it (what it replaced and what
        replaced it, ended or current): their rows, history, source messages and index entries.

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no such memory.
        """
        mid = validate.memory_id(memory_id)
        rows = self._storage.rows
        with self._lock:
            self._storage.sync()
            with self._storage.write():
                if mid < 0:
                    if not rows.messages([-mid]):
                        raise MemoryNotFoundError(f"no raw message has id {mid}")
                    rows.erase_messages([-mid])
                else:
                    chain = rows.chain(mid)
                    if not chain:
                        raise MemoryNotFoundError(f"no memory has id {mid}")
                    rows.erase_memories(chain)

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Erase every memory and raw message of a scope; returns how many memories went.

        Raises:
            InvalidInputError: no scope given (use reset() to erase everything).
        """
        scope = validate.scope(user_id, agent_id, run_id, required=True)
        with self._lock:
            self._storage.sync()
            with self._storage.write():
                return self._storage.rows.erase_scope(scope)

    def reset(self) -> None:
        """Erase everything in this home directory's store and indexes."""
        with self._lock:
            self._storage.reset()

    # -- lifecycle --

    def close(self) -> None:
        """Save the indexes and close the database."""
        with self._lock:
            self._storage.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Memory(home={str(self.home) if self.home else IN_MEMORY!r})"

