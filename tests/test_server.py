"""The REST server: Memory's verbs over HTTP, API keys, per-user keys, errors as 4xx."""

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from localmem.storage.keys import KeyStore
from localmem.frontends.rest import MAX_BODY_BYTES, ServerOptions, create_app
from tests.helpers import dump, fake_memory


@pytest.fixture
def env(tmp_path):
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    admin, alice, bob = keys.create(admin=True), keys.create("alice"), keys.create("bob")
    yield client, memory, keys, {"admin": admin, "alice": alice, "bob": bob}
    keys.close()
    memory.close()


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def add(client, key, text, **scope):
    response = client.post("/v1/memories", json={"messages": text, **scope}, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_every_verb_round_trips(env):
    client, memory, _, k = env
    h = auth(k["admin"])
    events = add(client, k["admin"], "I live in Lyon and I play the cello", user_id="ana")
    assert {e["text"] for e in events} == {"Lives in Lyon", "Plays the cello"}
    mid = next(e["id"] for e in events if e["text"] == "Lives in Lyon")

    found = client.post("/v1/memories/search", json={"query": "where do I live", "user_id": "ana"}, headers=h)
    assert found.status_code == 200 and found.json()["results"][0]["text"] == "Lives in Lyon"
    assert client.get(f"/v1/memories/{mid}", headers=h).json()["text"] == "Lives in Lyon"
    listed = client.get("/v1/memories", params={"user_id": "ana"}, headers=h).json()["results"]
    assert {m["text"] for m in listed} == {"Lives in Lyon", "Plays the cello"}

    updated = client.put(f"/v1/memories/{mid}", json={"text": "Lives in Paris"}, headers=h)
    assert updated.status_code == 200 and updated.json()["previous_text"] == "Lives in Lyon"
    history = client.get(f"/v1/memories/{mid}/history", headers=h).json()
    assert [e["event"] for e in history] == ["ADD", "UPDATE"]
    assert memory.get(mid).text == "Lives in Paris"

    assert client.delete(f"/v1/memories/{mid}", headers=h).json() == {"deleted": 1}
    assert client.get(f"/v1/memories/{mid}", headers=h).status_code == 404
    assert client.delete("/v1/memories", params={"user_id": "ana"}, headers=h).json() == {"deleted": 1}
    assert memory.get_all(user_id="ana") == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "lm_000000000000_" + "a" * 40},
     {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
)
def test_a_missing_or_wrong_key_gets_401_and_no_data(env, headers):
    client, _, _, k = env
    add(client, k["admin"], "I have a secret dog named Rex", user_id="ana")
    for method, path, body in [
        ("GET", "/v1/memories?user_id=ana", None),
        ("GET", "/v1/memories/1", None),
        ("GET", "/v1/memories/1/history", None),
        ("POST", "/v1/memories/search", {"query": "dog", "user_id": "ana"}),
        ("POST", "/v1/memories", {"messages": "x", "user_id": "ana"}),
        ("DELETE", "/v1/memories/1", None),
    ]:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path)
        assert "Rex" not in response.text and response.json()["error"]["type"] == "AuthenticationError"
    assert client.get("/v1/memories/1", headers=auth(k["admin"])).status_code == 200


def test_the_x_api_key_header_works_and_a_revoked_key_does_not(env):
    client, _, keys, k = env
    assert client.get("/v1/memories", headers={"X-API-Key": k["alice"]}).status_code == 200
    keys.revoke(keys.verify(k["alice"]).key_id)
    assert client.get("/v1/memories", headers={"X-API-Key": k["alice"]}).status_code == 401


