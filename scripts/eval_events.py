"""Measure event extraction against REALTALK's gold ``events_session_N``, per session.

    python scripts/eval_events.py /work/shared/data/realtalk --chats tune --model fake --cache DIR

For each session and speaker, the stored facts that came from that speaker's turns of that
session (by provenance) are compared with the gold events ("Kate takes an Italian cooking class
and makes pasta."). A fact and an event match when they share at least two content words
(stemmed, stop words and speaker names left out), or the fact's only content word. Precision =
facts matching some event / facts; recall = events matched by some fact / events. Each line is one
session (both speakers); the last lines give the totals per split. Facts that match no event are
not all wrong: the gold lists only a session's main events, so recall is the number to watch.
With ``--cache`` the stores of scripts/eval_memory.py are reused (same key; ``--keep-chatter``
keys its stores apart as there). Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_memory  # noqa: E402
from eval_memory import ModeResult, _backends, chat_store  # noqa: E402
from realtalk import SPLITS, Chat, load_chats, speaker_words  # noqa: E402

from localmem import Memory  # noqa: E402
from localmem.engine.textutil import content_words  # noqa: E402

__all__ = ["Counts", "matches", "session_facts", "score_chat", "main"]


@dataclass
class Counts:
    facts: int = 0
    facts_matched: int = 0
    events: int = 0
    events_matched: int = 0

    def add(self, other: Counts) -> None:
        for name in ("facts", "facts_matched", "events", "events_matched"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        p = self.facts_matched / self.facts if self.facts else 0.0
        r = self.events_matched / self.events if self.events else 0.0
        return (f"precision {p:.3f} ({self.facts_matched}/{self.facts})  "
                f"recall {r:.3f} ({self.events_matched}/{self.events})")


def matches(fact: set[str], event: set[str]) -> bool:
    """Two shared content words, or the fact's only one."""
    shared = len(fact & event)
    return shared >= 2 or (shared == 1 and len(fact) == 1)


def session_facts(memory: Memory, chat: Chat) -> dict[tuple[int, str], list[str]]:
    """(session, speaker) -> texts of the facts whose sources lie in that session."""
    out: dict[tuple[int, str], list[str]] = defaultdict(list)
    dia: dict[int, str] = {}
    for speaker in chat.speakers:
        for item in memory.get_all(user_id=speaker, run_id=chat.id, limit=1_000_000):
            sessions = set()
            for mid in item.source_message_ids:
                if mid not in dia:
                    dia[mid] = memory.get(-mid).metadata.get("dia_id", "")
                if dia[mid].startswith("D"):
                    sessions.add(int(dia[mid][1:].split(":")[0]))
            for n in sessions:
                out[(n, speaker)].append(item.text)
    return out


def score_chat(memory: Memory, chat: Chat) -> dict[int, Counts]:
    """Counts per session of one chat (both speakers together)."""
    names = speaker_words(chat.speakers)
    facts = session_facts(memory, chat)
    out: dict[int, Counts] = {}
    for n, by_speaker in chat.events.items():
        counts = Counts()
        for speaker, events in by_speaker.items():
            gold = [set(content_words(e)) - names for e in events if e.strip()]
            found = [set(content_words(f)) - names for f in facts.get((n, speaker), [])]
            counts.events += len(gold)
            counts.events_matched += sum(any(matches(f, e) for f in found) for e in gold)
            counts.facts += len(found)
            counts.facts_matched += sum(any(matches(f, e) for e in gold) for f in found)
        out[n] = counts
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the realtalk folder")
    parser.add_argument("--chats", default=None, help="tune, heldout, all, N or numbers like 1,3")
    parser.add_argument("--sessions", type=int, default=None, help="use the first N sessions")
    parser.add_argument("--model", default="default", help="catalog name, GGUF path or 'fake'")
    parser.add_argument("--cache", type=Path, default=None, help="eval_memory.py's store cache")
    parser.add_argument("--quiet", action="store_true", help="totals only, no line per session")
    parser.add_argument("--keep-chatter", action="store_true",
                        help="store chatter clauses as memories too (keyed apart, as eval_memory)")
    args = parser.parse_args(argv)
    eval_memory.KEEP_CHATTER[0] = args.keep_chatter
    chats = load_chats(args.data_dir, args.chats, args.sessions)
    totals = {name: Counts() for name in [*SPLITS, "all"]}
    with tempfile.TemporaryDirectory(prefix="localmem-events-") as tmp:
        home = Path(tmp)
        llm, embedder = _backends(args.model, home)
        print(f"model: {args.model}  chats {len(chats)}"
              + ("  keep_chatter" if args.keep_chatter else ""))
        for chat in chats:
            memory = chat_store(chat, "facts", llm, embedder, home, None, None, args.cache,
                                args.sessions, ModeResult())
            number = int(chat.id.split("_")[1])
            for n, counts in score_chat(memory, chat).items():
                if not args.quiet:
                    print(f"  {chat.id:26s} session {n:2d}  {counts.line()}")
                for name, numbers in SPLITS.items():
                    if number in numbers:
                        totals[name].add(counts)
                totals["all"].add(counts)
            memory.close()
    for name, counts in totals.items():
        if counts.events:
            print(f"events {name:8s} {counts.line()}")


if __name__ == "__main__":
    main()
