"""The wire models: what each endpoint takes and returns, as strict as ``Memory`` itself.

Strict means no coercion: ``limit`` is a JSON integer (not ``true``, ``"5"`` or ``5.0``), ``infer``
a JSON boolean, ``threshold`` a number. What JSON Schema can say (types, integer bounds, lengths)
is said here so the OpenAPI spec states it; the rest (finite numbers, NUL-free text, metadata
depth) is ``Memory``'s own validation, which answers with the library's messages.
Unknown body fields and unknown query parameters are refused (400).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from localmem.types import HistoryEntry, MemoryEvent, MemoryItem
from localmem.validate import MAX_ID_CHARS, MAX_MESSAGES

__all__ = [
    "Message",
    "AddRequest",
    "SearchRequest",
    "UpdateRequest",
    "ListQuery",
    "ScopeQuery",
    "AddResponse",
    "SearchResponse",
    "DeleteResponse",
    "ErrorResponse",
    "HistoryEntry",
    "MemoryEvent",
    "MemoryItem",
    "MemoryId",
    "SEARCH_LIMIT",
    "LIST_LIMIT",
]

SEARCH_LIMIT = 1000  # Memory.search's largest limit
LIST_LIMIT = 1_000_000  # Memory.get_all's
ID_BOUND = 2**62 - 1  # validate.memory_id's range; 0 is refused by Memory (400)

MemoryId = Annotated[int, Field(
    ge=-ID_BOUND, le=ID_BOUND,
    description="a memory's id; a negative id is a stored raw message (0 is never an id)",
)]
ScopeId = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


def _only_float(value: Any) -> Any:
    # Without this an integer past 64 bits fails the int branch and comes back as a float.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("an integer filter value must fit in 64 bits")
    return value


FilterValue = Union[
    bool, str, Annotated[int, Field(ge=-(2**63), le=2**63 - 1)], Annotated[float, BeforeValidator(_only_float)]
]
Filters = dict[str, FilterValue]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Message(_Strict):
    role: Literal["user", "assistant", "system"] = "user"
    content: str
    name: ScopeId | None = None


def _shape(value: Any) -> str | None:
    """Which form of ``messages`` a value is; one form's errors, not three forms' at once."""
    for tag, kind in (("text", str), ("message", dict), ("messages", list)):
        if isinstance(value, kind):
            return tag
    return None


Messages = Annotated[
    Union[
        Annotated[str, Tag("text")],
        Annotated[Message, Tag("message")],
        Annotated[list[Message], Field(max_length=MAX_MESSAGES), Tag("messages")],
    ],
    Discriminator(_shape, custom_error_type="messages_shape",
                  custom_error_message="messages must be a string, a message object or a list of them"),
]


class _Scope(_Strict):
    user_id: ScopeId | None = None
    agent_id: ScopeId | None = None
    run_id: ScopeId | None = None


class AddRequest(_Scope):
    messages: Messages = Field(description="a string, a {'role','content'} object, or a list of them")
    metadata: dict[str, Any] | None = None
    infer: bool = True
    prompt: str | None = None
    timestamp: float | str | None = Field(
        None, description="when the messages were said: ISO 8601 or epoch seconds"
    )

    def message_chars(self) -> int:
        """Characters of message content in this add (what the per-add cap counts)."""
        if isinstance(self.messages, str):
            return len(self.messages)
        listed = self.messages if isinstance(self.messages, list) else [self.messages]
        return sum(len(m.content) for m in listed)

    def memory_messages(self) -> str | dict[str, Any] | list[dict[str, Any]]:
        """``messages`` in the plain form ``Memory.add`` takes."""
        if isinstance(self.messages, str):
            return self.messages
        if isinstance(self.messages, list):
            return [m.model_dump(exclude_none=True) for m in self.messages]
        return self.messages.model_dump(exclude_none=True)


class SearchRequest(_Scope):
    query: str
    limit: int = Field(5, ge=1, le=SEARCH_LIMIT)
    filters: Filters | None = Field(None, description="exact-match metadata filters")
    threshold: float | None = Field(None, description="drop results scoring below this")
    max_words: int | None = Field(
        None, ge=1, le=1_000_000,
        description="context budget: the best items whose texts fit in this many words",
    )
    as_of: float | str | None = Field(
        None, description="answer with the facts that held then (ISO 8601 or epoch seconds); "
        "none: the current ones",
    )
    rerank: bool | None = Field(
        None, description="let the local model reorder the best candidates (slower); none: "
        "the server's config (off by default)",
    )


class UpdateRequest(_Strict):
    text: str
    metadata: dict[str, Any] | None = None


class ScopeQuery(_Scope):
    """The query parameters of ``DELETE /v1/memories`` (query strings are text: ints are parsed)."""

    model_config = ConfigDict(extra="forbid", strict=False)


class ListQuery(ScopeQuery):
    """The query parameters of ``GET /v1/memories``."""

    limit: int = Field(100, ge=1, le=LIST_LIMIT)
    filters: str | None = Field(
        None, description='a JSON object of exact-match metadata filters, e.g. {"topic": "food"}'
    )
    include_ended: bool = Field(False, description="also the facts that stopped holding")
    as_of: str | None = Field(
        None, description="the facts that held then (ISO 8601 or epoch seconds)")


class AddResponse(BaseModel):
    results: list[MemoryEvent]


class SearchResponse(BaseModel):
    results: list[MemoryItem]
    rerank_error: str | None = Field(
        None, description="why a reranked search kept the search order (the model failed)")


class DeleteResponse(BaseModel):
    deleted: int


class ErrorDetail(BaseModel):
    type: str = Field(description="the LocalmemError subclass MemClient raises for it")
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail
