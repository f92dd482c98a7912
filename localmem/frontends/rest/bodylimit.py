"""A cap on request bodies that holds for every body: declared, chunked, or lying about its length.

``BodyLimit`` is a pure ASGI wrapper. Before the app runs it refuses a malformed or negative
``Content-Length`` (400) and one over the cap (413). Then it counts the ``http.request`` bytes the
app pulls from ``receive``, so a chunked body, or one longer than its header says, is refused (413)
as soon as it passes the cap. Nothing is buffered here: the app still reads the body itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit"]


class _BodyTooLarge(Exception):
    """Raised into the app when the body passes the cap, so it stops reading."""


class BodyLimit:
    """Wrap an ASGI app so that no request body past ``max_bytes`` reaches it.

    ``refuse(status)`` builds the response sent instead: 400 for a bad ``Content-Length``, 413 for a
    body over the cap.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, refuse: Callable[[int], ASGIApp]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = _declared_length_status(scope["headers"], self.max_bytes)
        if status is not None:
            await self.refuse(status)(scope, receive, send)
            return

        received = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if not started:
                        # Answer now: the app turns _BodyTooLarge into its own error, which
                        # tracked_send drops, so the client sees this 413 and nothing else.
                        refused = True
                        await self.refuse(413)(scope, receive, send)
                    raise _BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge:
            if not refused:
                raise


def _declared_length_status(headers: list[tuple[bytes, bytes]], max_bytes: int) -> int | None:
    """400 for a malformed or negative Content-Length, 413 for one over the cap, else None."""
    for name, value in headers:
        if name.lower() != b"content-length":
            continue
        if not value.isdigit():  # bytes.isdigit is ASCII-only: refuses "-1", "+1", " ", "1e3", ""
            return 400
        digits = value.lstrip(b"0")
        # compare lengths first: int() of a thousands-digit header is slow, or refused outright
        if len(digits) > len(str(max_bytes)) or int(digits or b"0") > max_bytes:
            return 413
    return None
