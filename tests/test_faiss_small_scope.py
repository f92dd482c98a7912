"""A scope of at most ``SMALL_SCOPE`` rows is scored exactly from its own vectors: the same
answer as a brute-force search, in either index type. Timings live in scripts/bench.py."""

from __future__ import annotations

import numpy as np
import pytest

from localmem.storage.faiss_index import EXACT, IVF, SMALL_SCOPE, VectorIndex

DIM = 32


def unit(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module", params=[EXACT, IVF])
def index(request: pytest.FixtureRequest) -> tuple[np.ndarray, VectorIndex]:
    """4,000 vectors, ids 1..4000, in an exact or an IVF index."""
    vectors = unit(4000, seed=1)
    index = VectorIndex(DIM, exact_max=10_000 if request.param == EXACT else 500)
    index.rebuild(np.arange(1, 4001, dtype=np.int64), vectors)
    assert index.kind == request.param
    return vectors, index


def brute_force(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    sims = vectors[ids - 1] @ query
    return [int(ids[i]) for i in np.lexsort((ids, -sims))[:k]]


def test_a_small_scope_gets_the_exact_top_k(index: tuple[np.ndarray, VectorIndex]) -> None:
    vectors, faiss_index = index
    scope = np.arange(3, 4001, 7, dtype=np.int64)[:SMALL_SCOPE]  # every 7th row
    for query in unit(20, seed=2):
        found = faiss_index.search(query, 10, scope)
        assert [i for i, _ in found] == brute_force(vectors, scope, query, 10)
        np.testing.assert_allclose([s for _, s in found], vectors[[i - 1 for i, _ in found]] @ query,
                                   atol=1e-5)


def test_ids_the_index_lacks_are_ignored_and_k_past_the_scope_returns_it_all(
    index: tuple[np.ndarray, VectorIndex],
) -> None:
    vectors, faiss_index = index
    scope = np.array([5, 9, 12, 9_999, 50_000], dtype=np.int64)  # the last two are not held
    found = faiss_index.search(unit(1, seed=3)[0], 30, scope)
    assert sorted(i for i, _ in found) == [5, 9, 12]
    assert faiss_index.search(unit(1, seed=3)[0], 5, np.array([70_000], dtype=np.int64)) == []


def test_equal_scores_rank_the_lower_id_first() -> None:
    index = VectorIndex(DIM)
    same = unit(1, seed=4)
    index.rebuild(np.array([40, 7, 23], dtype=np.int64), np.repeat(same, 3, axis=0))
    found = index.search(same[0], 3, np.array([7, 23, 40], dtype=np.int64))
    assert [i for i, _ in found] == [7, 23, 40]
