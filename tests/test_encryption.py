"""Encryption at rest on real SQLCipher: nothing readable under the home, clear key errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlcipher3  # noqa: F401 - the `encrypt` extra; without it these tests fail, not skip
from click.testing import CliRunner

from encryption_child import DenseEmbedder, canary, note, open_memory
from helpers import backend
from localmem import EmbedderConfig, Memory, MemoryConfig
from localmem.crypto import generate_secret
from localmem.errors import HomeKeyError, StorageError
from localmem.frontends.cli import cli
from localmem.frontends.transfer import export_lines, import_lines
from localmem.storage.crypt_export import sealing_key
from localmem.storage import crypt_home
from localmem.storage.keys import KeyStore
from localmem.storage.store import MEMORIES, MESSAGES

CHILD = Path(__file__).with_name("encryption_child.py")
TESTS = str(Path(__file__).parent)


@pytest.fixture(autouse=True)
def no_key_around(monkeypatch):
    """No key from the developer's environment or an earlier CLI call."""
    monkeypatch.delenv(crypt_home.KEY_ENV, raising=False)
    monkeypatch.delenv(crypt_home.KEY_FILE_ENV, raising=False)
    crypt_home.configure()


def child(*args: str, key: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != crypt_home.KEY_ENV}
    env["PYTHONPATH"] = os.pathsep.join([TESTS, env.get("PYTHONPATH", "")])
    if key is not None:
        env[crypt_home.KEY_ENV] = key  # in the environment, never on the command line
    return subprocess.run([sys.executable, str(CHILD), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def leaks(home: Path, vectors: np.ndarray) -> list[str]:
    """Files under ``home`` holding a canary or any 16-byte run of a stored vector.

    A 16-byte run anywhere in a file covers one 8-byte-aligned chunk of it, which equals 8
    bytes at some offset of the vector: so checking the file's aligned chunks against every
    8-byte window of every vector finds every such run (and is stricter still).
    """
    raw = np.ascontiguousarray(vectors, dtype=np.float32).view(np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(raw, 8, axis=1)
    needles = np.unique(np.ascontiguousarray(windows).reshape(-1, 8).view("<u8"))
    found = []
    for file in sorted(p for p in home.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if b"canary-" in data:
            found.append(f"{file.name}: canary")
        chunks = np.frombuffer(data[: len(data) // 8 * 8], dtype="<u8")
        if np.isin(chunks, needles).any():
            found.append(f"{file.name}: vector bytes")
    return found


def stored_vectors(memory) -> np.ndarray:
    store = backend(memory).store
    found = [store.embeddings(table)[1] for table in (MEMORIES, MESSAGES)]
    return np.vstack([v for v in found if v.size])


def test_a_plaintext_home_shows_what_the_scan_looks_for(tmp_path):
    home = tmp_path / "plain"
    memory = open_memory(home)
    for number in range(20):
        memory.add(note(number), user_id="u", infer=False)
    vectors = stored_vectors(memory)
    memory.close()
    found = leaks(home, vectors)
    assert "memory.db: canary" in found and "facts.faiss: vector bytes" in found


def test_a_thousand_canaries_leave_no_trace_and_reopen(tmp_path, monkeypatch):
    home, key = tmp_path / "home", generate_secret().reveal()
    killed = child("write", str(home), "0", "1000", "500", key=key)
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # kill -9 mid-way
    monkeypatch.setenv(crypt_home.KEY_ENV, key)
    memory = open_memory(home)
    assert len(memory.get_all(user_id="u", limit=1000)) == 500  # each add committed whole
    for number in range(500, 1000):
        memory.add(note(number), user_id="u", infer=False)
    backend(memory).indexes.save()
    sealed = export_lines(memory, key=sealing_key(home))  # what `export --encrypt` writes
    (home / "backup.lmx").write_text("\n".join(sealed) + "\n")
    assert (home / "memory.db-wal").stat().st_size > 0  # open, not checkpointed
    assert {"facts.faiss", "messages.faiss", "index.json"} <= {p.name for p in home.iterdir()}
    assert leaks(home, stored_vectors(memory)) == []
    memory.close()

    memory = open_memory(home)
    assert len(memory.get_all(user_id="u", limit=1000)) == 1000
    assert memory.search(note(737), user_id="u")[0].text == note(737)
    assert backend(memory).indexes.rebuilds == 0  # the sealed index loaded
    memory.close()
    other = open_memory(tmp_path / "other", key=key)
    lines = (home / "backup.lmx").read_text().splitlines()
    assert import_lines(other, lines).memories == 1000
    other.close()


def test_key_errors_are_clear_and_change_nothing(tmp_path, monkeypatch):
    home, key = tmp_path / "home", generate_secret().reveal()
    memory = open_memory(home, key=key)
    memory.add(note(1), user_id="u", infer=False)
    memory.close()
    before = {p.name: p.read_bytes() for p in home.iterdir()}
    with pytest.raises(HomeKeyError, match="this home is encrypted.*LOCALMEM_KEY"):
        open_memory(home)
    with pytest.raises(HomeKeyError, match="wrong key") as wrong:
        open_memory(home, key=generate_secret().reveal())
    with pytest.raises(HomeKeyError, match="wrong key"):
        open_memory(home, key="a passphrase that is wrong")
    with pytest.raises(HomeKeyError, match="wrong key"):
        KeyStore(home, key="b" * 64)
    assert key not in repr(wrong.value.args) and wrong.value.__cause__ is None
    assert {p.name: p.read_bytes() for p in home.iterdir()} == before
    monkeypatch.setenv(crypt_home.KEY_ENV, key)
    assert KeyStore(home).list() == []


def test_the_cli_says_one_line_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home, key_file = tmp_path / "home", tmp_path / "home.key"
    made = CliRunner().invoke(cli, ["--home", str(home), "--key-file", str(key_file), "init",
                                    "--encrypt"])
    assert made.exit_code == 0 and key_file.stat().st_mode & 0o777 == 0o600
    result = CliRunner().invoke(cli, ["--home", str(home), "list"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: this home is encrypted")
    assert "file is not a database" not in result.output


def test_a_plaintext_home_given_a_key_is_refused(tmp_path):
    home = tmp_path / "home"
    open_memory(home).close()
    with pytest.raises(HomeKeyError, match="not encrypted.*localmem encrypt"):
        open_memory(home, key=generate_secret().reveal())
    with pytest.raises(HomeKeyError, match="not encrypted"):
        KeyStore(home, key=generate_secret().reveal())
    open_memory(home).close()  # still opens as it was


@pytest.mark.parametrize("size", [0, 100, 5000])
def test_a_truncated_encrypted_file_is_named_damaged(tmp_path, size):
    home, key = tmp_path / "home", generate_secret().reveal()
    memory = open_memory(home, key=key)
    for number in range(30):
        memory.add(note(number), user_id="u", infer=False)
    memory.close()
    with (home / "memory.db").open("r+b") as handle:
        handle.truncate(size)
    if size == 0:  # an empty file is a new database under the same key
        open_memory(home, key=key).close()
        return
    with pytest.raises(StorageError, match="damaged"):
        open_memory(home, key=key)


def test_a_truncated_plaintext_file_without_crypt_json_is_named_damaged(tmp_path):
    home = tmp_path / "home"
    open_memory(home).close()
    data = (home / "memory.db").read_bytes()
    (home / "memory.db").write_bytes(data[16:400])  # header gone too
    with pytest.raises(StorageError, match="damaged or cut short"):
        open_memory(home)


def test_a_passphrase_opens_through_scrypt(tmp_path):
    home = tmp_path / "home"
    open_memory(home, key="correct horse battery").close()
    assert crypt_home.read_state(home)["kdf"]["n"] == 2**17
    open_memory(home, key="correct horse battery").close()
    with pytest.raises(HomeKeyError, match="wrong key"):
        open_memory(home, key="correct horse battery!")


def test_no_keyring_backend_means_the_other_sources(tmp_path):
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # what a headless Linux has
    try:
        assert crypt_home.keyring_set(tmp_path, generate_secret()) is False
        assert crypt_home.find_secret(tmp_path, None, stored=True) is None
        made = CliRunner().invoke(cli, ["--home", str(tmp_path / "h"), "init", "--encrypt"])
    finally:
        keyring.set_keyring(before)
    assert made.exit_code == 0 and "no OS keyring here" in made.output


def test_the_key_is_not_on_a_child_command_line(tmp_path):
    key = generate_secret().reveal()
    done = child("write", str(tmp_path / "h"), "0", "2", "0", key=key)
    assert done.returncode == 0, done.stderr
    assert key not in " ".join(done.args)


def test_a_terminal_is_asked_for_the_passphrase(tmp_path):
    import pexpect

    home = tmp_path / "home"
    memory = open_memory(home, key="a long passphrase")
    memory.close()
    env = {**{k: v for k, v in os.environ.items() if k != crypt_home.KEY_ENV},
           "LOCALMEM_LLM": "fake", "LOCALMEM_EMBEDDER": "hash"}
    for typed, expected in (("a long passphrase", "home:"), ("not it at all", "wrong key")):
        session = pexpect.spawn(sys.executable, ["-m", "localmem.frontends.cli", "--home",
                                                 str(home), "stats"], env=env, timeout=120,
                                encoding="utf-8")
        session.expect("passphrase for the encrypted home")
        session.sendline(typed)
        session.expect(pexpect.EOF)
        assert typed not in session.before  # not echoed
        assert expected in session.before


def test_a_wrong_key_is_told_before_any_model_loads(tmp_path):
    # A model that cannot load would fail with its own error; the key is checked first, so the
    # user hears about the key (and waits for no model) whatever the models are.
    home, key = tmp_path / "home", generate_secret().reveal()
    open_memory(home, key=key).close()
    broken = MemoryConfig(embedder=EmbedderConfig(provider="onnx", model=str(tmp_path / "none")))
    with pytest.raises(HomeKeyError, match="wrong key"):
        Memory(broken, path=home, key=generate_secret().reveal())
    with pytest.raises(HomeKeyError, match="this home is encrypted"):
        Memory(broken, path=home)


def test_a_home_made_anew_with_the_same_passphrase_opens(tmp_path):
    # Derived keys are cached per home and secret within a process; a home deleted and made
    # again has a new salt, so the cached key must not be taken for it.
    import shutil

    home, passphrase = tmp_path / "home", "correct horse battery staple, twice over"
    memory = open_memory(home, key=passphrase)
    memory.add(note(1), user_id="u", infer=False)
    memory.close()
    open_memory(home, key=passphrase).close()
    shutil.rmtree(home)
    open_memory(home, key=passphrase).close()
    memory = open_memory(home, key=passphrase)  # reopened: the new home's own key, not the old
    assert len(memory.get_all(user_id="u")) == 0
    memory.close()
