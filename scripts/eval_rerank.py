"""The eval's model for ``--rerank``: extraction by one model, search reranking by another.

``eval_memory.py --model fake --rerank default`` keeps its stores built by the rules (cached
under ``--cache``) and reranks their searches with SmolLM2: ``RerankLLM`` sends the rerank
prompt (schema ``RerankAnswer``, engine/rerank.py) to the reranking model and everything else
to the extractor.
The model is deterministic (temperature 0), so a prompt seen before is answered from memory
(the budget search asks the same question several times); only new prompts are timed.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from pydantic import BaseModel

from localmem.backends.llm import LLM
from localmem.errors import ModelError

__all__ = ["RerankLLM"]


class RerankLLM(LLM):
    """Routes ``RerankAnswer`` prompts to ``reranker`` (answers kept by prompt), others to
    ``extractor``; ``seconds`` holds each reranking call's latency."""

    def __init__(self, extractor: LLM, reranker: LLM) -> None:
        self.extractor, self.reranker = extractor, reranker
        self._answers: dict[str, dict[str, Any]] = {}
        self.seconds: list[float] = []
        self.cpu: list[float] = []  # this process's CPU seconds per call: the load left out
        self.unchanged = 0  # answers that named the first candidates in their order (no change)
        self.reused = 0
        self.errors: list[str] = []  # each failed call: that search kept its order

    def complete_json(self, prompt: str, schema: type[BaseModel]) -> dict[str, Any]:
        if schema.__name__ != "RerankAnswer":
            return self.extractor.complete_json(prompt, schema)
        if prompt in self._answers:
            self.reused += 1
            return self._answers[prompt]
        start, cpu = time.perf_counter(), time.process_time()
        try:
            answer = self.reranker.complete_json(prompt, schema)
        except ModelError as exc:  # the search keeps its order; counted here, then raised on
            self.errors.append(str(exc))
            raise
        self.seconds.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - cpu)
        ids = answer.get("ids") or []
        self.unchanged += ids == list(range(1, len(ids) + 1))
        self._answers[prompt] = answer
        return answer

    def summary(self) -> str:
        failed = f"{len(self.errors)} failed"
        if self.errors:
            failed += f" (first: {self.errors[0]})"
        if not self.seconds:
            return f"rerank: no model calls answered, {self.reused} answers reused, {failed}"
        ordered = sorted(self.seconds)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        return (f"rerank: {len(ordered)} model calls, p50 {statistics.median(ordered):.2f}s "
                f"p95 {p95:.2f}s (CPU p50 {statistics.median(self.cpu):.2f}s), "
                f"{self.unchanged} answers kept the order, {self.reused} answers reused, {failed}")
