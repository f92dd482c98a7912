"""The seed's two conversations through the real local models: what was stored, what search finds.

    python scripts/demo.py [--home DIR]

Runs fully offline with the bundled models (SmolLM2-135M-Instruct GGUF + all-MiniLM-L6-v2).
Without --home it uses a throwaway folder, so every run starts empty.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from localmem import Memory

# The seed's two conversations; the tests load them from here (tests/examples.py).
DAVE: list[dict[str, str]] = [
    {"role": "user", "content": "Hi there! My name is Dave."},
    {"role": "assistant", "content": "Nice to meet you, Dave!"},
    {"role": "user", "content": "I like to build automations."},
]

MOVIES: list[dict[str, str]] = [
    {"role": "user", "content": "I'm planning to watch a movie tonight. Any recommendations?"},
    {"role": "assistant", "content": "How about a thriller movie? They can be quite engaging."},
    {"role": "user", "content": "I'm not a big fan of thriller movies but I love sci-fi movies."},
    {"role": "assistant", "content": "Got it! I'll avoid thriller recommendations and suggest "
                                     "sci-fi movies in the future."},
]

QUESTIONS = [
    ("user123", "What is my name?"),
    ("user123", "What do I do for fun?"),
    ("alice", "What movie should I watch tonight?"),
    ("alice", "Does alice like thrillers?"),
]


def show_add(memory: Memory, messages: list[dict[str, str]], user_id: str) -> None:
    start = time.perf_counter()
    events = memory.add(messages, user_id=user_id)
    took = time.perf_counter() - start
    print(f"\nadd() for {user_id}: {len(events)} event(s) in {took:.2f} s")
    for event in events:
        before = f"  (was: {event.previous_text})" if event.previous_text else ""
        print(f"  {event.event.value:<6} #{event.id} {event.text}{before}")
    report = getattr(memory, "last_extraction", None)
    if report is not None and report.dropped:
        print(f"  dropped {len(report.dropped)} model fact(s) not grounded in the messages: "
              f"{report.dropped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="home directory to use (default: a temporary folder)")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="localmem-demo-")
    print(f"localmem demo; data in {home}")
    with Memory(path=home) as memory:
        show_add(memory, DAVE, "user123")
        show_add(memory, MOVIES, "alice")
        show_add(memory, [{"role": "user", "content": "Actually, my name is Dan."}], "user123")
        for user_id, question in QUESTIONS:
            start = time.perf_counter()
            results = memory.search(question, user_id=user_id, limit=3)
            took = (time.perf_counter() - start) * 1000
            print(f"\nsearch({question!r}, user_id={user_id!r}) in {took:.1f} ms")
            for item in results:
                print(f"  {item.score:6.3f}  [{item.kind}] {item.text}")
        name = [m for m in memory.get_all(user_id="user123") if m.text.startswith("Name")][0]
        print(f"\nhistory of #{name.id} (the chain of what it replaced):")
        for entry in memory.history(name.id):
            why = f"; {entry.reason}" if entry.reason else ""
            print(f"  #{entry.memory_id:<3} {entry.event.value:<6} {entry.old_text!r} -> "
                  f"{entry.new_text!r} ({entry.actor}{why})")
        ended = [m for m in memory.get_all(user_id="user123", include_ended=True)
                 if m.valid_to is not None]
        for old in ended:
            since = old.valid_from.isoformat(timespec="seconds") if old.valid_from else "?"
            print(f"  #{old.id} {old.text!r} held from {since} until "
                  f"{old.valid_to.isoformat(timespec='seconds')} (ended by #{old.ended_by})")


if __name__ == "__main__":
    main()
