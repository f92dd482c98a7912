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
