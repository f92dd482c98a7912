"""ChatGPT's data export: ``conversations.json``, a list of conversations, each a tree of nodes.

    {"title": "...", "create_time": 1700000000.0, "id": "...", "current_node": "n3",
     "mapping": {"n3": {"message": {"author": {"role": "user"},
                                    "content": {"content_type": "text", "parts": ["..."]},
                                    "create_time": 1700000100.0},
                        "parent": "n2", "children": []}, ...}}

The visible thread is the path from ``current_node`` up to the root (edited or regenerated
branches are left out). System and tool messages, hidden messages and parts that are not text
(images, files, code runs) are skipped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from localmem.errors import InvalidInputError
from localmem.frontends.chat_import.turns import TurnBuilder, epoch_time

__all__ = ["Conversation", "turns_of", "HINT", "NAME"]

NAME = "chatgpt"
HINT = "is it ChatGPT's conversations.json (Settings > Data controls > Export data)?"
_TEXT_TYPES = ("text", "multimodal_text")
_ROLES = ("user", "assistant")


class Author(BaseModel):
    role: str


class Content(BaseModel):
    content_type: str
    parts: list[Any] | None = None


class Message(BaseModel):
    id: str | None = None
    author: Author
    content: Content
    create_time: float | None = None
    metadata: dict[str, Any] | None = None


class Node(BaseModel):
    message: Message | None = None
    parent: str | None = None
    children: list[str] = []


class Conversation(BaseModel):
    title: str | None = None
    create_time: float | None = None
    mapping: dict[str, Node]
    current_node: str | None = None
    id: str | None = None
    conversation_id: str | None = None


def turns_of(conv: Conversation, label: str) -> TurnBuilder:
    """The user turns of one conversation's visible thread.

    Raises:
        InvalidInputError: no id, a broken thread, a message without a time, or text that
            cannot be stored.
    """
    conversation_id = conv.conversation_id or conv.id
    if not conversation_id:
        raise InvalidInputError(
            f"{label}: it has no id (neither 'id' nor 'conversation_id'); {HINT}"
        )
    builder = TurnBuilder(NAME, conversation_id, conv.title, label)
    for node_id, msg in _thread(conv, label):
        hidden = (msg.metadata or {}).get("is_visually_hidden_from_conversation")
        if msg.author.role not in _ROLES or hidden or msg.content.content_type not in _TEXT_TYPES:
            continue  # not a message a person saw, or not one in words (code runs, settings)
        when = msg.create_time if msg.create_time is not None else conv.create_time
        if when is None:
            raise InvalidInputError(
                f"{label}: message {node_id!r} has no create_time, nor has its conversation"
            )
        said_at = epoch_time(when, f"{label}: message {node_id!r}")
        builder.message(msg.author.role, msg.id or node_id, _text(msg), said_at)
    return builder


def _thread(conv: Conversation, label: str) -> list[tuple[str, Message]]:
    """(node id, message) from the root down to ``current_node``.

    Raises:
        InvalidInputError: no current node, a node missing from the mapping, or a loop.
    """
    if conv.current_node is None:
        if conv.mapping:
            raise InvalidInputError(f"{label}: it has messages but no current_node; {HINT}")
        return []
    path: list[tuple[str, Message]] = []
    seen: set[str] = set()
    node_id: str | None = conv.current_node
    while node_id is not None:
        if node_id in seen:
            raise InvalidInputError(f"{label}: its thread loops back to node {node_id!r}")
        seen.add(node_id)
        node = conv.mapping.get(node_id)
        if node is None:
            raise InvalidInputError(
                f"{label}: node {node_id!r} is on its thread but not in its mapping (cut short?)"
            )
        if node.message is not None:
            path.append((node_id, node.message))
        node_id = node.parent
    return path[::-1]


def _text(msg: Message) -> str:
    """The text parts of a message (images and files are parts that are not strings)."""
    return "\n".join(p for p in msg.content.parts or [] if isinstance(p, str))
