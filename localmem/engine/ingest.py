"""From validated messages to applied events: verbatim, or through the pipeline's plan.

``Memory.add`` validates and locks; these functions embed, ask the pipeline and hand the plan
to ``apply_plan`` (one storage write).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.engine.commit import Incoming, apply_plan
from localmem.engine.pipeline import Candidate, ExtractionReport, Pipeline, PlannedChange
from localmem.engine.signals import searched_as
from localmem.storage.base import MEMORIES, Scope, Storage
from localmem.types import Action, MemoryEvent

__all__ = ["add_verbatim", "extract", "add_extracted"]


def add_verbatim(storage: Storage, embedder: Embedder, incoming: Incoming) -> list[MemoryEvent]:
    """Each message becomes a memory as said (no model).

    Raises:
        ModelError: the embedder failed. StorageError: the database failed; nothing stored.
    """
    msgs = incoming.messages
    vectors = embedder.embed_many([m["content"] for m in msgs])
    plan = [
        PlannedChange(Action.ADD, m["content"], v, source_ids=[i], reason="stored verbatim")
        for i, (m, v) in enumerate(zip(msgs, vectors))
    ]
    return apply_plan(storage, plan, incoming)


def _user_turns(incoming: Incoming) -> list[tuple[int, str]]:
    return [(i, m["content"]) for i, m in enumerate(incoming.messages) if m["role"] == "user"]


def extract(pipeline: Pipeline, incoming: Incoming, prompt: str | None) -> ExtractionReport:
    """The grounded facts of the user's turns (see ``Pipeline.extract``)."""
    observed = date.fromisoformat(incoming.observed[:10])
    return pipeline.extract(_user_turns(incoming), observed, prompt)


def add_extracted(
    storage: Storage, pipeline: Pipeline, embedder: Embedder, incoming: Incoming,
    report: ExtractionReport,
) -> list[MemoryEvent]:
    """Decide what the extracted facts change, then store that and the messages (user turns
    searchable) in one write.

    Raises:
        ModelError: the embedder failed. StorageError: the database failed; nothing stored.
    """
    scope = incoming.scope
    with embedder.remembering():  # a fact's text, predicate and head: each embedded once
        plan = pipeline.decide(
            report.facts,
            similar=lambda vec, k: _similar(storage, vec, scope, k),
            by_hash=lambda h: _by_hash(storage, h, scope),
            related=lambda attribute, text, vec: _related(storage, attribute, text, vec, scope),
        )
        turns = _user_turns(incoming)
        vectors: list[np.ndarray | None] = [None] * len(incoming.messages)
        searched = [searched_as(incoming.messages, i) for i, _ in turns]  # with its question
        for (i, _), vec in zip(turns, embedder.embed_many(searched)):
            vectors[i] = vec
    return apply_plan(storage, plan, replace(incoming, vectors=vectors))


def _similar(storage: Storage, vector: np.ndarray, scope: Scope, k: int) -> list[Candidate]:
    found = storage.vectors
    hits = found.search(MEMORIES, vector, k, found.scope_ids(MEMORIES, scope))
    rows = {r["id"]: r for r in storage.rows.memories(scope, ids=[i for i, _ in hits])}
    return [Candidate(i, rows[i]["text"], s, rows[i]["subject"], rows[i]["attribute"])
            for i, s in hits if i in rows]


def _related(storage: Storage, attribute: str | None, text: str, vector: np.ndarray,
             scope: Scope) -> list[Candidate]:
    """Memories with this attribute, and those sharing a keyword with ``text``."""
    allowed = storage.vectors.scope_ids(MEMORIES, scope)
    words = storage.keywords.keyword_ids(MEMORIES, text, allowed, 5)
    rows = storage.rows.slot_memories(scope, attribute, words)
    return [Candidate(r["id"], r["text"], float(np.dot(r["embedding"], vector)), r["subject"],
                      r["attribute"]) for r in rows]


def _by_hash(storage: Storage, hash_: str, scope: Scope) -> Candidate | None:
    row = storage.rows.find_by_hash(hash_, scope)
    return Candidate(row["id"], row["text"], 1.0) if row else None
