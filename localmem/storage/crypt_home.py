"""Whether a home is encrypted, finding its key, and the one way its SQLite databases open.

An encrypted home has ``crypt.json`` (plaintext, no secret: the KDF settings and salt, and a
check value that tells a wrong key before any database is touched). Its databases are SQLCipher
files keyed with a subkey each (``HomeKey.sqlcipher_key``); temp tables stay in memory.

The key comes from, first to last: the ``key`` given (``Memory(key=...)``), ``LOCALMEM_KEY``,
the file named by ``LOCALMEM_KEY_FILE`` (the CLI's ``--key-file`` sets it), the OS keyring
(``keyring``, where one exists), a passphrase prompt (CLI on a terminal only). A home without
``crypt.json`` is created encrypted when a key is given or set in the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import sys
from pathlib import Path
from typing import Any

from localmem.crypto import HomeKey, Secret, as_secret, check_passphrase, derive, new_kdf
from localmem.errors import HomeKeyError, StorageError
from localmem.paths import atomic_write_bytes, private_database, read_json_object

try:  # optional: plaintext homes need only the standard library
    import sqlcipher3.dbapi2 as sqlcipher
except ImportError:  # pragma: no cover - the `encrypt` extra is not installed
    sqlcipher = None

__all__ = ["CRYPT_FILE", "KEY_ENV", "KEY_FILE_ENV", "DB_ERRORS", "home_key", "connect",
           "read_state", "write_state", "find_secret", "configure", "is_encrypted",
           "keyring_set", "read_key_file", "configured_key_file", "HINT"]

CRYPT_FILE = "crypt.json"
KEY_ENV = "LOCALMEM_KEY"
KEY_FILE_ENV = "LOCALMEM_KEY_FILE"
KEYRING_SERVICE = "localmem"
SQLITE_HEADER = b"SQLite format 3\x00"
DATABASES = ("memory.db", "keys.db")
HINT = "set LOCALMEM_KEY or pass --key-file FILE (Python: Memory(path=..., key=...))"
# Errors of either driver: SQLCipher's classes are not sqlite3's.
DB_ERRORS: tuple[type[Exception], ...] = (
    (sqlite3.Error, sqlcipher.Error) if sqlcipher else (sqlite3.Error,)
)

_session: dict[str, Any] = {"key_file": None, "prompt": False}  # set by the CLI's root
_pepper = secrets.token_bytes(16)  # the derived-key cache is keyed by an HMAC, not the secret
_derived: dict[tuple[str, bytes], HomeKey] = {}
_prompted: dict[str, Secret] = {}


def configure(*, key_file: Path | None = None, prompt: bool = False) -> None:
    """The CLI's choices for this command: ``--key-file``, and whether to ask on a terminal."""
    _session.update(key_file=key_file, prompt=prompt)
    _prompted.clear()


def configured_key_file() -> Path | None:
    """The CLI's ``--key-file`` for this command, if given."""
    return _session["key_file"]


def read_key_file(path: Path) -> Secret:
    """The key or passphrase a key file holds.

    Raises:
        HomeKeyError: the file cannot be read.
    """
    try:
        return Secret(Path(path).expanduser().read_bytes())
    except OSError as exc:
        raise HomeKeyError(f"cannot read the key file {path}: {exc.strerror or exc}") from None


def read_state(home: Path) -> dict[str, Any] | None:
    """The home's ``crypt.json``, or None for a plaintext home.

    Raises:
        HomeKeyError: the file is there but damaged.
    """
    file = home / CRYPT_FILE
    if not file.exists():
        return None
    state = read_json_object(file, HomeKeyError, "; restore it from a backup of this home")
    if not isinstance(state.get("kdf"), dict) or not isinstance(state.get("check"), str):
        raise HomeKeyError(f"{file} is damaged; restore it from a backup of this home")
    return state


def write_state(folder: Path, key: HomeKey) -> None:
    """Write ``crypt.json`` for ``key`` into ``folder`` (atomically)."""
    state = {"format": "localmem-crypt", "version": 1, "kdf": key.kdf, "check": key.check()}
    atomic_write_bytes(folder / CRYPT_FILE, json.dumps(state, indent=2).encode())


def is_encrypted(home: Path) -> bool:
    return (home / CRYPT_FILE).exists()


def _env_secret() -> Secret | None:
    """``--key-file``, else ``LOCALMEM_KEY``, else the file ``LOCALMEM_KEY_FILE`` names.

    Raises:
        HomeKeyError: the key file cannot be read.
    """
    if _session["key_file"] is not None:
        return read_key_file(_session["key_file"])
    if os.environ.get(KEY_ENV):
        return Secret(os.environ[KEY_ENV])
    named = os.environ.get(KEY_FILE_ENV)
    return read_key_file(Path(named)) if named else None


def _keyring_secret(home: Path) -> Secret | None:
    """The key saved in the OS keyring for this home; None without keyring or entry."""
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, str(home.resolve()))
    except Exception:  # noqa: BLE001 - no package, no backend (headless Linux), a locked one
        return None
    return Secret(value) if value else None


def keyring_set(home: Path, secret: Secret) -> bool:
    """Save ``secret`` in the OS keyring for ``home``; False where there is no keyring."""
    try:
        import keyring
        from keyring.backends import fail

        if isinstance(keyring.get_keyring(), fail.Keyring):
            return False
        keyring.set_password(KEYRING_SERVICE, str(home.resolve()), secret.reveal())
    except Exception:  # noqa: BLE001 - same as reading: no keyring means the other sources
        return False
    return True


