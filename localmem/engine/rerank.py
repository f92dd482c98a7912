"""Optional reranking of search candidates by the local model: slower, off by default.

One grammar-constrained call per search: the model reads the query and the best ``candidates``
items of hybrid search, numbered 1..N, and answers with the numbers of at most ``PICKS`` that
help answer it, most helpful first (the grammar allows only the numbers 1..N, so a tiny model
cannot count on to ``max_tokens``). The prompt's instructions and example come first and never
change, so llama.cpp reuses their evaluated state; the query and the candidates are new per
call, and evaluating them is most of the cost (see ``TEXT_WORDS``).

Nothing is dropped: numbers outside 1..N or already given are ignored, the candidates the model
did not name follow in their original order, and the items past the first N keep their place.
Each of the first N then takes the score of the place it moved to, so the order and the scores
agree for whatever sorts by score afterwards (packing, a caller merging two searches). When the
model fails, the original order stands; the error is logged and returned, never swallowed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, create_model

from localmem.backends.llm import LLM
from localmem.engine.packing import Candidate
from localmem.errors import ModelError

__all__ = ["Reranker", "Reranked", "answer_schema", "RERANK_PROMPT", "MAX_CANDIDATES", "PICKS",
           "order"]

log = logging.getLogger("localmem")

MAX_CANDIDATES = 50  # RerankConfig's upper bound
# scripts/bench_rerank.py, SmolLM2 at 20 candidates: with up to 50 numbers it counted 1, 2, 3 ...
# to max_tokens (14 s a search, 2 of 12 answers cut off); PICKS caps the answer's length.
PICKS = 5
# Prompt tokens are the cost (SmolLM2, one thread: ~330 tokens for 20 short facts, 13-14 s under
# this machine's load against 1 s for the answer): long raw turns are cut to this many words.
TEXT_WORDS = 25


@lru_cache(maxsize=MAX_CANDIDATES)
def answer_schema(n: int) -> type[BaseModel]:
    """What the rerank prompt must return for ``n`` candidates: ``{"ids": [...]}``.

    The limits (numbers 1..n, at most PICKS) are in the JSON schema, so llama.cpp's grammar
    enforces them; validation takes any integers, since ``order`` ignores the bad ones anyway
    (a scripted or other backend's answer is not thrown away for one wrong number).
    """
    number = Annotated[int, Field(json_schema_extra={"enum": list(range(1, n + 1))})]
    ids = (list[number], Field(json_schema_extra={"maxItems": PICKS}))  # type: ignore[valid-type]
    return create_model("RerankAnswer", __config__=ConfigDict(extra="forbid"), ids=ids)


RERANK_PROMPT = """Pick at most {picks} notes that help answer the question. Reply with their \
numbers, the most helpful first; leave out notes that do not help.

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
        return self.prompt.format(query=" ".join(query.split()), notes=notes, picks=PICKS)

    def rerank(self, query: str, ranked: list[Candidate]) -> Reranked:
        """``ranked`` reordered by the model; on a model error, unchanged with the error.

        Raises nothing for the model's failures (``ModelError`` and its subclasses are caught,
        logged as a warning and returned in ``Reranked.error``); other errors propagate.
        """
        if len(ranked) < 2:
            return Reranked(ranked)
        try:
            schema = answer_schema(min(self.candidates, len(ranked)))
            answer = self.llm.complete_json(self.prompt_for(query, ranked), schema)
        except ModelError as exc:
            log.warning("reranking by the model failed, search order kept: %s", exc)
            return Reranked(ranked, f"reranking failed, search order kept: {exc}")
        return Reranked(order(ranked, answer.get("ids") or [], self.candidates))
