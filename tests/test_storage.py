"""The storage seam: one commit step for every write, chunked id lists, stats through the facade."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from localmem.storage.faiss_index import VectorIndex
from localmem.storage.store import MEMORIES, Store
from localmem.frontends.transfer import export_lines, import_lines
from tests.helpers import backend, fake_memory, in_step, sql

VARIABLE_LIMIT = 999  # SQLite's compiled-in default before 3.32; this build allows far more


def limited(memory):
    """The memory with its connection capped at ``VARIABLE_LIMIT`` parameters per statement."""
    backend(memory).store.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, VARIABLE_LIMIT)
    return memory


def test_a_store_larger_than_the_variable_limit_reads_lists_exports_and_deletes(tmp_path):
    memory = limited(fake_memory(tmp_path / "a"))
    count = 2500  # well over VARIABLE_LIMIT
    for start in range(0, count, 500):
        memory.add([{"role": "user", "content": f"note {i} token t{i}"}
                    for i in range(start, start + 500)], user_id="u", infer=False)
    with pytest.raises(sqlite3.OperationalError, match="too many SQL variables"):
        backend(memory).store.db.conn.execute(
            f"SELECT 1 FROM memories WHERE id IN ({','.join('?' * count)})", list(range(count)))

    listed = memory.get_all(user_id="u", limit=count + 10)
    assert len(listed) == count
    assert [item.text for item in listed[:2]] == [f"note {count - 1} token t{count - 1}",
                                                  f"note {count - 2} token t{count - 2}"]
    assert all(len(item.source_message_ids) == 1 for item in listed)
    assert memory.search("token t1234", user_id="u", limit=1)[0].text == "note 1234 token t1234"

    target = limited(fake_memory(tmp_path / "b"))
    lines = list(export_lines(memory))
    assert import_lines(target, lines).memories == count
    replaced = import_lines(target, lines, replace=True).replaced  # (history goes with memories)
    assert len(replaced) == 2 * count and replaced[-1] == f"memory {count}"
    assert target.get_all(user_id="u", limit=count) == memory.get_all(user_id="u", limit=count)

    assert memory.delete_all(user_id="u") == count
    assert memory.stats().scopes == [] and in_step(memory)


def fail_once(monkeypatch, name: str) -> list[int]:
    """The next call of ``VectorIndex.<name>`` raises, as a failing index update would."""
    real, calls = getattr(VectorIndex, name), []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the index update failed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(VectorIndex, name, failing)
    return calls


@pytest.mark.parametrize("write, method", [
    (lambda m, mid: m.add("I collect stamps", user_id="u"), "add"),
    (lambda m, mid: m.update(mid, "Plays the cello"), "add"),
    (lambda m, mid: m.delete(mid), "remove"),
    (lambda m, mid: m.delete_all(user_id="u"), "remove"),
])
def test_every_write_that_cannot_update_the_index_rebuilds_it(tmp_path, monkeypatch, write, method):
    memory = fake_memory(tmp_path)
    mid = memory.add("I play the violin", user_id="u")[0].id
    rebuilds = backend(memory).indexes.rebuilds
    calls = fail_once(monkeypatch, method)
    write(memory, mid)
    assert calls and backend(memory).indexes.rebuilds == rebuilds + 1
    assert in_step(memory)  # the committed rows are what the index holds
    memory.close()
    reopened = fake_memory(tmp_path)
    assert backend(reopened).indexes.rebuilds == 0 and in_step(reopened)


def test_a_failed_sqlite_write_leaves_rows_and_index_as_they_were(tmp_path):
    memory = fake_memory(tmp_path)
    mid = memory.add("I play the violin", user_id="u")[0].id
    before = sql(memory, "SELECT * FROM memories"), backend(memory).indexes.version
    storage = backend(memory)
    with pytest.raises(RuntimeError, match="in the middle"):
        with storage.write():
            storage.rows.update_memory(mid, "Plays the cello", "h", np.ones(384, np.float32), "user")
            raise RuntimeError("in the middle")
    assert (sql(memory, "SELECT * FROM memories"), storage.indexes.version) == before
    assert memory.search("violin", user_id="u")[0].text == "Plays the violin" and in_step(memory)


def test_store_writes_outside_the_commit_step_are_refused(tmp_path):
    store = Store(tmp_path / "memory.db")
    with pytest.raises(RuntimeError, match="outside Store.changing"):
        store.insert_memory("text", "hash", {"user_id": "u"}, {}, np.ones(8, np.float32), None,
                            [], "user")
    assert store.count(MEMORIES) == 0 and store.vectors_version() == 0
    with store.changing() as changes:
        mid = store.insert_memory("text", "hash", {"user_id": "u"}, {}, np.ones(8, np.float32),
                                  None, [], "user")
    assert changes.touched() == [(MEMORIES, mid)] and store.vectors_version() == changes.version
    logged = store.execute("SELECT table_name, row_id FROM vectors_log WHERE version = ?",
                           [changes.version])
    assert sorted(logged) == [("", 0), (MEMORIES, mid)]  # logged in full: this one row


def test_stats_count_each_scope_and_name_the_index_files(tmp_path):
    memory = fake_memory(tmp_path)
    memory.add("I live in Lisbon", user_id="ana")
    memory.add([{"role": "user", "content": "note"}], user_id="bo", run_id="r1", infer=False)
    stats = memory.stats()
    assert [(s.user_id, s.run_id, s.memories, s.messages) for s in stats.scopes] == [
        ("ana", None, 1, 1), ("bo", "r1", 1, 1)]
    assert (stats.index.facts, stats.index.messages) == (2, 1)
    assert sorted(stats.index.files) == [str(tmp_path / "facts.faiss"),
                                         str(tmp_path / "messages.faiss")]
    assert stats.index.bytes == sum((tmp_path / f).stat().st_size
                                    for f in ("facts.faiss", "messages.faiss"))
    assert fake_memory().stats().index.files == []  # in memory: nothing on disk
