"""The dashboard's files: ``/`` is the page, ``/static/<name>`` its script, style sheet and icon.

They ship inside the package (``rest/static/``): no CDN, no web fonts, no build step. Each
answer carries a Content-Security-Policy that lets the page load only these files and talk only
to this server, so no script, inline or from elsewhere, runs in it; the page holds no data
until it signs in with an API key.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

__all__ = ["router", "CSP", "STATIC"]

CSP = "; ".join([
    "default-src 'self'",
    "connect-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# name -> media type; only these are served (no path ever reaches the file system)
STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _file(name: str) -> bytes:
    return resources.files("localmem.frontends.rest").joinpath("static", name).read_bytes()


@router.get("/")
def page() -> Response:
    """The dashboard page."""
    return Response(_file("index.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """One of the page's files (404, as for any unknown path, when ``name`` is not one)."""
    if name not in STATIC:
        raise HTTPException(404)
    return Response(_file(name), media_type=STATIC[name], headers=_HEADERS)
