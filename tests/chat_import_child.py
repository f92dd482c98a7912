"""``localmem import-chats`` in a child process, with an embedder that stalls inside one add.

    python tests/chat_import_child.py HOME STALL_AT import-chats-args...

The STALL_AT-th embedding call (the STALL_AT-th add: one per turn with --no-infer) prints
``stalled`` on stdout and waits for a line on stdin, so a test can kill or interrupt the import
at a known point, inside an add, without timing guesses (test_import_chats.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.frontends.chat_import.command import import_chats
from localmem.frontends.cli import CliState


class StallingEmbedder(HashEmbedder):
    def __init__(self, stall_at: int) -> None:
        super().__init__()
        self.calls, self.stall_at = 0, stall_at

    @property
    def name(self) -> str:
        return f"HashEmbedder-{self.dims}"  # the same vectors: the CLI's --embedder hash reads them

    def embed_many(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.stall_at:
            print("stalled", flush=True)
            sys.stdin.readline()
        return super().embed_many(texts)


def main() -> None:
    home, stall_at, *args = sys.argv[1:]
    memory = Memory(path=home, llm=FakeLLM(), embedder=StallingEmbedder(int(stall_at)))
    try:
        state = CliState(home=Path(home), as_json=False, _memory=memory)
        import_chats.main(args, obj=state, prog_name="localmem import-chats")
    finally:
        memory.close()


if __name__ == "__main__":
    main()
