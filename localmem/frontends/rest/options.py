"""``ServerOptions``: the REST server's limits, one validated object for ``create_app`` and the CLI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from localmem.errors import ConfigError

__all__ = ["ServerOptions", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 16 * 1024 * 1024


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
