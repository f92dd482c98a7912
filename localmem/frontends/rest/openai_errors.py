"""Errors on the OpenAI-compatible routes, in OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}``, so OpenAI clients raise their usual errors.

The status still comes from ``errors.HTTP_STATUS``; only the body differs from the rest of the
server. ``OpenAIRoute`` applies it to everything a route raises, its key check and its body
validation included (the app's handlers would answer those in localmem's own shape).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from localmem.errors import (
    AuthenticationError,
    InvalidInputError,
    LocalmemError,
    RateLimitError,
    http_status,
)

__all__ = ["ChatRequestError", "OpenAIRoute", "openai_error", "error_body", "UNSUPPORTED"]

# OpenAI request fields localmem does not do, and why: asking for one is refused (400), never
# ignored. A value that asks for nothing (null, false, [], {}) is let through.
UNSUPPORTED: dict[str, str] = {
    "tools": "localmem's chat endpoint runs no tools",
    "tool_choice": "localmem's chat endpoint runs no tools",
    "parallel_tool_calls": "localmem's chat endpoint runs no tools",
    "functions": "localmem's chat endpoint runs no functions",
    "function_call": "localmem's chat endpoint runs no functions",
    "tool_calls": "localmem's chat endpoint runs no tools",
    "tool_call_id": "localmem's chat endpoint runs no tools",
    "logprobs": "log probabilities are not returned",
    "top_logprobs": "log probabilities are not returned",
    "logit_bias": "logit bias is not applied",
    "response_format": "structured output is not offered",
    "presence_penalty": "penalties are not applied",
    "frequency_penalty": "penalties are not applied",
    "modalities": "only text is generated",
    "audio": "only text is generated",
    "prediction": "predicted outputs are not used",
    "reasoning_effort": "the local model does not reason in steps",
    "web_search_options": "nothing is searched on the web",
    "store": "completions are not stored for OpenAI's dashboard",
    "metadata": "completions are not stored for OpenAI's dashboard",
    "service_tier": "there is one local tier",
    "name": "participant names are not passed to the model",
    "refusal": "refusal messages are not passed to the model",
}

_CODES = {401: "invalid_api_key", 403: "permission_denied", 404: "not_found",
          413: "request_too_large", 429: "rate_limit_exceeded"}


class ChatRequestError(InvalidInputError):
    """A chat request localmem cannot do; names the field (``param``) and OpenAI's ``code``."""

    def __init__(
        self, message: str, param: str | None = None, code: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.param, self.code, self.status = param, code, status


def error_body(exc: LocalmemError) -> tuple[int, dict[str, Any]]:
    """The status and OpenAI-shaped body for ``exc``."""
    status = exc.status if isinstance(exc, ChatRequestError) else http_status(exc)
    kind = ("invalid_request_error" if status < 500 else "server_error")
    if isinstance(exc, RateLimitError):
        kind = "requests"
    code = exc.code if isinstance(exc, ChatRequestError) else _CODES.get(status)
    param = exc.param if isinstance(exc, ChatRequestError) else None
    return status, {"error": {"message": str(exc), "type": kind, "param": param, "code": code}}


def openai_error(exc: LocalmemError) -> JSONResponse:
    """The JSON answer for ``exc`` on an OpenAI route."""
    status, body = error_body(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return JSONResponse(body, status_code=status, headers=headers or None)


def _param(loc: Sequence[Any]) -> str | None:
    """``("body", "messages", 0, "content")`` -> ``messages[0].content``."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" not in str(part) and part not in ("str", "int", "float"):  # not a union tag
            out += f".{part}" if out else str(part)
    return out or None


def from_validation(errors: Sequence[Mapping[str, Any]]) -> ChatRequestError:
    """The first problem of a request body, as OpenAI words it (the offending value left out:
    it may be huge)."""
    first = errors[0] if errors else {"type": "invalid", "loc": (), "msg": "invalid"}
    param, kind = _param(first.get("loc", ())), first.get("type")
    name = param.rsplit(".", 1)[-1] if param else ""
    if kind == "json_invalid":
        return ChatRequestError("We could not parse the JSON body of your request: send a JSON "
                                f"object ({first.get('msg', 'invalid')}).", None, "invalid_json")
    if param is None:
        return ChatRequestError(f"Invalid request: {first.get('msg', 'invalid')}; the body is a "
                                "JSON object with 'model' and 'messages'", None, "invalid_value")
    if kind == "extra_forbidden" and name in UNSUPPORTED:
        return ChatRequestError(f"'{param}' is not supported: {UNSUPPORTED[name]}; remove it.",
                                param, "unsupported_parameter")
    if kind == "extra_forbidden":
        return ChatRequestError(f"Unrecognized request argument supplied: {param}", param,
                                "unknown_parameter")
    if kind == "missing":
        return ChatRequestError(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return ChatRequestError(f"Invalid value for '{param}': {message}", param, "invalid_value")


class OpenAIRoute(APIRoute):
    """A route whose every failure, the key check and body validation included, is answered in
    OpenAI's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except LocalmemError as exc:
                return openai_error(exc)
            except RequestValidationError as exc:
                return openai_error(from_validation(list(exc.errors())))

        return run
