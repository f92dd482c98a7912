"""The index part of search at 1M memories, on random unit vectors (no SQLite, no embedding).

    python scripts/bench_index_1m.py [--n 1000000] [--queries 200]

bench.py builds a real 1M-row store, which takes over 25 minutes on 2 cores; this measures only
VectorIndex (IVF chosen by size, scope filtering inside FAISS) on pre-computed random unit
vectors, as the issue allows. Add the query embedding (bench.py: ~3 ms with ONNX MiniLM) and the
scope/keyword lookups (bench.py: < 1 ms at 100k) for a whole search.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from localmem.storage.faiss_index import VectorIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.n, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, args.n + 1, dtype=np.int64)
    index = VectorIndex(384)
    start = time.perf_counter()
    index.rebuild(ids, vectors)
    print(f"build ({index.kind}, {args.n:,} vectors): {time.perf_counter() - start:.1f} s")
    sources = rng.integers(0, args.n, args.queries)
    queries = vectors[sources] + 0.02 * rng.standard_normal((args.queries, 384), dtype=np.float32)
    one_user = ids[::1000]  # a user owning 1 in 1,000 rows (1,000 users)
    for label, allowed in (("1 scope owns all rows", ids), ("1,000 users", one_user)):
        times = []
        for q in queries:
            t = time.perf_counter()
            index.search(q, 10, allowed)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"search p50 / p95, {label}: {statistics.median(times):.2f} / "
              f"{times[int(0.95 * len(times)) - 1]:.2f} ms")
    # Random vectors have no neighbourhoods, so top-10 agreement means nothing here (bench.py
    # measures recall@10 on MiniLM-like vectors: 0.993 at 100k); the planted neighbour must be found.
    found = sum(int(ids[src]) == index.search(q, 1, ids)[0][0] for src, q in zip(sources, queries))
    print(f"planted neighbour found first: {found / len(queries):.3f}")

if __name__ == "__main__":
    main()
