"""Hostile input, library, server and MCP: only LocalmemError (HTTP 4xx, a tool error), and every
table unchanged (export files: test_hostile_import.py, which shares these strategies).

Property-based (hypothesis, bounded examples): malformed messages, enormous strings, control
characters, lone surrogates, deeply nested metadata, SQL-looking filters, NaN scores and
thresholds, path-traversal strings in ids and paths, broken model output, and MCP tool calls with
any arguments.
"""

import json
import math
import os
import re

import anyio
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localmem import FakeLLM, HashEmbedder, InvalidInputError, LocalmemError, Memory, SearchResults
from localmem import errors
from localmem.frontends.mcp import TOOL_NAMES, build_mcp  # the SDK itself loads lazily
from localmem.storage.keys import KeyStore
from localmem.frontends.rest import ServerOptions, create_app
from tests.helpers import backend, sql

BOUNDED = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

NASTY = [
    "", " ", "\t\n", "\x00", "a\x00b", "\ud800", "ok \udfff", "\x1b[2J\x07", "\u202egnp.exe",
    "'; DROP TABLE memories; --", "' OR '1'='1", "\") OR 1=1 --", "memories_fts MATCH '*'",
    "NEAR(a b)", "a OR b AND NOT c", "*", "$.x", "../../../etc/passwd", "..\\..\\boot.ini",
    "%2e%2e%2f", "/dev/null", "NaN", "-inf", "1e309", "9" * 40, "-0", "０１２", "🧠" * 50,
    "x" * 100_001, "word " * 25_000,
]
text = st.one_of(st.text(max_size=40), st.sampled_from(NASTY))
url_text = st.one_of(st.text(max_size=40), st.sampled_from([s for s in NASTY if len(s) < 1000]))
floats = st.floats(allow_nan=True, allow_infinity=True)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), floats, text)
json_like = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=20,
)


def _deep(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"k": value}
    return value


deep_metadata = st.integers(9, 400).map(_deep)
message = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "root", ""]),
                           "content": json_like}),
    st.dictionaries(text, json_like, max_size=3),
    json_like,
)
said_on = st.sampled_from(["I went to Paris yesterday", "I fly to Rome tomorrow", "I swim today"])
messages = st.one_of(text, message, st.lists(message, max_size=4), json_like, said_on)
edge_timestamps = st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59+14:00",
                                   "0001-01-01T00:00:00-12:00", -62135596800, 253402300799])
prompts = st.one_of(st.none(), text, st.sampled_from([
    "{facts} {messages}", "Extract {0} {messages}", "x { {messages}", "{messages.__class__}",
    "{messages!r}", "{messages:>99999999}", "{}", "On {today}: {messages}", "{{literal}} {messages}"]))
scope_id = st.one_of(st.none(), text, st.integers(), st.lists(text, max_size=2))
memory_id = st.one_of(st.integers(), text, floats, st.none(), st.booleans(), st.lists(st.integers(), max_size=2))
filter_values = st.dictionaries(st.sampled_from(["a", "topic", "n.x"]), st.one_of(scalar, st.sampled_from(
    [2**63, -(2**63) - 1, 10**40, 2**63 - 1, "\ud800", "a\x00b"])), min_size=1, max_size=3)
filters = st.one_of(st.none(), json_like, st.dictionaries(text, scalar, max_size=3), filter_values)

model_answer: list = [None]  # what the scripted model says next (set by a test)


def _respond(prompt: str, schema: type):
    answer = model_answer[0]
    if answer is None:
        return {"facts": []} if schema.__name__ == "ExtractedFacts" else {"event": "ADD"}
    return answer


