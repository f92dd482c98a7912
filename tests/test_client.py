"""MemClient through Starlette's TestClient: Memory's interface, Memory's errors; one real
socket for what only a connection shows."""

import http.client
import inspect
import socket
import threading
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from localmem import (
    Action,
    AccessDeniedError,
    AuthenticationError,
    ConfigError,
    FakeLLM,
    HashEmbedder,
    HistoryEntry,
    InvalidInputError,
    Memory,
    MemoryEvent,
    MemoryItem,
    MemoryNotFoundError,
    RateLimitError,
    SearchResults,
    ServerError,
    ServerUnavailableError,
)
from localmem.client import MemClient
from localmem.storage.keys import KeyStore
from localmem.frontends.rest import ServerOptions, create_app
from tests.helpers import dump, fake_memory

VERBS = ("add", "search", "get", "get_all", "update", "delete", "delete_all", "history")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("served")
    memory = fake_memory(home)
    keys = KeyStore(home)
    with TestClient(create_app(home, memory=memory, keys=keys, options=ServerOptions(rate=0))) as http:
        yield http, memory, keys
    keys.close()
    memory.close()


@pytest.fixture
def admin(server):
    http, memory, keys = server
    memory.reset()
    with MemClient(api_key=keys.create(admin=True), http_client=http) as client:
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


def test_a_wrong_key_is_access_denied_and_bad_settings_are_config_errors(server):
    http = server[0]
    with pytest.raises(AuthenticationError, match="API key") as denied:
        MemClient(api_key="lm_000000000000_" + "b" * 40, http_client=http).get_all()
    assert isinstance(denied.value, AccessDeniedError)
    with pytest.raises(ConfigError):
        MemClient(api_key="", http_client=http)
    with pytest.raises(ConfigError):
        MemClient(api_key="k", host="ftp://127.0.0.1")


def test_a_user_key_sees_only_its_user(server):
    http, memory, keys = server
    memory.reset()
    bob = memory.add("I have a dog named Rex", user_id="bob")[0]
    with MemClient(api_key=keys.create("alice"), http_client=http) as alice:
        alice.add("I play the cello")
        assert [m.user_id for m in alice.get_all()] == ["alice"]
        with pytest.raises(MemoryNotFoundError):
            alice.get(bob.id)
        with pytest.raises(MemoryNotFoundError):
            alice.delete(bob.id)
        with pytest.raises(AccessDeniedError, match="bound to another user"):
            alice.get_all(user_id="bob")
    assert memory.get(bob.id).text == bob.text


@pytest.mark.parametrize("call", [
    lambda api: api.search("x", limit=True),
    lambda api: api.search("x", limit="5"),
    lambda api: api.search("x", limit=5.0),
    lambda api: api.search("x", threshold="0.1"),
    lambda api: api.search("x", max_words=True),
    lambda api: api.add("I like tea", infer=1),
    lambda api: api.add("I like tea", infer="no"),
    lambda api: api.add("I like tea", timestamp=True),
    lambda api: api.get_all(limit=True),
], ids=["limit-bool", "limit-str", "limit-float", "threshold-str", "max_words-bool", "infer-1",
        "infer-no", "timestamp-bool", "get_all-limit-bool"])
def test_what_memory_refuses_memclient_refuses(admin, server, call):
    memory = server[1]
    before = dump(memory)
    with pytest.raises(InvalidInputError):
        call(memory)
    with pytest.raises(InvalidInputError):
        call(admin)
    assert dump(memory) == before


class ExplodingEmbedder(HashEmbedder):
    def embed_batch(self, texts):
        if any("explode" in t for t in texts):
            raise RuntimeError("internal detail")
        return super().embed_batch(texts)


@pytest.fixture
def fragile(tmp_path):
    """A server whose embedder fails like a bug on 'explode'; each key may send 3 requests."""
    memory = Memory(path=tmp_path, llm=FakeLLM(), embedder=ExplodingEmbedder())
    keys = KeyStore(tmp_path)
    app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0.001, burst=3))
    yield app, keys
    keys.close()
    memory.close()


def test_a_server_failure_is_a_server_error_and_the_client_goes_on(fragile):
    app, keys = fragile
    key = keys.create(admin=True)
    with MemClient(api_key=key, http_client=TestClient(app)) as client:
        client.add("I play the cello", user_id="ana")
        with pytest.raises(ServerError, match="incident") as failed:
            client.search("explode", user_id="ana")
        assert "internal detail" not in str(failed.value)
        assert [m.text for m in client.get_all(user_id="ana")] == ["Plays the cello"]
        with pytest.raises(RateLimitError, match="rate limit") as limited:
            client.get_all(user_id="ana")
        assert limited.value.retry_after >= 1


def test_an_injected_client_stays_open_after_close(server):
    http, _, keys = server
    MemClient(api_key=keys.create(admin=True), http_client=http).close()
    assert http.get("/openapi.json").status_code == 200


# --- one real socket: what only a real connection shows -----------------------------------------


@pytest.fixture
def listening(fragile):
    """uvicorn on a socket bound and listening before it starts: no port race, no polling."""
    import uvicorn

    app, keys = fragile
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # connections queue here until uvicorn accepts them
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield sock.getsockname()[1], keys
    server.should_exit = True
    thread.join(30)
    sock.close()


def test_after_a_500_the_same_connection_serves_the_next_request(listening):
    port, keys = listening
    key = keys.create(admin=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request("POST", "/v1/memories/search", body=b'{"query": "explode"}', headers=headers)
    failed = conn.getresponse()
    assert failed.status == 500 and b"ServerError" in failed.read()
    conn.request("GET", "/v1/memories", headers=headers)  # same socket: uvicorn kept it open
    listed = conn.getresponse()
    assert listed.status == 200, listed.read()
    conn.close()

    with MemClient(api_key=keys.create(admin=True), host=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(ServerError):
            client.search("explode")
        assert client.get_all() == SearchResults()


def test_a_server_that_is_not_there_is_unavailable_not_a_config_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused, and no
        port = sock.getsockname()[1]  # other process can take the port meanwhile
        with pytest.raises(ServerUnavailableError, match="cannot reach") as unreachable:
            MemClient(api_key="k", host=f"http://127.0.0.1:{port}", timeout=5).get_all()
    assert not isinstance(unreachable.value, ConfigError)
