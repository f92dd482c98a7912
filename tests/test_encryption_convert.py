"""`localmem encrypt` / `rekey` in place: killed at each step, the home is the old or the new."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from encryption_child import note, open_memory
from localmem.crypto import generate_secret
from localmem.errors import HomeKeyError
from localmem.frontends.cli import cli
from localmem.storage import crypt_home
from localmem.storage.crypt_convert import COMMIT, STAGE
from localmem.storage.keys import KeyStore

CHILD = Path(__file__).with_name("encryption_child.py")
TESTS = str(Path(__file__).parent)
# Every step convert() names, in order; a kill at one before "committed" leaves the old home.
STEPS = ["staged memory.db", "staged keys.db", "staged", "committed", "moved memory.db",
         "moved keys.db", "moved crypt.json", "done", "never"]
COMMITTED_FROM = STEPS.index("committed")


@pytest.fixture(autouse=True)
def no_key_around(monkeypatch):
    monkeypatch.delenv(crypt_home.KEY_ENV, raising=False)
    monkeypatch.delenv(crypt_home.KEY_FILE_ENV, raising=False)
    crypt_home.configure()


def make_home(home: Path, key: str | None) -> str:
    """A home with 30 memories and one API key; returns the API key."""
    memory = open_memory(home, key=key)
    for number in range(30):
        memory.add(note(number), user_id="u", infer=False)
    memory.close()
    store = KeyStore(home, key=key)
    api_key = store.create("u")
    store.close()
    return api_key


def convert_in_child(home: Path, old: str | None, new_file: Path, kill_at: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != crypt_home.KEY_ENV}
    env["PYTHONPATH"] = os.pathsep.join([TESTS, env.get("PYTHONPATH", "")])
    if old is not None:
        env[crypt_home.KEY_ENV] = old
    done = subprocess.run([sys.executable, str(CHILD), "convert", str(home), str(new_file),
                           kill_at], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def opens_whole(home: Path, key: str | None, api_key: str) -> None:
    memory = open_memory(home, key=key)
    assert sorted(m.text for m in memory.get_all(user_id="u", limit=100)) == sorted(
        note(n) for n in range(30))
    assert memory.search(note(7), user_id="u")[0].text == note(7)
    memory.close()
    store = KeyStore(home, key=key)
    assert store.verify(api_key) is not None
    store.close()


@pytest.mark.parametrize("old_encrypted", [False, True], ids=["encrypt", "rekey"])
@pytest.mark.parametrize("kill_at", STEPS)
def test_killed_at_any_step_the_home_is_old_or_new(tmp_path, kill_at, old_encrypted):
    home, new_file = tmp_path / "home", tmp_path / "new.key"
    old = generate_secret().reveal() if old_encrypted else None
    new = generate_secret().reveal()
    new_file.write_text(new)
    api_key = make_home(home, old)
    code = convert_in_child(home, old, new_file, kill_at)
    assert code == (0 if kill_at == "never" else -signal.SIGKILL)
    if STEPS.index(kill_at) < COMMITTED_FROM:
        opens_whole(home, old, api_key)  # the old home, as it was
        assert crypt_home.is_encrypted(home) is old_encrypted
    else:
        opens_whole(home, new, api_key)  # the new one (the open finished the moves)
        with pytest.raises(HomeKeyError):
            open_memory(home, key=old)
    assert not (home / STAGE).exists() and not (home / COMMIT).exists()


def test_cli_encrypt_then_rekey(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home, first, second = tmp_path / "home", tmp_path / "first.key", tmp_path / "second.key"

    def run(*args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args])

    assert run("add", "--user", "u", "I keep bees in canaryvale").exit_code == 0
    done = run("--key-file", str(first), "encrypt")  # writes a new key to the file
    assert done.exit_code == 0 and f"key written to {first}" in done.output
    assert run("list", "--user", "u").output.startswith("Error: this home is encrypted")
    assert "canaryvale" in run("--key-file", str(first), "list", "--user", "u").output
    exported = run("--key-file", str(first), "export", "-o", str(tmp_path / "out"))
    assert exported.exit_code == 0 and "canaryvale" not in (tmp_path / "out").read_text()
    plain = run("--key-file", str(first), "export", "--plaintext")
    assert "canaryvale" in plain.output
    done = run("--key-file", str(first), "rekey", "--new-key-file", str(second))
    assert done.exit_code == 0, done.output
    assert "wrong key" in run("--key-file", str(first), "list", "--user", "u").output
    assert "canaryvale" in run("--key-file", str(second), "list", "--user", "u").output
    # the old export still opens with the old key only
    again = CliRunner().invoke(cli, ["--home", str(tmp_path / "h2"), "--key-file", str(first),
                                     "import", str(tmp_path / "out")])
    assert again.exit_code == 0 and "1 memories" in again.output
    refused = CliRunner().invoke(cli, ["--home", str(tmp_path / "h3"), "import",
                                       str(tmp_path / "out")])
    assert refused.exit_code == 1 and "this export is encrypted" in refused.output


def test_a_sealed_export_cut_short_or_changed_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home, key_file = tmp_path / "home", tmp_path / "k"
    run = lambda *a: CliRunner().invoke(cli, ["--home", str(home), "--key-file", str(key_file), *a])  # noqa: E731
    assert run("init", "--encrypt").exit_code == 0
    for text in ("I keep bees", "I live in Porto", "My sister is Ana"):
        assert run("add", "--user", "u", text).exit_code == 0
    out = tmp_path / "out"
    assert run("export", "-o", str(out)).exit_code == 0
    lines = out.read_text().splitlines()
    (tmp_path / "cut").write_text("\n".join(lines[:-1]) + "\n")
    changed = lines[:-1] + [lines[-1][:-8] + ("A" if lines[-1][-8] != "A" else "B") + lines[-1][-7:]]
    (tmp_path / "changed").write_text("\n".join(changed) + "\n")
    for name, message in (("cut", "cut short"), ("changed", "does not authenticate")):
        result = CliRunner().invoke(cli, ["--home", str(tmp_path / f"{name}-home"), "--key-file",
                                          str(key_file), "import", str(tmp_path / name)])
        assert result.exit_code == 1 and message in result.output, result.output
