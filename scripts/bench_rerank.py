"""Search latency and ranking with and without reranking by the local model, at N candidates.

    HF_HUB_OFFLINE=1 python scripts/bench_rerank.py [--model NAME_OR_PATH ...] [--candidates 20]

One store of FACTS (one user, stored verbatim, the default embedder), then each of QUESTIONS
searched with ``rerank=False`` and ``rerank=True`` (``RerankConfig.candidates`` = N). Prints per
model: search p50/p95 both ways, the rerank prompt's median tokens, how many searches the
model reordered ("moved") and how many kept their order after a model error ("err"), and the
mean reciprocal rank of each question's gold fact in the top 10 both ways (a small hand-written
check; REALTALK recall comes from ``eval_memory.py --rerank``).
Nothing here is sent anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localmem import Memory, MemoryConfig, RerankConfig  # noqa: E402
from localmem.backends.embeddings import make_embedder  # noqa: E402
from localmem.backends.llama_cpp import LlamaCppLLM  # noqa: E402
from localmem.config import EmbedderConfig, LLMConfig  # noqa: E402
from localmem.models.locate import resolve_llm_path  # noqa: E402

FACTS = [
    "Works as a data analyst at a hospital in Leeds", "Brother Tom visits next weekend",
    "Has been learning Spanish for two years", "Stopped drinking coffee, only green tea now",
    "Daughter turned six last week and loves dinosaurs", "Is allergic to peanuts",
    "Adopted a rescue greyhound called Biscuit in March", "Runs about 20 kilometres a week",
    "Lives in a flat near the canal", "Drives an old blue Volvo", "Plays the cello in an orchestra",
    "Grew up in Cork, Ireland", "Favourite food is ramen", "Is training for a half marathon",
    "Wife Priya is a paediatric nurse", "Reads a lot of science fiction",
    "Moved to Leeds in 2019", "Has a sister called Ana who lives in Lisbon",
    "Volunteers at a food bank on Saturdays", "Uses a Pixel phone", "Is vegetarian since 2020",
    "Studied statistics at Edinburgh", "Goes climbing on Thursday evenings",
    "Planning a trip to Japan in April", "Hates horror films", "Has a vegetable garden",
    "Birthday is on 14 July", "Mother is recovering from knee surgery",
    "Learned to bake sourdough during lockdown", "Wants to get a master's degree in public health",
]
# (question, the fact that answers it)
QUESTIONS = [
    ("What is my job?", "Works as a data analyst at a hospital in Leeds"),
    ("What pet do I have?", "Adopted a rescue greyhound called Biscuit in March"),
    ("What instrument do I play?", "Plays the cello in an orchestra"),
    ("Where did I grow up?", "Grew up in Cork, Ireland"),
    ("What does my wife do?", "Wife Priya is a paediatric nurse"),
    ("What should I avoid in food?", "Is allergic to peanuts"),
    ("Where is my sister?", "Has a sister called Ana who lives in Lisbon"),
    ("What car do I drive?", "Drives an old blue Volvo"),
    ("Where am I travelling soon?", "Planning a trip to Japan in April"),
    ("What do I do on weekends?", "Volunteers at a food bank on Saturdays"),
    ("How old is my daughter?", "Daughter turned six last week and loves dinosaurs"),
    ("What do I drink?", "Stopped drinking coffee, only green tea now"),
]


def reciprocal_rank(texts: list[str], gold: str) -> float:
    return 1.0 / (texts.index(gold) + 1) if gold in texts else 0.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


class PromptSizes(LlamaCppLLM):
    """llama.cpp that notes each prompt's length in tokens."""

    tokens: list[int]

    def complete_json(self, prompt: str, schema: type[BaseModel]) -> dict[str, Any]:
        self.tokens.append(len(self.llama.tokenize(prompt.encode("utf-8"), special=True)))
        return super().complete_json(prompt, schema)


def bench(name: str, candidates: int, runs: int) -> str:
    llm = PromptSizes(resolve_llm_path(None if name == "default" else name), LLMConfig())
    llm.tokens = []
    config = MemoryConfig(rerank=RerankConfig(candidates=candidates))
    memory = Memory(config, path=":memory:", llm=llm, embedder=EMBEDDER[0])
    for fact in FACTS:
        memory.add(fact, user_id="sam", infer=False)
    memory.search("warm up", user_id="sam", rerank=True)  # loads the model, saves the prefix
    off, on, rr_off, rr_on, failed, moved = [], [], [], [], 0, 0
    for _ in range(runs):
        for question, gold in QUESTIONS:
            start = time.perf_counter()
            plain = memory.search(question, user_id="sam", limit=10)
            off.append(time.perf_counter() - start)
            start = time.perf_counter()
            reranked = memory.search(question, user_id="sam", limit=10, rerank=True)
            on.append(time.perf_counter() - start)
            failed += reranked.rerank_error is not None
            moved += [i.text for i in plain] != [i.text for i in reranked]
            rr_off.append(reciprocal_rank([i.text for i in plain], gold))
            rr_on.append(reciprocal_rank([i.text for i in reranked], gold))
    memory.close()
    tokens = statistics.median(llm.tokens)
    return (f"{Path(str(llm.model_path)).name[:34]:<34} {candidates:>3} "
            f"{statistics.median(off) * 1000:8.1f}ms {p95(off) * 1000:7.1f}ms "
            f"{statistics.median(on):8.2f}s {p95(on):6.2f}s {tokens:>7.0f} "
            f"{moved:>3}/{len(on):<3} {failed:>3}  {statistics.mean(rr_off):.3f} -> "
            f"{statistics.mean(rr_on):.3f}  (prefix restores {llm.prefix_states.restores})")


EMBEDDER: list = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append",
                        help="catalog name or GGUF path (repeatable; default: the default model)")
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="passes over the questions")
    args = parser.parse_args()
    EMBEDDER.append(make_embedder(EmbedderConfig()))
    print(f"{len(FACTS)} facts, {len(QUESTIONS)} questions x {args.runs}; search limit 10")
    print(f"{'model':<34} {'N':>3} {'off p50':>10} {'p95':>9} {'on p50':>9} {'p95':>7} "
          f"{'prompt':>7} {'moved':>7} {'err':>3}  MRR off -> on")
    for name in args.model or ["default"]:
        print(bench(name, args.candidates, args.runs), flush=True)


if __name__ == "__main__":
    main()
