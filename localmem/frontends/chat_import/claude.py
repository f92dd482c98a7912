"""Claude's data export: ``conversations.json``, a list of conversations with their messages.

    {"uuid": "...", "name": "...", "created_at": "2024-05-01T12:00:00.000000Z",
     "chat_messages": [{"uuid": "...", "sender": "human", "text": "...",
                        "content": [{"type": "text", "text": "..."}],
                        "created_at": "2024-05-01T12:00:05.000000Z"}, ...]}

A message's text is its ``text`` blocks (tool calls, thinking and attachments are skipped),
or its ``text`` field when it has no text blocks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from localmem import validate
from localmem.errors import InvalidInputError
from localmem.frontends.chat_import.turns import TurnBuilder

__all__ = ["Conversation", "turns_of", "HINT", "NAME"]

NAME = "claude"
HINT = "is it Claude's conversations.json (Settings > Privacy > Export data)?"
_ROLES = {"human": "user", "assistant": "assistant"}


class Block(BaseModel):
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    uuid: str
    sender: Literal["human", "assistant"]
    text: str = ""
    content: list[Block] = []
    created_at: datetime | None = None


class Conversation(BaseModel):
    uuid: str
    name: str | None = None
    created_at: datetime | None = None
    chat_messages: list[ChatMessage]


def turns_of(conv: Conversation, label: str) -> TurnBuilder:
    """The user turns of one conversation, in order.

    Raises:
        InvalidInputError: a message without a time, or text that cannot be stored.
    """
    builder = TurnBuilder(NAME, conv.uuid, conv.name, label)
    for msg in conv.chat_messages:
        when = msg.created_at or conv.created_at
        if when is None:
            raise InvalidInputError(
                f"{label}: message {msg.uuid!r} has no created_at, nor has its conversation"
            )
        builder.message(_ROLES[msg.sender], msg.uuid, _text(msg), validate.observed_at(when))
    return builder


def _text(msg: ChatMessage) -> str:
    blocks = [b.text for b in msg.content if b.type == "text" and b.text]
    return "\n".join(blocks) if blocks else msg.text
