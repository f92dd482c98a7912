"""add(infer=True) latency, the engine before the speed2 changes against now, in one process.

    python scripts/bench_add_ab.py                 # 4 rounds of 16 adds each way
    python scripts/bench_add_ab.py --rounds 6 --adds 24

The machine is shared, so whole-run medians drift with the load; here both variants run in
one process on one loaded model and store, alternating round by round (A B, then B A), each
round the same adds (the first conversations of the tuning set, then the bench's message
pairs) under fresh user ids, so each replays the same stored state. "before" puts back what
the speed2 changes took out: prompt evaluation on every core (llama-cpp-python's default),
the grammar run over the whole vocabulary at each generated token (``create_completion``),
and each text embedded every time it is asked for. Prints each round's two medians and their
ratio, then the medians over all rounds, the load, and whether every round (either variant)
had the same events.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench import CHAT_PAIRS  # noqa: E402

SET = Path(__file__).parent / "eval_data" / "set_tune.json"


def workload(count: int) -> list[tuple[str, Any, str | None]]:
    """(conversation, messages, date) for ``count`` adds: tuning-set conversations in order,
    then the bench's message pairs."""
    adds = [(conv["id"], add["messages"], add.get("date"))
            for conv in json.loads(SET.read_text())["conversations"] for add in conv["adds"]]
    pairs = [(f"pair-{i}", [{"role": "user", "content": u},
                            {"role": "assistant", "content": a}], None)
             for i, (u, a) in enumerate(CHAT_PAIRS)]
    half = count // 2
    return adds[: count - min(half, len(pairs))] + pairs[: min(half, len(pairs))]


class Before:
    """Switches a loaded ``Memory`` between its code and the engine before the speed2 changes."""

    def __init__(self, memory: Any) -> None:
        import llama_cpp

        self.memory, self.lib = memory, llama_cpp
        self.llm, self.embedder = memory.llm, memory.embedder
        self.threads = self.llm.llama.context_params.n_threads

    def plain_complete(self, tokens: list[int], grammar: Any) -> str:
        config = self.llm.config
        out = self.llm.llama.create_completion(tokens, grammar=grammar, max_tokens=config.max_tokens,
                                               temperature=config.temperature, seed=config.seed)
        return out["choices"][0]["text"]

    def every_time(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """The old ``embed_many``: every text, repeats too, longest first in batches."""
        size = batch_size or self.embedder.batch_size
        out = np.zeros((len(texts), self.embedder.dims), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(texts), size):
            rows = order[start : start + size]
            out[rows] = self.embedder.embed_batch([texts[i] for i in rows])
        return out

    @staticmethod
    @contextmanager
    def forgetting() -> Iterator[None]:
        yield

    def set(self, before: bool) -> None:
        batch = (os.cpu_count() or 1) if before else self.threads
        self.lib.llama_set_n_threads(self.llm.llama.ctx, self.threads, batch)
        embedder = self.embedder
        if before:
            self.llm._complete = self.plain_complete
            embedder.embed_many = self.every_time
            embedder.embed = lambda text: embedder.embed_batch([text])[0]
            embedder.remembering = self.forgetting
        else:
            self.llm.__dict__.pop("_complete", None)
            for name in ("embed_many", "embed", "remembering"):
                embedder.__dict__.pop(name, None)


def one_round(memory: Any, adds: list, tag: str) -> tuple[list[float], list[list[tuple]]]:
    """Each add's latency and its events (event, text, previous text)."""
    latencies, events = [], []
    for conversation, messages, date in adds:
        start = time.perf_counter()
        done = memory.add(messages, user_id=f"{tag}-{conversation}", timestamp=date)
        latencies.append(time.perf_counter() - start)
        events.append([(e.event, e.text, e.previous_text) for e in done])
    return latencies, events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--adds", type=int, default=16, help="adds per round and variant")
    args = parser.parse_args(argv)
    from localmem import Memory

    memory = Memory(path=Path(tempfile.mkdtemp(prefix="localmem-ab-")))
    memory.add(CHAT_PAIRS[0][0], user_id="warmup")  # loads both models
    memory.pipeline.prototypes._load()
    if memory.pipeline.worth is not None:
        memory.pipeline.worth._load()
    switch, adds = Before(memory), workload(args.adds)
    medians: dict[str, list[float]] = {"before": [], "now": []}
    every: dict[str, list[float]] = {"before": [], "now": []}
    load_start = os.getloadavg()[0]
    outcomes: set[str] = set()
    for r in range(args.rounds):
        order = ("before", "now") if r % 2 == 0 else ("now", "before")
        for variant in order:
            switch.set(variant == "before")
            latencies, events = one_round(memory, adds, f"{variant}{r}")
            outcomes.add(repr(events))
            medians[variant].append(statistics.median(latencies))
            every[variant].extend(latencies)
        b, n = medians["before"][-1], medians["now"][-1]
        print(f"round {r + 1}: before p50 {b:.3f} s, now p50 {n:.3f} s, now/before {n / b:.2f} "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)
    switch.set(False)
    memory.close()
    b, n = (statistics.median(every[v]) for v in ("before", "now"))
    p95 = {v: float(np.percentile(every[v], 95)) for v in every}
    print(f"all {args.rounds} x {len(adds)} adds: before p50 {b:.3f} s p95 {p95['before']:.3f} s; "
          f"now p50 {n:.3f} s p95 {p95['now']:.3f} s; now/before {n / b:.2f}; load average "
          f"{load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end, {os.cpu_count()} cores")
    print(f"every round's events the same: {len(outcomes) == 1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
