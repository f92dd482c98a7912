"""Embedder benchmark: sentence-transformers (torch) vs ONNX Runtime fp32 vs ONNX int8, MiniLM.

    python scripts/bench_embedders.py              # 5 runs of each figure, medians printed
    python scripts/bench_embedders.py --runs 3 --onnx-dir /tmp/minilm-onnx   # reuse an export

Per backend: cold start in a fresh interpreter (import + load + first embed), single-query
latency p50/p95 with 1 and 2 threads, bulk throughput at batch 64, and agreement with
sentence-transformers (min/mean cosine over memory sentences, queries and hard cases; mean
top-10 overlap when searching 2,000 memories). int8 is measured even when ``export_onnx``
would not keep it (its probe min cosine is printed). Each figure is the median of ``--runs``;
on a shared, loaded machine they are still noisy, so read them as ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import QUERIES, in_subprocess, percentile, template_sentences  # noqa: E402

from localmem.backends.embeddings import Embedder, SentenceTransformerEmbedder  # noqa: E402
from localmem.backends.onnx import OnnxEmbedder  # noqa: E402
from localmem.backends.onnx_export import (  # noqa: E402
    MIN_INT8_COSINE, MIN_QUERY_COSINE, export_onnx, write_int8,
)
from localmem.models.locate import resolve_embedder_path  # noqa: E402

BACKENDS = ("sentence-transformers", "onnx-fp32", "onnx-int8")
HARD_CASES = [
    "", "ok", "  leading and trailing spaces  ", "Café crème, naïve façade, jalapeño",
    "東京に住んでいて、毎朝ラーメンを食べます", "Мой брат живёт в Москве", "emoji 🎉🍣 party",
    "The quick brown fox jumps over the lazy dog. " * 40, "memory " * 600,
]

COLD = """
import time
t0 = time.perf_counter()
from pathlib import Path
{setup}
vector = embedder.embed("What food does the user like?")
import json, sys
print(json.dumps({{"seconds": time.perf_counter() - t0, "torch": "torch" in sys.modules}}))
"""
SETUPS = {
    "sentence-transformers": "from localmem.backends.embeddings import SentenceTransformerEmbedder\n"
    "embedder = SentenceTransformerEmbedder(Path({source!r}))",
    "onnx-fp32": "from localmem.backends.onnx import OnnxEmbedder\n"
    "embedder = OnnxEmbedder(Path({onnx!r}))",
    "onnx-int8": "from localmem.backends.onnx import OnnxEmbedder\n"
    "embedder = OnnxEmbedder(Path({onnx!r}), quantized=True)",
}


def build(backend: str, source: Path, onnx: Path, threads: int) -> Embedder:
    """One backend with ``threads`` threads for single queries and batches."""
    if backend == "sentence-transformers":
        import torch

        torch.set_num_threads(threads)
        return SentenceTransformerEmbedder(source)
    return OnnxEmbedder(onnx, quantized=backend == "onnx-int8", threads=threads, query_threads=threads)


def cold_start(backend: str, source: Path, onnx: Path, runs: int) -> tuple[float, float, bool]:
    """Median in-process seconds (import + load + first embed), median process wall, torch loaded."""
    code = COLD.format(setup=SETUPS[backend].format(source=str(source), onnx=str(onnx)))
    results = [in_subprocess(code) for _ in range(runs)]
    inside = statistics.median(r[0]["seconds"] for r in results)
    wall = statistics.median(r[1] for r in results)
    return inside, wall, bool(results[0][0]["torch"])


def query_latency(embedder: Embedder, runs: int, per_run: int) -> tuple[float, float]:
    """Median over runs of p50 and p95 single-query latency, ms."""
    queries = [f"{q} ({i})" for i in range(per_run) for q in QUERIES][:per_run]
    embedder.embed("warm up")
    p50s, p95s = [], []
    for _ in range(runs):
        times = []
        for query in queries:
            start = time.perf_counter()
            embedder.embed(query)
            times.append((time.perf_counter() - start) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    return statistics.median(p50s), statistics.median(p95s)


def throughput(embedder: Embedder, texts: list[str], runs: int) -> float:
    """Median texts/s embedding ``texts`` in batches of 64."""
    embedder.embed_many(texts[:64])
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        embedder.embed_many(texts, batch_size=64)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def agreement(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, float]:
    """Cosines to the reference vectors and mean top-10 overlap of the same searches."""
    texts = np.vstack([reference["corpus"], reference["queries"], reference["hard"]])
    mine = np.vstack([other["corpus"], other["queries"], other["hard"]])
    cosines = np.sum(texts * mine, axis=1)
    top_ref = np.argsort(-(reference["queries"] @ reference["corpus"].T), axis=1)[:, :10]
    top_mine = np.argsort(-(other["queries"] @ other["corpus"].T), axis=1)[:, :10]
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(top_ref, top_mine)]
    return {"min_cos": float(cosines.min()), "mean_cos": float(cosines.mean()),
            "top10": float(np.mean(overlap))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repeats per figure (median printed)")
    parser.add_argument("--queries", type=int, default=100, help="single queries per latency run")
    parser.add_argument("--bulk", type=int, default=640, help="texts per throughput run")
    parser.add_argument("--onnx-dir", type=Path, help="an existing export to reuse (an int8 copy is written into it)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-embedders-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    source = resolve_embedder_path(None)
    onnx = args.onnx_dir or work / "minilm-onnx"
    if not (onnx / "model.onnx").exists():
        start = time.perf_counter()
        export_onnx(source, onnx, quantize=False)  # no verdict recorded: int8 is measured below
        print(f"exported {source} -> {onnx} in {time.perf_counter() - start:.1f} s")
    int8 = write_int8(onnx)  # (re)written even where export_onnx would not keep it
    print(f"int8 probe min cosine {int8['int8_min_cosine']:.4f} batched (int8 for every text "
          f"only if >= {MIN_INT8_COSINE}), {int8['int8_query_min_cosine']:.4f} alone (int8 "
          f"queries only if >= {MIN_QUERY_COSINE})")

    corpus = template_sentences(2000, seed=7)
    queries = [*QUERIES, *[f"Who likes {w}?" for w in ("sushi", "chess", "sailing", "pho")]]
    vectors: dict[str, dict[str, np.ndarray]] = {}
    rows: dict[str, dict[str, Any]] = {}
    load = os.getloadavg()[0]
    for backend in BACKENDS:
        row: dict[str, Any] = {}
        row["cold_s"], row["cold_wall_s"], row["torch"] = cold_start(backend, source, onnx, args.runs)
        for threads in (1, 2):
            embedder = build(backend, source, onnx, threads)
            row[f"p50_{threads}t"], row[f"p95_{threads}t"] = query_latency(
                embedder, args.runs, args.queries
            )
            row[f"bulk_{threads}t"] = throughput(embedder, corpus[: args.bulk], args.runs)
        vectors[backend] = {"corpus": embedder.embed_many(corpus), "queries": embedder.embed_many(queries),
                            "hard": embedder.embed_many(HARD_CASES)}
        rows[backend] = row
        print(f"  {backend} done", flush=True)

    print(f"\nMiniLM embedders on {os.cpu_count()} cores, load {load:.1f} at start "
          f"(shared machine: noisy), median of {args.runs} runs")
    header = (f"{'backend':22s} {'cold s':>7s} {'wall s':>7s} {'torch':>5s} {'q p50 1t':>9s} "
              f"{'q p95 1t':>9s} {'q p50 2t':>9s} {'q p95 2t':>9s} {'bulk/s 1t':>10s} "
              f"{'bulk/s 2t':>10s} {'min cos':>8s} {'mean cos':>8s} {'top10':>6s}")
    print(header)
    print("-" * len(header))
    for backend, row in rows.items():
        agree = agreement(vectors["sentence-transformers"], vectors[backend])
        print(f"{backend:22s} {row['cold_s']:7.2f} {row['cold_wall_s']:7.2f} {str(row['torch']):>5s} "
              f"{row['p50_1t']:8.2f}ms {row['p95_1t']:8.2f}ms {row['p50_2t']:8.2f}ms "
              f"{row['p95_2t']:8.2f}ms {row['bulk_1t']:10.0f} {row['bulk_2t']:10.0f} "
              f"{agree['min_cos']:8.4f} {agree['mean_cos']:8.4f} {agree['top10']:6.3f}")
    print("cold s: import + load + first embed inside a fresh interpreter; wall s: the whole process."
          "\ncosines and top-10 overlap are against sentence-transformers "
          f"({len(corpus)} memories, {len(queries)} queries, {len(HARD_CASES)} hard cases).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
