"""The OpenAI chat wire: the request localmem accepts, and the completion and chunk it returns.

The request is strict like the rest of the server: a field OpenAI defines that localmem does not
do (tools, images, logprobs, n > 1 ...) is refused naming it, and so is a field OpenAI does not
define. The answers are OpenAI's objects, field for field, so its clients parse them unchanged.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from localmem.frontends.rest.openai_errors import UNSUPPORTED

__all__ = [
    "ChatMessage", "ChatRequest", "StreamOptions", "OpenAIErrorResponse", "Reply", "completion",
    "chunk", "usage_chunk", "model_list"
]

_ROLES = ("system", "developer", "user", "assistant")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty_unsupported(cls, data: Any) -> Any:
        # `tools: []` or `logprobs: false` asks for nothing; some clients always send them.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in UNSUPPORTED and v in (None, False, [], {}))}
        return data


def _text_parts(value: Any) -> Any:
    """Content as one string: a list of text parts is joined; any other part is refused."""
    if not isinstance(value, list):
        return value
    texts = []
    for i, part in enumerate(value):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "text" or not isinstance(part.get("text"), str) or set(part) - {"type", "text"}:
            what = f"{kind!r} content parts are" if isinstance(kind, str) else f"part {i} is"
            raise ValueError(f"{what} not supported: localmem's model reads text only; send "
                             "text parts ({\"type\": \"text\", \"text\": ...}) or a string")
        texts.append(part["text"])
    return "\n".join(texts)


class ChatMessage(_Strict):
    role: str
    content: Annotated[str, Field(max_length=1_000_000)]

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value in ("tool", "function"):
            raise ValueError(f"{value} messages are not supported: localmem's chat endpoint runs no tools")
        if value not in _ROLES:
            raise ValueError(f"role must be one of {', '.join(_ROLES)}")
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any) -> Any:
        return _text_parts(value)


class StreamOptions(_Strict):
    """``stream_options``: ``include_usage`` adds OpenAI's last chunk, the usage, no choices."""

    include_usage: bool = False


class ChatRequest(_Strict):
    """``POST /v1/chat/completions``: OpenAI's body, the fields localmem honours."""

    model: Annotated[str, Field(min_length=1, max_length=256)]
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=10_000)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    seed: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] | None = None
    user: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    n: int | None = None

    @field_validator("n")
    @classmethod
    def _one_choice(cls, value: int | None) -> int | None:
        if value not in (None, 1):
            raise ValueError("only n=1 is supported: localmem generates one choice")
        return value

    @field_validator("stream_options")
    @classmethod
    def _only_streamed(cls, value: StreamOptions | None, info: ValidationInfo) -> StreamOptions | None:
        if value is not None and not info.data.get("stream"):
            raise ValueError("stream_options is only allowed with stream=true")
        return value

    @property
    def include_usage(self) -> bool:
        """The streamed answer ends with a usage chunk."""
        return self.stream_options is not None and self.stream_options.include_usage

    @field_validator("stop")
    @classmethod
    def _stops(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value == "" or (isinstance(value, list) and "" in value):
            raise ValueError("a stop sequence cannot be empty")
        return value

    @field_validator("max_completion_tokens")
    @classmethod
    def _one_limit(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("max_tokens") not in (None, value):
            raise ValueError("max_tokens and max_completion_tokens differ; send one of them")
        return value

    def plain_messages(self) -> list[dict[str, str]]:
        """The messages as role/content dicts; ``developer`` is OpenAI's newer name for system."""
        return [{"role": "system" if m.role == "developer" else m.role, "content": m.content}
                for m in self.messages]

    def sampling(self, default_max_tokens: int) -> dict[str, Any]:
        """The generation settings asked for (``max_tokens`` defaulted), for the chat backend."""
        settings = {
            "temperature": self.temperature, "top_p": self.top_p, "stop": self.stop,
            "seed": self.seed,
            "max_tokens": self.max_completion_tokens or self.max_tokens or default_max_tokens,
        }
        return {k: v for k, v in settings.items() if v is not None}


class _ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIErrorResponse(BaseModel):
    """OpenAI's error body, which these routes answer every failure with."""

    error: _ErrorDetail


class Reply:
    """One answer's identity: OpenAI's ``id``, ``created`` and ``model``, shared by its chunks."""

    def __init__(self, model: str) -> None:
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model = model

    def head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model,
                "system_fingerprint": None}


def completion(reply: Reply, content: str, finish: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    message = {"role": "assistant", "content": content, "refusal": None}
    body = reply.head("chat.completion")
    body["choices"] = [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]
    if usage is not None:
        body["usage"] = usage
    return body


def chunk(reply: Reply, delta: dict[str, str], finish: str | None = None,
          usage: bool = False) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object; with ``usage`` (the request asked for it) it carries
    ``"usage": null``, as OpenAI's do before the last."""
    body = reply.head("chat.completion.chunk")
    body["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    if usage:
        body["usage"] = None
    return body


def usage_chunk(reply: Reply, usage: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's last chunk of a stream with ``include_usage``: no choices, the token counts."""
    body = reply.head("chat.completion.chunk")
    body["choices"] = []
    body["usage"] = {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")
                     if k in usage}
    return body


def model_list(ids: list[str], owner: str = "localmem") -> dict[str, Any]:
    """``GET /v1/models``'s answer."""
    return {"object": "list",
            "data": [{"id": i, "object": "model", "created": 0, "owned_by": owner} for i in ids]}

