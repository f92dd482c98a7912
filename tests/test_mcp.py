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
        async with Client(build_mcp(memory)) as client:
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
        async with Client(build_mcp(memory)) as client:
            for tool, args, expected in [
                ("add_memory", {"text": "   "}, "InvalidInputError"),
                ("add_memory", {"text": "x", "metadata": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}}, "InvalidInputError"),
                ("search_memories", {"query": "x", "limit": 0}, "InvalidInputError"),
                ("list_memories", {"user_id": "../../etc"}, None),
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
        run_mcp(memory=fake_memory({str(home)!r}))
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
