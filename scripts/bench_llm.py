"""LLM call latency with the bundled models: extraction and decision prompts, prefix cache on/off.

    python scripts/bench_llm.py [--model NAME_OR_PATH ...] [--runs 8]

Alternates an extraction call and a decision call (as add() does when a fact is ambiguous), so a
plain llama.cpp context has to re-evaluate each prompt's static prefix; with the prefix cache
(localmem's PrefixStates, the default) only the new tokens are evaluated. Prints median/p95 per call.
"""

from __future__ import annotations

import argparse
import statistics
import time

from localmem.config import LLMConfig
from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.engine.prompts import FACT_EXTRACTION_PROMPT, UPDATE_MEMORY_PROMPT, ExtractedFacts, MemoryDecision
from localmem.models.locate import resolve_llm_path

MESSAGES = [
    "I just started a new job as a data analyst at a hospital in Leeds.",
    "My brother Tom is visiting next weekend, we're going climbing.",
    "I've been learning Spanish for two years and I practise every morning.",
    "I don't drink coffee anymore, only green tea.",
    "My daughter turned six last week and she loves dinosaurs.",
    "I'm allergic to peanuts so I always check labels.",
    "We adopted a rescue greyhound called Biscuit in March.",
    "I run about 20 kilometres a week, mostly along the canal.",
]


def measure(llm: LlamaCppLLM, runs: int, use_cache: bool) -> tuple[list[float], list[float]]:
    if not use_cache:
        llm.prefix_states.max_entries = 0  # nothing is kept: only llama.cpp's live-prefix reuse
    extract, decide = [], []
    llm.complete_json(FACT_EXTRACTION_PROMPT.format(messages="warm up"), ExtractedFacts)
    for i in range(runs):
        msg = MESSAGES[i % len(MESSAGES)]
        start = time.perf_counter()
        llm.complete_json(FACT_EXTRACTION_PROMPT.format(messages=msg), ExtractedFacts)
        extract.append(time.perf_counter() - start)
        start = time.perf_counter()
        llm.complete_json(
            UPDATE_MEMORY_PROMPT.format(memories="0: Works as a nurse\n1: Lives in York", facts=msg),
            MemoryDecision,
        )
        decide.append(time.perf_counter() - start)
    return extract, decide


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="catalog name or GGUF path (repeatable)")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    names = args.model or ["smollm2-135m-instruct", "gemma-3-270m"]
    print(f"{'model':<24} {'prefix cache':<13} {'extract p50':>11} {'p95':>7} {'decide p50':>11} {'p95':>7}")
    for name in names:
        for use_cache in (True, False):
            llm = LlamaCppLLM(resolve_llm_path(name), LLMConfig(model=name))
            extract, decide = measure(llm, args.runs, use_cache)
            print(
                f"{name:<24} {'on' if use_cache else 'off':<13} "
                f"{statistics.median(extract):10.2f}s {p95(extract):6.2f}s "
                f"{statistics.median(decide):10.2f}s {p95(decide):6.2f}s"
            )
    tokens = llm.llama.tokenize(FACT_EXTRACTION_PROMPT.format(messages="").encode())
    print(f"static extraction prefix: {len(tokens)} tokens ({names[-1]})")


if __name__ == "__main__":
    main()
