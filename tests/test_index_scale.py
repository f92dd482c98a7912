"""The size-driven FAISS index and the fast scope / keyword paths: correct, whatever the size.

Thresholds are small here so that the exact -> IVF switch, retraining and the way back all
happen on a few thousand vectors. Timings live in scripts/bench.py, not here.
"""

from __future__ import annotations

import numpy as np
import pytest

from localmem.engine.retrieval import SearchQuery, hybrid_search
from localmem.storage.faiss_index import EXACT, IVF, VectorIndex
from localmem.storage.indexset import IndexSet
from localmem.storage.scale import COMMON_DOCS
from localmem.storage.sqlite_backend import SqliteFaissStorage
from localmem.storage.store import MEMORIES, Store

DIM = 64


def clustered(n: int, seed: int = 0, topics: int = 200) -> np.ndarray:
    """Unit vectors shaped like sentence embeddings: topics in a low-dimensional subspace."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((24, DIM)).astype(np.float32)
    centres = rng.standard_normal((topics, 24)).astype(np.float32)
    latent = centres[rng.integers(topics, size=n)] + 0.35 * rng.standard_normal((n, 24))
    vectors = latent.astype(np.float32) @ basis + 0.3 * rng.standard_normal((n, DIM))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return {int(ids[i]) for i in order}


@pytest.fixture(scope="module")
def big() -> tuple[np.ndarray, np.ndarray, VectorIndex]:
    """20k clustered vectors in an IVF index (threshold 1,000), ids 1..20000."""
    vectors = clustered(20_000)
    ids = np.arange(1, 20_001, dtype=np.int64)
    index = VectorIndex(DIM, exact_max=1000)
    index.rebuild(ids, vectors)
    return ids, vectors, index


def test_approximate_index_recalls_what_exact_search_finds(big):
    ids, vectors, index = big
    assert index.kind == IVF
    queries = clustered(200, seed=7)
    recall = np.mean([
        len({i for i, _ in index.search(q, 10)} & exact_top(vectors, ids, q, 10)) / 10
        for q in queries
    ])
    assert recall >= 0.95


def test_scoped_approximate_search_recalls_within_the_scope(big):
    ids, vectors, index = big
    queries = clustered(100, seed=8)
    for share in (10, 3):  # a scope holding a tenth, then a third, of the index
        mine = ids[ids % share == 0]
        found = [{i for i, _ in index.search(q, 10, mine)} for q in queries]
        truth = [exact_top(vectors[mine - 1], mine, q, 10) for q in queries]
        recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth)])
        assert recall >= 0.95


def test_many_users_see_only_their_own_memories():
    vectors = clustered(100_000, seed=3)
    ids = np.arange(1, 100_001, dtype=np.int64)
    index = VectorIndex(DIM, exact_max=5000)
    index.rebuild(ids, vectors)
    users = ids % 1000
    queries = clustered(20, seed=9)
    for user, query in zip(range(0, 1000, 50), queries):
        mine = ids[users == user]
        found = [i for i, _ in index.search(query, 10, mine)]
        assert len(found) == 10 and set(found) <= set(mine.tolist())
        assert set(found) == exact_top(vectors[mine - 1], mine, query, 10)
    # A user with one memory, far from the query, among 100k others still gets it.
    lone = np.asarray([100_001])
    index.add(lone, -queries[0][None, :])
    assert index.search(queries[0], 5, lone) == [(100_001, pytest.approx(-1.0, abs=1e-5))]


def test_crossing_the_threshold_both_ways_keeps_every_id_searchable():
    vectors = clustered(1700, seed=4)
    index = VectorIndex(DIM, exact_max=300)
    for start in range(0, 1700, 100):  # grow in batches: exact, IVF, then retrained IVF
        chunk = np.arange(start + 1, start + 101)
        index.add(chunk, vectors[start : start + 100])
        assert index.kind == (EXACT if start + 100 <= 300 else IVF)
        if start + 100 == 400:
            assert index.trained_for == 400  # trained when it crossed the threshold
    assert index.ntotal == 1700 and index.digest() == (1700, sum(range(1, 1701)))
    assert index.trained_for == 1700  # retrained when it outgrew 4x its first training
    for rid in range(1, 1701, 7):
        assert index.search(vectors[rid - 1], 1, np.asarray([rid]))[0][0] == rid
        assert index.search(vectors[rid - 1], 1)[0][0] == rid
    index.remove(np.arange(1, 1601))  # shrink below half the threshold: back to exact
    assert index.kind == EXACT and index.ntotal == 100
    for rid in range(1601, 1701):
        assert index.search(vectors[rid - 1], 1)[0] == (rid, pytest.approx(1.0, abs=1e-5))
    assert index.search(vectors[0], 100, np.arange(1, 1601)) == []


def test_replacing_and_scoring_work_on_the_ivf_index(big):
    ids, vectors, _ = big
    index = VectorIndex(DIM, exact_max=1000)
    index.rebuild(ids[:5000], vectors[:5000])
    index.add(np.asarray([42]), vectors[4999][None, :])  # id 42 now holds another vector
    assert index.ntotal == 5000
    assert index.scores(vectors[4999], [42, 5000, 999_999]) == {
        42: pytest.approx(1.0, abs=1e-5), 5000: pytest.approx(1.0, abs=1e-5)
    }
    assert {i for i, _ in index.search(vectors[4999], 2)} == {42, 5000}


def fill(store: Store, vectors: np.ndarray, users: int, text=lambda i: f"note number {i}") -> None:
    with store.changing():
        for i, vector in enumerate(vectors):
            store.insert_memory(text(i), f"h{i}", {"user_id": f"u{i % users}"}, {}, vector, None,
                                [], "user")


def test_saved_index_reopens_in_step_with_sqlite(tmp_path):
    store = Store(tmp_path / "memory.db")
    vectors = clustered(3000, seed=5)
    fill(store, vectors, users=30)
    indexes = IndexSet(store, DIM, tmp_path, exact_max=1000)
    assert indexes.facts.kind == IVF and indexes.rebuilds == 1
    before = [indexes.facts.search(q, 12) for q in vectors[:20]]
    with store.changing() as changes:
        store.execute("DELETE FROM memories WHERE id IN (5, 6)")
        changes.drop(MEMORIES, [5, 6])
    indexes.follow(changes)
    indexes.save()
    again = IndexSet(store, DIM, tmp_path, exact_max=1000)
    assert again.rebuilds == 0 and again.facts.kind == IVF
    assert again.facts.digest() == store.id_digest(MEMORIES)
    for query, hits in zip(vectors[:20], before):
        assert again.facts.search(query, 10) == [h for h in hits if h[0] not in (5, 6)][:10]
    # A threshold that no longer fits the saved type: refitted on load and saved again.
    exact = IndexSet(store, DIM, tmp_path, exact_max=10_000)
    assert exact.rebuilds == 0 and exact.facts.kind == EXACT
    exact.save()
    assert IndexSet(store, DIM, tmp_path, exact_max=10_000).facts.unsaved is False


def test_scope_ids_follow_inserts_and_deletes(tmp_path):
    store = Store(tmp_path / "memory.db")
    vectors = clustered(600, seed=6)
    fill(store, vectors[:400], users=4)
    indexes = IndexSet(store, DIM, None, exact_max=200)

    def from_sqlite(user: str) -> set[int]:
        return set(store.scope_ids(MEMORIES, {"user_id": user}).tolist())

    for user in ("u0", "u3", "nobody"):
        assert set(indexes.scope_ids(MEMORIES, {"user_id": user}).tolist()) == from_sqlite(user)
    fill(store, vectors[400:], users=4)  # new rows: the mirror catches up by id
    assert set(indexes.scope_ids(MEMORIES, {"user_id": "u1"}).tolist()) == from_sqlite("u1")
    with store.transaction():
        store.execute("DELETE FROM memories WHERE id <= 100")
        store.bump_vectors_version()
    stale = indexes.scope_ids(MEMORIES, {"user_id": "u1"})
    assert set(stale.tolist()) >= from_sqlite("u1")  # deleted rows linger until a rebuild
    indexes.rebuild()
    mine = indexes.scope_ids(MEMORIES, {"user_id": "u1"})
    assert set(mine.tolist()) == from_sqlite("u1")
    hits = indexes.facts.search(vectors[101], 50, stale)
    assert len(hits) == 50 and {i for i, _ in hits} <= from_sqlite("u1")
    filtered = indexes.scope_ids(MEMORIES, {"user_id": "u1"}, {"topic": "none"})
    assert filtered.size == 0  # metadata filters are answered by SQLite


def test_keyword_search_matches_sqlite_on_small_stores_and_skips_common_words(tmp_path):
    store = Store(tmp_path / "memory.db")
    def texts(i: int) -> str:
        return f"likes tea and {'zanzibar' if i % 97 == 0 else 'plain'} biscuits"

    fill(store, clustered(COMMON_DOCS + 500, seed=2), users=5, text=texts)
    indexes = IndexSet(store, DIM, None, exact_max=500)
    scope = {"user_id": "u2"}
    allowed = indexes.scope_ids(MEMORIES, scope)
    rare = indexes.keyword_ids(MEMORIES, "zanzibar biscuits", allowed, 30)
    expected = store.keyword_search(MEMORIES, "zanzibar", scope, 30)  # "biscuits" is common
    assert sorted(rare) == sorted(expected) and len(rare) > 3
    assert rare and all(store.get_memory(i)["user_id"] == "u2" for i in rare)
    query = clustered(1, seed=11)[0]
    storage = SqliteFaissStorage(store, indexes)
    results = hybrid_search(storage, SearchQuery("zanzibar", query, scope, 5))
    assert results and all(item.user_id == "u2" for item in results)


def test_keyword_search_keeps_every_word_on_a_small_store(tmp_path):
    store = Store(tmp_path / "memory.db")
    fill(store, clustered(300, seed=12), users=3, text=lambda i: f"plays chess with player {i}")
    indexes = IndexSet(store, DIM, None)
    scope = {"user_id": "u1"}
    found = indexes.keyword_ids(MEMORIES, "chess player 7", indexes.scope_ids(MEMORIES, scope), 30)
    assert found == store.keyword_search(MEMORIES, "chess player 7", scope, 30)
    assert found[0] == 8  # the row holding "7" ranks first (ids start at 1)
