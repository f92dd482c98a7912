"""MemClient against a real uvicorn server on 127.0.0.1: Memory's interface, Memory's errors."""

import inspect
import socket
import threading
import time
from datetime import datetime, timezone

import pytest

from localmem import (
    Action,
    AccessDeniedError,
    ConfigError,
    HistoryEntry,
    InvalidInputError,
    Memory,
    MemoryEvent,
    MemoryItem,
    MemoryNotFoundError,
    SearchResults,
)
from localmem.client import MemClient
from localmem.storage.keys import KeyStore
from localmem.frontends.server import create_app
from tests.helpers import dump, fake_memory

VERBS = ("add", "search", "get", "get_all", "update", "delete", "delete_all", "history")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    home = tmp_path_factory.mktemp("served")
    memory = fake_memory(home)
    keys = KeyStore(home)
    port = _free_port()
    config = uvicorn.Config(create_app(home, memory=memory, keys=keys), host="127.0.0.1",
                            port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert uv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", memory, keys
    uv.should_exit = True
    thread.join(10)
    keys.close()
    memory.close()


@pytest.fixture
def admin(server):
    host, memory, keys = server
    memory.reset()
    with MemClient(api_key=keys.create(), host=host) as client:
        yield client


def test_memclient_has_memorys_verbs_with_the_same_signatures():
    for verb in VERBS:
        assert inspect.signature(getattr(MemClient, verb)) == inspect.signature(getattr(Memory, verb)), verb


def test_every_verb_returns_memorys_types(admin, server):
    memory = server[1]
    events = admin.add([{"role": "user", "content": "I live in Lyon"}], user_id="ana",
                       metadata={"src": "chat"}, timestamp=datetime(2024, 5, 1, tzinfo=timezone.utc))
    assert isinstance(events, list) and isinstance(events[0], MemoryEvent)
    assert events[0].event is Action.ADD and events[0].text == "Lives in Lyon"
    mid = events[0].id

    results = admin.search("where does ana live", user_id="ana", limit=3)
    assert isinstance(results, SearchResults) and isinstance(results[0], MemoryItem)
    assert results[0].id == mid and results[0].score is not None
    assert admin.search("where", user_id="ana", filters={"src": "email"}) == SearchResults()
    assert admin.search("where does ana live", user_id="ana", max_words=1) == SearchResults()
    assert admin.search("where does ana live", user_id="ana", max_words=3)[0].id == mid

    item = admin.get(mid)
    assert item == memory.get(mid)  # the same value the library returns
    assert item.observed_at.year == 2024
    listed = admin.get_all(user_id="ana", filters={"src": "chat"})
    assert isinstance(listed, SearchResults) and [m.id for m in listed] == [mid]

    update = admin.update(mid, "Lives in Paris", metadata={"src": "user"})
    assert isinstance(update, MemoryEvent) and update.previous_text == "Lives in Lyon"
    history = admin.history(str(mid))
    assert all(isinstance(h, HistoryEntry) for h in history)
    assert [h.event for h in history] == [Action.ADD, Action.UPDATE]

    assert admin.delete(mid) is None
    admin.add("I play the cello", user_id="ana")
    assert admin.delete_all(user_id="ana") == 1
    assert admin.get_all(user_id="ana") == []


def test_errors_come_back_as_the_same_localmem_errors(admin, server):
    memory = server[1]
    admin.add("I play the cello", user_id="ana")
    before = dump(memory)
    with pytest.raises(MemoryNotFoundError):
        admin.get(987654)
    with pytest.raises(MemoryNotFoundError):
        memory.get(987654)
    for call in (
        lambda api: api.add([], user_id="ana"),
        lambda api: api.add("x", user_id="ana", metadata={"n": float("nan")}),
        lambda api: api.search("\ud800", user_id="ana"),
        lambda api: api.search("x", user_id="ana", threshold=float("inf")),
        lambda api: api.search("x", filters={"k'; DROP TABLE memories; --": 1}),
        lambda api: api.get("../../etc/passwd"),
        lambda api: api.get(True),
        lambda api: api.delete_all(),
        lambda api: api.update(1, ""),
    ):
        with pytest.raises(InvalidInputError) as remote:
            call(admin)
        with pytest.raises(InvalidInputError) as local:
            call(memory)
        assert str(remote.value) == str(local.value)
    with pytest.raises(InvalidInputError):
        admin.add("x", metadata={"when": object()})
    assert dump(memory) == before


def test_a_wrong_key_is_access_denied_and_no_server_is_a_config_error(server):
    host = server[0]
    with pytest.raises(AccessDeniedError, match="API key"):
        MemClient(api_key="lm_000000000000_" + "b" * 40, host=host).get_all()
    with pytest.raises(ConfigError, match="cannot reach"):
        MemClient(api_key="k", host=f"http://127.0.0.1:{_free_port()}", timeout=5).get_all()
    with pytest.raises(ConfigError):
        MemClient(api_key="", host=host)
    with pytest.raises(ConfigError):
        MemClient(api_key="k", host="ftp://127.0.0.1")


def test_a_user_key_sees_only_its_user(server):
    host, memory, keys = server
    memory.reset()
    bob = memory.add("I have a dog named Rex", user_id="bob")[0]
    with MemClient(api_key=keys.create("alice"), host=host) as alice:
        alice.add("I play the cello")
        assert [m.user_id for m in alice.get_all()] == ["alice"]
        with pytest.raises(MemoryNotFoundError):
            alice.get(bob.id)
        with pytest.raises(MemoryNotFoundError):
            alice.delete(bob.id)
        with pytest.raises(AccessDeniedError, match="bound to another user"):
            alice.get_all(user_id="bob")
    assert memory.get(bob.id).text == bob.text
