"""``PriorityLock``: a model lock that serves a waiting reply before the next background call.

The local model runs one call at a time. A chat reply that someone is waiting for asks with
``urgent()``; a background call (the recorder's extraction, ``with lock:``) waits while any urgent
caller holds or waits for the lock, so a reply waits at most for the one call already running,
not for every call of a whole extraction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PriorityLock"]


class PriorityLock:
    """A non-reentrant lock with two classes of holders: urgent ones go first."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._held = False
        self._urgent_waiting = self._waiting = 0

    @property
    def urgent_waiting(self) -> int:
        """Urgent callers waiting for the lock now."""
        return self._urgent_waiting

    @property
    def waiting(self) -> int:
        """Callers of either kind waiting for the lock now."""
        return self._waiting

    def acquire(self, urgent: bool = False) -> None:
        with self._turn:
            self._waiting += 1
            if urgent:
                self._urgent_waiting += 1
            try:
                self._turn.wait_for(lambda: not self._held and (urgent or not self._urgent_waiting))
            finally:
                self._waiting -= 1
                if urgent:
                    self._urgent_waiting -= 1
                    self._turn.notify_all()  # ordinary waiters may be next
            self._held = True

    def release(self) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()

    def __enter__(self) -> PriorityLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Hold the lock ahead of every ordinary caller that is waiting."""
        self.acquire(urgent=True)
        try:
            yield
        finally:
            self.release()