def test_a_user_key_is_confined_to_its_user(env):
    client, memory, _, k = env
    bob_event = add(client, k["bob"], "I have a secret dog named Rex")[0]
    assert memory.get(bob_event["id"]).user_id == "bob"  # no user_id given -> the key's user
    alice_event = add(client, k["alice"], "I play the cello", user_id="alice")[0]
    before = dump(memory)
    h = auth(k["alice"])
    bob_id = bob_event["id"]

    for method, path, body in [
        ("POST", "/v1/memories", {"messages": "I like tea", "user_id": "bob"}),
        ("POST", "/v1/memories/search", {"query": "dog", "user_id": "bob"}),
        ("GET", "/v1/memories?user_id=bob", None),
        ("DELETE", "/v1/memories?user_id=bob", None),
    ]:
        response = client.request(method, path, json=body, headers=h)
        assert response.status_code == 403 and "Rex" not in response.text, (method, path)

    missing = client.get("/v1/memories/999999", headers=h)
    for method, path, body in [
        ("GET", f"/v1/memories/{bob_id}", None),
        ("GET", f"/v1/memories/{bob_id}/history", None),
        ("PUT", f"/v1/memories/{bob_id}", {"text": "Has no dog"}),
        ("DELETE", f"/v1/memories/{bob_id}", None),
        ("GET", f"/v1/memories/-{bob_event['id']}", None),  # bob's raw message
    ]:
        response = client.request(method, path, json=body, headers=h)
        assert response.status_code == 404 and "Rex" not in response.text, (method, path)
        assert response.json()["error"]["type"] == missing.json()["error"]["type"]

    searched = client.post("/v1/memories/search", json={"query": "secret dog Rex"}, headers=h).json()
    assert all(item["user_id"] == "alice" for item in searched["results"])
    listed = client.get("/v1/memories", headers=h).json()["results"]
    assert [m["id"] for m in listed] == [alice_event["id"]]
    assert dump(memory) == before


@pytest.mark.parametrize(
    "method,path,body,status",
    [
        ("POST", "/v1/memories", {"messages": []}, 400),
        ("POST", "/v1/memories", {"messages": [{"role": "hacker", "content": "x"}]}, 400),
        ("POST", "/v1/memories", {"messages": "x", "metadata": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {}}}}}}}}}}}, 400),
        ("POST", "/v1/memories", {"messages": 5}, 400),
        ("POST", "/v1/memories", {"messages": "x", "surprise": 1}, 400),
        ("POST", "/v1/memories", {"messages": "x", "user_id": "a\x00"}, 400),
        ("POST", "/v1/memories/search", {"query": "x", "limit": 0}, 400),
        ("POST", "/v1/memories/search", {"query": "x", "filters": {"a') OR 1=1 --": 1}}, 400),
        ("POST", "/v1/memories/search", {"query": ""}, 400),
        ("POST", "/v1/memories/search", {"query": "x", "max_words": 0}, 400),
        ("GET", "/v1/memories?filters=not-json", None, 400),
        ("GET", "/v1/memories?limit=-1", None, 400),
        ("GET", "/v1/memories/abc", None, 400),
        ("GET", "/v1/memories/0", None, 400),
        ("GET", "/v1/memories/..%2F..%2Fetc%2Fpasswd", None, 404),
        ("PUT", "/v1/memories/1", {"text": "   "}, 400),
        ("DELETE", "/v1/memories", None, 400),  # no scope: use reset() locally
        ("GET", "/v1/memories/123456", None, 404),
    ],
)
def test_bad_input_is_a_4xx_with_a_localmem_error_and_changes_nothing(env, method, path, body, status):
    client, memory, _, k = env
    add(client, k["admin"], "I play the cello", user_id="ana")
    before = dump(memory)
    response = client.request(method, path, json=body, headers=auth(k["admin"]))
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]
    assert dump(memory) == before


def test_nan_and_lone_surrogates_in_raw_json_are_400(env):
    client, memory, _, k = env
    before = dump(memory)
    h = {**auth(k["admin"]), "Content-Type": "application/json"}
    for raw in (b'{"query": "x", "threshold": NaN}', b'{"query": "\\ud800"}', b'{"query": "\xff\xfe"}'):
        response = client.post("/v1/memories/search", content=raw, headers=h)
        assert 400 <= response.status_code < 500, raw
    response = client.post("/v1/memories/search", content=b'{"query": "x", "threshold": NaN}', headers=h)
    assert response.json()["error"]["type"] == "InvalidInputError"
    assert dump(memory) == before


