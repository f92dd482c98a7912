"""Speed and scale benchmark: prints one table, each figure the median of several runs.

    python scripts/bench.py            # full run (1k .. 1M memories; tens of minutes on 2 cores)
    python scripts/bench.py --quick    # under two minutes: 1k / 10k / 100k, fewer repeats

What it measures, with the bundled models (SmolLM2 GGUF, MiniLM):
  add(infer=True) latency and where its time goes; add(infer=False) bulk ingest throughput;
  search latency (query embedding included) at several store sizes, for one scope that owns
  every row and for 1,000 users sharing the store; cold start in a fresh process; peak RSS at
  100k; bytes on disk per memory.

Large stores are synthetic and written straight through the Store: row texts come from
templates, and each row's vector is the MiniLM embedding of one of a pool of distinct template
sentences plus a little noise (renormalised), so the index sees real embedding geometry without
embedding a million texts. Queries are real MiniLM embeddings of real questions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from localmem.backends.embeddings import Embedder  # noqa: E402
from localmem.engine.retrieval import hybrid_search  # noqa: E402
from localmem.storage.store import MEMORIES, Store, now_iso  # noqa: E402
from localmem.engine.textutil import text_hash  # noqa: E402

USERS = 1000
ALL_ROWS_AGENT = "assistant"  # every synthetic row has this agent_id: one scope owning all rows

# --- synthetic but realistic memories -----------------------------------------------------------

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
         "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vik"]
CITIES = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Austin", "Porto", "Oslo",
          "Seoul", "Denver", "Madrid", "Dublin", "Hanoi", "Krakow", "Quito", "Perth", "Milan"]
FOODS = ["sushi", "ramen", "tacos", "lasagna", "falafel", "pho", "curry", "dumplings", "paella",
         "pizza", "bibimbap", "croissants", "oatmeal", "burritos", "shakshuka", "gnocchi"]
HOBBIES = ["hiking", "bouldering", "chess", "pottery", "sailing", "birdwatching", "running",
           "painting", "knitting", "photography", "cycling", "gardening", "salsa dancing", "baking"]
JOBS = ["nurse", "data engineer", "teacher", "architect", "chef", "pilot", "pharmacist", "lawyer",
        "carpenter", "designer", "researcher", "accountant", "firefighter", "translator"]
PETS = ["a dog", "two cats", "a parrot", "a rabbit", "a tortoise", "three goldfish", "a hamster"]
LANGS = ["Portuguese", "Japanese", "German", "Spanish", "Korean", "Swahili", "Italian", "Polish"]
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "weekends"]
TEMPLATES = [
    "Likes {food} and eats it on {day}", "Lives in {city} with {pet}",
    "Works as a {job} in {city}", "Is allergic to {food}", "Goes {hobby} on {day}",
    "Is learning {lang} before a trip to {city}", "Sister {name} lives in {city}",
    "Prefers {food} over {food2} for dinner", "Has {pet} named {name}",
    "Used to work as a {job} before moving to {city}", "Wants to try {hobby} this year",
    "Meets {name} for {hobby} on {day}", "Birthday dinner is always {food} in {city}",
    "Is vegetarian but still eats {food} sometimes", "Plans to move from {city} to {city2}",
]
QUERIES = [
    "What food does the user like?", "Where does the user live?", "What is the user's job?",
    "Does the user have any pets?", "Which languages is the user learning?",
    "What does the user do on weekends?", "Is the user allergic to anything?",
    "Who is the user's sister?", "Where is the user planning to travel?",
    "What hobbies does the user have?", "What should I cook for the user tonight?",
    "When does the user go running?", "Has the user ever worked as a nurse?",
    "Which city is the user moving to?", "What is the name of the user's dog?",
]


def template_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct memory sentences from the templates."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < count:
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
        out[template.format(food=pick(FOODS), food2=pick(FOODS), city=pick(CITIES),
                            city2=pick(CITIES), job=pick(JOBS), pet=pick(PETS), hobby=pick(HOBBIES),
                            lang=pick(LANGS), day=pick(DAYS), name=pick(NAMES))] = None
    return list(out)


class SyntheticRows:
    """Rows for a synthetic store: template texts, noisy MiniLM vectors, 1,000 users."""

    def __init__(self, embedder: Embedder, pool: int, noise: float = 0.04, seed: int = 0) -> None:
        self.texts = template_sentences(pool, seed)
        self.vectors = embedder.embed_many(self.texts)
        self.noise = noise
        self.rng = np.random.default_rng(seed + 1)

    def vectors_for(self, picks: np.ndarray) -> np.ndarray:
        base = self.vectors[picks]
        noisy = base + self.rng.standard_normal(base.shape, dtype=np.float32) * self.noise
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)

    def insert(self, store: Store, start: int, count: int, chunk: int = 20_000) -> None:
        """Write rows ``start .. start+count`` straight into SQLite (FTS triggers included)."""
        ts = now_iso()
        for first in range(start, start + count, chunk):
            n = min(chunk, start + count - first)
            picks = self.rng.integers(len(self.texts), size=n)
            vectors = self.vectors_for(picks)
            rows = []
            for j in range(n):
                text = f"{self.texts[picks[j]]} (note {first + j})"
                rows.append((text, text_hash(text), f"user-{(first + j) % USERS:04d}",
                             ALL_ROWS_AGENT, None, "{}", vectors[j].tobytes(), ts, ts, None))
            with store.transaction():
                store.db.conn.executemany(
                    "INSERT INTO memories (text, hash, user_id, agent_id, run_id, metadata,"
                    " embedding, created_at, updated_at, observed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                store.bump_vectors_version()


# --- timing helpers -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


@contextmanager
def stopwatch(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into.append(time.perf_counter() - start)


def timed(totals: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that adds its run time to ``totals[name]`` (instrumentation for breakdowns)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def median_of_runs(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure: the median over runs."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


# --- the measurements ---------------------------------------------------------------------------

CHAT_PAIRS = [
    ("I just moved to Lisbon for a new job as a data engineer, and my sister Ana visits next "
     "week. She is vegetarian, so I need restaurant ideas near Chiado.",
     "Congratulations on the move! For Ana, try a vegetarian tasca in Chiado; book ahead."),
    ("My dog Biscuit hates the rain, so on wet days I take him to the covered park by the river "
     "before work. I start at 9 every morning.",
     "Covered parks are a great idea. A light raincoat for Biscuit might help too."),
    ("I'm allergic to peanuts and my partner Tomas is learning to bake, so he keeps asking me "
     "which recipes are safe. Any tips?",
     "Look for recipes marked nut-free and check labels on chocolate and flour."),
    ("I gave up coffee last month and switched to green tea; I also run 5k every Saturday with "
     "my running club in Belem.",
     "Nice switch! Green tea before a run can help with focus."),
]


PARTS = ("llm", "embed", "sqlite", "index")


def bench_add_inferred(home: Path, runs: int, per_run: int) -> dict[str, float]:
    """add(infer=True) latency with the bundled models, and the share of each part."""
    from localmem import Memory

    memory = Memory(path=home)
    memory.add(CHAT_PAIRS[0][0], user_id="warmup")  # load both models before timing
    totals: dict[str, float] = {}
    llm = memory.llm
    llm.complete_json = timed(totals, "llm", llm.complete_json)  # type: ignore[method-assign]
    embedder = memory.embedder
    embedder.embed_batch = timed(totals, "embed", embedder.embed_batch)  # type: ignore
    memory.store.execute = timed(totals, "sqlite", memory.store.execute)  # type: ignore
    for index in (memory.indexes.facts, memory.indexes.messages):
        for name in ("add", "remove", "search", "save"):
            setattr(index, name, timed(totals, "index", getattr(index, name)))
    calls = [0]
    counted = llm.complete_json

    def count_calls(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return counted(*args, **kwargs)

    llm.complete_json = count_calls  # type: ignore[method-assign]
    results = []
    for run in range(runs):
        latencies: list[float] = []
        totals.clear()
        calls[0] = 0
        for i in range(per_run):
            user, assistant = CHAT_PAIRS[(run * per_run + i) % len(CHAT_PAIRS)]
            pair = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
            with stopwatch(latencies):
                memory.add(pair, user_id=f"chat-{run}")
        total = sum(latencies)
        results.append({
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "llm_calls": calls[0] / per_run,
            **{f"share_{k}": totals.get(k, 0.0) / total for k in PARTS},
        })
    memory.close()
    return median_of_runs(results)


def bench_ingest(
    home: Path, embedder: Embedder, runs: int, per_run: int, batch: int
) -> dict[str, float]:
    """add(infer=False) throughput: ``batch`` messages per call, each one memory."""
    from localmem import Memory

    texts = template_sentences(runs * per_run + batch, seed=99)
    memory = Memory(path=home, embedder=embedder)
    memory.add([{"role": "user", "content": t} for t in texts[:batch]], user_id="u", infer=False)
    results = []
    totals: dict[str, float] = {}
    embed = embedder.embed_batch
    embedder.embed_batch = timed(totals, "embed", embed)  # type: ignore[method-assign]
    try:
        for run in range(runs):
            totals.clear()
            start = time.perf_counter()
            chunk = texts[batch + run * per_run : batch + (run + 1) * per_run]
            for first in range(0, len(chunk), batch):
                msgs = [{"role": "user", "content": t} for t in chunk[first : first + batch]]
                memory.add(msgs, user_id=f"user-{run}", infer=False)
            wall = time.perf_counter() - start
            results.append({"per_s": len(chunk) / wall, "embed_share": totals["embed"] / wall,
                            "embed_only_per_s": len(chunk) / totals["embed"]})
    finally:
        embedder.embed_batch = embed  # type: ignore[method-assign]
    count = memory.store.count(MEMORIES)
    memory.close()
    out = median_of_runs(results)
    out["bytes_per_memory"] = disk_bytes(home) / count
    return out


def disk_bytes(home: Path) -> int:
    return sum(f.stat().st_size for f in home.iterdir() if f.is_file())


def bench_search(memory: Any, embedder: Embedder, runs: int, queries: int) -> dict[str, float]:
    """Search latency (query embedding included) for one scope owning every row, and for users."""
    rng = np.random.default_rng(5)
    out: dict[str, float] = {}
    for label, scope_of in (
        ("all", lambda i: {"agent_id": ALL_ROWS_AGENT}),
        ("users", lambda i: {"user_id": f"user-{int(rng.integers(USERS)):04d}"}),
    ):
        memory.search(QUERIES[0], **scope_of(0))  # warm: the scope mirror reads the table once
        per_run = []
        for _ in range(runs):
            times: list[float] = []
            for i in range(queries):
                with stopwatch(times):
                    memory.search(QUERIES[i % len(QUERIES)], **scope_of(i))
            per_run.append({"p50": percentile(times, 50), "p95": percentile(times, 95)})
        med = median_of_runs(per_run)
        out[f"{label}_p50"], out[f"{label}_p95"] = med["p50"], med["p95"]
    embeds: list[float] = []
    vectors = []
    for i in range(queries):
        with stopwatch(embeds):
            vectors.append(embedder.embed(QUERIES[i % len(QUERIES)]))
    out["embed_p50"] = percentile(embeds, 50)
    for label, scope_of in (
        ("all", lambda i: {"agent_id": ALL_ROWS_AGENT}),
        ("users", lambda i: {"user_id": f"user-{int(rng.integers(USERS)):04d}"}),
    ):
        rest: list[float] = []  # the same search with the query vector given: index + SQLite
        for i in range(queries):
            with stopwatch(rest):
                hybrid_search(memory.store, memory.indexes, QUERIES[i % len(QUERIES)], vectors[i],
                              scope_of(i), 5, {}, None)
        out[f"{label}_rest_p50"] = percentile(rest, 50)
    return out


def recall_at_10(memory: Any, embedder: Embedder) -> float:
    """Recall@10 of the facts index against exact search over the same stored vectors."""
    ids, vectors = memory.store.embeddings(MEMORIES)
    index = memory.indexes.facts
    hits = []
    for query in QUERIES:
        q = embedder.embed(query)
        exact = set(ids[np.argsort(-(vectors @ q))[:10]].tolist())
        hits.append(len(exact & {i for i, _ in index.search(q, 10)}) / 10)
    return float(np.mean(hits))


def in_subprocess(code: str) -> tuple[dict[str, float], float]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object. Returns it and the wall."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"subprocess failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


COLD_START = """
import time
t0 = time.perf_counter()
import localmem
memory = localmem.Memory(path={home!r})
found = memory.search("What food does the user like?", user_id="user-0001")
import json
print(json.dumps({{"seconds": time.perf_counter() - t0, "found": len(found)}}))
"""

PEAK_RSS = """
import json, sys
sys.path.insert(0, {scripts!r})
import localmem, bench
memory = localmem.Memory(path={home!r})
for i in range(40):
    memory.search(bench.QUERIES[i % len(bench.QUERIES)], user_id="user-%04d" % i)
    memory.search(bench.QUERIES[i % len(bench.QUERIES)], agent_id=bench.ALL_ROWS_AGENT)
