"""Every failure becomes one JSON body: ``{"error": {"type": "<LocalmemError subclass>", "message"}}``.

The status comes from ``errors.HTTP_STATUS``, the table ``MemClient`` reads back. An exception
that is not ours is logged here with its traceback and answered with a generic 500 that says
nothing about the server's insides; it does not reach uvicorn, which would drop the connection
(the client's next request on it would then fail).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from localmem.errors import (
    AuthenticationError,
    InvalidInputError,
    LocalmemError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    http_status,
)

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["error_response", "install_handlers", "CatchAll", "body_refusal"]

log = logging.getLogger("localmem.server")


def error_response(exc: LocalmemError, status: int | None = None) -> JSONResponse:
    """The JSON answer for ``exc``, with the table's status unless ``status`` is given."""
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    body = {"error": {"type": type(exc).__name__, "message": str(exc)}}
    return JSONResponse(body, status_code=status or http_status(exc), headers=headers or None)


def _validation_message(errors: list[Any]) -> str:
    # The offending input is left out on purpose: it may be huge or not encodable.
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    return "invalid request: " + "; ".join(parts[:10])


async def _localmem_error(_: Request, exc: LocalmemError) -> JSONResponse:
    return error_response(exc)


async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(InvalidInputError(_validation_message(list(exc.errors()))))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Routing's own refusals (no such path, wrong method): the caller's mistake, status kept."""
    message = f"{request.method} {request.url.path}: {exc.detail}; the endpoints are in /openapi.json"
    response = error_response(InvalidInputError(message), exc.status_code)
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


def install_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every known failure into the JSON error body."""
    app.add_exception_handler(LocalmemError, _localmem_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


def body_refusal(max_bytes: int) -> Any:
    """The ``refuse(status)`` BodyLimit calls: 400 for a bad Content-Length, 413 past the cap."""

    def refuse(status: int) -> JSONResponse:
        if status == 400:
            return error_response(InvalidInputError(
                "Content-Length must be a whole number of bytes; send the body's length or none"))
        size = f"{max_bytes // (1024 * 1024)} MiB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
        return error_response(RequestTooLargeError(
            f"request body over the {size} limit; send at most {size}; split the messages into "
            "several adds"))

    return refuse


class CatchAll:
    """Pure ASGI wrapper: an exception that is not ours becomes a logged, generic 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            if started:
                raise  # half an answer is out: only dropping the connection can say it failed
            incident = secrets.token_hex(4)
            log.exception("unexpected error %s on %s %s", incident, scope.get("method"),
                          scope.get("path"))
            response = error_response(ServerError(
                f"the server failed on this request (incident {incident}); its log has the "
                "details: please report them"))
            await response(scope, receive, send)
