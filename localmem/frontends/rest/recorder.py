"""``ExchangeRecorder``: stores each chat exchange in the background, so the reply is not delayed.

One worker thread drains a queue into ``Memory.add``. A failed extraction never reaches the
reply: it is logged, and the exchange is stored verbatim instead (nothing the user said is lost
silently); only if that fails too is the exchange dropped, with an error in the log.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from localmem.errors import LocalmemError
from localmem.memory import Memory

__all__ = ["ExchangeRecorder"]

log = logging.getLogger("localmem.server")


class ExchangeRecorder:
    """A queue of exchanges to ``memory.add``, drained by one daemon thread started on first use.

    ``stored`` and ``failed`` count the exchanges handled (for tests and logs).
    """

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.stored = self.failed = 0
        self._queue: queue.Queue[tuple[list[dict[str, str]], dict[str, Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, messages: list[dict[str, str]], scope: dict[str, Any]) -> None:
        """Queue ``messages`` for ``memory.add(messages, **scope)``; returns at once."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="localmem-recorder",
                                                daemon=True)
                self._thread.start()
        self._queue.put((messages, scope))

    def join(self) -> None:
        """Wait until every exchange submitted so far is stored (or has failed)."""
        self._queue.join()

    def close(self) -> None:
        """Store what is queued, then stop the worker."""
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._store(*item)
            finally:
                self._queue.task_done()

    def _store(self, messages: list[dict[str, str]], scope: dict[str, Any]) -> None:
        try:
            self.memory.add(messages, **scope)
            self.stored += 1
            return
        except LocalmemError as exc:
            log.warning("memory extraction failed for a chat exchange (%s); storing it verbatim",
                        exc)
        except Exception:  # a bug must not kill the worker: the next exchanges still get stored
            log.exception("memory extraction crashed on a chat exchange; storing it verbatim")
        try:
            self.memory.add(messages, **scope, infer=False)
            self.stored += 1
        except Exception:
            self.failed += 1
            log.exception("a chat exchange could not be stored at all; it is lost")
