"""Who is asking, and what they may touch: API keys, per-key limits and the scope policy.

A key bound to a user reaches only that user's memories: naming another user is 403, and another
user's memory id is the same 404 as a missing one, so a key learns nothing about others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from localmem.errors import AccessDeniedError, AuthenticationError, MemoryNotFoundError
from localmem.memory import Memory
from localmem.storage.keys import KeyRecord

__all__ = ["Caller", "MemoryOf", "scope_for", "owned"]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key>")
_header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <key>")


def _memory(request: Request) -> Memory:
    return request.app.state.memory


def _principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(_bearer),
    api_key: str | None = Security(_header_key),
) -> KeyRecord:
    """The key's record.

    Raises:
        AuthenticationError: no key, or a wrong or revoked one (401).
    """
    key = credentials.credentials if credentials is not None else api_key
    record = request.app.state.keys.verify(key) if key else None
    if record is None:
        raise AuthenticationError("missing or wrong API key; create one with `localmem keys create`")
    return record


async def _admitted(
    request: Request, key: KeyRecord = Depends(_principal)
) -> AsyncIterator[KeyRecord]:
    """The key, once its rate and in-flight limits admit this request (async: runs on the event
    loop, so a refused request never takes a worker thread).

    Raises:
        RateLimitError: over the key's rate or concurrency limit (429).
    """
    limiter = request.app.state.limiter
    limiter.acquire(key.key_id)
    try:
        yield key
    finally:
        limiter.release(key.key_id)


Caller = Annotated[KeyRecord, Depends(_admitted)]
MemoryOf = Annotated[Memory, Depends(_memory)]


def scope_for(
    key: KeyRecord, user_id: str | None, agent_id: str | None = None, run_id: str | None = None
) -> dict[str, str | None]:
    """The scope a request may use: a user-bound key's own user unless it names another.

    Raises:
        AccessDeniedError: a user-bound key named another user (403).
    """
    if key.user_id is not None:
        if user_id is not None and user_id != key.user_id:
            raise AccessDeniedError("this API key is bound to another user; it cannot use that user_id")
        user_id = key.user_id
    return {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}


def owned(memory: Memory, key: KeyRecord, memory_id: int) -> int:
    """``memory_id``, once ``key`` may touch that memory.

    Raises:
        InvalidInputError: not an id.
        MemoryNotFoundError: no such memory, or another user's (the same message for both).
    """
    if key.user_id is None:
        return memory_id  # full access: Memory itself checks the id
    try:
        item = memory.get(memory_id)
    except MemoryNotFoundError:
        item = None
    if item is None or item.user_id != key.user_id:
        raise MemoryNotFoundError(f"no memory has id {memory_id}; list ids with get_all()")
    return memory_id
