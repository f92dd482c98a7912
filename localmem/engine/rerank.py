"""Optional reranking of search candidates by the local model: slower, off by default.

One grammar-constrained call per search: the model reads the query and the best ``candidates``
items of hybrid search, numbered 1..N, and answers with the numbers of those that help answer
it, most helpful first. The prompt's instructions and example come first and never change, so
llama.cpp reuses their evaluated state; only the query and the candidates are new per call.

Nothing is dropped: numbers outside 1..N or already given are ignored, the candidates the model
did not name follow in their original order, and the items past the first N keep their place.
Each of the first N then takes the score of the place it moved to, so the order and the scores
agree for whatever sorts by score afterwards (packing, a caller merging two searches). When the
model fails, the original order stands; the error is logged and returned, never swallowed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field

from localmem.backends.llm import LLM
from localmem.engine.packing import Candidate
from localmem.errors import ModelError

__all__ = ["Reranker", "Reranked", "RerankAnswer", "RERANK_PROMPT", "MAX_CANDIDATES", "order"]

log = logging.getLogger("localmem")

MAX_CANDIDATES = 50  # RerankConfig's upper bound; the answer's grammar allows this many numbers
TEXT_WORDS = 40  # a candidate's text is cut to this many words: long raw turns, short prompt


class RerankAnswer(BaseModel):
    """What the rerank prompt must return: candidate numbers, most helpful first."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(default_factory=list, max_length=MAX_CANDIDATES)


RERANK_PROMPT = """Pick the notes that help answer the question. Reply with their numbers, the \
most helpful first; leave out notes that do not help.

Question: Where does Sam work?
Notes:
1. Likes pizza
2. Works as a nurse in Boston
3. I started a new shift at the hospital today.
4. What do you do for work?
{{"ids": [2, 3]}}

Question: {query}
Notes:
{notes}
"""


@dataclass(frozen=True)
class Reranked:
    """The candidates in their new order; ``error`` says why the original order was kept."""

    ranked: list[Candidate]
    error: str | None = None


def order(ranked: list[Candidate], ids: list[int], n: int) -> list[Candidate]:
    """The first ``n`` candidates in the order of ``ids`` (1-based), the ones not named after
    them in their order, then the rest; the first ``n`` scores are handed out in the new order.

    Numbers outside 1..n and repeats are ignored, so every candidate is kept exactly once.
    """
    head, tail = ranked[:n], ranked[n:]
    named = list(dict.fromkeys(i for i in ids if isinstance(i, int) and 1 <= i <= len(head)))
    chosen = set(named)
    moved = [head[i - 1] for i in named] + [c for j, c in enumerate(head, 1) if j not in chosen]
    scores = sorted((c.score for c in head), reverse=True)
    return [replace(c, score=s) for c, s in zip(moved, scores)] + tail


def _note(candidate: Candidate) -> str:
    words = candidate.text.split()
    text = " ".join(words[:TEXT_WORDS]) + (" ..." if len(words) > TEXT_WORDS else "")
    return text or "(empty)"


@dataclass(frozen=True)
class Reranker:
    """Reorders the best ``candidates`` items of a search with ``llm`` (see the module)."""

    llm: LLM
    candidates: int = 20
    prompt: str = RERANK_PROMPT

    def prompt_for(self, query: str, ranked: list[Candidate]) -> str:
        notes = "\n".join(f"{i}. {_note(c)}" for i, c in enumerate(ranked[: self.candidates], 1))
        return self.prompt.format(query=" ".join(query.split()), notes=notes)

    def rerank(self, query: str, ranked: list[Candidate]) -> Reranked:
        """``ranked`` reordered by the model; on a model error, unchanged with the error.

        Raises nothing for the model's failures (``ModelError`` and its subclasses are caught,
        logged as a warning and returned in ``Reranked.error``); other errors propagate.
        """
        if len(ranked) < 2:
            return Reranked(ranked)
        try:
            answer = self.llm.complete_json(self.prompt_for(query, ranked), RerankAnswer)
        except ModelError as exc:
            log.warning("reranking by the model failed, search order kept: %s", exc)
            return Reranked(ranked, f"reranking failed, search order kept: {exc}")
        return Reranked(order(ranked, answer.get("ids") or [], self.candidates))
