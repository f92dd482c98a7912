"""Sealed exports: an export's JSON lines in AES-GCM blocks, still one text line each.

    {"type": "sealed", "format": "localmem-sealed-export", "version": 1, "kdf": {...},
     "salt": "<base64>", "check": "<base64>"}
    m<base64 of nonce + ciphertext of up to BLOCK export lines>
    ...
    l<base64 ...>                                   (the last block, possibly empty)

The key is the sealing home's (its KDF settings travel in the header, never a secret), through
a subkey for this file's random salt. Each block's associated data holds its number and
whether it is the last, so blocks cannot be reordered, dropped or cut off unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from localmem.crypto import HomeKey, SealError, derive, new_kdf, seal, unseal
from localmem.errors import HomeKeyError, InvalidInputError
from localmem.storage.crypt_home import find_secret, home_key, is_encrypted

__all__ = ["seal_lines", "unseal_lines", "is_sealed", "sealing_key", "sealed_by_default",
           "SEALED"]

SEALED = "localmem-sealed-export"
BLOCK = 256  # export lines per sealed block
_SET_KEY = "set LOCALMEM_KEY or pass --key-file"
_NO_KEY = f"{_SET_KEY} with the key of the home it came from"


def is_sealed(first_line: str) -> bool:
    """Whether an export's first line is a sealed export's header."""
    try:
        record = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("type") == "sealed"


def sealed_by_default(home: Path | None, asked: bool | None) -> bool:
    """Whether to seal an export: as asked, else when the home is encrypted."""
    if asked is not None:
        return asked
    return home is not None and is_encrypted(home)


def sealing_key(home: Path | None) -> HomeKey:
    """The key to seal an export of ``home``: its own, or (plaintext home) the one set.

    Raises:
        HomeKeyError: no key is set.
    """
    if home is not None and is_encrypted(home):
        key = home_key(home)
        assert key is not None  # an encrypted home always has one
        return key
    secret = find_secret(home or Path.cwd(), None, stored=False)
    if secret is None:
        raise HomeKeyError(f"an encrypted export of a plaintext home needs a key: {_SET_KEY}")
    return derive(secret, new_kdf())


def seal_lines(lines: Iterable[str], key: HomeKey) -> Iterator[str]:
    """The sealed form of an export's lines (see the module docstring)."""
    salt = secrets.token_bytes(16)
    sub = key.subkey("export", salt)
    yield json.dumps({"type": "sealed", "format": SEALED, "version": 1, "kdf": key.kdf,
                      "salt": base64.b64encode(salt).decode(), "check": key.check()})
    batch: list[str] = []
    number = 0
    for line in lines:
        batch.append(line)
        if len(batch) == BLOCK:
            yield _block(sub, number, batch, last=False)
            number, batch = number + 1, []
    yield _block(sub, number, batch, last=True)


def _block(sub: bytes, number: int, lines: list[str], last: bool) -> str:
    flag = "l" if last else "m"
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    return flag + base64.b64encode(seal(sub, data, _aad(number, flag))).decode("ascii")


def _aad(number: int, flag: str) -> bytes:
    return f"{SEALED}:{number}:{flag}".encode()


def unseal_lines(lines: Iterable[str], home: Path | None) -> Iterator[str]:
    """The export lines inside a sealed export, opened with ``home``'s key or the one set.

    Raises:
        HomeKeyError: no key, or not the key it was sealed with.
        InvalidInputError: a block was changed, reordered or dropped, or the file is cut short.
    """
    rows = (raw for raw in lines if raw.strip())
    header = _header(next(rows, ""))
    sub = _export_key(header, home).subkey("export", base64.b64decode(header["salt"]))
    number, last = 0, False
    for raw in rows:
        raw = raw.strip()
        if last or raw[:1] not in ("m", "l"):
            raise InvalidInputError(f"sealed block {number + 1} is out of place or malformed")
        try:
            data = unseal(sub, base64.b64decode(raw[1:], validate=True), _aad(number, raw[0]))
        except (SealError, binascii.Error, ValueError):
            raise InvalidInputError(
                f"sealed block {number + 1} does not authenticate: the export was changed"
            ) from None
        last, number = raw[0] == "l", number + 1
        yield from (line for line in data.decode("utf-8", "surrogatepass").split("\n") if line)
    if not last:
        raise InvalidInputError("the sealed export is cut short: its last block is missing")


def _header(line: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
        if header.get("format") != SEALED or header.get("version") != 1:
            raise ValueError
        base64.b64decode(header["salt"], validate=True)
        if not isinstance(header["kdf"], dict) or not isinstance(header["check"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise InvalidInputError(f"not a {SEALED} version 1 header line") from None
    return header


def _export_key(header: dict[str, Any], home: Path | None) -> HomeKey:
    if home is not None and is_encrypted(home):
        own = home_key(home)
        if own is not None and own.kdf == header["kdf"] and own.matches(header["check"]):
            return own
    secret = find_secret(home or Path.cwd(), None, stored=True)
    if secret is None:
        raise HomeKeyError(f"this export is encrypted: {_NO_KEY}")
    key = derive(secret, header["kdf"])
    if not key.matches(header["check"]):
        raise HomeKeyError(f"wrong key for this encrypted export: {_NO_KEY}")
    return key