# VmHWM, not ru_maxrss: after fork + exec, ru_maxrss also counts the parent's size at the fork
status = open("/proc/self/status").read()
peak_kb = int(status.split("VmHWM:")[1].split()[0])
print(json.dumps({{"mb": peak_kb / 1024, "rebuilds": memory.indexes.rebuilds}}))
"""


# --- the table ----------------------------------------------------------------------------------


class Table:
    """Rows of (figure, value, target, verdict), printed aligned."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, figure: str, value: float, unit: str, target: float | None = None,
            higher_is_better: bool = False) -> None:
        shown = f"{value:,.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
        if target is None:
            self.rows.append((figure, shown, "", ""))
            return
        sign = ">=" if higher_is_better else "<="
        met = value >= target if higher_is_better else value <= target
        ratio = value / target if not higher_is_better else target / max(value, 1e-9)
        verdict = "ok" if met else f"MISSED ({ratio:.1f}x)"
        self.rows.append((figure, shown, f"{sign} {target:g} {unit}", verdict))

    def note(self, text: str) -> None:
        self.rows.append((text, "", "", ""))

    def print(self) -> None:
        widths = [max(len(r[i]) for r in self.rows) for i in range(4)]
        head = ("figure", "median", "target", "")
        widths = [max(w, len(h)) for w, h in zip(widths, head)]
        for row in [head, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under two minutes")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        help="store sizes to search, comma-separated (default by mode)")
    parser.add_argument("--skip-llm", action="store_true", help="leave out add(infer=True)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = args.sizes or ([1_000, 10_000, 100_000] if quick else
                           [1_000, 10_000, 100_000, 1_000_000])
    runs = 3 if quick else 5
    queries = 20 if quick else 60

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="localmem-bench-"))
    try:
        table = run_all(work, quick, sizes, runs, queries, args.skip_llm)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"localmem bench ({'quick' if quick else 'full'}) on {os.cpu_count()} cores; "
          f"load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{time.perf_counter() - started:.0f} s in all")
    print(f"each figure: median of {runs} runs; search: {queries} queries a run, MiniLM query "
          "embedding included; synthetic stores: template texts, vectors = MiniLM embeddings of "
          "template sentences + noise; '1 scope owns all rows' = agent_id shared by every row.")
    table.print()
    return 0


