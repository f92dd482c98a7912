"""Storing an export's turns: one ``Memory.add`` per user turn, resumable, stoppable between adds.

Each add carries the turn's ``import_key`` in its metadata; every add stores its raw messages
with that metadata, so ``Memory.metadata_values`` tells a re-run which turns are already in, and
those are not added again. Each add is one transaction: a kill or a Ctrl-C inside it leaves
nothing of it, and the turns before it stay stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from localmem.frontends.chat_import.turns import KEY_FIELD, ChatTurn
from localmem.memory import Memory

__all__ = ["ChatImporter", "ImportReport"]


@dataclass
class ImportReport:
    """How far an import got."""

    total: int  # user turns in the export
    already: int  # stored by an earlier run, not added again
    added: int = 0  # stored by this run
    stopped: bool = False  # a stop was asked for before every turn was in
    events: dict[str, int] = field(default_factory=dict)  # ADD / UPDATE / DELETE / NONE counts
    seconds: float = 0.0

    @property
    def left(self) -> int:
        """Turns still to add (a re-run adds them)."""
        return self.total - self.already - self.added

    @property
    def rate(self) -> float:
        """Turns added per second by this run."""
        return self.added / self.seconds if self.seconds > 0 else 0.0


class ChatImporter:
    """Adds the turns of an export to ``memory`` for ``user_id``, skipping those already in.

    ``stop_requested`` (set from another thread or a signal handler) ends the run before the
    next add. A ``KeyboardInterrupt`` during an add rolls that add back and propagates;
    ``report`` says how far it got either way.
    """

    def __init__(
        self, memory: Memory, turns: Sequence[ChatTurn], *, user_id: str | None, infer: bool
    ) -> None:
        self.memory, self.user_id, self.infer = memory, user_id, infer
        stored = memory.metadata_values(KEY_FIELD, user_id=user_id)
        self.todo = [t for t in turns if t.key not in stored]
        self.report = ImportReport(total=len(turns), already=len(turns) - len(self.todo))
        self.stop_requested = False

    def run(self, on_added: Callable[[ChatTurn], None] | None = None) -> ImportReport:
        """Add the turns not stored yet, oldest first; ``on_added`` is called after each.

        Raises:
            LocalmemError: an add failed (that add stored nothing; the ones before stay).
            KeyboardInterrupt: during an add (rolled back); ``report`` is up to date.
        """
        start = time.perf_counter()
        try:
            with self.memory.bulk():
                for turn in self.todo[self.report.added :]:
                    if self.stop_requested:
                        self.report.stopped = True
                        break
                    self._add(turn)
                    if on_added is not None:
                        on_added(turn)
        except KeyboardInterrupt:
            self._recount()  # the add it hit may have committed just before
            raise
        finally:
            self.report.seconds += time.perf_counter() - start
        return self.report

    def _recount(self) -> None:
        stored = self.memory.metadata_values(KEY_FIELD, user_id=self.user_id)
        self.report.added = sum(t.key in stored for t in self.todo)

    def _add(self, turn: ChatTurn) -> None:
        events = self.memory.add(
            turn.messages(self.infer), user_id=self.user_id, metadata=turn.metadata(),
            infer=self.infer, timestamp=turn.said_at,
        )
        self.report.added += 1
        for event in events:
            name = event.event.value
            self.report.events[name] = self.report.events.get(name, 0) + 1
