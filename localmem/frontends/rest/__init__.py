"""The local REST server: ``Memory``'s verbs as JSON endpoints, behind API keys.

    POST   /v1/memories               add        -> {"results": [MemoryEvent]}
    POST   /v1/memories/search        search     -> {"results": [MemoryItem]}
    GET    /v1/memories?user_id=...   get_all    -> {"results": [MemoryItem]}
    GET    /v1/memories/{id}          get        -> MemoryItem
    PUT    /v1/memories/{id}          update     -> MemoryEvent
    DELETE /v1/memories/{id}          delete     -> {"deleted": 1}
    DELETE /v1/memories?user_id=...   delete_all -> {"deleted": n}
    GET    /v1/memories/{id}/history  history    -> [HistoryEntry]

The dashboard adds ``/`` (the page, see pages.py) and, in dashboard_api.py, ``/v1/me``,
``/v1/users``, ``/v1/stats``, ``/v1/memories/{id}/sources``, ``/v1/export`` and ``/v1/import``.

Every ``/v1`` request needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (401
otherwise, with no data). Errors come back as ``{"error": {"type": "<LocalmemError subclass>",
"message": "..."}}`` with the status ``localmem.errors.HTTP_STATUS`` gives; bad input is 4xx,
never 500. The spec is at ``/openapi.json`` (it holds no data, so it needs no key).

    app.py       create_app (the factory) and serve (uvicorn)
    routes.py    the eight endpoints
    schemas.py   strict request and response models
    auth.py      API keys, per-key limits, the scope policy
    limits.py    the per-key rate and concurrency limiter
    options.py   ServerOptions: body cap, per-add cap, rate limits
    handlers.py  every failure as the one JSON error body
    bodylimit.py the request-body cap (ASGI)
    dashboard_api.py  the dashboard's endpoints; pages.py  its page and files (static/), with CSP
    ui.py        Listening: a socket bound before the server starts (`localmem ui`, tests)
    openai_routes.py   POST /v1/chat/completions, GET /v1/models (OpenAI's API, with memory)
    openai_schemas.py  their request and answers; openai_errors.py  OpenAI's error shape
    generation.py      the chat seam: the local model or an --upstream server
    recorder.py        stores chat exchanges in the background
"""

from localmem.frontends.rest.app import DEFAULT_HOST, DEFAULT_PORT, create_app, serve
from localmem.frontends.rest.options import MAX_BODY_BYTES, ServerOptions

__all__ = ["create_app", "serve", "ServerOptions", "DEFAULT_HOST", "DEFAULT_PORT", "MAX_BODY_BYTES"]