def full_dump(memory: Memory) -> dict:
    """Every row of every table (FTS shadow tables included) and the index contents."""
    names = [r[0] for r in sql(memory, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    rows: dict = {n: sql(memory, f'SELECT * FROM "{n}"') for n in names}
    indexes = backend(memory).indexes
    rows["_facts_index"] = indexes.facts.digest()
    rows["_messages_index"] = indexes.messages.digest()
    return rows


@pytest.fixture(scope="module")
def memory(tmp_path_factory):
    mem = Memory(path=tmp_path_factory.mktemp("hostile"), llm=FakeLLM(_respond), embedder=HashEmbedder())
    mem.add("I live in Lyon and I play the cello", user_id="ana")
    yield mem
    mem.close()


def expect_clean(call, memory: Memory):
    """Run ``call``: it may succeed, or fail with a LocalmemError that left the store unchanged."""
    before = full_dump(memory)
    try:
        return call()
    except LocalmemError:
        assert full_dump(memory) == before
        return None


@BOUNDED
@given(messages=messages, user_id=scope_id, metadata=st.one_of(json_like, deep_metadata),
       infer=st.one_of(st.booleans(), scalar), timestamp=st.one_of(scalar, text, edge_timestamps),
       prompt=prompts,
       answer=st.one_of(st.none(), st.builds(lambda f: {"facts": f}, st.lists(text, max_size=3)),
                        text, json_like))
def test_add_takes_anything_and_fails_only_cleanly(memory, messages, user_id, metadata, infer, timestamp,
                                                   prompt, answer):
    model_answer[0] = answer
    try:
        result = expect_clean(lambda: memory.add(messages, user_id=user_id, metadata=metadata,
                                                 infer=infer, timestamp=timestamp, prompt=prompt), memory)
    finally:
        model_answer[0] = None
    assert result is None or isinstance(result, list)


@BOUNDED
@given(said=st.one_of(said_on, st.text(min_size=1, max_size=40)), prompt=prompts,
       timestamp=st.one_of(st.none(), edge_timestamps, scalar))
def test_a_plain_add_takes_any_prompt_and_timestamp(memory, said, prompt, timestamp):
    """Everything else valid, so the prompt and the date reach the model call and the date rules."""
    result = expect_clean(lambda: memory.add(said, user_id="pat", prompt=prompt, timestamp=timestamp), memory)
    assert result is None or isinstance(result, list)


@BOUNDED
@given(flt=filter_values)
def test_search_and_list_take_any_filter_value(memory, flt):
    """Valid keys, so every value reaches SQLite."""
    expect_clean(lambda: memory.search("cello", user_id="ana", filters=flt), memory)
    expect_clean(lambda: memory.get_all(user_id="ana", filters=flt), memory)


@BOUNDED
@given(query=st.one_of(text, json_like), user_id=scope_id, limit=st.one_of(scalar, st.integers()),
       flt=filters, threshold=st.one_of(floats, scalar),
       max_words=st.one_of(st.none(), scalar, st.integers()))
def test_search_takes_anything_and_never_writes(memory, query, user_id, limit, flt, threshold,
                                                max_words):
    before = full_dump(memory)
    try:
        found = memory.search(query, user_id=user_id, limit=limit, filters=flt, threshold=threshold,
                              max_words=max_words)
        assert isinstance(found, SearchResults)
        assert all(math.isfinite(item.score) for item in found)
    except LocalmemError:
        pass
    assert full_dump(memory) == before


@BOUNDED
@given(mid=memory_id, new_text=st.one_of(text, json_like), metadata=st.one_of(json_like, deep_metadata),
       verb=st.sampled_from(["get", "history", "update", "delete"]))
def test_ids_take_anything_and_fail_only_cleanly(memory, mid, new_text, metadata, verb):
    calls = {
        "get": lambda: memory.get(mid),
        "history": lambda: memory.history(mid),
        "update": lambda: memory.update(mid, new_text, metadata),
        "delete": lambda: memory.delete(mid),
    }
    expect_clean(calls[verb], memory)


@BOUNDED
@given(user_id=scope_id, agent_id=scope_id, run_id=scope_id, limit=scalar, flt=filters)
def test_get_all_and_delete_all_fail_only_cleanly(memory, user_id, agent_id, run_id, limit, flt):
    expect_clean(lambda: memory.get_all(user_id=user_id, agent_id=agent_id, run_id=run_id,
                                        limit=limit, filters=flt), memory)
    if user_id != "ana":  # keep the seed memory for the other properties
        expect_clean(lambda: memory.delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id), memory)


ALWAYS_BAD = [
    lambda m: m.add("x" * 100_001, user_id="ana"),
    lambda m: m.add("ok\x00", user_id="ana"),
    lambda m: m.add("\ud800", user_id="ana"),
    lambda m: m.add([{"role": "user", "content": "fine"}, {"role": "user", "content": "\udfff"}], user_id="ana"),
    lambda m: m.add([{"role": "user", "content": "fine"}, {"content": "x", "extra": 1}], user_id="ana"),
    lambda m: m.add("fine", user_id="ana", metadata=_deep(50)),
    lambda m: m.add("fine", user_id="ana", metadata={"score": float("nan")}),
    lambda m: m.add("fine", user_id="ana", metadata={"\ud800": 1}),
    lambda m: m.add("fine", user_id="../../etc/passwd\x00"),
    lambda m: m.add("fine", user_id="ana\n"),
    lambda m: m.add("fine", user_id="ana", timestamp=float("nan")),
    lambda m: m.add("fine", user_id="ana", timestamp="../../etc"),
    lambda m: m.search("cello", user_id="ana", threshold=float("nan")),
    lambda m: m.search("cello", user_id="ana", filters={"a') OR 1=1; --": "x"}),
    lambda m: m.search("cello", user_id="ana", filters={"x": float("nan")}),
    lambda m: m.search("cello", user_id="ana", limit=10**9),
    lambda m: m.get("../../etc/passwd"),
    lambda m: m.get("1; DROP TABLE memories"),
    lambda m: m.get(2**63),
    lambda m: m.delete("1 OR 1=1"),
    lambda m: m.update(1, "new\x00text"),
    lambda m: m.history(float("nan")),
    lambda m: m.delete_all(),
]


@pytest.mark.parametrize("call", ALWAYS_BAD)
def test_always_bad_input_raises_invalid_input_and_changes_nothing(memory, call):
    before = full_dump(memory)
    with pytest.raises(InvalidInputError):
        call(memory)
    assert full_dump(memory) == before


@pytest.mark.parametrize("path", ["", "   ", "a\x00b", "/dev/null", "\ud800"])
def test_a_hostile_home_path_is_a_localmem_error(path, tmp_path):
    with pytest.raises(LocalmemError):
        Memory(path=path, llm=FakeLLM(), embedder=HashEmbedder())


def test_a_path_traversal_home_stays_where_it_points(tmp_path):
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    memory = Memory(path=inner / ".." / ".." / "c", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("I play the cello", user_id="ana")
    memory.close()
    assert (tmp_path / "c" / "memory.db").exists()


# --- the same over HTTP -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(memory, tmp_path_factory):
    keys = KeyStore(tmp_path_factory.mktemp("keys"))
    # no rate limit: a 429 would stand in for the validation under test
    client = TestClient(create_app(memory.home, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    yield client, {"Authorization": f"Bearer {keys.create(admin=True)}", "Content-Type": "application/json"}
    keys.close()


def _raw(value) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


@BOUNDED
@given(body=st.one_of(json_like, st.fixed_dictionaries(
    {"messages": messages}, optional={"user_id": scope_id, "metadata": st.one_of(json_like, deep_metadata),
                                      "infer": scalar, "timestamp": scalar})),
       raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_http_add_answers_4xx_never_500(memory, http, body, raw):
    client, headers = http
    before = full_dump(memory)
    response = client.post("/v1/memories", content=raw if raw is not None else _raw(body), headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["message"]
        assert full_dump(memory) == before


@BOUNDED
@given(body=st.one_of(json_like, st.fixed_dictionaries(
    {"query": st.one_of(text, json_like)},
    optional={"user_id": scope_id, "limit": scalar, "filters": filters, "threshold": st.one_of(floats, scalar)})))
def test_http_search_answers_4xx_never_500_and_never_writes(memory, http, body):
    client, headers = http
    before = full_dump(memory)
    response = client.post("/v1/memories/search", content=_raw(body), headers=headers)
    assert response.status_code < 500, response.text
    assert full_dump(memory) == before


@BOUNDED
@given(mid=st.one_of(url_text, st.integers()), method=st.sampled_from(["GET", "DELETE", "PUT", "HISTORY"]),
       params=st.dictionaries(st.sampled_from(["user_id", "limit", "filters", "agent_id"]), url_text, max_size=3))
def test_http_ids_and_query_params_answer_4xx_never_500(memory, http, mid, method, params):
    from urllib.parse import quote

    client, headers = http
    before = full_dump(memory)
    path = "/v1/memories/" + quote(str(mid).encode("utf-8", "surrogatepass"), safe="")
    if method == "HISTORY":
        method, path = "GET", path + "/history"
    body = _raw({"text": "Plays the viola"}) if method == "PUT" else None
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert full_dump(memory) == before
    listed = client.get("/v1/memories", params={k: v.encode("utf-8", "surrogatepass") for k, v in params.items()},
                        headers=headers)
    assert listed.status_code < 500, listed.text


# --- MCP: tool calls with any arguments -------------------------------------------------------


MCP_PARAMS = ["text", "query", "user_id", "agent_id", "run_id", "metadata", "infer", "limit",
              "max_words", "memory_id", "prompt", "filters", "colour"]
TOOL_ERROR = re.compile(  # the SDK's ToolError carrying a LocalmemError, or refusing the arguments
    r"^ToolError: (?:Error executing tool \w+: (?:(?:" + "|".join(errors.__all__) + r"): |"
    r"\d+ validation errors? for \w+Arguments\b)|Unknown tool: )"
)
mcp_value = st.one_of(scalar, json_like, deep_metadata, st.sampled_from(
    [2**63, -(2**63) - 1, 10**40, 1, -1, "1", "-1", "x" * 100_001, "{facts} {messages}"]))


@pytest.fixture(scope="module")
def mcp_memory(tmp_path_factory):
    pytest.importorskip("mcp")
    mem = Memory(path=tmp_path_factory.mktemp("mcp"), llm=FakeLLM(_respond), embedder=HashEmbedder())
    mem.add("I live in Lyon and I play the cello", user_id="ana")
    yield mem, build_mcp(mem)
    mem.close()


async def _call_tool(server, tool: str, args: dict) -> tuple[bool, str]:
    """Straight into the server's tool dispatch (argument validation included), past any client
    encoder, so lone surrogates and deep nesting reach the tools as a JSON decoder would hand them."""
    try:
        result = await server.call_tool(tool, args)
    except Exception as exc:  # the SDK raises its ToolError; anything else is a bug
        return True, f"{type(exc).__name__}: {exc}"
    return result.is_error, result.content[0].text if result.content else ""


@BOUNDED
@given(tool=st.sampled_from([*TOOL_NAMES, "drop_tables"]),
       args=st.dictionaries(st.sampled_from(MCP_PARAMS), mcp_value, max_size=5))
def test_mcp_tools_take_anything_and_fail_only_cleanly(mcp_memory, tool, args):
    memory, server = mcp_memory
    before = full_dump(memory)
    is_error, message = anyio.run(_call_tool, server, tool, args)
    if is_error:  # a LocalmemError, or the SDK refusing the arguments: never a stray exception
        assert TOOL_ERROR.match(message), message[:500]
        assert full_dump(memory) == before
    elif tool == "search_memories":
        assert full_dump(memory) == before
        assert all(math.isfinite(item["score"]) for item in json.loads(message)["results"])
