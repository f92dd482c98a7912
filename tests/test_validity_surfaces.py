"""as_of and include_ended at every surface (REST, MemClient, CLI, MCP), and bad values refused
there with the library's message and nothing changed."""

from __future__ import annotations

import json

import anyio
import pytest
from fastapi.testclient import TestClient

from localmem.client import MemClient
from localmem.errors import InvalidInputError
from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory
from tests.test_cli import run  # noqa: F401 - the CLI on a fresh home, fake backends

JAN, MAR, JUN = "2024-01-01T09:00:00+00:00", "2024-03-01T09:00:00+00:00", "2024-06-01T09:00:00+00:00"
BAD = [("next tuesday", "is not a datetime"), ("9999-01-01", "is in the future")]


def _job_change(memory):
    old = memory.add("I work as a barista at Blue Bottle.", user_id="ana", timestamp=JAN)[0]
    new = memory.add("I am now a software engineer at Google.", user_id="ana", timestamp=JUN)[0]
    return old.id, new.id


@pytest.fixture
def served(tmp_path):
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    http = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    key = keys.create()
    yield http, memory, {"Authorization": f"Bearer {key}"}, key
    keys.close()
    memory.close()


def test_rest_search_as_of_and_list_include_ended(served):
    http, memory, auth, _ = served
    old, new = _job_change(memory)
    body = {"query": "what is my job", "user_id": "ana"}
    past = http.post("/v1/memories/search", json={**body, "as_of": MAR}, headers=auth)
    assert past.status_code == 200 and [r["id"] for r in past.json()["results"]] == [old]
    assert past.json()["results"][0]["valid_to"].startswith("2024-06-01T09:00:00")
    epoch = http.post("/v1/memories/search", json={**body, "as_of": 1709283600}, headers=auth)
    assert [r["id"] for r in epoch.json()["results"]] == [old]  # 2024-03-01 09:00 UTC
    listed = http.get("/v1/memories", params={"user_id": "ana"}, headers=auth).json()["results"]
    assert [r["id"] for r in listed] == [new]
    every = http.get("/v1/memories", params={"user_id": "ana", "include_ended": "true"},
                     headers=auth).json()["results"]
    assert [(r["id"], r["ended_by"]) for r in every] == [(new, None), (old, new)]
    then = http.get("/v1/memories", params={"user_id": "ana", "as_of": MAR}, headers=auth)
    assert [r["id"] for r in then.json()["results"]] == [old]
    chain = http.get(f"/v1/memories/{new}/history", headers=auth).json()
    assert [h["memory_id"] for h in chain] == [old, new, old]


@pytest.mark.parametrize("value, message", BAD)
def test_rest_bad_as_of_is_a_400_and_changes_nothing(served, value, message):
    http, memory, auth, _ = served
    _job_change(memory)
    before = dump(memory)
    for response in (
        http.post("/v1/memories/search", json={"query": "job", "user_id": "ana", "as_of": value},
                  headers=auth),
        http.get("/v1/memories", params={"user_id": "ana", "as_of": value}, headers=auth),
    ):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["type"] == "InvalidInputError" and message in error["message"]
    flag = http.get("/v1/memories", params={"user_id": "ana", "include_ended": "maybe"},
                    headers=auth)
    assert flag.status_code == 400 and "include_ended" in flag.text
    assert dump(memory) == before


def test_memclient_passes_as_of_and_include_ended(served):
    http, memory, _, key = served
    old, new = _job_change(memory)
    with MemClient(api_key=key, http_client=http) as client:
        assert [i.id for i in client.search("job", user_id="ana", as_of=MAR)] == [old]
        assert [i.id for i in client.get_all(user_id="ana", include_ended=True)] == [new, old]
        assert [i.id for i in client.get_all(user_id="ana", as_of=MAR)] == [old]
        assert client.get(old).ended_by == new
        before = dump(memory)
        with pytest.raises(InvalidInputError, match="is in the future"):
            client.search("job", user_id="ana", as_of="9999-01-01")
        assert dump(memory) == before


def _cli_job_change(run):
    for text, when in (("I work as a barista at Blue Bottle.", JAN),
                       ("I am now a software engineer at Google.", JUN)):
        assert run("add", text, "--user", "ana", "--timestamp", when).exit_code == 0


def test_cli_search_as_of_and_list_include_ended(run):
    _cli_job_change(run)
    past = run("--json", "search", "what is my job", "--user", "ana", "--as-of", MAR)
    assert past.exit_code == 0, past.output
    assert [r["text"] for r in json.loads(past.stdout)] == ["Works as a barista at Blue Bottle"]
    now = json.loads(run("--json", "list", "--user", "ana").stdout)
    assert [r["text"] for r in now] == ["Is now a software engineer at Google"]
    every = run("list", "--user", "ana", "--include-ended")
    assert every.exit_code == 0 and "UNTIL" in every.stdout and "2024-06-01 09:00" in every.stdout
    assert "Works as a barista" in every.stdout
    history = run("history", "2")
    assert history.exit_code == 0 and "MEMORY" in history.stdout
    assert "DELETE" in history.stdout and "Works as a barista" in history.stdout  # the chain


@pytest.mark.parametrize("value, message", BAD)
def test_cli_bad_as_of_is_a_clear_error(run, value, message):
    _cli_job_change(run)
    for args in (["search", "job", "--user", "ana", "--as-of", value],
                 ["list", "--user", "ana", "--as-of", value]):
        result = run(*args)
        assert result.exit_code != 0 and "Error: as_of" in result.output and message in result.output
        assert "Traceback" not in result.output
    assert len(json.loads(run("--json", "list", "--user", "ana", "--include-ended").stdout)) == 2


def test_mcp_search_as_of_list_include_ended_and_bad_as_of(tmp_path):
    pytest.importorskip("mcp")
    from mcp import Client

    from localmem.frontends.mcp import build_mcp

    memory = fake_memory(tmp_path)
    old, new = _job_change(memory)
    before = dump(memory)

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            past = await client.call_tool("search_memories", {"query": "job", "as_of": MAR})
            assert not past.is_error and [m["id"] for m in past.structured_content["results"]] == [old]
            every = await client.call_tool("list_memories", {"include_ended": True})
            assert [m["id"] for m in every.structured_content["results"]] == [new, old]
            bad = await client.call_tool("search_memories", {"query": "job", "as_of": "soon"})
            assert bad.is_error and "InvalidInputError: as_of" in bad.content[0].text

    anyio.run(scenario)
    assert dump(memory) == before
    memory.close()
