"""Encryption at rest, the primitives: the user's secret, the home's key, its subkeys, sealing.

A user holds a ``Secret``: a generated key (64 hex digits, 256 bits, used as is) or a
passphrase (stretched by scrypt with ``SCRYPT`` settings and the home's salt). Either gives the
home's master key (``HomeKey``); each use gets its own subkey from it through HKDF-SHA256
(``purpose``: one per SQLCipher database, one for the saved indexes, one per export), so no two
uses share a key. Files other than the databases are sealed with AES-256-GCM (``seal``): a
random 96-bit nonce, and associated data naming what the file is, so one sealed file cannot be
passed off as another.

Neither class shows its bytes in ``repr``/``str``, so a secret never reaches a log line or a
printed traceback. ``cryptography`` is imported lazily (only encrypted homes need it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any

from localmem.errors import ConfigError

__all__ = ["Secret", "HomeKey", "new_kdf", "derive", "generate_secret", "seal", "unseal",
           "SCRYPT", "SealError", "check_passphrase",
           "as_secret"]

# scrypt for passphrases: N=2^17, r=8, p=1 (128 MiB, ~0.4 s here), OWASP's recommended setting.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
_SCRYPT_MAXMEM = 256 * 1024 * 1024
RAW_KEY = re.compile(r"[0-9a-fA-F]{64}")
MIN_PASSPHRASE = 8
NONCE = 12


class SealError(ValueError):
    """A sealed blob failed authentication: wrong key, or changed or cut short."""


class Secret:
    """What the user holds: a generated key (64 hex digits) or a passphrase. Never printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError("the encryption key is not UTF-8 text") from None
        if not isinstance(value, str):
            raise ConfigError(f"an encryption key is text, not {type(value).__name__}")
        value = value.strip()
        if not value:
            raise ConfigError("the encryption key is empty")
        self._value = value

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__

    @property
    def is_raw(self) -> bool:
        """A generated key (used directly), not a passphrase (stretched)."""
        return RAW_KEY.fullmatch(self._value) is not None

    def reveal(self) -> str:
        """The secret's text: only for the one place that hands it to the user or the keyring."""
        return self._value

    def master(self, kdf: dict[str, Any]) -> bytes:
        """The 32-byte master key: the raw key itself, or scrypt(passphrase, salt)."""
        if self.is_raw:
            return bytes.fromhex(self._value)
        return hashlib.scrypt(
            self._value.encode("utf-8", "surrogatepass"), salt=_b64d(kdf["salt"]),
            n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]), maxmem=_SCRYPT_MAXMEM, dklen=32,
        )


class HomeKey:
    """A home's master key and the KDF settings that made it; gives a subkey per purpose."""

    __slots__ = ("_master", "kdf")

    def __init__(self, master: bytes, kdf: dict[str, Any]) -> None:
        self._master = master
        self.kdf = kdf

    def __repr__(self) -> str:
        return "HomeKey(<hidden>)"

    __str__ = __repr__

    def subkey(self, purpose: str, salt: bytes | None = None) -> bytes:
        """HKDF-SHA256 of the master key for ``purpose`` (salt: the home's, unless given)."""
        salt = _b64d(self.kdf["salt"]) if salt is None else salt
        prk = hmac.new(salt, self._master, hashlib.sha256).digest()  # HKDF extract
        return hmac.new(prk, b"localmem " + purpose.encode() + b"\x01", hashlib.sha256).digest()

    def check(self) -> str:
        """A value stored beside the data that tells a wrong key before anything is read."""
        return _b64e(self.subkey("key check")[:16])

    def matches(self, check: str) -> bool:
        return hmac.compare_digest(self.check(), str(check))

    def sqlcipher_key(self, purpose: str) -> str:
        """The ``PRAGMA key`` value for one database: a raw key, so SQLCipher runs no KDF."""
        return f"\"x'{self.subkey(purpose).hex()}'\""


def new_kdf() -> dict[str, Any]:
    """Fresh KDF settings for a home: scrypt's parameters and a random salt."""
    return {"kdf": "scrypt", **SCRYPT, "salt": _b64e(secrets.token_bytes(16))}


def derive(secret: Secret, kdf: dict[str, Any]) -> HomeKey:
    """The home key ``secret`` gives under ``kdf``.

    Raises:
        ConfigError: the KDF settings are not ones this version writes.
    """
    try:
        if kdf.get("kdf") != "scrypt":
            raise ValueError(kdf.get("kdf"))
        return HomeKey(secret.master(kdf), kdf)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ConfigError("the home's key settings (crypt.json) are damaged or unknown") from None


def as_secret(value: Secret | str | bytes | None) -> Secret | None:
    """``value`` as a ``Secret`` (so a frame's locals never show the text), None as None.

    Raises:
        ConfigError: not text, or empty.
    """
    return value if value is None or isinstance(value, Secret) else Secret(value)


def generate_secret() -> Secret:
    """A new random key: 64 hex digits (256 bits)."""
    return Secret(secrets.token_hex(32))


def check_passphrase(secret: Secret) -> Secret:
    """``secret`` when it is a generated key or a passphrase of ``MIN_PASSPHRASE`` characters.

    Raises:
        ConfigError: a shorter passphrase.
    """
    if not secret.is_raw and len(secret.reveal()) < MIN_PASSPHRASE:
        raise ConfigError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    return secret


def seal(key: bytes, data: Any, what: bytes) -> bytes:
    """AES-256-GCM of ``data`` (any buffer): nonce + ciphertext + tag; ``what`` (associated
    data) names the content."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, data, what)


def unseal(key: bytes, blob: bytes, what: bytes) -> bytes:
    """The data ``seal`` sealed.

    Raises:
        SealError: wrong key, another file's content, or changed or cut short.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        view = memoryview(blob)  # no copy of a large index
        return AESGCM(key).decrypt(bytes(view[:NONCE]), view[NONCE:], what)
    except (InvalidTag, ValueError):
        raise SealError("cannot unseal: wrong key, or the file was changed or cut short") from None


def _b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
