"""Reading an export file: ``conversations.json`` alone, or inside the export's zip.

Each way a file can be unreadable (not a zip and not JSON, a damaged zip, a zip without
``conversations.json``, JSON cut short, JSON that is not a list) is one ``InvalidInputError``
that names the file, the problem and the fix.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from localmem.errors import InvalidInputError

__all__ = ["read_conversations", "CONVERSATIONS"]

CONVERSATIONS = "conversations.json"
_ZIP_MAGIC = b"PK\x03\x04"


def read_conversations(path: Path) -> tuple[str, list[Any]]:
    """(a name for messages, the list of conversations) in the export at ``path``.

    Raises:
        InvalidInputError: the file cannot be read, or holds no list of conversations.
    """
    name, data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{name} is not UTF-8 text (byte {exc.start:,}); give the export's {CONVERSATIONS} "
            "or its zip"
        ) from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise InvalidInputError(
                f"{name} ends before its JSON does (cut short at {len(data):,} bytes?); "
                "download or copy the export again"
            ) from None
        raise InvalidInputError(
            f"{name} is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); give the "
            f"export's {CONVERSATIONS} or its zip"
        ) from None
    if not isinstance(parsed, list):
        raise InvalidInputError(
            f"{name} holds a JSON {type(parsed).__name__ if parsed is not None else 'null'}, "
            f"not a list of conversations; give the export's {CONVERSATIONS}"
        )
    return name, parsed


def _read_bytes(path: Path) -> tuple[str, bytes]:
    """The name and bytes of the conversations file (from inside a zip when it is one)."""
    try:
        if zipfile.is_zipfile(path):
            return _from_zip(path)
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith(_ZIP_MAGIC):  # a zip's start without its directory at the end
        raise InvalidInputError(
            f"{path} is a damaged or cut-short zip; download the export again"
        )
    return str(path), data


def _from_zip(path: Path) -> tuple[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            found = [n for n in archive.namelist() if PurePosixPath(n).name == CONVERSATIONS]
            if not found:
                held = ", ".join(archive.namelist()[:5]) or "nothing"
                raise InvalidInputError(
                    f"{path} is a zip without {CONVERSATIONS} (it holds {held}); give the "
                    "zip of the data export, or the conversations.json from it"
                )
            member = min(found, key=lambda n: (n.count("/"), n))  # the top-level one
            return f"{path}!{member}", archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInputError(
            f"{path} cannot be read as a zip ({exc}); download the export again"
        ) from None
