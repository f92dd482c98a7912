"""A whole export, read and checked before anything is stored: ``read_export(path, format)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from localmem.errors import InvalidInputError
from localmem.frontends.chat_import import chatgpt, claude
from localmem.frontends.chat_import.source import read_conversations
from localmem.frontends.chat_import.turns import ChatTurn, TurnBuilder, shape_error, sort_turns

__all__ = ["Export", "read_export", "FORMATS"]


@dataclass(frozen=True)
class _Format:
    model: type[BaseModel]
    turns_of: Callable[[Any, str], TurnBuilder]
    hint: str
    marker: str  # a key every conversation of this format has


_FORMATS = {
    chatgpt.NAME: _Format(chatgpt.Conversation, chatgpt.turns_of, chatgpt.HINT, "mapping"),
    claude.NAME: _Format(claude.Conversation, claude.turns_of, claude.HINT, "chat_messages"),
}
FORMATS = tuple(_FORMATS)


@dataclass(frozen=True)
class Export:
    """The user turns of an export, oldest first, each import key once."""

    name: str  # the file (and the member of a zip) they came from
    conversations: int
    turns: list[ChatTurn]
    skipped: int  # user messages without text (only an image or a file)


def read_export(path: Path, fmt: str) -> Export:
    """Read and check every conversation of the export at ``path`` in format ``fmt``.

    Raises:
        InvalidInputError: an unknown format, an unreadable file, or the first conversation of
            the wrong shape (named, with the field and what is wrong).
    """
    if fmt not in _FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {list(FORMATS)}")
    name, raw = read_conversations(path)
    _check_format(name, raw, fmt)
    spec = _FORMATS[fmt]
    turns: list[ChatTurn] = []
    skipped = 0
    for i, item in enumerate(raw):
        label = _label(name, i, item)
        try:
            conv = spec.model.model_validate(item)
        except ValidationError as exc:
            raise shape_error(label, exc, item, spec.hint) from None
        builder = spec.turns_of(conv, label)
        turns += builder.finish()
        skipped += builder.skipped
    return Export(name, len(raw), sort_turns(turns), skipped)


def _check_format(name: str, raw: list[Any], fmt: str) -> None:
    """Refuse early, with the right option, a file of the other format."""
    first = next((item for item in raw if isinstance(item, dict)), None)
    if first is None or _FORMATS[fmt].marker in first:
        return
    for other, spec in _FORMATS.items():
        if other != fmt and spec.marker in first:
            raise InvalidInputError(
                f"{name} looks like a {other} export, not a {fmt} one; use --format {other}"
            )


def _label(name: str, index: int, item: Any) -> str:
    """How messages name a conversation: its place in the file, and its title if it has one."""
    title = (item.get("title") or item.get("name")) if isinstance(item, dict) else None
    shown = f" {title!r:.60}" if isinstance(title, str) and title.strip() else ""
    return f"{name}: conversation {index}{shown}"
