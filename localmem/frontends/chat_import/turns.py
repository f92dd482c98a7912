"""What both export parsers produce: one ``ChatTurn`` per user message, checked before any add.

A turn is what one ``Memory.add`` takes: the user's message, the assistant's reply just before
it (context for the model), when it was said, and the metadata that names where it came from.
``import_key`` in that metadata (source, conversation id, message id) is how a re-run knows a
turn is already stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from localmem import validate
from localmem.errors import InvalidInputError

__all__ = [
    "ChatTurn", "KEY_FIELD", "UNTITLED", "TurnBuilder", "split_text", "sort_turns", "epoch_time",
    "shape_error",
]

KEY_FIELD = "import_key"
UNTITLED = "(untitled)"


class ChatTurn(BaseModel):
    """One user message of an export, ready for ``Memory.add``."""

    model_config = ConfigDict(frozen=True)

    source: str  # "chatgpt" / "claude"
    conversation_id: str
    conversation: str  # the title
    message_id: str
    text: str
    said_at: str  # ISO 8601, UTC
    context: str | None = None  # the assistant's message just before, if any

    @property
    def key(self) -> str:
        return f"{self.source}:{self.conversation_id}:{self.message_id}"

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "conversation": self.conversation,
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            KEY_FIELD: self.key,
        }

    def messages(self, infer: bool) -> list[dict[str, str]]:
        """The add's messages: a long text in several parts; the context only when inferring."""
        out = [{"role": "user", "content": part} for part in split_text(self.text)]
        if infer and self.context:
            tail = self.context[-validate.MAX_TEXT_CHARS :]  # the end of a long reply
            out.insert(0, {"role": "assistant", "content": tail})
        return out


def split_text(text: str, limit: int = validate.MAX_TEXT_CHARS) -> list[str]:
    """A text in parts of at most ``limit`` characters (what one message holds), cut after a
    space where there is one in the part's second half; joined, the parts are the text."""
    parts, start = [], 0
    while len(text) - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        end = cut + 1 if cut >= 0 else start + limit
        parts.append(text[start:end])
        start = end
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


class TurnBuilder:
    """Collects the turns of one conversation, checking each text as ``Memory.add`` will."""

    def __init__(self, source: str, conversation_id: str, title: str | None, label: str) -> None:
        self.source, self.conversation_id, self.label = source, conversation_id, label
        self.title = title.strip() if title and title.strip() else UNTITLED
        self.turns: list[ChatTurn] = []
        self.skipped = 0  # user messages with no text (an image, a file)
        self._context: str | None = None

    def message(self, role: str, message_id: str, text: str, said_at: str) -> None:
        """Take one message of the visible thread, in order (assistant replies become context).

        Raises:
            InvalidInputError: its text cannot be stored (NUL, broken Unicode).
        """
        what = f"{self.label}: message {message_id!r}"
        if not text.strip():
            if role == "user":
                self.skipped += 1
            return
        for part in split_text(text):
            validate.text(part, what)
        if role == "assistant":
            self._context = text
            return
        self.turns.append(ChatTurn(
            source=self.source, conversation_id=self.conversation_id, conversation=self.title,
            message_id=message_id, text=text, said_at=said_at, context=self._context,
        ))
        self._context = None

    def finish(self) -> list[ChatTurn]:
        """The turns, after checking the metadata they will carry."""
        try:
            for turn in self.turns:
                validate.metadata(turn.metadata())
        except InvalidInputError as exc:
            raise InvalidInputError(f"{self.label}: {exc}") from None
        return self.turns


def epoch_time(value: float, what: str) -> str:
    """Epoch seconds as an ISO 8601 UTC time.

    Raises:
        InvalidInputError: not a time a datetime can hold.
    """
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc).isoformat(timespec="microseconds")
    except (ValueError, OverflowError, OSError):
        raise InvalidInputError(
            f"{what}: create_time {value!r:.30} is not a time in epoch seconds"
        ) from None


def shape_error(where: str, exc: ValidationError, raw: Any, hint: str) -> InvalidInputError:
    """One line for a pydantic error: where, which field (naming list items by id), what, fix."""
    errors = exc.errors()
    first = errors[0]
    path, node = "", raw
    for step in first["loc"]:
        node = node[step] if isinstance(node, (dict, list)) and _has(node, step) else None
        ident = (node.get("uuid") or node.get("id")) if isinstance(node, dict) else None
        label = f"[{step}]" if isinstance(step, int) else f".{step}"
        path += label + (f" (id {ident!r:.60})" if isinstance(step, int) and ident else "")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    found = f", got {first['input']!r:.60}" if first["type"] != "missing" else ""
    field = path.lstrip(".") or "it"
    return InvalidInputError(f"{where}: {field}: {first['msg']}{found}{more}; {hint}")


def _has(node: dict[Any, Any] | list[Any], step: Any) -> bool:
    if isinstance(node, list):
        return isinstance(step, int) and 0 <= step < len(node)
    return step in node


def sort_turns(turns: Iterable[ChatTurn]) -> list[ChatTurn]:
    """Oldest first across conversations (later facts update earlier ones), each key once."""
    unique: dict[str, ChatTurn] = {}
    for turn in turns:
        unique.setdefault(turn.key, turn)
    return sorted(unique.values(), key=lambda t: t.said_at)
