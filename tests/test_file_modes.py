"""Files the engine writes are owner-only whatever the umask: the home 0700, every file 0600.

(The ONNX export's modes are checked in test_onnx_embedder.py, on the export made there.)
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmem.frontends.cli import cli
from localmem.paths import write_settings
from localmem.storage.keys import create_key
from tests.helpers import fake_memory


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask022", "umask002", "umask000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def loose_modes(home: Path) -> dict[str, str]:
    """Every folder under ``home`` (itself included) not 0700 and every file not 0600."""
    loose = {}
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            loose[str(path.relative_to(home))] = oct(mode)
    return loose


def test_every_file_the_engine_writes_is_owner_only(tmp_path, umask, monkeypatch):
    home = tmp_path / "home"
    memory = fake_memory(home)
    memory.add("My PIN is 4242", user_id="ana", infer=False)
    open_files = {p.name for p in home.iterdir()}
    assert {"memory.db", "memory.db-wal", "memory.db-shm"} <= open_files
    assert loose_modes(home) == {}  # the database and its WAL while they are open
    memory.close()
    create_key("ana", home=home)
    write_settings({"default_llm": "smollm2-135m-instruct"}, home)
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir(mode=0o755)
    for target in (home / "backup.jsonl", elsewhere / "ana.jsonl"):
        done = CliRunner().invoke(cli, ["--home", str(home), "export", "--output", str(target)])
        assert done.exit_code == 0, done.output
        assert "4242" in target.read_text()
    written = {p.name for p in home.iterdir()}
    assert {"memory.db", "keys.db", "settings.json", "backup.jsonl"} <= written
    assert any(name.endswith(".faiss") for name in written)
    assert loose_modes(home) == {}
    assert stat.S_IMODE((elsewhere / "ana.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755 & ~umask  # the user's folder: as it was


def test_a_home_an_older_version_left_readable_is_tightened(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    for name in ("memory.db", "keys.db"):
        sqlite3.connect(home / name).close()
        (home / name).chmod(0o644)
    (home / "memory.db-wal").write_bytes(b"")
    (home / "memory.db-wal").chmod(0o644)
    fake_memory(home).close()
    create_key("ana", home=home)
    assert loose_modes(home) == {}


def test_an_export_over_an_existing_readable_file_is_tightened(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    target = tmp_path / "dump.jsonl"
    target.write_text("old")
    target.chmod(0o644)
    done = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "export", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and "old" not in target.read_text()
