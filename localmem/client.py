"""``MemClient``: ``Memory``'s methods over HTTP to a ``localmem serve`` server.

    from localmem import MemClient
    client = MemClient(api_key="lm_...", host="http://127.0.0.1:8765")
    client.add("I'm vegetarian", user_id="ana")

Same names, arguments and return types as ``Memory``, and the same ``LocalmemError`` subclasses:
the server sends each error's type, and the client raises that type again. A server failure is a
``ServerError``; a server that cannot be reached is a ``ServerUnavailableError``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from localmem.errors import (
    ConfigError,
    InvalidInputError,
    LocalmemError,
    ServerError,
    ServerUnavailableError,
    error_from_http,
)
from localmem.types import HistoryEntry, MemoryEvent, MemoryItem, SearchResults

if TYPE_CHECKING:
    import httpx

__all__ = ["MemClient", "DEFAULT_HOST"]

DEFAULT_HOST = "http://127.0.0.1:8765"


class MemClient:
    """A client for the local server with ``Memory``'s interface.

    Args:
        api_key: a key from ``localmem keys create`` (default: ``$LOCALMEM_API_KEY``).
        host: the server's base URL (default ``http://127.0.0.1:8765``, or ``http_client``'s
            base URL when one is given).
        timeout: seconds to wait for one request (adds run the model, so allow time).
        http_client: an ``httpx.Client`` to send requests with (e.g. Starlette's
            ``TestClient(app)``); it stays the caller's: ``close()`` leaves it open.

    Raises:
        ConfigError: no API key, or a host that is not an http(s) URL.
    """

    def __init__(
        self,
        api_key: str | None = None,
        host: str | None = None,
        timeout: float = 300.0,
        *,
        http_client: httpx.Client | None = None,
    ) -> None:
        import os

        api_key = api_key if api_key is not None else os.environ.get("LOCALMEM_API_KEY")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigError("give api_key=... (or set LOCALMEM_API_KEY); create one with "
                              "`localmem keys create`")
        if host is None:
            host = str(http_client.base_url) if http_client is not None else DEFAULT_HOST
        if not isinstance(host, str) or not host.startswith(("http://", "https://")):
            raise ConfigError(f"host must be an http(s) URL such as {DEFAULT_HOST}, got {host!r:.80}")
        self.host = host.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._owns_http = http_client is None
        if http_client is None:
            import httpx

            # never route a local server through a proxy from the environment
            http_client = httpx.Client(timeout=timeout, trust_env=False)
        self._http = http_client

    # -- the Memory verbs --

    def add(
        self,
        messages: str | dict[str, Any] | Sequence[dict[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        prompt: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> list[MemoryEvent]:
        """Remember what the messages say; returns the events applied (see ``Memory.add``)."""
        timestamp = _when(timestamp)
        body = _drop_none(
            messages=list(messages) if isinstance(messages, tuple) else messages,
            user_id=user_id, agent_id=agent_id, run_id=run_id, metadata=metadata, infer=infer,
            prompt=prompt, timestamp=timestamp,
        )
        data = self._request("POST", "/v1/memories", body=body)
        return [MemoryEvent.model_validate(e) for e in data["results"]]

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 5,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        max_words: int | None = None,
        as_of: datetime | str | float | None = None,
        rerank: bool | None = None,
    ) -> SearchResults:
        """Memories of the scope most relevant to ``query``, best first; with ``as_of`` those
        that held then; ``rerank`` asks the server's model to reorder them (see
        ``Memory.search``)."""
        body = _drop_none(query=query, user_id=user_id, agent_id=agent_id, run_id=run_id,
                          limit=limit, filters=filters, threshold=threshold, max_words=max_words,
                          as_of=_when(as_of), rerank=rerank)
        data = self._request("POST", "/v1/memories/search", body=body)
        out = _results(data)
        out.rerank_error = data.get("rerank_error")
        return out

    def get(self, memory_id: int | str) -> MemoryItem:
        """One memory by id (see ``Memory.get``)."""
        return MemoryItem.model_validate(self._request("GET", f"/v1/memories/{_id(memory_id)}"))

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: dict[str, Any] | None = None,
        include_ended: bool = False,
        as_of: datetime | str | float | None = None,
    ) -> SearchResults:
        """The scope's memories, newest first (see ``Memory.get_all``)."""
        params = _drop_none(user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit,
                            filters=_encode(filters).decode() if filters is not None else None,
                            include_ended=include_ended or None, as_of=_when(as_of))
        return _results(self._request("GET", "/v1/memories", params=params))

    def update(
        self, memory_id: int | str, text: str, metadata: dict[str, Any] | None = None
    ) -> MemoryEvent:
        """Replace a memory's text (see ``Memory.update``)."""
        body = _drop_none(text=text, metadata=metadata)
        data = self._request("PUT", f"/v1/memories/{_id(memory_id)}", body=body)
        return MemoryEvent.model_validate(data)

    def delete(self, memory_id: int | str) -> None:
        """Erase a memory everywhere (see ``Memory.delete``)."""
        self._request("DELETE", f"/v1/memories/{_id(memory_id)}")

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Erase every memory of a scope; returns how many went (see ``Memory.delete_all``)."""
        params = _drop_none(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return int(self._request("DELETE", "/v1/memories", params=params)["deleted"])

    def history(self, memory_id: int | str) -> list[HistoryEntry]:
        """Every ADD / UPDATE / DELETE of a memory and its other versions, oldest first (see
        ``Memory.history``)."""
        data = self._request("GET", f"/v1/memories/{_id(memory_id)}/history")
        return [HistoryEntry.model_validate(h) for h in data]

    # -- lifecycle --

    def close(self) -> None:
        """Close the HTTP connection pool (not a client passed in as ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> MemClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MemClient(host={self.host!r})"

    # -- plumbing --

    def _request(
        self, method: str, path: str, *, body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        import httpx

        content = _encode(body) if body is not None else None
        headers = {**self._auth, "Content-Type": "application/json"} if content is not None else self._auth
        try:
            response = self._http.request(method, self.host + path, content=content, params=params,
                                          headers=headers)
        except httpx.InvalidURL as exc:
            raise InvalidInputError(f"cannot build a request for {path!r:.80}: {exc}") from exc
        except httpx.TransportError as exc:
            raise ServerUnavailableError(
                f"cannot reach the localmem server at {self.host} ({exc}); start it with "
                "`localmem serve` or fix host=..."
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success:
            if data is None:
                raise ServerError(f"the server at {self.host} answered {path} with no JSON")
            return data
        raise _error_from(response, data)


def _error_from(response: httpx.Response, data: Any) -> LocalmemError:
    """The LocalmemError the server sent (by its type name), else the one its status means."""
    detail = data.get("error") if isinstance(data, dict) else None
    if isinstance(detail, dict):
        kind, message = detail.get("type"), str(detail.get("message"))
    else:  # not our server's body (a proxy, a crash): keep a bounded bit of what came back
        kind, message = None, f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        retry_after: float | None = float(response.headers.get("Retry-After", ""))
    except ValueError:
        retry_after = None
    return error_from_http(response.status_code, kind, message, retry_after)


def _encode(body: Any) -> bytes:
    """JSON that carries what ``Memory`` would reject (lone surrogates, NaN) to the server intact,
    so the server's validation gives the same error as the library's."""
    try:
        return json.dumps(body, ensure_ascii=True, allow_nan=True).encode("ascii")
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInputError(f"cannot send this value as JSON: {exc}") from None


def _id(memory_id: Any) -> str:
    """A memory id for the URL path; anything that is not a plain integer fails here, like Memory."""
    from localmem.validate import memory_id as check_id

    return str(check_id(memory_id))


def _when(value: Any) -> Any:
    """A datetime as ISO 8601 for the wire; anything else as given (the server checks it)."""
    return value.isoformat() if isinstance(value, datetime) else value


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _results(data: dict[str, Any]) -> SearchResults:
    return SearchResults(MemoryItem.model_validate(item) for item in data["results"])

