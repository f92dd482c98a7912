"""One key cannot take the server from the others: a per-add size cap, and per-key rate and
concurrency limits answered with 429 and Retry-After (issue 12, item 15)."""

import threading

import pytest
from fastapi.testclient import TestClient

from localmem import ConfigError, FakeLLM, HashEmbedder, Memory, RateLimitError
from localmem.frontends.rest import ServerOptions, create_app
from localmem.frontends.rest.limits import KeyLimiter
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory


def serve(memory, home, **options):
    keys = KeyStore(home)
    client = TestClient(create_app(home, memory=memory, keys=keys, options=ServerOptions.of(**options)))
    return client, keys


def auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def memory(tmp_path):
    memory = fake_memory(tmp_path)
    yield memory
    memory.close()


def test_an_add_over_the_character_cap_is_413_and_stores_nothing(memory, tmp_path):
    client, keys = serve(memory, tmp_path, max_add_chars=100)
    h = auth(keys.create(admin=True))
    before = dump(memory)
    for messages in ("x" * 101, [{"content": "a" * 60}, {"role": "assistant", "content": "b" * 41}]):
        response = client.post("/v1/memories", json={"messages": messages}, headers=h)
        assert response.status_code == 413, response.text
        error = response.json()["error"]
        assert error["type"] == "RequestTooLargeError"
        assert "101 characters" in error["message"] and "--max-add-chars" in error["message"]
    assert dump(memory) == before
    ok = client.post("/v1/memories", json={"messages": "I play the cello " + "x" * 83}, headers=h)
    assert ok.status_code == 200, ok.text
    keys.close()


def test_a_body_cap_from_the_options_holds(memory, tmp_path):
    client, keys = serve(memory, tmp_path, max_body_bytes=64)
    response = client.post("/v1/memories", json={"messages": "x" * 100}, headers=auth(keys.create(admin=True)))
    assert response.status_code == 413 and "64 bytes" in response.json()["error"]["message"]
    keys.close()


def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_do_not(memory, tmp_path):
    # a rate so low that no token comes back during the test: exactly `burst` requests pass
    client, keys = serve(memory, tmp_path, rate=0.001, burst=3)
    alice, bob = auth(keys.create("alice")), auth(keys.create("bob"))
    statuses = [client.get("/v1/memories", headers=alice).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.get("/v1/memories", headers=alice)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 1000
    assert refused.json()["error"]["type"] == "RateLimitError"
    assert client.get("/v1/memories", headers=bob).status_code == 200
    keys.close()


def test_rate_zero_means_no_limit(memory, tmp_path):
    client, keys = serve(memory, tmp_path, rate=0, burst=1)
    h = auth(keys.create(admin=True))
    assert {client.get("/v1/memories", headers=h).status_code for _ in range(10)} == {200}
    keys.close()


def test_a_key_over_its_concurrency_cap_gets_429_at_once(tmp_path):
    entered, release = threading.Event(), threading.Event()

    def slow_model(prompt, schema):
        entered.set()
        assert release.wait(30), "the test never released the model"
        return {"facts": []} if "facts" in schema.model_fields else {"event": "ADD"}

    memory = Memory(path=tmp_path, llm=FakeLLM(slow_model), embedder=HashEmbedder())
    client, keys = serve(memory, tmp_path, max_concurrent=1)
    alice = auth(keys.create("alice"))
    results = []
    worker = threading.Thread(target=lambda: results.append(
        client.post("/v1/memories", json={"messages": "I play the cello"}, headers=alice)))
    worker.start()
    try:
        assert entered.wait(30), "the first add never reached the model"
        second = client.get("/v1/memories", headers=alice)
        assert second.status_code == 429 and second.headers["Retry-After"] == "1"
        assert "in flight" in second.json()["error"]["message"]
    finally:
        release.set()
        worker.join(30)
    assert results[0].status_code == 200, results[0].text
    assert client.get("/v1/memories", headers=alice).status_code == 200  # the slot came back
    keys.close()
    memory.close()


def test_a_refused_request_gives_its_slot_back(memory, tmp_path):
    client, keys = serve(memory, tmp_path, max_concurrent=1, rate=0)
    h = auth(keys.create(admin=True))
    for _ in range(3):  # each fails inside the handler; a leaked slot would make the next 429
        assert client.get("/v1/memories/123456", headers=h).status_code == 404
        assert client.post("/v1/memories/search", json={"query": ""}, headers=h).status_code == 400
    assert client.get("/v1/memories", headers=h).status_code == 200
    keys.close()


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_limiter_refills_at_its_rate_and_says_when_to_retry():
    clock = FakeClock()
    limiter = KeyLimiter(rate=2.0, burst=2, max_concurrent=10, clock=clock)
    for _ in range(2):
        limiter.acquire("k")
    with pytest.raises(RateLimitError) as refused:
        limiter.acquire("k")
    assert refused.value.retry_after == 1.0  # half a token a second short: ceil(0.5) = 1
    clock.now += 0.5  # one token back
    limiter.acquire("k")
    with pytest.raises(RateLimitError):
        limiter.acquire("k")
    clock.now += 60  # refills to the burst, no further
    limiter.acquire("k")
    limiter.acquire("k")
    with pytest.raises(RateLimitError):
        limiter.acquire("k")
    limiter.acquire("other")  # every key has its own bucket


def test_the_limiter_counts_requests_in_flight():
    limiter = KeyLimiter(rate=0, burst=1, max_concurrent=2)
    limiter.acquire("k")
    limiter.acquire("k")
    with pytest.raises(RateLimitError, match="in flight"):
        limiter.acquire("k")
    limiter.release("k")
    limiter.acquire("k")
    limiter.release("never-seen")  # harmless


@pytest.mark.parametrize("values", [{"rate": -1}, {"burst": 0}, {"max_concurrent": 0},
                                    {"max_add_chars": "9"}, {"surprise": 1}])
def test_bad_server_options_are_config_errors(values):
    with pytest.raises(ConfigError, match="invalid server option"):
        ServerOptions.of(**values)


@pytest.mark.parametrize("flag", [["--rate-limit", "-1"], ["--max-concurrent", "0"], ["--max-add-chars", "0"]])
def test_localmem_serve_refuses_a_bad_limit_before_it_listens(tmp_path, flag):
    from click.testing import CliRunner

    from localmem.frontends.cli_server import serve as serve_command

    result = CliRunner().invoke(serve_command, ["--home", str(tmp_path), *flag])
    assert result.exit_code == 1 and "invalid server option" in result.output
    assert not (tmp_path / "memory.db").exists()
