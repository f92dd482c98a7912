"""Offline: ``import localmem`` and the whole pipeline open no socket.

A fresh interpreter replaces ``socket.socket``, ``create_connection`` and ``getaddrinfo`` with
guards that record every attempt (and fail it) before localmem is imported, so an attempt that a
library catches and hides is still counted. The hub's offline variables are removed, so the
proof does not rest on them.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GUARD = textwrap.dedent(
    """
    import json, socket, sys
    attempts = []

    class GuardedSocket(socket.socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            attempts.append(f"socket({family}, {type})")
            raise OSError("sockets are disabled in test_offline")

    def refuse(name):
        def guard(*args, **kwargs):
            attempts.append(f"{name}{args[:2]!r}")
            raise OSError("sockets are disabled in test_offline")
        return guard

    socket.socket = GuardedSocket
    socket.create_connection = refuse("create_connection")
    socket.getaddrinfo = refuse("getaddrinfo")
    socket.socketpair = refuse("socketpair")
    """
)

PIPELINE = textwrap.dedent(
    """
    import sys
    import localmem
    from localmem import Memory
    home = sys.argv[1]
    memory = {make}
    events = memory.add([{{"role": "user", "content": "Hi, my name is Dave and I live in Lyon."}},
                        {{"role": "assistant", "content": "Nice to meet you, Dave!"}}], user_id="dave")
    found = memory.search("Where does Dave live?", user_id="dave", limit=3)
    memory.delete_all(user_id="dave")
    memory.close()
    print(json.dumps({{"attempts": attempts, "events": len(events), "found": [r.text for r in found]}}))
    """
)


def _run(make: str, home: Path, timeout: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(PYTHONPATH=str(ROOT), LOCALMEM_HOME=str(home))
    code = GUARD + PIPELINE.format(make=make)
    done = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_guard_sees_a_socket_attempt(tmp_path):
    code = GUARD + "\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError:\n    pass\nprint(json.dumps(attempts))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["create_connection(('127.0.0.1', 9),)"]


def test_import_and_the_pipeline_on_fakes_open_no_socket(tmp_path):
    result = _run("Memory(path=home, llm=localmem.FakeLLM(), embedder=localmem.HashEmbedder())",
                  tmp_path / "home", timeout=120)
    assert result["attempts"] == []
    assert result["events"] >= 1 and result["found"]


def test_importing_the_server_and_client_modules_opens_no_socket(tmp_path):
    code = GUARD + "import localmem.frontends.rest, localmem.client, localmem.frontends.mcp, localmem.storage.keys\nprint(json.dumps(attempts))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.integration
def test_the_full_pipeline_with_the_bundled_models_opens_no_socket(tmp_path):
    result = _run("Memory(path=home)", tmp_path / "home", timeout=600)
    assert result["attempts"] == []
    assert result["events"] >= 1
    assert any("Lyon" in text for text in result["found"])
