"""API keys for the local server, kept in ``<home>/keys.db``; only a salted hash is stored.

A key reads ``lm_<key_id>_<secret>``. ``key_id`` is public (it finds the row); the secret is
checked against ``sha256(salt + secret)`` in constant time. ``create_key`` returns the key once;
nothing can show it again. A key may be bound to one ``user_id``; the server then keeps it to
that user's memories.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localmem.crypto import Secret
from localmem.errors import InvalidInputError, LocalmemError, StorageError
from localmem.paths import home_dir
from localmem.storage.crypt_home import DB_ERRORS, connect, home_key
from localmem.validate import now_iso, scope_value

__all__ = ["KeyRecord", "KeyStore", "KEYS_FILE", "create_key", "verify", "revoke", "list_keys"]

KEYS_FILE = "keys.db"
PREFIX = "lm_"
_KEY_ID = re.compile(r"[0-9a-f]{12}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,100}")


@dataclass(frozen=True)
class KeyRecord:
    """A stored key, without its secret."""

    key_id: str
    user_id: str | None
    created_at: str
    revoked_at: str | None = None
    label: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyStore:
    """The key table of one home directory."""

    def __init__(self, home: Path | None = None, key: Secret | str | bytes | None = None) -> None:
        """Open the key table; an encrypted home's opens with its key (see ``crypt_home``).

        Raises:
            HomeKeyError: no key for an encrypted home, or a wrong one.
            StorageError: the file cannot be opened.
        """
        self.path = (home if home is not None else home_dir()) / KEYS_FILE
        try:
            self._conn = connect(self.path, home_key(self.path.parent, key), wal=False)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, salt BLOB NOT NULL,"
                " digest BLOB NOT NULL, user_id TEXT, label TEXT NOT NULL DEFAULT '',"
                " created_at TEXT NOT NULL, revoked_at TEXT)"
            )
        except LocalmemError:
            raise
        except (OSError, ValueError, *DB_ERRORS) as exc:
            raise StorageError(f"cannot open the key database at {self.path}: {exc}") from exc

    def close(self) -> None:
        self._conn.close()

    def create(self, user_id: str | None = None, label: str = "") -> str:
        """Make a key (bound to ``user_id`` when given) and return it; only its hash is kept.

        Raises:
            InvalidInputError: ``user_id`` or ``label`` is not a plain short string.
        """
        if user_id is not None:
            scope_value(user_id, "user_id")
        if label:
            scope_value(label, "label")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        self._write(
            "INSERT INTO api_keys (key_id, salt, digest, user_id, label, created_at)"
            " VALUES (?,?,?,?,?,?)",
            [key_id, salt, _digest(salt, secret), user_id, label, now_iso()],
        )
        return f"{PREFIX}{key_id}_{secret}"

    def verify(self, key: str | None) -> KeyRecord | None:
        """The active key's record, or None for a wrong, revoked or malformed key."""
        if not isinstance(key, str) or not key.startswith(PREFIX) or len(key) > 200:
            return None
        key_id, _, secret = key[len(PREFIX):].partition("_")
        if not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
            return None
        row = self._read(
            "SELECT salt, digest, key_id, user_id, created_at, revoked_at, label"
            " FROM api_keys WHERE key_id=?",
            [key_id],
        )
        if not row:
            return None
        salt, digest, *fields = row[0]
        if not hmac.compare_digest(digest, _digest(salt, secret)):
            return None
        record = KeyRecord(*fields)
        return record if record.active else None

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id (or by the full key); False when no active key has it."""
        if isinstance(key_id, str) and key_id.startswith(PREFIX):
            key_id = key_id[len(PREFIX):].partition("_")[0]
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise InvalidInputError(f"{key_id!r:.40} is not a key id; see `localmem keys list`")
        cur = self._write(
            "UPDATE api_keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL",
            [now_iso(), key_id],
        )
        return cur.rowcount > 0

    def list(self, include_revoked: bool = False) -> list[KeyRecord]:
        """Every key's record (never a secret), oldest first."""
        sql = "SELECT key_id, user_id, created_at, revoked_at, label FROM api_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        return [KeyRecord(*r) for r in self._read(sql + " ORDER BY created_at, key_id", [])]

    def _write(self, sql: str, params: list[object]) -> Any:
        try:
            return self._conn.execute(sql, params)
        except DB_ERRORS as exc:
            raise StorageError(f"cannot write the key database {self.path}: {exc}") from exc

    def _read(self, sql: str, params: list[object]) -> list[tuple]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except DB_ERRORS as exc:
            raise StorageError(f"cannot read the key database {self.path}: {exc}") from exc


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8", "surrogatepass")).digest()


def create_key(user_id: str | None = None, home: Path | None = None, label: str = "") -> str:
    """Make a key in ``home`` (default: the home directory) and return it; shown only once."""
    store = KeyStore(home)
    try:
        return store.create(user_id, label)
    finally:
        store.close()


def verify(key: str | None, home: Path | None = None) -> KeyRecord | None:
    """The record of an active key, or None."""
    store = KeyStore(home)
    try:
        return store.verify(key)
    finally:
        store.close()


def revoke(key_id: str, home: Path | None = None) -> bool:
    """Revoke a key by id; False when no active key has it."""
    store = KeyStore(home)
    try:
        return store.revoke(key_id)
    finally:
        store.close()


def list_keys(home: Path | None = None, include_revoked: bool = False) -> list[KeyRecord]:
    """The stored keys' records (no secrets)."""
    store = KeyStore(home)
    try:
        return store.list(include_revoked)
    finally:
        store.close()
