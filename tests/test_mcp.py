"""The MCP server: add/search/list/delete tools over a home directory, in process and on stdio."""

import os
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from localmem.frontends.mcp import TOOL_NAMES, build_mcp
from tests.helpers import dump, fake_memory

mcp = pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


async def _call(client, tool, args):
    result = await client.call_tool(tool, args)
    return result.is_error, result.structured_content, result.content[0].text


def test_the_tools_add_search_list_and_delete(tmp_path):
    memory = fake_memory(tmp_path)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            listed = await client.list_tools()
            assert sorted(t.name for t in listed.tools) == sorted(TOOL_NAMES)
            assert all(t.description for t in listed.tools)
            err, added, _ = await _call(client, "add_memory", {"text": "I live in Lyon", "user_id": "ana"})
            assert not err and added["results"][0]["memory"] == "Lives in Lyon"
            mid = added["results"][0]["id"]
            err, found, _ = await _call(client, "search_memories", {"query": "where do I live", "user_id": "ana"})
            assert not err and found["results"][0]["id"] == mid
            err, listed_memories, _ = await _call(client, "list_memories", {"user_id": "ana"})
            assert [m["memory"] for m in listed_memories["results"]] == ["Lives in Lyon"]
            err, deleted, _ = await _call(client, "delete_memory", {"memory_id": mid})
            assert not err and deleted == {"deleted": mid}

    anyio.run(scenario)
    assert memory.get_all(user_id="ana") == []


def test_bad_input_is_a_tool_error_naming_the_problem_and_stores_nothing(tmp_path):
    memory = fake_memory(tmp_path)
    memory.add("I play the cello", user_id="ana")
    before = dump(memory)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            for tool, args, expected in [
                ("add_memory", {"text": "   "}, "InvalidInputError"),
                ("add_memory", {"text": "x", "metadata": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}}, "InvalidInputError"),
                ("search_memories", {"query": "x", "limit": 0}, "InvalidInputError"),
                ("list_memories", {"user_id": "../../etc"}, "AccessDeniedError"),
                ("delete_memory", {"memory_id": 424242}, "MemoryNotFoundError"),
            ]:
                err, _, text = await _call(client, tool, args)
                if expected is None:
                    assert not err
                else:
                    assert err and expected in text, (tool, text)

    anyio.run(scenario)
    assert dump(memory) == before


def test_the_stdio_server_writes_to_the_home_directory(tmp_path):
    home = tmp_path / "home"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from localmem.frontends.mcp import run_mcp
        from tests.helpers import fake_memory
        run_mcp(memory=fake_memory({str(home)!r}), user_id="ana")
        """
    )
    params = StdioServerParameters(command=sys.executable, args=["-c", script],
                                   env={**os.environ, "LOCALMEM_HOME": str(home)})

    async def scenario():
        async with Client(params) as client:
            err, added, text = await _call(client, "add_memory", {"text": "I play the cello", "user_id": "ana"})
            assert not err, text
            return added

    added = anyio.run(scenario)
    memory = fake_memory(home)
    assert [m.text for m in memory.get_all(user_id="ana")] == ["Plays the cello"]
    assert added["results"][0]["memory"] == "Plays the cello"


def test_a_server_serves_one_user_and_refuses_the_others(tmp_path):
    memory = fake_memory(tmp_path)
    bobs = memory.add("My PIN is 4242", user_id="bob", infer=False)[0].id
    memory.add("I play the cello", user_id="ana", infer=False)
    before = dump(memory)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            for tool, args in [
                ("list_memories", {"user_id": "bob"}),
                ("search_memories", {"query": "PIN", "user_id": "bob"}),
                ("add_memory", {"text": "I like tea", "user_id": "bob"}),
            ]:
                err, _, text = await _call(client, tool, args)
                assert err and "AccessDeniedError" in text and "serves user 'ana' only" in text
            err, _, text = await _call(client, "delete_memory", {"memory_id": bobs})
            assert err and "MemoryNotFoundError" in text and "4242" not in text
            err, found, _ = await _call(client, "search_memories", {"query": "My PIN is 4242"})
            assert not err and all("4242" not in m["memory"] for m in found["results"])
            err, listed, _ = await _call(client, "list_memories", {})
            assert [m["memory"] for m in listed["results"]] == ["I play the cello"]

    anyio.run(scenario)
    assert dump(memory) == before


def test_the_default_user_is_the_one_served(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_USER", "carol")
    memory = fake_memory(tmp_path)

    async def scenario():
        async with Client(build_mcp(memory)) as client:
            err, _, _ = await _call(client, "add_memory", {"text": "I live in Lyon", "infer": False})
            assert not err
            err, _, text = await _call(client, "list_memories", {"user_id": "default"})
            assert err and "serves user 'carol' only" in text

    anyio.run(scenario)
    assert [m.user_id for m in memory.get_all(user_id="carol")] == ["carol"]


def test_localmem_mcp_uses_home_user_and_test_backends(tmp_path):
    """`localmem --home X mcp --user ana` writes to X (not $LOCALMEM_HOME) with the fake backends."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    env = {**os.environ, "LOCALMEM_HOME": str(elsewhere), "LOCALMEM_LLM": "fake",
           "LOCALMEM_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "localmem.frontends.cli", "--home", str(home), "mcp",
                                      "--user", "ana"], env=env)

    async def scenario():
        async with Client(params) as client:
            err, added, text = await _call(client, "add_memory", {"text": "I play the cello",
                                                                  "infer": False})
            assert not err, text
            err, _, text = await _call(client, "list_memories", {"user_id": "bob"})
            assert err and "serves user 'ana' only" in text

    anyio.run(scenario)
    assert not elsewhere.exists()
    memory = fake_memory(home)  # opens only if the store was built with the hashing embedder
    assert [(m.text, m.user_id) for m in memory.get_all(user_id="ana")] == [("I play the cello", "ana")]


