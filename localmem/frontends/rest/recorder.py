"""``ExchangeRecorder``: stores each chat exchange in the background, so the reply is not delayed.

One worker thread drains a bounded queue into ``Memory.add``, and waits while a reply is being
generated, and a moment after (``GenerationGate``): the reply, and a next request that comes at
once, get the model and the CPU first. Nothing the user said
is lost silently:

- a failed extraction never reaches the reply: it is logged, and the exchange is stored verbatim
  instead; only if that fails too is the exchange dropped, with an error in the log;
- when the queue is full (the model extracts slower than exchanges come), an exchange is stored
  verbatim at once, in the caller's thread (no model call, only its embedding), and a warning
  is logged; the reply says so in its ``X-Localmem-Stored`` header.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Literal

from localmem.errors import LocalmemError
from localmem.frontends.rest.generation import GenerationGate
from localmem.memory import Memory

__all__ = ["ExchangeRecorder", "Stored"]

log = logging.getLogger("localmem.server")

# How long an exchange may wait for the replies to pause before it is extracted anyway, so a
# steady stream of replies cannot hold the queue back for ever.
MAX_WAIT_S = 30.0
# The pause after a reply before an extraction starts: a client that asks again at once (an
# agent, a chat loop) gets the model free, not busy with the last exchange.
QUIET_S = 0.25
# What became of an exchange: queued (to be extracted), stored verbatim (the queue was full) or
# lost (the queue was full and the verbatim write failed; logged as an error).
Stored = Literal["queued", "verbatim", "lost"]
Exchange = tuple[list[dict[str, str]], dict[str, Any]]


class ExchangeRecorder:
    """A queue of at most ``max_queued`` exchanges to ``memory.add``, drained by one daemon
    thread started on first use; with ``gate``, each add waits until no reply is generating.

    ``stored`` counts the exchanges the worker stored (extracted, or verbatim after a failed
    extraction), ``overflowed`` those stored verbatim because the queue was full, ``failed``
    those lost (for tests and logs).
    """

    def __init__(self, memory: Memory, max_queued: int,
                 gate: GenerationGate | None = None) -> None:
        self.memory = memory
        self.gate = gate if gate is not None else GenerationGate()
        self.stored = self.overflowed = self.failed = 0
        self._queue: queue.Queue[Exchange | None] = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def full(self) -> bool:
        """No room for another exchange now (the next ``submit`` would store it verbatim)."""
        return self._queue.full()

    def submit(self, messages: list[dict[str, str]], scope: dict[str, Any]) -> Stored:
        """Queue ``messages`` for ``memory.add(messages, **scope)`` and return at once; when
        the queue is full, store them verbatim now instead (an embedding, no model call)."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="localmem-recorder",
                                                daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait((messages, scope))
            return "queued"
        except queue.Full:
            log.warning("the chat recorder's queue is full (%d exchanges wait for extraction); "
                        "this exchange is stored verbatim, without extraction",
                        self._queue.maxsize)
            return self.store_now(messages, scope)

    def store_now(self, messages: list[dict[str, str]], scope: dict[str, Any]) -> Stored:
        """Store ``messages`` verbatim now, in this thread (for a full queue)."""
        if not self._verbatim(messages, scope):
            return "lost"
        self.overflowed += 1
        return "verbatim"

    def _verbatim(self, messages: list[dict[str, str]], scope: dict[str, Any]) -> bool:
        """Store ``messages`` word for word (no model call); False, logged, if even that fails."""
        try:
            self.memory.add(messages, **scope, infer=False)
            return True
        except Exception:
            self.failed += 1
            log.exception("a chat exchange could not be stored at all; it is lost")
            return False

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
                self.gate.wait_idle(MAX_WAIT_S, quiet=QUIET_S)
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
        if self._verbatim(messages, scope):
            self.stored += 1
