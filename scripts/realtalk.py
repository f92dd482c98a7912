"""REALTALK for the eval scripts: loading chats, the fixed tune/held-out split, the store cache.

The split is fixed by chat number so that rules and weights are tuned on one half and only
measured on the other: ``tune`` = chats 1 3 5 7 9, ``heldout`` = chats 2 4 6 8 10 (the two
halves have 7044 and 6280 turns). ``--chats`` takes a split name, ``all``, a count (the first N
chats) or a comma list of chat numbers.

Ingesting is the slow part of an eval (minutes per chat), and retrieval changes do not change
what is stored, so each chat's stores can be kept in a cache folder, keyed by the chat, the
sessions kept, the mode, the model and a hash of the code that writes a store (every
``localmem`` module but retrieval and the frontends). Nothing here is sent anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.engine.textutil import content_words

__all__ = [
    "Chat", "SPLITS", "chat_numbers", "load_chats", "parse_evidence", "date_words", "answer_words",
    "store_key", "QueryCache", "speaker_words", "ALIASES", "turn_messages",
]

SPLITS = {"tune": (1, 3, 5, 7, 9), "heldout": (2, 4, 6, 8, 10)}
_MONTHS = "January February March April May June July August September October November December"
ALIASES = {"Emi": ["Kate", "Emily"], "Muhhamed": ["Muhammad", "Muhammed"]}
_PACKAGE = Path(__file__).resolve().parent.parent / "localmem"
_NOT_STORING = (  # code that never changes a stored row
    "engine/retrieval.py", "engine/packing.py", "engine/signals.py", "engine/context.py",
    "engine/rerank.py", "frontends/",
)
# and code that a verbatim (raw) store never runs: extraction and decisions
_NOT_RAW = ("engine/clauses.py", "engine/extract.py", "engine/facts.py", "engine/attributes.py",
            "engine/worth.py", "engine/worth_examples.py",
            "engine/vocab.py", "engine/decisions.py", "engine/prompts.py")


@dataclass
class Chat:
    id: str
    speakers: list[str]
    turns: list[dict[str, Any]]  # dia_id, speaker, text, when
    qa: list[dict[str, Any]]
    events: dict[int, dict[str, list[str]]]  # session -> speaker -> gold events


def chat_numbers(spec: str | int | None, available: Sequence[int]) -> list[int]:
    """The chat numbers ``spec`` names: a split, ``all``/None, a count, or a comma list."""
    ordered = sorted(available)
    if spec is None or spec == "all":
        return ordered
    if isinstance(spec, int) or spec.isdigit():
        return ordered[: int(spec)]
    if spec in SPLITS:
        return [n for n in SPLITS[spec] if n in ordered]
    try:
        wanted = [int(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        sys.exit(f"--chats {spec!r}: give tune, heldout, all, a count or chat numbers like 1,3")
    return [n for n in wanted if n in ordered]


def load_chats(data_dir: Path, chats: str | int | None = None,
               sessions: int | None = None) -> list[Chat]:
    """REALTALK chats (see ``chat_numbers``), cut to ``sessions`` sessions each.

    A question is kept only when all its evidence lies in the sessions kept.
    """
    files = {int(p.stem.split("_")[1]): p for p in Path(data_dir).glob("Chat_*.json")}
    if not files:
        sys.exit(f"no Chat_*.json files in {data_dir}; pass the realtalk folder")
    return [_chat(files[n], sessions) for n in chat_numbers(chats, list(files))]


def _chat(path: Path, sessions: int | None) -> Chat:
    data = json.loads(path.read_text(encoding="utf-8"))
    numbers = sorted(int(k.split("_")[1]) for k in data if re.fullmatch(r"session_\d+", k))
    keep = set(numbers[:sessions])
    turns = [
        {"dia_id": t["dia_id"], "speaker": t["speaker"], "text": t["clean_text"].strip(),
         "when": datetime.strptime(t["date_time"], "%d.%m.%Y, %H:%M:%S")}
        for n in sorted(keep) for t in data[f"session_{n}"] if t["clean_text"].strip()
    ]
    qa = []
    for q in data["qa"]:
        evidence = parse_evidence(q["evidence"])
        if all(int(e.split(":")[0][1:]) in keep for e in evidence) and (evidence or not sessions):
            qa.append({**q, "evidence": evidence})
    speakers = list(data["name"].values())
    events = {
        n: {s: [e["sub-event"] for e in data.get(f"events_session_{n}", {}).get(agent, [])]
            for s, agent in zip(speakers, ("agent_a", "agent_b"))}
        for n in sorted(keep)
    }
    return Chat(path.stem, speakers, turns, qa, events)


def parse_evidence(raw: list[str]) -> list[str]:
    """Clean dia ids: "D 2:18" -> D2:18, "D17;39" -> D17:39, "D1:2-D1:4" -> D1:2, D1:3, D1:4."""
    out: list[str] = []
    for piece in raw:
        piece = re.sub(r"D\s+(?=\d)", "D", piece)
        piece = re.sub(r"\bD(\d+);(\d+)\b", r"D\1:\2", piece)
        for a, b, c, d in re.findall(r"D(\d+):(\d+)(?:\s*-\s*D(\d+):(\d+))?", piece):
            last = int(d) if c == a and d else int(b)
            out += [f"D{a}:{n}" for n in range(int(b), last + 1)]
    return list(dict.fromkeys(out))


def date_words(text: str) -> str:
    """"29.12.2023" -> "29 December 2023", so answers and labels share one date form."""
    def spell(m: re.Match[str]) -> str:
        return f"{int(m.group(1))} {_MONTHS.split()[int(m.group(2)) - 1]} {m.group(3)}"

    return re.sub(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b", spell, text)


def speaker_words(speakers: list[str]) -> set[str]:
    return {w for s in speakers for n in [s, *ALIASES.get(s, [])] for w in content_words(n)}


def answer_words(answer: str, speakers: list[str]) -> set[str]:
    """The gold answer's content words, speaker names left out."""
    return set(content_words(date_words(answer))) - speaker_words(speakers)