LOOSE_CALLS = [  # (tool, arguments, the argument the error must name, what it must say)
    ("add_memory", {"text": "I like tea", "infer": "yes"}, "infer", "true or false"),
    ("add_memory", {"text": "I like tea", "infer": 1}, "infer", "true or false"),
    ("add_memory", {"text": 42}, "text", "a string"),
    ("add_memory", {"text": "I like tea", "metadata": '{"a": 1}'}, "metadata", "a JSON object"),
    ("add_memory", {"text": "x" * 100_001}, "text", "more than 100,000"),
    ("add_memory", {"text": ""}, "text", "empty"),
    ("add_memory", {}, "text", "missing"),
    ("add_memory", {"text": "I like tea", "user": "ana"}, "user", "unknown argument"),
    ("add_memory", {"text": "I like tea", "agent_id": 7}, "agent_id", "a string"),
    ("search_memories", {"query": "tea", "limit": "5"}, "limit", "an integer"),
    ("search_memories", {"query": "tea", "limit": -1}, "limit", "greater than or equal to 1"),
    ("search_memories", {"query": "tea", "limit": 5.0}, "limit", "an integer"),
    ("search_memories", {"query": "tea", "max_words": True}, "max_words", "an integer"),
    ("search_memories", {"query": "tea", "filters": {"a": 1}}, "filters", "unknown argument"),
    ("list_memories", {"limit": 0}, "limit", "greater than or equal to 1"),
    ("list_memories", {"limit": "all"}, "limit", "an integer"),
    ("delete_memory", {"memory_id": "1"}, "memory_id", "an integer"),
    ("delete_memory", {"memory_id": True}, "memory_id", "an integer"),
    ("delete_memory", {"memory_id": 2**70}, "memory_id", "less than or equal"),
]


def test_loose_arguments_are_an_error_naming_the_argument_and_store_nothing(tmp_path):
    """Strict JSON types at the boundary: no "yes" for true, no "5" for 5, no unknown argument,
    no negative limit, no oversize text; the error names the argument and what to send."""
    memory = fake_memory(tmp_path)
    kept = memory.add("I play the cello", user_id="ana", infer=False)[0].id
    before = dump(memory)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            for tool, args, argument, says in LOOSE_CALLS:
                err, _, text = await _call(client, tool, args)
                assert err, (tool, args)
                assert text.startswith(f"Error executing tool {tool}: InvalidInputError: {tool}: "), text
                assert f"'{argument}'" in text, text
                assert says in text and ("send" in text or "remove it" in text), text
            err, _, text = await _call(client, "delete_memory", {"memory_id": str(kept)})
            assert err and "'memory_id'" in text

    anyio.run(scenario)
    assert dump(memory) == before


def test_well_typed_arguments_pass_unchanged_nulls_included(tmp_path):
    memory = fake_memory(tmp_path)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            err, added, text = await _call(client, "add_memory", {
                "text": '["not", "a", "list"]', "agent_id": None, "metadata": {"n": [1, 2]},
                "infer": False})
            assert not err, text
            err, found, text = await _call(client, "search_memories", {
                "query": "not a list", "limit": 1, "max_words": None, "run_id": None})
            assert not err, text
            return added, found

    added, found = anyio.run(scenario)
    item = memory.get(added["results"][0]["id"])
    assert item.text == '["not", "a", "list"]' and item.metadata == {"n": [1, 2]}
    assert [m["id"] for m in found["results"]] == [item.id]


def test_each_tool_publishes_its_models_schema(tmp_path):
    from localmem.frontends.mcp import TOOL_ARGUMENTS

    async def scenario():
        async with Client(build_mcp(fake_memory(tmp_path))) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    schemas = anyio.run(scenario)
    assert set(schemas) == set(TOOL_ARGUMENTS)
    for name, model in TOOL_ARGUMENTS.items():
        published, own = schemas[name], model.model_json_schema()
        assert published["properties"] == own["properties"], name
        assert sorted(published.get("required", [])) == sorted(own.get("required", [])), name
        assert all(p.get("description") for p in published["properties"].values()), name
    assert schemas["search_memories"]["properties"]["limit"]["minimum"] == 1
    assert schemas["add_memory"]["properties"]["infer"]["type"] == "boolean"

