"""Sample chat exports in the documented shapes of ChatGPT's and Claude's ``conversations.json``,
written here (nothing fetched): small hand-made ones with the awkward parts (branches, system and
tool messages, images), and generated ones of any size (tests, scripts/bench_import_chats.py)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def gpt_node(node_id: str, role: str | None, parts: list[Any] | None, parent: str | None,
             children: list[str], when: float | None = None, content_type: str = "text",
             **message_extra: Any) -> dict[str, Any]:
    """One node of a ChatGPT mapping (``role=None``: the empty root)."""
    message = None
    if role is not None:
        message = {"id": node_id, "author": {"role": role, "name": None, "metadata": {}},
                   "create_time": when, "update_time": None,
                   "content": {"content_type": content_type, "parts": parts},
                   "status": "finished_successfully", "weight": 1.0, "metadata": {},
                   "recipient": "all", **message_extra}
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def chatgpt_sample() -> list[dict[str, Any]]:
    """Two conversations: one with a hidden system message, an image, a tool call and a
    regenerated reply (the thread follows current_node); one whose messages have no times."""
    hidden = {"is_visually_hidden_from_conversation": True}
    mapping = {
        "root": gpt_node("root", None, None, None, ["sys"]),
        "sys": gpt_node("sys", "system", [""], "root", ["u1"], metadata=hidden),
        "u1": gpt_node("u1", "user", ["I moved to Lisbon last spring."], "sys", ["a1"], T0 + 10),
        "a1": gpt_node("a1", "assistant", ["Lisbon is lovely. What brought you there?"], "u1",
                       ["u2"], T0 + 20),
        "u2": gpt_node("u2", "user", [{"content_type": "image_asset_pointer", "asset_pointer":
                                       "file-service://x"}, "I work as a nurse there."],
                       "a1", ["t1"], T0 + 30, content_type="multimodal_text"),
        "t1": gpt_node("t1", "tool", ["search results"], "u2", ["a2-old", "a2"], T0 + 35),
        "a2-old": gpt_node("a2-old", "assistant", ["A first answer, regenerated."], "t1", [],
                           T0 + 40),
        "a2": gpt_node("a2", "assistant", ["Nursing is demanding work."], "t1", ["u3"], T0 + 41),
        "u3": gpt_node("u3", "user", [{"content_type": "image_asset_pointer"}], "a2", ["u4"],
                       T0 + 50, content_type="multimodal_text"),
        "u4": gpt_node("u4", "user", ["My sister Ana visits in June."], "u3", [], T0 + 60),
    }
    untimed = {
        "r": gpt_node("r", None, None, None, ["x1"]),
        "x1": gpt_node("x1", "user", ["I am allergic to peanuts."], "r", ["x2"]),
        "x2": gpt_node("x2", "assistant", ["Noted."], "x1", [], None, content_type="code"),
    }
    return [
        {"title": "Moving to Lisbon", "create_time": T0, "update_time": T0 + 60,
         "mapping": mapping, "current_node": "u4", "id": "conv-lisbon",
         "conversation_id": "conv-lisbon", "is_archived": False},
        {"title": None, "create_time": T0 - 86_400, "mapping": untimed, "current_node": "x2",
         "id": "conv-untitled"},
    ]


def claude_sample() -> list[dict[str, Any]]:
    """Two conversations: text blocks, a tool call, a message with only a ``text`` field."""
    def msg(uuid: str, sender: str, text: str, when: str, content: Any = None) -> dict[str, Any]:
        blocks = content if content is not None else [{"type": "text", "text": text}]
        return {"uuid": uuid, "sender": sender, "text": text, "content": blocks,
                "created_at": when, "updated_at": when, "attachments": [], "files": []}

    return [
        {"uuid": "c-garden", "name": "Garden plans", "created_at": "2024-05-01T09:00:00.000000Z",
         "updated_at": "2024-05-01T09:10:00.000000Z", "account": {"uuid": "acct"},
         "chat_messages": [
             msg("m1", "human", "I grow tomatoes on my balcony.", "2024-05-01T09:00:05.000000Z"),
             msg("m2", "assistant", "Tomatoes like sun.", "2024-05-01T09:00:09.000000Z",
                 [{"type": "tool_use", "name": "search", "input": {}},
                  {"type": "text", "text": "Tomatoes like sun."}]),
             msg("m3", "human", "My cat Miso eats the leaves.", "2024-05-01T09:01:00.000000Z",
                 []),
         ]},
        {"uuid": "c-empty", "name": "", "created_at": "2024-04-01T08:00:00Z",
         "chat_messages": []},
    ]


def generated_chatgpt(conversations: int, turns: int, texts: list[str] | None = None
                      ) -> list[dict[str, Any]]:
    """``conversations`` linear conversations of ``turns`` user messages, each answered."""
    out = []
    for c in range(conversations):
        mapping = {"root": gpt_node("root", None, None, None, ["u0"])}
        parent = "root"
        for t in range(turns):
            n = c * turns + t
            text = texts[n % len(texts)] if texts else f"note {n}: the number {n} is mine"
            when = T0 + n * 60
            mapping[f"u{t}"] = gpt_node(f"u{t}", "user", [text], parent, [f"a{t}"], when)
            nxt = [f"u{t + 1}"] if t + 1 < turns else []
            mapping[f"a{t}"] = gpt_node(f"a{t}", "assistant", [f"reply {n}"], f"u{t}", nxt,
                                        when + 1)
            parent = f"a{t}"
        out.append({"title": f"chat {c}", "create_time": T0 + c * turns * 60, "mapping": mapping,
                    "current_node": parent, "id": f"conv-{c}"})
    return out


def write_json(path: Path, conversations: Any) -> Path:
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def write_zip(path: Path, conversations: Any, member: str = "conversations.json") -> Path:
    """A zip like ChatGPT's export: conversations.json next to chat.html and a user file."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"id": "user-1"}))
        archive.writestr("chat.html", "<html></html>")
        archive.writestr(member, json.dumps(conversations))
    return path
