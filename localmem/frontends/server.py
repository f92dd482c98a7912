"""The local REST server: ``Memory``'s verbs as JSON endpoints, behind API keys.

    POST   /v1/memories               add        -> {"results": [MemoryEvent]}
    POST   /v1/memories/search        search     -> {"results": [MemoryItem]}
    GET    /v1/memories?user_id=...   get_all    -> {"results": [MemoryItem]}
    GET    /v1/memories/{id}          get        -> MemoryItem
    PUT    /v1/memories/{id}          update     -> MemoryEvent
    DELETE /v1/memories/{id}          delete     -> {"deleted": 1}
    DELETE /v1/memories?user_id=...   delete_all -> {"deleted": n}
    GET    /v1/memories/{id}/history  history    -> [HistoryEntry]

Every ``/v1`` request needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (401
otherwise, with no data). A key bound to a user reaches only that user's memories: naming another
user is 403, another user's memory id is the same 404 as a missing one. Errors come back as
``{"error": {"type": "<LocalmemError subclass>", "message": "..."}}``; bad input is 4xx, never 500.
The spec is at ``/openapi.json`` (it holds no data, so it needs no key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from localmem.errors import (
    ConfigError,
    InvalidInputError,
    LocalmemError,
    MemoryNotFoundError,
    ModelError,
    StorageError,
)
from localmem.storage.keys import KeyRecord, KeyStore
from localmem.types import HistoryEntry, MemoryEvent, MemoryItem

if TYPE_CHECKING:
    from fastapi import FastAPI

    from localmem.memory import Memory

__all__ = ["create_app", "serve", "error_status", "DEFAULT_HOST", "DEFAULT_PORT", "MAX_BODY_BYTES"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_BODY_BYTES = 16 * 1024 * 1024


# --- wire models ------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeBody(_Body):
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None


class AddRequest(ScopeBody):
    messages: str | dict[str, Any] | list[Any] = Field(
        description="A string, a {'role','content'} dict, or a list of such dicts"
    )
    metadata: dict[str, Any] | None = None
    infer: bool = True
    prompt: str | None = None
    timestamp: float | str | None = Field(
        None, description="when the messages were said: ISO 8601 or epoch seconds"
    )


class SearchRequest(ScopeBody):
    query: str
    limit: int = 5
    filters: dict[str, Any] | None = None
    threshold: float | None = None
    max_words: int | None = Field(
        None, description="context budget: the best items whose texts fit in this many words"
    )


class UpdateRequest(_Body):
    text: str
    metadata: dict[str, Any] | None = None


class AddResponse(BaseModel):
    results: list[MemoryEvent]


class SearchResponse(BaseModel):
    results: list[MemoryItem]


class DeleteResponse(BaseModel):
    deleted: int


class ErrorDetail(BaseModel):
    type: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


# --- errors -----------------------------------------------------------------------------------


class _Denied(Exception):
    """An authentication (401) or authorisation (403) failure."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_status(exc: LocalmemError) -> int:
    """The HTTP status a LocalmemError becomes: 404, 400 for bad input, 503 for backends."""
    if isinstance(exc, MemoryNotFoundError):
        return 404
    if isinstance(exc, (InvalidInputError, ConfigError)):
        return 400
    if isinstance(exc, (StorageError, ModelError)):
        return 503
    return 500


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Any:
    from fastapi.responses import JSONResponse

    body = {"error": {"type": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _body_refused(status: int) -> Any:
    """The error BodyLimit sends: 400 for a bad Content-Length, 413 for a body over the cap."""
    if status == 400:
        return _error(400, "InvalidInputError",
                      "Content-Length must be a whole number of bytes; send the body's length or none")
    mib = MAX_BODY_BYTES // (1024 * 1024)
    return _error(413, "InvalidInputError",
                  f"request body over the {mib} MiB limit; send at most {mib} MiB; "
                  "split the messages into several adds")


def _validation_message(errors: list[dict[str, Any]]) -> str:
    # The offending input is left out on purpose: it may be huge or not encodable.
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    return "invalid request: " + "; ".join(parts[:10])


# --- the app ----------------------------------------------------------------------------------


def create_app(
    home: Path | None = None, memory: Memory | None = None, keys: KeyStore | None = None
) -> FastAPI:
    """The FastAPI app over one home directory (``memory``/``keys`` default to that home's).

    Raises:
        ConfigError, StorageError: the memory or the key database cannot be opened.
    """
    from contextlib import asynccontextmanager

    from fastapi import Depends, FastAPI, Query, Request, Security
    from fastapi.exceptions import RequestValidationError
    from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from localmem.frontends.bodylimit import BodyLimit
    from localmem.paths import home_dir

    home = home_dir(home) if memory is None or keys is None else home
    owns_memory = memory is None
    if memory is None:
        from localmem.memory import Memory

        memory = Memory(path=home)
    keys = keys if keys is not None else KeyStore(home)
    mem: Memory = memory
    key_store: KeyStore = keys

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        if owns_memory:
            mem.close()

    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 503)
    }
    app = FastAPI(
        title="localmem",
        summary="Local long-term memory for AI agents",
        version=_version(),
        lifespan=lifespan,
        responses=responses,
    )
    bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key>")
    header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <key>")

    @app.exception_handler(LocalmemError)
    async def _localmem_error(_: Request, exc: LocalmemError):
        return _error(error_status(exc), type(exc).__name__, str(exc))

    @app.exception_handler(_Denied)
    async def _denied(_: Request, exc: _Denied):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        kind = "AccessDeniedError"
        return _error(exc.status, kind, str(exc), headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, "HTTPError", str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        return _error(422, "InvalidInputError", _validation_message(list(exc.errors())))

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, refuse=_body_refused)

    def principal(
        credentials: HTTPAuthorizationCredentials | None = Security(bearer),
        api_key: str | None = Security(header_key),
    ) -> KeyRecord:
        key = credentials.credentials if credentials is not None else api_key
        record = key_store.verify(key) if key else None
        if record is None:
            raise _Denied(401, "missing or wrong API key; create one with `localmem keys create`")
        return record

    def scope_of(key: KeyRecord, user_id: str | None, agent_id: str | None = None,
                 run_id: str | None = None) -> dict[str, str | None]:
        if key.user_id is not None:
            if user_id is not None and user_id != key.user_id:
                raise _Denied(403, "this API key is bound to another user; it cannot use that user_id")
            user_id = key.user_id
        return {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}

    def owned(key: KeyRecord, memory_id: str) -> str:
        """The id, once a user-bound key may touch that memory; another user's reads as missing."""
        if key.user_id is None:
            return memory_id  # full access: Memory itself checks the id
        try:
            item = mem.get(memory_id)  # InvalidInputError for a bad id
        except MemoryNotFoundError:
            item = None
        if item is None or item.user_id != key.user_id:
            # one message for "missing" and "not yours", so a key learns nothing about others
            raise MemoryNotFoundError(f"no memory has id {memory_id}; list ids with get_all()")
        return memory_id

    @app.post("/v1/memories", response_model=AddResponse, tags=["memories"])
    def add(body: AddRequest, key: KeyRecord = Depends(principal)) -> AddResponse:
        """Remember what the messages say (Memory.add)."""
        events = mem.add(
            body.messages, **scope_of(key, body.user_id, body.agent_id, body.run_id),
            metadata=body.metadata, infer=body.infer, prompt=body.prompt, timestamp=body.timestamp,
        )
        return AddResponse(results=events)

    @app.post("/v1/memories/search", response_model=SearchResponse, tags=["memories"])
    def search(body: SearchRequest, key: KeyRecord = Depends(principal)) -> SearchResponse:
        """The memories most relevant to a query (Memory.search)."""
        results = mem.search(
            body.query, **scope_of(key, body.user_id, body.agent_id, body.run_id),
            limit=body.limit, filters=body.filters, threshold=body.threshold,
            max_words=body.max_words,
        )
        return SearchResponse(results=list(results))

    @app.get("/v1/memories", response_model=SearchResponse, tags=["memories"])
    def get_all(
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: str | None = Query(None, description="a JSON object of exact-match metadata filters"),
        key: KeyRecord = Depends(principal),
    ) -> SearchResponse:
        """A scope's memories, newest first (Memory.get_all)."""
        results = mem.get_all(**scope_of(key, user_id, agent_id, run_id), limit=limit,
                              filters=_json_object(filters, "filters"))
        return SearchResponse(results=list(results))

    @app.get("/v1/memories/{memory_id}", response_model=MemoryItem, tags=["memories"])
    def get(memory_id: str, key: KeyRecord = Depends(principal)) -> MemoryItem:
        """One memory by id (Memory.get)."""
        return mem.get(owned(key, memory_id))

    @app.put("/v1/memories/{memory_id}", response_model=MemoryEvent, tags=["memories"])
    def update(memory_id: str, body: UpdateRequest, key: KeyRecord = Depends(principal)) -> MemoryEvent:
        """Replace a memory's text (Memory.update)."""
        return mem.update(owned(key, memory_id), body.text, body.metadata)

    @app.delete("/v1/memories/{memory_id}", response_model=DeleteResponse, tags=["memories"])
    def delete(memory_id: str, key: KeyRecord = Depends(principal)) -> DeleteResponse:
        """Erase one memory everywhere (Memory.delete)."""
        mem.delete(owned(key, memory_id))
        return DeleteResponse(deleted=1)

    @app.delete("/v1/memories", response_model=DeleteResponse, tags=["memories"])
    def delete_all(
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        key: KeyRecord = Depends(principal),
    ) -> DeleteResponse:
        """Erase every memory of a scope (Memory.delete_all)."""
        return DeleteResponse(deleted=mem.delete_all(**scope_of(key, user_id, agent_id, run_id)))

    @app.get("/v1/memories/{memory_id}/history", response_model=list[HistoryEntry], tags=["memories"])
    def history(memory_id: str, key: KeyRecord = Depends(principal)) -> list[HistoryEntry]:
        """Every change of a memory, oldest first (Memory.history)."""
        return mem.history(owned(key, memory_id))

    return app


def _json_object(raw: str | None, what: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInputError(f"{what} must be a JSON object, e.g. {{\"topic\": \"food\"}}") from None
    if not isinstance(value, dict):
        raise InvalidInputError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _version() -> str:
    from localmem import __version__

    return __version__


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, home: Path | None = None,
    memory: Memory | None = None,
) -> None:
    """Run the server with uvicorn until interrupted (127.0.0.1 by default: this machine only).

    Raises:
        ConfigError: the port is not a valid port number.
    """
    import uvicorn

    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"port must be 1-65535, got {port!r}")
    uvicorn.run(create_app(home, memory=memory), host=host, port=port, log_level="info")
