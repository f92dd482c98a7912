"""The server and MCP on an encrypted home: the key from the environment, nothing in plaintext."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient

from localmem.crypto import generate_secret
from localmem.frontends.mcp import build_mcp
from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage import crypt_home
from localmem.storage.keys import KeyStore
from tests.helpers import fake_memory


@pytest.fixture
def encrypted(tmp_path, monkeypatch):
    """An encrypted home whose key is in LOCALMEM_KEY, as a server would be started."""
    monkeypatch.delenv(crypt_home.KEY_FILE_ENV, raising=False)
    crypt_home.configure()
    monkeypatch.setenv(crypt_home.KEY_ENV, generate_secret().reveal())
    return tmp_path / "home"


def no_text_under(home: Path, text: bytes) -> bool:
    return all(text not in p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_the_server_on_an_encrypted_home(encrypted):
    memory = fake_memory(encrypted)
    keys = KeyStore(encrypted)  # the key database is encrypted too
    admin = keys.create()
    client = TestClient(create_app(encrypted, memory=memory, keys=keys,
                                   options=ServerOptions(rate=0)))
    headers = {"Authorization": f"Bearer {admin}"}
    added = client.post("/v1/memories", json={"messages": "I live in Canaryburg",
                                              "user_id": "ana"}, headers=headers)
    assert added.status_code == 200, added.text
    found = client.post("/v1/memories/search", json={"query": "where do I live",
                                                      "user_id": "ana"}, headers=headers)
    assert found.status_code == 200 and "Canaryburg" in found.text
    assert crypt_home.is_encrypted(encrypted) and no_text_under(encrypted, b"Canaryburg")
    keys.close()
    memory.close()


def test_mcp_on_an_encrypted_home(encrypted):
    memory = fake_memory(encrypted)
    from mcp import Client

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            added = await client.call_tool("add_memory", {"text": "I live in Canaryburg",
                                                          "user_id": "ana"})
            assert not added.is_error
            found = await client.call_tool("search_memories", {"query": "where do I live",
                                                               "user_id": "ana"})
            assert "Canaryburg" in found.content[0].text

    anyio.run(scenario)
    memory.close()
    assert no_text_under(encrypted, b"Canaryburg")
