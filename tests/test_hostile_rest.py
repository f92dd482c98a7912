"""Issue 12 over REST: inputs that used to escape as 500s now answer 400 and change nothing.

Depends only on the app factory (``create_app(home, memory=..., keys=...)``, as in
test_server.py), the two routes' paths and bodies, and the error body's ``error.message``.
"""

import pytest
from fastapi.testclient import TestClient

from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory, sql

HUGE = 9223372036854775808  # 2**63: one past SQLite's largest INTEGER


@pytest.fixture
def rest(tmp_path):
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    memory.add("I like tea", user_id="ana")
    yield client, memory, {"Authorization": f"Bearer {keys.create(admin=True)}"}
    keys.close()
    memory.close()


def refused(response, needle: str) -> None:
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]["message"]


@pytest.mark.parametrize("value", [HUGE, -HUGE - 1, 10**40])
def test_a_filter_beyond_64_bits_is_a_400(rest, value):
    client, memory, auth = rest
    before = dump(memory)
    body = {"query": "tea", "user_id": "ana", "filters": {"a": value}}
    refused(client.post("/v1/memories/search", json=body, headers=auth), "64 bits")
    listed = client.get("/v1/memories", params={"user_id": "ana", "filters": f'{{"a": {value}}}'},
                        headers=auth)
    refused(listed, "64 bits")
    assert dump(memory) == before


@pytest.mark.parametrize(
    "prompt, needle",
    [("{facts} {messages}", "unknown placeholders"), ("Extract {0} {messages}", "unknown placeholders"),
     ("x { {messages}", "not a valid format string")],
)
def test_a_bad_per_call_prompt_is_a_400(rest, prompt, needle):
    client, memory, auth = rest
    before = dump(memory)
    body = {"messages": "I play chess", "user_id": "ana", "prompt": prompt}
    refused(client.post("/v1/memories", json=body, headers=auth), needle)
    assert dump(memory) == before


@pytest.mark.parametrize(
    "timestamp, said, kept",
    [("0001-01-01T00:00:00", "I went to Paris yesterday", "yesterday"),
     ("9999-12-31T23:59:59", "I fly to Rome tomorrow", "tomorrow")],
)
def test_a_date_at_the_calendar_edge_is_stored(rest, timestamp, said, kept):
    client, memory, auth = rest
    body = {"messages": said, "user_id": "ana", "timestamp": timestamp}
    response = client.post("/v1/memories", json=body, headers=auth)
    assert response.status_code == 200, response.text
    (event,) = response.json()["results"]
    assert event["event"] == "ADD" and kept in event["text"]
    assert (said,) in sql(memory, "SELECT content FROM messages")
