"""The eight endpoints: each is one ``Memory`` verb behind the key's scope.

Handlers are plain ``def``: FastAPI runs them on worker threads, and ``Memory`` is thread-safe.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ConfigDict, TypeAdapter, ValidationError

from localmem.errors import InvalidInputError, RequestTooLargeError
from localmem.frontends.rest.auth import Caller, MemoryOf, owned, scope_for
from localmem.frontends.rest.schemas import (
    AddRequest,
    AddResponse,
    DeleteResponse,
    ErrorResponse,
    Filters,
    HistoryEntry,
    ListQuery,
    MemoryEvent,
    MemoryId,
    MemoryItem,
    ScopeQuery,
    SearchRequest,
    SearchResponse,
    UpdateRequest,
)

__all__ = ["router"]

_ERRORS = {
    400: "bad input (the message says which field and why); nothing was changed",
    401: "no API key, or a wrong or revoked one",
    403: "a user-bound key named another user",
    404: "no such memory (or another user's)",
    413: "the body or the messages are over the server's limit",
    429: "the key is over its rate or concurrency limit; see Retry-After",
    500: "the server failed; the message has an incident id for its log",
    503: "the storage or the model failed; retry later",
}


def _errors(*extra: int) -> dict[int | str, dict[str, Any]]:
    codes = sorted({400, 401, 429, 500, 503, *extra})
    return {c: {"model": ErrorResponse, "description": _ERRORS[c]} for c in codes}


def _no_query(request: Request, _: Caller) -> None:
    """Refuse query parameters on an endpoint that takes none (they would be ignored silently);
    after the key check, so a request without a key still gets 401 first.

    Raises:
        InvalidInputError: the URL has a query string.
    """
    if request.query_params:
        names = sorted(set(request.query_params.keys()))
        raise InvalidInputError(f"unknown query parameter(s) {names}; this endpoint takes none")


router = APIRouter(prefix="/v1/memories", tags=["memories"])
_plain = [Depends(_no_query)]
_filters = TypeAdapter(Filters, config=ConfigDict(strict=True))


def _parse_filters(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        return _filters.validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A union reports every branch; the one that says what is wrong is a value error.
        first = next((e for e in errors if e["type"] == "value_error"), errors[0])
        where = ".".join(map(str, first["loc"]))
        raise InvalidInputError(
            f"filters must be a JSON object of plain values, e.g. {{\"topic\": \"food\"}}: "
            f"{where + ': ' if where else ''}{first['msg']}"
        ) from None


@router.post("", response_model=AddResponse, responses=_errors(403, 413), dependencies=_plain)
def add(body: AddRequest, request: Request, mem: MemoryOf, key: Caller) -> AddResponse:
    """Remember what the messages say (Memory.add)."""
    cap = request.app.state.options.max_add_chars
    chars = body.message_chars()
    if chars > cap:
        raise RequestTooLargeError(
            f"this add has {chars:,} characters of messages, more than the server's {cap:,} per "
            "add; split them into several adds (`localmem serve --max-add-chars` sets the cap)")
    events = mem.add(
        body.memory_messages(), **scope_for(key, body.user_id, body.agent_id, body.run_id),
        metadata=body.metadata, infer=body.infer, prompt=body.prompt, timestamp=body.timestamp,
    )
    return AddResponse(results=events)


@router.post("/search", response_model=SearchResponse, responses=_errors(403), dependencies=_plain)
def search(body: SearchRequest, mem: MemoryOf, key: Caller) -> SearchResponse:
    """The memories most relevant to a query (Memory.search)."""
    results = mem.search(
        body.query, **scope_for(key, body.user_id, body.agent_id, body.run_id),
        limit=body.limit, filters=body.filters, threshold=body.threshold, max_words=body.max_words,
        as_of=body.as_of, rerank=body.rerank,
    )
    return SearchResponse(results=list(results), rerank_error=results.rerank_error)


@router.get("", response_model=SearchResponse, responses=_errors(403))
def get_all(query: Annotated[ListQuery, Query()], mem: MemoryOf, key: Caller) -> SearchResponse:
    """A scope's memories, newest first (Memory.get_all)."""
    results = mem.get_all(**scope_for(key, query.user_id, query.agent_id, query.run_id),
                          limit=query.limit, filters=_parse_filters(query.filters),
                          include_ended=query.include_ended, as_of=query.as_of)
    return SearchResponse(results=list(results))


@router.get("/{memory_id}", response_model=MemoryItem, responses=_errors(404), dependencies=_plain)
def get(memory_id: MemoryId, mem: MemoryOf, key: Caller) -> MemoryItem:
    """One memory by id (Memory.get)."""
    return mem.get(owned(mem, key, memory_id))


@router.put("/{memory_id}", response_model=MemoryEvent, responses=_errors(404), dependencies=_plain)
def update(memory_id: MemoryId, body: UpdateRequest, mem: MemoryOf, key: Caller) -> MemoryEvent:
    """Replace a memory's text (Memory.update)."""
    return mem.update(owned(mem, key, memory_id), body.text, body.metadata)


@router.delete("/{memory_id}", response_model=DeleteResponse, responses=_errors(404),
               dependencies=_plain)
def delete(memory_id: MemoryId, mem: MemoryOf, key: Caller) -> DeleteResponse:
    """Erase one memory everywhere (Memory.delete)."""
    mem.delete(owned(mem, key, memory_id))
    return DeleteResponse(deleted=1)


@router.delete("", response_model=DeleteResponse, responses=_errors(403))
def delete_all(query: Annotated[ScopeQuery, Query()], mem: MemoryOf, key: Caller) -> DeleteResponse:
    """Erase every memory of a scope (Memory.delete_all)."""
    return DeleteResponse(deleted=mem.delete_all(**scope_for(key, query.user_id, query.agent_id,
                                                             query.run_id)))


@router.get("/{memory_id}/history", response_model=list[HistoryEntry], responses=_errors(404),
            dependencies=_plain)
def history(memory_id: MemoryId, mem: MemoryOf, key: Caller) -> list[HistoryEntry]:
    """Every change of a memory and of its other versions, oldest first (Memory.history)."""
    return mem.history(owned(mem, key, memory_id))