def test_an_oversized_body_is_refused_before_it_is_read(env):
    client, memory, _, k = env
    before = dump(memory)
    big = b'{"messages": "' + b"a" * (MAX_BODY_BYTES + 1) + b'"}'
    response = client.post("/v1/memories", content=big,
                           headers={**auth(k["admin"]), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert dump(memory) == before


MIB = b"a" * (1024 * 1024)  # one shared chunk keeps the big bodies below cheap to build


def json_headers(key):
    return {**auth(key), "Content-Type": "application/json"}


def assert_refused_as_too_large(response):
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["type"] == "RequestTooLargeError"
    assert "16 MiB" in error["message"] and "several adds" in error["message"]


def test_a_chunked_body_over_the_cap_is_413_and_changes_nothing(env):
    client, memory, _, k = env
    before = dump(memory)

    def chunks():
        yield b'{"messages": "'
        yield from [MIB] * (MAX_BODY_BYTES // len(MIB) + 1)
        yield b'"}'

    response = client.post("/v1/memories", content=chunks(), headers=json_headers(k["admin"]))
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_refused_as_too_large(response)
    assert dump(memory) == before


def test_a_body_longer_than_its_content_length_is_refused_past_the_cap(env):
    client, memory, _, k = env
    before = dump(memory)
    big = b'{"messages": "' + MIB * (MAX_BODY_BYTES // len(MIB)) + b'"}'
    response = client.post("/v1/memories", content=big,
                           headers={**json_headers(k["admin"]), "Content-Length": "20"})
    assert_refused_as_too_large(response)
    assert dump(memory) == before


@pytest.mark.parametrize("length,status", [("-1", 400), ("12abc", 400), ("1e3", 400), ("+20", 400),
                                           pytest.param("9" * 5000, 413, id="5000-digits")])
def test_a_malformed_or_huge_content_length_is_refused(env, length, status):
    client, memory, _, k = env
    before = dump(memory)
    response = client.post("/v1/memories", content=b'{"messages": "I play the cello"}',
                           headers={**json_headers(k["admin"]), "Content-Length": length})
    assert response.status_code == status, response.text
    kind = {400: "InvalidInputError", 413: "RequestTooLargeError"}[status]
    assert response.json()["error"]["type"] == kind
    assert dump(memory) == before


def test_a_small_chunked_body_still_works(env):
    client, memory, _, k = env
    parts = iter([b'{"messages": "I play ', b'the cello", "user_id": "ana"}'])
    response = client.post("/v1/memories", content=parts, headers=json_headers(k["admin"]))
    assert response.status_code == 200, response.text
    assert [m.text for m in memory.get_all(user_id="ana")] == ["Plays the cello"]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_of_exactly_the_cap_passes_the_limiter(env, chunked):
    client, _, _, k = env
    prefix, suffix = b'{"surprise": "', b'"}'  # an unknown field: rejected quickly, after the limiter
    filler = MIB * (MAX_BODY_BYTES // len(MIB) - 1) + b"a" * (len(MIB) - len(prefix) - len(suffix))
    body = [prefix, filler, suffix]
    assert sum(map(len, body)) == MAX_BODY_BYTES
    response = client.post("/v1/memories", content=iter(body) if chunked else b"".join(body),
                           headers=json_headers(k["admin"]))
    assert response.status_code == 400, response.text
    assert "surprise: Extra inputs are not permitted" in response.json()["error"]["message"]


def test_a_streamed_body_is_cut_off_once_it_passes_the_cap(env):
    """Raw ASGI: the app stops pulling chunks just past the cap instead of reading all of them."""
    client, memory, _, k = env
    pulled, sent = [], []

    async def receive():
        pulled.append(len(MIB))
        return {"type": "http.request", "body": MIB, "more_body": len(pulled) < 1000}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/memories", "raw_path": b"/v1/memories", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked"),
                    (b"authorization", f"Bearer {k['admin']}".encode())],
    }
    asyncio.run(client.app(scope, receive, send))
    assert len(pulled) == MAX_BODY_BYTES // len(MIB) + 1
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert "several adds" in json.loads(body)["error"]["message"]
    assert memory.get_all() == []


def test_the_openapi_spec_lists_every_verb_and_the_key_schemes(env):
    client = env[0]
    spec = client.get("/openapi.json").json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert ops == {
        ("POST", "/v1/memories"), ("GET", "/v1/memories"), ("DELETE", "/v1/memories"),
        ("POST", "/v1/memories/search"), ("GET", "/v1/memories/{memory_id}"),
        ("PUT", "/v1/memories/{memory_id}"), ("DELETE", "/v1/memories/{memory_id}"),
        ("GET", "/v1/memories/{memory_id}/history"),
        # the dashboard's (rest/dashboard_api.py)
        ("GET", "/v1/me"), ("GET", "/v1/users"), ("GET", "/v1/stats"), ("GET", "/v1/export"),
        ("POST", "/v1/import"), ("GET", "/v1/memories/{memory_id}/sources"),
        ("POST", "/v1/chat/completions"), ("GET", "/v1/models"),  # OpenAI's (test_openai_api.py)
    }
    assert set(spec["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
