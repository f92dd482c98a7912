"""Catching up with another handle's writes: replayed row by row from the change log, not rebuilt.

Two handles on one home directory stand for two processes (each has its own SQLite connection).
Whatever the path, the caught-up handle must search exactly like a freshly opened one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from localmem.frontends.transfer import export_lines, import_lines
from localmem.storage import changelog
from localmem.storage.indexset import IndexSet
from localmem.storage.store import MEMORIES, MESSAGES, Store
from tests.helpers import backend, fake_memory, in_step, sql

QUERIES = ("Lisbon", "oboe", "stamps", "token t3", "note number 7", "coffee")


def notes(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"note number {i} token t{i}"}
            for i in range(start, start + n)]


def results(memory, user: str = "u") -> list[list[tuple[int, str, float]]]:
    return [
        [(item.id, item.text, round(item.score, 5))
         for item in memory.search(q, user_id=user, limit=8)]
        for q in QUERIES
    ]


def counts(memory) -> tuple[int, int]:
    """(rebuilds, catch-ups) of the handle's indexes so far."""
    indexes = backend(memory).indexes
    return indexes.rebuilds, indexes.catchups


def fresh_results(home: Path) -> list[list[tuple[int, str, float]]]:
    fresh = fake_memory(home)
    try:
        return results(fresh)
    finally:
        fresh.close()


def test_adds_updates_and_deletes_are_replayed_without_a_rebuild(tmp_path):
    a, b = fake_memory(tmp_path), fake_memory(tmp_path)
    a.add(notes(10), user_id="u", infer=False)
    a.add("I live in Lisbon and I play the oboe", user_id="u")  # raw turns get vectors too
    results(b)
    rebuilds, catchups = counts(b)
    victim, edited = (item.id for item in a.get_all(user_id="u")[-2:])  # rows b already holds
    ((raw,),) = sql(a, "SELECT max(id) FROM messages WHERE embedding IS NOT NULL")

    added = a.add("I collect stamps", user_id="u")[0].id
    a.add(notes(5, start=10), user_id="u", infer=False)
    a.update(added, "Collects old stamps")
    a.update(edited, "Drinks coffee every morning")
    a.add(notes(3, start=30), user_id="v", infer=False)
    a.delete(victim)
    a.delete(-raw)  # a raw message with a vector
    a.delete_all(user_id="v")

    assert results(b) == fresh_results(tmp_path)
    assert backend(b).indexes.rebuilds == rebuilds
    assert backend(b).indexes.catchups > catchups
    assert backend(b).indexes.version == backend(b).store.vectors_version()
    assert in_step(b)
    assert victim not in {i for i, *_ in sum(results(b), [])}


def test_an_import_or_a_reset_makes_the_other_handle_rebuild(tmp_path):
    source = fake_memory(tmp_path / "source")
    source.add(notes(6, start=100), user_id="u", infer=False)
    lines = list(export_lines(source))
    a, b = fake_memory(tmp_path / "home"), fake_memory(tmp_path / "home")
    a.add(notes(3), user_id="u", infer=False)
    results(b)

    rebuilds = backend(b).indexes.rebuilds
    import_lines(a, lines, replace=True)  # ids 1-3 clash: replaced
    assert results(b) == fresh_results(tmp_path / "home")
    assert backend(b).indexes.rebuilds == rebuilds + 1 and in_step(b)

    a.reset()
    assert results(b) == [[] for _ in QUERIES]
    assert backend(b).indexes.rebuilds == rebuilds + 2 and in_step(b)


def test_a_handle_further_behind_than_the_pruned_log_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setattr(changelog, "KEEP_VERSIONS", 4)
    monkeypatch.setattr(changelog, "PRUNE_EVERY", 1)
    a, b = fake_memory(tmp_path), fake_memory(tmp_path)
    a.add(notes(2), user_id="u", infer=False)
    results(b)
    rebuilds, catchups = counts(b)
    for i in range(10):
        a.add(notes(1, start=10 + i), user_id="u", infer=False)
    assert results(b) == fresh_results(tmp_path)
    assert counts(b) == (rebuilds + 1, catchups)
    assert in_step(b)
    versions = sql(a, "SELECT DISTINCT version FROM vectors_log")
    assert len(versions) <= 4  # the log stays small

    a.add(notes(1, start=50), user_id="u", infer=False)  # back within the log: replayed again
    assert results(b) == fresh_results(tmp_path)
    assert counts(b) == (rebuilds + 1, catchups + 1)


def test_the_log_names_rows_never_their_text(tmp_path):
    a = fake_memory(tmp_path)
    mid = a.add("My secret word is pumpernickel", user_id="u", infer=False)[0].id
    a.delete(mid)
    rows = sql(a, "SELECT * FROM vectors_log")
    assert (backend(a).store.vectors_version(), MEMORIES, mid) in rows
    assert all(isinstance(v, int) and t in ("", "*", MEMORIES, MESSAGES) and isinstance(r, int)
               for v, t, r in rows)


def test_a_write_too_large_to_log_is_marked_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(changelog, "MAX_ROWS", 3)
    a, b = fake_memory(tmp_path), fake_memory(tmp_path)
    results(b)
    rebuilds = backend(b).indexes.rebuilds
    a.add(notes(5), user_id="u", infer=False)
    version = backend(a).store.vectors_version()
    assert sql(a, "SELECT table_name FROM vectors_log WHERE version = ?",
               [version]) == [(changelog.UNKNOWN,)]
    assert results(b) == fresh_results(tmp_path)
    assert backend(b).indexes.rebuilds == rebuilds + 1


@pytest.mark.parametrize("exact_max", [10_000, 200])  # exact and IVF indexes
def test_an_own_write_after_anothers_catches_up_on_apply(tmp_path, exact_max):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((1200, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    mine, theirs = Store(tmp_path / "memory.db"), Store(tmp_path / "memory.db")

    def insert(store: Store, rows: np.ndarray) -> list[int]:
        return [store.insert_memory(f"n{i}", f"h{i}", {"user_id": "u"}, {}, v, None, [], "user")
                for i, v in enumerate(rows)]

    with mine.changing():
        insert(mine, vectors[:1000])
    indexes = IndexSet(mine, 32, tmp_path, exact_max=exact_max)
    with theirs.changing() as changes:  # another process: adds, moves one vector, deletes one row
        insert(theirs, vectors[1000:1100])
        theirs.execute("UPDATE memories SET embedding = ? WHERE id = 5",
                       [vectors[1150].tobytes()])
        theirs.execute("DELETE FROM memories WHERE id = 6")
        changes.put(MEMORIES, 5, vectors[1150])
        changes.drop(MEMORIES, [6])
    with mine.changing() as changes:  # then this one, without having synced in between
        insert(mine, vectors[1100:1101])
    indexes.follow(changes)
    version = changes.version
    assert (indexes.rebuilds, indexes.catchups) == (1, 1)
    assert indexes.version == version
    assert indexes.facts.digest() == mine.id_digest(MEMORIES)
    assert indexes.facts.scores(vectors[1150], [5])[5] == pytest.approx(1.0, abs=1e-5)
    assert indexes.facts.kind == ("ivf" if exact_max == 200 else "exact")
