"""Checks on everything a caller hands to ``Memory``; each failure is an ``InvalidInputError``."""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from localmem.errors import InvalidInputError

__all__ = [
    "messages",
    "scope",
    "metadata",
    "memory_id",
    "limit",
    "threshold",
    "max_words",
    "observed_at",
    "as_of",
    "now_iso",
    "text",
    "filters",
    "prompt",
    "EXTRACTION_PLACEHOLDERS",
    "UPDATE_PLACEHOLDERS",
    "MAX_TEXT_CHARS",
]

MAX_TEXT_CHARS = 100_000
MAX_MESSAGES = 1_000
MAX_ID_CHARS = 256
MAX_METADATA_BYTES = 64_000
MAX_METADATA_DEPTH = 8
ROLES = ("user", "assistant", "system")
SQLITE_INT = (-(2**63), 2**63 - 1)  # what SQLite can bind as an INTEGER
EXTRACTION_PLACEHOLDERS = ("messages", "today")
UPDATE_PLACEHOLDERS = ("memories", "facts", "fact")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


def text(value: Any, what: str = "text") -> str:
    """A non-empty string that SQLite can store."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInputError(f"{what} is empty; give some text")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"{what} has {len(value):,} characters, more than {MAX_TEXT_CHARS:,}; split it into "
            "several messages"
        )
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"{what} is not valid Unicode (a lone surrogate at position {exc.start}); "
            "decode your input with errors='replace'"
        ) from None
    return value


def messages(value: Any) -> list[dict[str, Any]]:
    """A str, a message dict, or a list of message dicts -> a list of {"role","content"} dicts."""
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    elif isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError(
            f"messages must be a string, a dict or a list of dicts, got {type(value).__name__}"
        )
    if not value:
        raise InvalidInputError("messages is empty; give at least one message")
    if len(value) > MAX_MESSAGES:
        raise InvalidInputError(f"{len(value)} messages in one add; send at most {MAX_MESSAGES}")
    out = []
    for i, msg in enumerate(value):
        if not isinstance(msg, dict):
            raise InvalidInputError(
                f"message {i} must be a dict with 'role' and 'content', got {type(msg).__name__}"
            )
        unknown = set(msg) - {"role", "content", "name"}
        if unknown:
            raise InvalidInputError(f"message {i} has unknown keys {sorted(unknown)}")
        role = msg.get("role", "user")
        if role not in ROLES:
            raise InvalidInputError(f"message {i} has role {role!r}; use one of {list(ROLES)}")
        content = text(msg.get("content"), f"message {i} content")
        entry: dict[str, Any] = {"role": role, "content": content}
        if msg.get("name") is not None:
            entry["name"] = scope_value(msg["name"], f"message {i} name")
        out.append(entry)
    return out


def scope_value(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r:.60}")
    if len(value) > MAX_ID_CHARS or any(ord(c) < 32 for c in value):
        raise InvalidInputError(
            f"{what} must be at most {MAX_ID_CHARS} printable characters"
        )
    text(value, what)
    return value


def scope(
    user_id: Any = None, agent_id: Any = None, run_id: Any = None, *, required: bool = False
) -> dict[str, str]:
    """The exact-match scope; ``required`` demands at least one id."""
    out = {}
    for key, value in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)):
        if value is not None:
            out[key] = scope_value(value, key)
    if required and not out:
        raise InvalidInputError(
            "give user_id, agent_id or run_id; deleting everything is reset()"
        )
    return out


def metadata(value: Any) -> dict[str, Any]:
    """A JSON object of plain values, small and shallow enough to store."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInputError(f"metadata must be a dict, got {type(value).__name__}")
    _check_json(value, depth=0)
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"metadata is not JSON: {exc}") from None
    if len(encoded) > MAX_METADATA_BYTES:
        raise InvalidInputError(f"metadata is {len(encoded):,} bytes; keep it under {MAX_METADATA_BYTES:,}")
    return value