@lru_cache(maxsize=2)
def _code_hash(verbatim: bool = False) -> str:
    skipped = _NOT_STORING + (_NOT_RAW if verbatim else ())
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        rel = path.relative_to(_PACKAGE).as_posix()
        if not rel.startswith(skipped):
            digest.update(rel.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


# Hashed now, when the package is imported: an edit made while a long eval runs must not key
# stores built by the code loaded before it.
_code_hash(), _code_hash(True)


def store_key(chat: Chat, sessions: int | None, mode: str, *parts: object) -> str:
    """A folder name for one chat's store: changes whenever what would be stored changes."""
    extra = hashlib.sha256(repr(parts).encode()).hexdigest()[:8]
    return f"{chat.id}-s{sessions or 'all'}-{mode}-{extra}-{_code_hash(mode == 'raw')}"


def turn_messages(turns: Sequence[dict[str, Any]], i: int) -> list[dict[str, str]]:
    """What one add of turn ``i`` holds: the turn as the user's message, after the other
    speaker's turn just before this speaker's run of turns (same session) as the assistant's,
    so that an answer ("WALL-E, Bolt and Kung Fu Panda") is read with the question it answers.
    """
    turn, start = turns[i], i
    session = turn["dia_id"].split(":")[0]
    while start > 0 and turns[start - 1]["speaker"] == turn["speaker"]:
        start -= 1
    before = turns[start - 1] if start > 0 else None
    said = [{"role": "user", "content": turn["text"]}]
    if before is None or before["dia_id"].split(":")[0] != session:
        return said
    return [{"role": "assistant", "content": before["text"]}, *said]


class QueryCache(Embedder):
    """An embedder that remembers single-text vectors (the questions, asked many times)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.dims, self._seen = inner, inner.dims, {}  # type: ignore[var-annotated]
        self.batch_size = inner.batch_size

    @property
    def name(self) -> str:
        return self.inner.name

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_batch(texts)

    def embed(self, text: str) -> np.ndarray:
        if text not in self._seen:
            self._seen[text] = self.inner.embed(text)
        return self._seen[text]

    def embed_query(self, text: str) -> np.ndarray:
        key = ("query", text)
        if key not in self._seen:
            self._seen[key] = self.inner.embed_query(text)
        return self._seen[key]
