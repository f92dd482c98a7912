"""``create_app``: the FastAPI app over one home directory; ``serve``: run it with uvicorn.

There is no ``/docs`` page: FastAPI's Swagger UI loads its scripts from a CDN, and this server
makes no network calls. The spec itself is served locally at ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from localmem.errors import ConfigError
from localmem.frontends.rest import dashboard_api, pages
from localmem.frontends.rest.bodylimit import BodyLimit
from localmem.frontends.rest.handlers import CatchAll, body_refusal, install_handlers
from localmem.frontends.rest.limits import KeyLimiter
from localmem.frontends.rest.openai_routes import mount_openai
from localmem.frontends.rest.options import ServerOptions
from localmem.frontends.rest.routes import router
from localmem.memory import Memory
from localmem.storage.keys import KeyStore

__all__ = ["create_app", "serve", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def create_app(
    home: Path | None = None,
    memory: Memory | None = None,
    keys: KeyStore | None = None,
    options: ServerOptions | None = None,
) -> FastAPI:
    """The app over one home directory (``memory``/``keys`` default to that home's; the app
    closes only what it opened).

    Raises:
        ConfigError, StorageError: the memory or the key database cannot be opened.
    """
    from localmem import __version__
    from localmem.paths import home_dir

    options = options or ServerOptions()
    home = home_dir(home) if memory is None or keys is None else home
    owned = memory is None
    memory = memory if memory is not None else Memory(path=home)
    keys = keys if keys is not None else KeyStore(home)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        chat.close()  # stores the chat exchanges still queued, before the memory closes
        if owned:
            memory.close()

    app = FastAPI(
        title="localmem", summary="Local long-term memory for AI agents", version=__version__,
        lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    app.state.memory, app.state.keys, app.state.options = memory, keys, options
    app.state.limiter = KeyLimiter(options.rate, options.burst, options.max_concurrent)
    app.include_router(router)
    app.include_router(dashboard_api.router)
    app.include_router(pages.router)  # the dashboard at /
    chat = mount_openai(app, memory, options)  # /v1/chat/completions, /v1/models
    install_handlers(app)
    app.add_middleware(CatchAll)
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes,
                       refuse=body_refusal(options.max_body_bytes))  # outermost: before anything reads
    app.openapi = _spec_without_422(app)  # type: ignore[method-assign]
    return app


def _spec_without_422(app: FastAPI) -> Any:
    """``app.openapi`` minus FastAPI's stock 422 answer: this server sends bad input as 400 with
    the ErrorResponse body, which every operation documents."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for item in spec.get("paths", {}).values():
                for operation in item.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = spec.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = spec
        return app.openapi_schema

    return openapi


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, home: Path | None = None,
    options: ServerOptions | None = None, memory: Memory | None = None,
) -> None:
    """Run the server with uvicorn until interrupted (127.0.0.1 by default: this machine only).

    Raises:
        ConfigError: the port is not a valid port number.
        StorageError: the memory or the key database cannot be opened.
    """
    import uvicorn

    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"port must be 1-65535, got {port!r}")
    uvicorn.run(create_app(home, memory=memory, options=options), host=host, port=port, log_level="info")