def _check_json(value: Any, depth: int) -> None:
    if depth > MAX_METADATA_DEPTH:
        raise InvalidInputError(f"metadata is nested deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(f"metadata keys must be strings, got {key!r:.40}")
            text(key, "metadata key")
            _check_json(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError("metadata holds NaN or infinity; JSON cannot store it")
    elif isinstance(value, str):
        text(value, "metadata value") if value else None
    elif value is not None and not isinstance(value, (bool, int, float)):
        raise InvalidInputError(f"metadata value of type {type(value).__name__} is not JSON")


def filters(value: Any) -> dict[str, Any]:
    """Exact-match metadata filters: {key: str | int | float | bool}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInputError(f"filters must be a dict, got {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidInputError(
                f"filter key {key!r:.40} must be letters, digits, '_', '.' or '-'"
            )
        if not isinstance(item, (str, int, float, bool)) or (
            isinstance(item, float) and not math.isfinite(item)
        ):
            raise InvalidInputError(f"filter {key!r} must compare with a plain value, got {item!r:.40}")
        if isinstance(item, int) and not SQLITE_INT[0] <= item <= SQLITE_INT[1]:
            raise InvalidInputError(
                f"filter {key!r} is an integer beyond 64 bits ({item!r:.40}); SQLite compares "
                f"integers from {SQLITE_INT[0]} to {SQLITE_INT[1]}: use a string for larger ones"
            )
        if isinstance(item, str) and item:
            text(item, f"filter {key!r}")
    return value


def prompt(value: Any, allowed: Iterable[str], what: str = "prompt") -> str:
    """A ``str.format`` template whose only fields are plain ``{name}`` placeholders in ``allowed``.

    The same check for a per-call prompt and a configured one, so formatting it with string
    values can never fail (no positional, attribute, index, conversion or format-spec fields).

    Raises:
        InvalidInputError: not text, not a valid format string, or another placeholder.
    """
    if isinstance(value, str) and not value.strip():
        raise InvalidInputError(f"{what} is empty; leave it unset (None) to use the default prompt")
    text(value, what)
    try:
        fields = [(n, c, s) for _, n, s, c in string.Formatter().parse(value) if n is not None]
    except ValueError as exc:
        raise InvalidInputError(
            f"{what} is not a valid format string ({exc}); write {{{{ and }}}} for literal braces"
        ) from None
    allowed = sorted(allowed)
    unknown = sorted(
        "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
        for name, conv, spec in fields
        if name not in allowed or conv or spec
    )
    if unknown:
        raise InvalidInputError(
            f"{what} uses unknown placeholders {unknown}; allowed: "
            f"{['{' + a + '}' for a in allowed]} (write {{{{ and }}}} for literal braces)"
        )
    return value


def memory_id(value: Any) -> int:
    """An id as returned by the API (an int; negative for a raw message)."""
    if isinstance(value, bool):
        raise InvalidInputError("memory id must be an integer, got a bool")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        result = int(value)
    else:
        raise InvalidInputError(f"memory id must be an integer, got {value!r:.60}")
    if result == 0 or abs(result) >= 2**62:
        raise InvalidInputError(f"memory id {result} is out of range")
    return result


def limit(value: Any, maximum: int = 10_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInputError(f"limit must be an integer from 1 to {maximum}, got {value!r:.40}")
    return value


def max_words(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise InvalidInputError(
            f"max_words must be an integer from 1 to 1000000 (or None for no budget), "
            f"got {value!r:.40}"
        )
    return value


def threshold(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInputError(f"threshold must be a finite number, got {value!r:.40}")
    return float(value)


def now_iso() -> str:
    """The current time, UTC, ISO 8601 with microseconds: every stored timestamp's form."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def observed_at(value: Any) -> str:
    """When the messages were said: a datetime, an ISO string or epoch seconds; default now."""
    if value is None:
        return now_iso()
    if isinstance(value, bool):
        raise InvalidInputError("timestamp must be a datetime, an ISO 8601 string or epoch seconds")
    try:
        if isinstance(value, (int, float)):
            when = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, str):
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        elif isinstance(value, datetime):
            when = value
        else:
            raise TypeError(type(value).__name__)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise InvalidInputError(
            f"timestamp {value!r:.60} is not a datetime, an ISO 8601 string or epoch seconds ({exc})"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.isoformat(timespec="microseconds")


AS_OF_AHEAD = 86_400  # seconds an ``as_of`` may lie ahead of this clock (another's time zone)


def as_of(value: Any) -> str | None:
    """A time to read the past at (``search(as_of=...)``), like ``observed_at`` (epoch seconds
    may come as text: a query string, a command line); None: now.

    Raises:
        InvalidInputError: not a time, or a time in the future (nothing is known of it yet).
    """
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        value = float(value)
    try:
        when = observed_at(value)
    except InvalidInputError as exc:
        raise InvalidInputError(f"as_of: {exc}") from None
    ahead = datetime.fromisoformat(when) - datetime.now(timezone.utc)
    if ahead.total_seconds() > AS_OF_AHEAD:
        raise InvalidInputError(
            f"as_of {value!r:.60} is in the future; give a past time, or leave as_of out for "
            "what holds now"
        )
    return when
