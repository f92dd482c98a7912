"""What the dashboard needs beyond the eight memory verbs, behind the same keys and scope policy.

    GET  /v1/me                       who the key is         -> {"user_id", "admin"}
    GET  /v1/users                    users (admin keys)     -> {"results": [user_id]}
    GET  /v1/stats?user_id=...        counts, disk, models   -> Stats
    GET  /v1/memories/{id}/sources    the raw messages a memory came from -> {"results": [MemoryItem]}
    GET  /v1/export?user_id=...       JSON Lines download (``localmem export``'s format)
    POST /v1/import?replace=false     a JSON Lines body      -> ImportResult

A user-bound key reaches only its own user here too: it may export only its user and import
only an export of its user (the file's header scope says whose it is).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from localmem.errors import AccessDeniedError, InvalidInputError, MemoryNotFoundError
from localmem.frontends.rest.auth import Caller, MemoryOf, owned, scope_for
from localmem.frontends.rest.routes import _errors, _no_query
from localmem.frontends.rest.schemas import MemoryId, ScopeId, ScopeQuery, SearchResponse
from localmem.memory import Memory
from localmem.storage.keys import KeyRecord

__all__ = ["router", "Me", "Users", "Stats", "ImportResult"]

router = APIRouter(prefix="/v1", tags=["dashboard"])
_plain = [Depends(_no_query)]
JSONL = "application/x-ndjson"


class Me(BaseModel):
    user_id: str | None
    admin: bool


class Users(BaseModel):
    results: list[str]


class Models(BaseModel):
    llm: str
    embedder: str
    dims: int


class Stats(BaseModel):
    user_id: str
    memories: int
    messages: int
    disk_bytes: int | None  # admin keys only: the home's files hold every user's data
    models: Models


class ImportResult(BaseModel):
    messages: int
    memories: int
    history: int
    replaced: int


class UserQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: ScopeId | None = None


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replace: bool = False


def _admin(key: KeyRecord) -> None:
    """Raises: AccessDeniedError: the key is bound to a user (403)."""
    if key.user_id is not None:
        raise AccessDeniedError("only an admin key lists users; this key is bound to one user")


def _user_of(key: KeyRecord, user_id: str | None) -> str:
    """The user a request is about: the key's own, or the one an admin key names.

    Raises:
        AccessDeniedError: a user-bound key named another user.
        InvalidInputError: an admin key named no user.
    """
    user = scope_for(key, user_id)["user_id"]
    if user is None:
        raise InvalidInputError("give user_id: an admin key reaches every user, so name one")
    return user


@router.get("/me", response_model=Me, responses=_errors(), dependencies=_plain)
def me(key: Caller) -> Me:
    """The key's user, or that it is an admin key (reaches every user)."""
    return Me(user_id=key.user_id, admin=key.user_id is None)


@router.get("/users", response_model=Users, responses=_errors(403), dependencies=_plain)
def users(request: Request, mem: MemoryOf, key: Caller) -> Users:
    """Users an admin key can pick: those API keys are bound to, and the default user."""
    _admin(key)
    known = {r.user_id for r in request.app.state.keys.list() if r.user_id is not None}
    known.add(mem.config.default_user_id)
    known |= {s.user_id for s in mem.stats().scopes if s.user_id is not None}
    return Users(results=sorted(known))


@router.get("/stats", response_model=Stats, responses=_errors(403))
def stats(query: Annotated[UserQuery, Query()], mem: MemoryOf, key: Caller) -> Stats:
    """A user's counts, the home's disk use (admin keys) and the models in use."""
    user = _user_of(key, query.user_id)
    memories, messages = _counts(mem, user)
    llm = mem.llm
    model_path = getattr(llm, "model_path", None)
    return Stats(
        user_id=user, memories=memories, messages=messages,
        disk_bytes=_disk_bytes(mem) if key.user_id is None else None,
        models=Models(llm=model_path.name if model_path is not None else type(llm).__name__,
                      embedder=mem.embedder.name, dims=mem.embedder.dims),
    )


def _counts(mem: Memory, user: str) -> tuple[int, int]:
    """(memories, raw messages) of a user, over all their agents and runs."""
    scopes = [s for s in mem.stats().scopes if s.user_id == user]
    return sum(s.memories for s in scopes), sum(s.messages for s in scopes)


def _disk_bytes(mem: Memory) -> int | None:
    """Bytes of the files directly in the home (database, WAL, indexes); None in memory."""
    if mem.home is None:
        return None
    return sum(p.stat().st_size for p in mem.home.iterdir() if p.is_file())


@router.get("/memories/{memory_id}/sources", response_model=SearchResponse, responses=_errors(404),
            dependencies=_plain)
def sources(memory_id: MemoryId, mem: MemoryOf, key: Caller) -> SearchResponse:
    """The stored raw messages a memory was drawn from (none for a raw message itself)."""
    item = mem.get(owned(mem, key, memory_id))
    found = []
    for message_id in item.source_message_ids:
        try:
            found.append(mem.get(-message_id))
        except MemoryNotFoundError:  # erased on its own (delete(-id)): the link outlived it
            continue
    return SearchResponse(results=found)


@router.get("/export", responses={200: {"content": {JSONL: {}}}, **_errors(403)})
def export(query: Annotated[ScopeQuery, Query()], mem: MemoryOf, key: Caller) -> Response:
    """A scope's memories, messages and history as JSON Lines (`localmem import` reads it)."""
    scope = scope_for(key, query.user_id, query.agent_id, query.run_id)
    body = "".join(line + "\n" for line in _export_lines(mem, scope))
    name = "-".join(v for v in scope.values() if v) or "all"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(body, media_type=JSONL,
                    headers={"Content-Disposition": f'attachment; filename="localmem-{safe}.jsonl"'})


def _export_lines(mem: Memory, scope: dict[str, str | None]) -> list[str]:
    """``transfer.export_lines`` for a scope, read whole here (a handler answers all or nothing)."""
    from localmem.frontends.transfer import export_lines

    return list(export_lines(mem, **scope))


@router.post("/import", response_model=ImportResult, responses=_errors(403, 413))
async def import_(request: Request, query: Annotated[ImportQuery, Query()], mem: MemoryOf,
                  key: Caller) -> ImportResult:
    """Load an export (the JSON Lines body), keeping ids and timestamps; all of it or nothing."""
    from localmem.frontends.transfer import import_lines

    try:
        lines = (await request.body()).decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidInputError("the export is not UTF-8 text; send the file `localmem export` "
                                "wrote, unchanged") from None
    _check_import_scope(key, lines)
    report = await run_in_threadpool(import_lines, mem, lines, replace=query.replace)
    return ImportResult(messages=report.messages, memories=report.memories,
                        history=report.history, replaced=len(report.replaced))


def _check_import_scope(key: KeyRecord, lines: list[str]) -> None:
    """A user-bound key imports only an export of its own user (import_lines then holds every
    record to the header's scope).

    Raises:
        AccessDeniedError: the header names no user, or another one.
    """
    if key.user_id is None:
        return
    first = next((line for line in lines if line.strip()), "")
    try:
        header: Any = json.loads(first)
    except ValueError:
        return  # not a header: import_lines refuses the file, naming the line
    if not isinstance(header, dict) or header.get("type") != "header":
        return
    scope = header.get("scope")
    if not isinstance(scope, dict) or scope.get("user_id") != key.user_id:
        raise AccessDeniedError(
            f"this API key is bound to user {key.user_id!r}: it can import only an export of "
            f"that user (`localmem export --user {key.user_id}`, or the dashboard's Export)")
