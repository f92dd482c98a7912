"""``ServerOptions``: the REST server's limits, one validated object for ``create_app`` and the CLI."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from localmem.errors import ConfigError

__all__ = ["ServerOptions", "MAX_BODY_BYTES", "MEMORY_TEMPLATE"]

MAX_BODY_BYTES = 16 * 1024 * 1024
# Facts first, then the instruction (the terminal chat's wording, measured there on both models).
MEMORY_TEMPLATE = (
    "Facts about the user:\n{memories}\n"
    "Use these facts when they help answer the user."
)


class ServerOptions(BaseModel):
    """How much one request, and one API key, may ask of the server.

    The defaults keep one busy key from starving the others: an add over ``max_add_chars`` is
    refused (413), and each key gets ``rate`` requests a second (bursts up to ``burst``) with at
    most ``max_concurrent`` in flight; past either it gets 429 with ``Retry-After``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1, description="largest request body, in bytes")
    max_add_chars: int = Field(
        100_000, ge=1, description="most characters of message content in one add"
    )
    rate: float = Field(
        20.0, ge=0, description="requests a second per API key, refilled steadily; 0 = no limit"
    )
    burst: int = Field(40, ge=1, description="requests a key may send at once before `rate` applies")
    max_concurrent: int = Field(4, ge=1, description="requests of one key in flight at a time")
    # The OpenAI-compatible chat endpoint (/v1/chat/completions).
    memory_template: str = Field(
        MEMORY_TEMPLATE, min_length=1,
        description="system text the recalled memories go into; must hold {memories}")
    memory_words: int = Field(150, ge=1, description="word budget of the recalled memories")
    memory_limit: int = Field(5, ge=1, le=100, description="most memories recalled per reply")
    chat_max_tokens: int = Field(512, ge=1, description="max_tokens when a request sends none")
    chat_record_queue: int = Field(
        64, ge=1, le=100_000,
        description="chat exchanges waiting to be extracted into memories; when full, an "
                    "exchange is stored verbatim at once (X-Localmem-Stored: verbatim)")
    upstream: str | None = Field(
        None, description="base URL of another OpenAI-compatible server to generate with, e.g. "
                    "http://127.0.0.1:8080/v1 (default: the local GGUF model)")
    upstream_timeout: float = Field(300.0, gt=0, description="seconds to wait on the upstream")

    @field_validator("memory_template")
    @classmethod
    def _has_slot(cls, value: str) -> str:
        if "{memories}" not in value:
            raise ValueError("must contain {memories}, where the recalled memories go")
        return value

    @field_validator("upstream")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
            raise ValueError(f"{value[:80]!r} is not an http(s) URL; give the server's base URL, "
                             "e.g. http://127.0.0.1:8080/v1")
        return value

    @classmethod
    def of(cls, **values: Any) -> ServerOptions:
        """Options from keyword values, ``None`` meaning the default.

        Raises:
            ConfigError: a value is of the wrong type or out of range.
        """
        try:
            return cls(**{k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise ConfigError(f"invalid server option: {problems}") from None