def run_all(work: Path, quick: bool, sizes: list[int], runs: int, queries: int,
            skip_llm: bool) -> Table:
    """Every measurement, in order; returns the filled table."""
    from localmem import FakeLLM, Memory

    table = Table()
    # The embedder Memory() uses by default (ONNX Runtime when installed, else torch).
    embedder = Memory(path=work / "probe", llm=FakeLLM()).embedder
    embedder.embed("warm up")
    table.note(f"embedder: {type(embedder).__name__}")

    ingest = bench_ingest(work / "ingest", embedder, runs, 256 if quick else 1024, batch=64)
    table.add("add(infer=False) bulk ingest, 64 msgs/call", ingest["per_s"], "mem/s", 2000, True)
    table.add("  MiniLM alone on the same texts", ingest["embed_only_per_s"], "mem/s")
    table.add("  share of ingest time in the embedder", 100 * ingest["embed_share"], "%")
    table.add("bytes on disk per memory (real add path)", ingest["bytes_per_memory"], "B")

    if not skip_llm:
        added = bench_add_inferred(work / "chat", 2 if quick else runs, 3 if quick else 6)
        table.add("add(infer=True) p50, bundled SmolLM2", added["p50"], "s", 0.8)
        table.add("add(infer=True) p95", added["p95"], "s")
        table.add("  model calls per add", added["llm_calls"], "")
        for part in PARTS:
            table.add(f"  share of add time: {part}", 100 * added[f"share_{part}"], "%")

    rows = SyntheticRows(embedder, 200 if quick else 2000)
    store_home = work / "synthetic"
    store_home.mkdir()
    have = 0
    for size in sorted(sizes):
        store = Store(store_home / "memory.db")
        rows.insert(store, have, size - have)
        store.close()
        have = size
        build: list[float] = []
        with stopwatch(build):
            memory = Memory(path=store_home, embedder=embedder)
        found = bench_search(memory, embedder, runs, queries)
        label = f"{size:,}"
        targets = {100_000: 0.005, 1_000_000: 0.015}
        table.add(f"search p50 @{label}, 1 scope owns all rows", 1000 * found["all_p50"], "ms",
                  1000 * targets[size] if size in targets else None)
        table.add(f"search p95 @{label}, 1 scope owns all rows", 1000 * found["all_p95"], "ms")
        table.add(f"search p50 @{label}, 1,000 users", 1000 * found["users_p50"], "ms",
                  1000 * targets[size] if size in targets else None)
        table.add(f"search p95 @{label}, 1,000 users", 1000 * found["users_p95"], "ms")
        table.add(f"  query embedding alone p50 @{label}", 1000 * found["embed_p50"], "ms")
        table.add(f"  search without embedding p50 @{label}, all / users",
                  1000 * found["all_rest_p50"], f"ms / {1000 * found['users_rest_p50']:.2g} ms")
        table.add(f"  index {memory.indexes.facts.kind}, open + build from SQLite", build[0], "s")
        if memory.indexes.facts.kind != "exact":
            table.add(f"  recall@10 vs exact @{label}", recall_at_10(memory, embedder), "")
        memory.close()
        if size == 100_000:
            table.add("bytes on disk per memory @100,000 (synthetic)",
                      disk_bytes(store_home) / size, "B")
            scripts = str(Path(__file__).resolve().parent)
            rss, _ = in_subprocess(PEAK_RSS.format(scripts=scripts, home=str(store_home)))
            table.add("peak RSS @100,000, saved index", rss["mb"], "MB", 1024)
            for name in ("facts.faiss", "index.json"):
                (store_home / name).unlink()
            rss, _ = in_subprocess(PEAK_RSS.format(scripts=scripts, home=str(store_home)))
            table.add("peak RSS @100,000, index rebuilt from SQLite", rss["mb"], "MB", 1024)

    cold, walls = [], []
    small = work / "cold"
    memory = Memory(path=small, embedder=embedder)
    memory.add([{"role": "user", "content": t} for t in template_sentences(200, seed=3)],
               user_id="user-0001", infer=False)
    memory.close()
    for _ in range(3):
        result, wall = in_subprocess(COLD_START.format(home=str(small)))
        cold.append(result["seconds"])
        walls.append(wall)
    table.add("cold start: import + Memory() + first search", statistics.median(cold), "s", 2.0)
    table.add("  whole fresh process (interpreter included)", statistics.median(walls), "s")
    return table


if __name__ == "__main__":
    raise SystemExit(main())
