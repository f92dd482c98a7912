"""The wire is as strict as the library: no coercion, no unknown parameters, a spec that says so,
and no server internals in any answer."""

import pytest
from fastapi.testclient import TestClient

from localmem import FakeLLM, HashEmbedder, InvalidInputError, Memory
from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory

SECRET = "internal detail /srv/secret.db"


class ExplodingEmbedder(HashEmbedder):
    """Fails like a bug would (not a LocalmemError) on a query that says 'explode'."""

    def embed_batch(self, texts):
        if any("explode" in t for t in texts):
            raise RuntimeError(SECRET)
        return super().embed_batch(texts)


@pytest.fixture
def env(tmp_path):
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    headers = {"Authorization": f"Bearer {keys.create(admin=True)}"}
    client.post("/v1/memories", json={"messages": "I play the cello", "user_id": "ana"}, headers=headers)
    yield client, memory, headers
    keys.close()
    memory.close()


# What MemClient let through before (issue 12, item 6): each one Memory refuses.
COERCED = [
    ("/v1/memories/search", {"query": "x", "limit": True}, "limit"),
    ("/v1/memories/search", {"query": "x", "limit": "5"}, "limit"),
    ("/v1/memories/search", {"query": "x", "limit": 5.0}, "limit"),
    ("/v1/memories/search", {"query": "x", "threshold": "0.1"}, "threshold"),
    ("/v1/memories/search", {"query": "x", "max_words": True}, "max_words"),
    ("/v1/memories", {"messages": "I like tea", "infer": 1}, "infer"),
    ("/v1/memories", {"messages": "I like tea", "infer": "no"}, "infer"),
    ("/v1/memories", {"messages": "I like tea", "timestamp": True}, "timestamp"),
    ("/v1/memories", {"messages": "I like tea", "user_id": 7}, "user_id"),
    ("/v1/memories", {"messages": [{"role": "user", "content": 5}]}, "content"),
]


@pytest.mark.parametrize("path,body,field", COERCED)
def test_the_server_does_not_coerce_what_memory_refuses(env, path, body, field):
    client, memory, headers = env
    before = dump(memory)
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "InvalidInputError" and field in error["message"]
    assert dump(memory) == before


@pytest.mark.parametrize("path,body,field", COERCED)
def test_memory_refuses_the_same_values(tmp_path, path, body, field):
    memory = fake_memory(tmp_path)
    call = memory.search if path.endswith("search") else memory.add
    first = body.get("query", body.get("messages"))
    if isinstance(first, list):  # the wire's message list is Memory's too
        first = [dict(m) for m in first]
    with pytest.raises(InvalidInputError):
        call(first, **{k: v for k, v in body.items() if k not in ("query", "messages")})
    memory.close()


@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/memories?userid=bob"),  # a typo for user_id: it listed the default user
    ("GET", "/v1/memories?user_id=ana&limits=5"),
    ("DELETE", "/v1/memories?user_id=ana&agent=x"),
    ("GET", "/v1/memories/1?user_id=bob"),
    ("GET", "/v1/memories/1/history?x=1"),
    ("DELETE", "/v1/memories/1?confirm=yes"),
])
def test_unknown_query_parameters_are_400(env, method, path):
    client, memory, headers = env
    before = dump(memory)
    response = client.request(method, path, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "InvalidInputError"
    assert dump(memory) == before


def test_a_query_string_on_a_post_is_400_not_ignored(env):
    client, memory, headers = env
    before = dump(memory)
    response = client.post("/v1/memories?user_id=bob", json={"messages": "I like tea"}, headers=headers)
    assert response.status_code == 400 and "user_id" in response.json()["error"]["message"]
    assert dump(memory) == before


def test_a_request_without_a_key_is_401_before_its_query_is_judged(env):
    client = env[0]
    assert client.get("/v1/memories/1?x=1").status_code == 401


@pytest.mark.parametrize("request_args", [
    ("POST", "/v1/memories/search", {"json": {"query": "x", "filters": {"a": 9223372036854775808}}}),
    ("POST", "/v1/memories/search", {"json": {"query": "x", "filters": {"a": -9223372036854775809}}}),
    ("GET", "/v1/memories", {"params": {"filters": '{"a": 9223372036854775808}'}}),
    ("GET", "/v1/memories", {"params": {"filters": '{"a": [1]}'}}),
    ("GET", "/v1/memories", {"params": {"filters": "[1]"}}),
])
def test_a_filter_integer_beyond_64_bits_is_400(env, request_args):
    client, memory, headers = env
    method, path, kwargs = request_args
    before = dump(memory)
    response = client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == 400, response.text
    assert "filters" in response.json()["error"]["message"]
    assert dump(memory) == before


def test_a_64_bit_filter_integer_still_works(env):
    client, _, headers = env
    found = client.post("/v1/memories/search", headers=headers,
                        json={"query": "cello", "user_id": "ana", "filters": {"n": 2**63 - 1}})
    assert found.status_code == 200 and found.json()["results"] == []


def test_an_unexpected_error_is_a_generic_500_and_the_server_goes_on(tmp_path, caplog):
    memory = Memory(path=tmp_path, llm=FakeLLM(), embedder=ExplodingEmbedder())
    keys = KeyStore(tmp_path)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys))
    headers = {"Authorization": f"Bearer {keys.create(admin=True)}"}
    with caplog.at_level("ERROR", logger="localmem.server"):
        response = client.post("/v1/memories/search", json={"query": "explode"}, headers=headers)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "ServerError" and "incident" in error["message"]
    for leak in (SECRET, "RuntimeError", "Traceback", "embed_batch"):
        assert leak not in response.text
    incident = error["message"].split("incident ")[1].split(")")[0]
    assert incident in caplog.text and SECRET in caplog.text  # the details stay in the log
    assert client.get("/v1/memories", headers=headers).status_code == 200
    keys.close()
    memory.close()


def test_the_spec_states_types_bounds_and_error_answers(env):
    client = env[0]
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/v1/memories"]["get"]["parameters"]}
    assert params["limit"]["schema"]["type"] == "integer"
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 1_000_000)
    item = spec["paths"]["/v1/memories/{memory_id}"]
    id_schema = item["get"]["parameters"][0]["schema"]
    assert id_schema["type"] == "integer" and id_schema["maximum"] == 2**62 - 1
    search = spec["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["limit"]["type"] == "integer" and search["limit"]["maximum"] == 1000
    add = spec["components"]["schemas"]["AddRequest"]
    assert add["properties"]["infer"]["type"] == "boolean" and add["additionalProperties"] is False
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert {"400", "401", "429", "500"} <= codes and "422" not in codes, (method, path)
            error = "OpenAIErrorResponse" if "openai" in operation["tags"] else "ErrorResponse"
            assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{error}"}
    assert "413" in spec["paths"]["/v1/memories"]["post"]["responses"]
    assert "404" in item["get"]["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_no_docs_page_loads_scripts_from_a_cdn(env):
    client = env[0]
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and "cdn" not in spec.text.lower()


def test_an_unknown_route_is_a_localmem_error(env):
    client, _, headers = env
    response = client.get("/v2/everything", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "InvalidInputError"
    response = client.patch("/v1/memories/1", headers=headers)
    assert response.status_code == 405 and "openapi.json" in response.json()["error"]["message"]
