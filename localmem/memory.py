"""``Memory``: the public facade. add / search / get / get_all / update / delete / history / reset.

Data flows one way: ``add`` -> pipeline (model, embedder) -> store (one transaction) -> indexes.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from localmem import validate
from localmem.config import MemoryConfig, VectorStoreConfig
from localmem.backends.embeddings import Embedder, HashEmbedder, SentenceTransformerEmbedder
from localmem.errors import ConfigError, InvalidInputError, MemoryNotFoundError
from localmem.engine.commit import apply_plan
from localmem.storage.indexset import IndexSet
from localmem.backends.llm import LLM, FakeLLM, LlamaCppLLM
from localmem.paths import IN_MEMORY, home_dir
from localmem.engine.pipeline import Candidate, ExtractionReport, Pipeline, PlannedChange
from localmem.models.locate import resolve_embedder_path, resolve_llm_path
from localmem.engine.retrieval import hybrid_search
from localmem.storage.store import MEMORIES, MESSAGES, Store
from localmem.engine.textutil import text_hash
from localmem.types import Action, HistoryEntry, MemoryEvent, MemoryItem, SearchResults

__all__ = ["Memory"]

DB_FILE = "memory.db"


class Memory:
    """Long-term memory for an agent, fully local.

    Args:
        config: a ``MemoryConfig`` (defaults work offline with the bundled models).
        path: the home directory (overrides ``config.vector_store.path``); ":memory:" for a
            throwaway store.
        llm, embedder: backends to use instead of the configured ones (tests pass fakes).

    Raises:
        ConfigError: a config value cannot be honoured (e.g. a model file is missing).
        StorageError: the database cannot be opened.
    """

    def __init__(
        self,
        config: MemoryConfig | None = None,
        *,
        path: str | Path | None = None,
        llm: LLM | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        if config is not None and not isinstance(config, MemoryConfig):
            raise ConfigError(
                f"config must be a MemoryConfig, got {type(config).__name__}; "
                "for a dict use Memory.from_config({...})"
            )
        self.config = config or MemoryConfig()
        location = str(path) if path is not None else self.config.vector_store.path
        if path is not None:
            VectorStoreConfig(path=location)  # same checks as the config's path (ConfigError)
        self.home: Path | None = None if location == IN_MEMORY else home_dir(location)
        self._lock = threading.RLock()
        self._llm = llm if llm is not None else None
        self._llm_path = None if llm is not None else self._resolve_llm()
        self.embedder = embedder if embedder is not None else self._build_embedder()
        self.store = Store(self.home / DB_FILE if self.home else None)
        self._check_embedder()
        self.indexes = IndexSet(self.store, self.embedder.dims, self.home)
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

    def _resolve_llm(self) -> Path | None:
        if self.config.llm.provider == "fake":
            return None
        return resolve_llm_path(self.config.llm.model, self.home)

    def _build_embedder(self) -> Embedder:
        cfg = self.config.embedder
        if cfg.provider == "hash":
            return HashEmbedder(cfg.dims)
        source = resolve_embedder_path(cfg.model, self.home)
        use_onnx = cfg.provider == "onnx" or (
            cfg.provider == "auto" and importlib.util.find_spec("onnxruntime") is not None
        )
        if use_onnx:
            from localmem.backends.onnx import OnnxEmbedder, default_onnx_dir, ensure_onnx_export

            # The first start exports once (torch + onnx); later starts load only onnxruntime.
            export = ensure_onnx_export(source, default_onnx_dir(self.home, cfg.model))
            return OnnxEmbedder(export, cfg.batch_size)
        return SentenceTransformerEmbedder(source, cfg.batch_size)

    def _check_embedder(self) -> None:
        """A store's vectors come from one embedder; refuse to mix in another's.

        Raises:
            ConfigError: the store was built with a different embedder.
        """
        stored = self.store.get_setting("embedder")
        if stored == self.embedder.name:
            return
        if stored is None or not self.store.count(MEMORIES) + self.store.count(MESSAGES):
            self.store.set_setting("embedder", self.embedder.name)
        else:
            self.store.close()
            raise ConfigError(
                f"the memories in {self.home or IN_MEMORY} were embedded with {stored!r}, not "
                f"{self.embedder.name!r}; use that embedder again, or start a new home directory "
                "(LOCALMEM_HOME) and re-import with `localmem export` / `localmem import`"
            )

    @property
    def llm(self) -> LLM:
        """The language model, built on first use."""
        if self._llm is None:
            self._llm = (
                FakeLLM() if self._llm_path is None else LlamaCppLLM(self._llm_path, self.config.llm)
            )
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
            validate.text(prompt, "prompt")
            if "{messages}" not in prompt:
                prompt = prompt + "\n\n{messages}\n"
        if not isinstance(infer, bool):
            raise InvalidInputError(f"infer must be True or False, got {infer!r:.40}")
        with self._lock:
            self.indexes.sync()
            if infer:
                return self._add_inferred(msgs, scope, meta, observed, prompt)
            return self._add_verbatim(msgs, scope, meta, observed)

    def _add_verbatim(
        self, msgs: list[dict[str, Any]], scope: dict[str, str], meta: dict[str, Any], observed: str
    ) -> list[MemoryEvent]:
        vectors = self.embedder.embed_many([m["content"] for m in msgs])
        plan = [
            PlannedChange(Action.ADD, m["content"], v, source_ids=[i], reason="stored verbatim")
            for i, (m, v) in enumerate(zip(msgs, vectors))
        ]
        return apply_plan(self.store, self.indexes, plan, msgs, None, scope, meta, observed, "user")

    def _add_inferred(
        self,
        msgs: list[dict[str, Any]],
        scope: dict[str, str],
        meta: dict[str, Any],
        observed: str,
        prompt: str | None,
    ) -> list[MemoryEvent]:
        user_turns = [(i, m["content"]) for i, m in enumerate(msgs) if m["role"] == "user"]
        turn_vectors = self.embedder.embed_many([text for _, text in user_turns])
        report = self.pipeline.extract(user_turns, date.fromisoformat(observed[:10]), prompt)
        self.last_extraction = report
        plan = self.pipeline.decide(
            report.facts,
            similar=lambda vec, k: self._similar(vec, scope, k),
            by_hash=lambda h: self._by_hash(h, scope),
            related=lambda attribute, text, vec: self._related(attribute, text, vec, scope),
        )
        message_vectors: list[np.ndarray | None] = [None] * len(msgs)
        for (i, _), vec in zip(user_turns, turn_vectors):
            message_vectors[i] = vec
        return apply_plan(
            self.store, self.indexes, plan, msgs, message_vectors, scope, meta, observed, "model"
        )

    def _similar(self, vector: np.ndarray, scope: dict[str, str], k: int) -> list[Candidate]:
        allowed = self.indexes.scope_ids(MEMORIES, scope)
        hits = self.indexes.facts.search(vector, k, allowed)
        rows = {r["id"]: r for r in self.store.memories(scope, ids=[i for i, _ in hits])}
        return [Candidate(i, rows[i]["text"], s, rows[i]["subject"], rows[i]["attribute"])
                for i, s in hits if i in rows]

    def _related(self, attribute: str | None, text: str, vector: np.ndarray,
                 scope: dict[str, str]) -> list[Candidate]:
        """Memories with this attribute, and those sharing a keyword with ``text``."""
        words = self.store.keyword_search(MEMORIES, text, scope, 5)
        rows = self.store.slot_memories(scope, attribute, words)
        return [Candidate(r["id"], r["text"], float(np.dot(r["embedding"], vector)), r["subject"],
                          r["attribute"]) for r in rows]

    def _by_hash(self, hash_: str, scope: dict[str, str]) -> Candidate | None:
        row = self.store.find_by_hash(hash_, scope)
        return Candidate(row["id"], row["text"], 1.0) if row else None

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
    ) -> SearchResults:
        """Memories of the scope most relevant to ``query``, best first.

        Facts come first; stored raw messages fill in only where they add something.
        ``max_words`` makes the result a context budget: the best items (at most ``limit``)
        whose texts fit in that many words together; an item longer than what is left is skipped.

        Raises:
            InvalidInputError: bad query, scope, limit, filters, threshold or max_words.
        """
        validate.text(query, "query")
        scope = self._scope(user_id, agent_id, run_id)
        limit = validate.limit(limit, 1000)
        flt = validate.filters(filters)
        minimum = validate.threshold(threshold)
        budget = validate.max_words(max_words)
        with self._lock:
            self.indexes.sync()
            vector = self.embedder.embed(query)
            return hybrid_search(
                self.store, self.indexes, query, vector, scope, limit, flt, minimum,
                raw_fallback=self.config.raw_fallback, max_words=budget,
            )

    def get(self, memory_id: int | str) -> MemoryItem:
        """One memory by id (a negative id is a raw message).

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no such memory.
        """
        mid = validate.memory_id(memory_id)
        from localmem.engine.retrieval import memory_item, message_item

        with self._lock:  # reads share the connection: never interleave with a write
            if mid < 0:
                rows = self.store.messages([-mid])
                if not rows:
                    raise MemoryNotFoundError(f"no raw message has id {mid}")
                return message_item(rows[0], None)
            try:
                row = self.store.get_memory(mid)
            except KeyError:
                raise MemoryNotFoundError(f"no memory has id {mid}; list ids with get_all()") from None
            return memory_item(row, None, self.store.sources([mid])[mid])

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: dict[str, Any] | None = None,
    ) -> SearchResults:
        """The scope's memories, newest first.

        Raises:
            InvalidInputError: bad scope, limit or filters.
        """
        from localmem.engine.retrieval import memory_item

        scope = self._scope(user_id, agent_id, run_id)
        limit, flt = validate.limit(limit, 1_000_000), validate.filters(filters)
        with self._lock:
            rows = self.store.memories(scope, limit, filters=flt)
            sources = self.store.sources([r["id"] for r in rows])
        return SearchResults(memory_item(r, None, sources[r["id"]]) for r in rows)

    def history(self, memory_id: int | str) -> list[HistoryEntry]:
        """Every ADD / UPDATE / DELETE of a memory, oldest first.

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no memory or history with that id (a user delete erases both).
        """
        mid = validate.memory_id(memory_id)
        with self._lock:
            rows = self.store.history(mid)
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
        with self._lock:
            self.indexes.sync()
            with self.store.transaction():
                if mid < 0 or not self.store.has_memory(mid):
                    raise MemoryNotFoundError(f"no memory has id {mid}")
                old = self.store.update_memory(mid, text, text_hash(text), vector, "user",
                                               metadata=meta, reason="updated by the user")
                version = self.store.bump_vectors_version([(MEMORIES, mid)])
            self.indexes.facts.add(np.asarray([mid]), vector[None, :])
            self.indexes.applied(version)
        return MemoryEvent(id=mid, text=text, event=Action.UPDATE, previous_text=old)

    def delete(self, memory_id: int | str) -> None:
        """Erase a memory everywhere: its row, history, source messages and index entries.

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no such memory.
        """
        mid = validate.memory_id(memory_id)
        with self._lock:
            self.indexes.sync()
            with self.store.transaction():
                if mid < 0:
                    if not self.store.messages([-mid]):
                        raise MemoryNotFoundError(f"no raw message has id {mid}")
                    memory_ids, message_ids = [], [-mid]
                    self.store.erase_messages(message_ids)
                else:
                    if not self.store.has_memory(mid):
                        raise MemoryNotFoundError(f"no memory has id {mid}")
                    memory_ids = [mid]
                    message_ids = self.store.erase_memories(memory_ids)
                version = self.store.bump_vectors_version(_erased(memory_ids, message_ids))
            self._forget(memory_ids, message_ids, version)

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Erase every memory and raw message of a scope; returns how many memories went.

        Raises:
            InvalidInputError: no scope given (use reset() to erase everything).
        """
        scope = validate.scope(user_id, agent_id, run_id, required=True)
        with self._lock:
            self.indexes.sync()
            with self.store.transaction():
                memory_ids = [int(i) for i in self.store.scope_ids(MEMORIES, scope)]
                message_ids = self.store.erase_memories(memory_ids)
                rest = self.store.scope_message_ids(scope)
                self.store.erase_messages(rest)
                version = self.store.bump_vectors_version(_erased(memory_ids, message_ids + rest))
            self._forget(memory_ids, message_ids + rest, version)
        return len(memory_ids)

    def _forget(self, memory_ids: list[int], message_ids: list[int], version: int) -> None:
        self.indexes.remove(MEMORIES, memory_ids)
        self.indexes.remove(MESSAGES, message_ids)
        self.indexes.applied(version)
        self.indexes.save()
        self.store.scrub()

    def reset(self) -> None:
        """Erase everything in this home directory's store and indexes."""
        with self._lock:
            self.store.reset()
            self.indexes.rebuild()

    # -- lifecycle --

    def close(self) -> None:
        """Save the indexes and close the database."""
        with self._lock:
            self.indexes.save()
            self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Memory(home={str(self.home) if self.home else IN_MEMORY!r})"


def _erased(memory_ids: list[int], message_ids: list[int]) -> list[tuple[str, int]]:
    """The change-log entries of a delete (ids only: the text is gone)."""
    return [(MEMORIES, i) for i in memory_ids] + [(MESSAGES, i) for i in message_ids]