def find_secret(home: Path, given: Secret | str | bytes | None, *, stored: bool) -> Secret | None:
    """The secret for ``home``: given, environment, then (``stored``) keyring and a prompt."""
    if given is not None:
        return as_secret(given)
    found = _env_secret()
    if found is not None or not stored:
        return found
    found = _keyring_secret(home) or _prompted.get(str(home))
    if found is None and _session["prompt"] and sys.stdin.isatty():
        import getpass

        found = Secret(getpass.getpass(f"key or passphrase for the encrypted home {home}: "))
        _prompted[str(home)] = found
    return found


def home_key(home: Path, given: Secret | str | bytes | None = None) -> HomeKey | None:
    """The key of ``home`` (None: a plaintext home); a new home with a key becomes encrypted.

    Raises:
        HomeKeyError: an encrypted home without a key or with a wrong one, or a key for a
            plaintext home; nothing was read or changed.
        StorageError: a database is neither plaintext SQLite nor has a ``crypt.json``.
    """
    from localmem.storage.crypt_convert import recover

    recover(home)
    state = read_state(home)
    if state is None:
        return _plain_or_new(home, find_secret(home, given, stored=False))
    secret = find_secret(home, given, stored=True)
    if secret is None:
        raise HomeKeyError(f"this home is encrypted ({home}): {HINT}")
    cached = _cache_id(home, secret, state["kdf"])
    key = _derived.get(cached) or derive(secret, state["kdf"])
    if not key.matches(state["check"]):
        _prompted.pop(str(home), None)
        raise HomeKeyError(
            f"wrong key for the encrypted home {home}; nothing was read or changed: {HINT}"
        )
    _derived[cached] = key
    return key


def _plain_or_new(home: Path, secret: Secret | None) -> HomeKey | None:
    kinds = {name: _kind(home / name) for name in DATABASES}
    if secret is None:
        for name, kind in kinds.items():
            if kind == "other":
                raise StorageError(
                    f"{home / name} is not an SQLite database and the home has no {CRYPT_FILE}: "
                    "the file is damaged or cut short, or it is encrypted and its "
                    f"{CRYPT_FILE} was lost; restore them from a backup"
                )
        return None
    if any(kind != "missing" for kind in kinds.values()):
        raise HomeKeyError(
            f"this home is not encrypted ({home}) but a key was given; unset {KEY_ENV} / "
            "--key-file to open it, or run `localmem encrypt` to encrypt it"
        )
    key = derive(check_passphrase(secret), new_kdf())
    home.mkdir(parents=True, exist_ok=True)
    write_state(home, key)
    _derived[_cache_id(home, secret, key.kdf)] = key  # the next open of this home skips the KDF
    return key


def _cache_id(home: Path, secret: Secret, kdf: dict[str, Any]) -> tuple[str, bytes]:
    """Where a derived key is cached: the home and a keyed digest of the secret (never the
    secret itself) and of the KDF settings, so a home made anew with another salt derives again."""
    material = secret.reveal().encode() + b"\0" + json.dumps(kdf, sort_keys=True).encode()
    return str(home), hmac.new(_pepper, material, hashlib.sha256).digest()


def _kind(path: Path) -> str:
    """"missing" (absent or empty), "sqlite" (plaintext) or "other"."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "missing"
    if not head:
        return "missing"
    return "sqlite" if head == SQLITE_HEADER else "other"


def connect(
    path: Path | None, key: HomeKey | None, *, wal: bool = True, cipher: bool = False
) -> Any:
    """A DB-API connection to ``path`` (None: in memory), through SQLCipher under ``key``
    (``cipher``: through SQLCipher without a key, for ``sqlcipher_export`` from plaintext).

    Raises:
        StorageError: the file cannot be opened, or an encrypted one is damaged.
        HomeKeyError: the file does not open with the key (not encrypted, or another key).
    """
    if path is not None:
        private_database(path)  # owner-only (its -wal/-shm too), whatever the umask
    driver = sqlite3 if key is None and not cipher else _driver()
    conn = driver.connect(str(path) if path else ":memory:", timeout=30.0,
                          isolation_level=None, check_same_thread=False)
    if key is not None and path is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")  # its own stderr lines: we explain
        conn.execute(f"PRAGMA key = {key.sqlcipher_key(path.name)}")
        conn.execute("PRAGMA temp_store = MEMORY")  # no temp file, even an encrypted one
        _probe(conn, path)
    conn.execute("PRAGMA busy_timeout = 30000")
    if path is not None and wal:
        conn.execute("PRAGMA journal_mode = WAL")
    return conn


def _driver() -> Any:
    if sqlcipher is None:
        raise HomeKeyError(
            "this home is encrypted but SQLCipher is not installed: "
            "pip install 'localmem[encrypt]'"
        )
    return sqlcipher


def _probe(conn: Any, path: Path) -> None:
    """The first read, where SQLCipher finds out whether the key fits: explain a failure."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return
    except DB_ERRORS as exc:
        conn.close()
        reason = str(exc)
    if _kind(path) == "sqlite":
        raise HomeKeyError(
            f"{path} is a plaintext database in an encrypted home; restore the home from a "
            "backup, or move it aside and import an export"
        )
    size = path.stat().st_size
    raise StorageError(
        f"{path} does not open with the home's key ({reason}; {size:,} bytes"
        f"{', not whole pages: cut short' if size % 1024 else ''}): the file is damaged; "
        "restore it from a backup"
    )
