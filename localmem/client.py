"""``MemClient``: ``Memory``'s methods over HTTP to a ``localmem serve`` server.

    from localmem import MemClient
    client = MemClient(api_key="lm_...", host="http://127.0.0.1:8765")
    client.add("I'm vegetarian", user_id="ana")

Same names, arguments and return types as ``Memory``, and the same ``LocalmemError`` subclasses:
the server sends each error's type, and the client raises that type again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from localmem import errors
from localmem.errors import AccessDeniedError, ConfigError, InvalidInputError, LocalmemError, StorageError
from localmem.types import HistoryEntry, MemoryEvent, MemoryItem, SearchResults

__all__ = ["MemClient", "DEFAULT_HOST"]

DEFAULT_HOST = "http://127.0.0.1:8765"


class MemClient:
    """A client for the local server with ``Memory``'s interface.

    Args:
        api_key: a key from ``localmem keys create`` (default: ``$LOCALMEM_API_KEY``).
        host: the server's base URL.
        timeout: seconds to wait for one request (adds run the model, so allow time).

    Raises:
        ConfigError: no API key, or a host that is not an http(s) URL.
    """

    def __init__(
        self, api_key: str | None = None, host: str = DEFAULT_HOST, timeout: float = 300.0
    ) -> None:
        import os

        import httpx

        api_key = api_key if api_key is not None else os.environ.get("LOCALMEM_API_KEY")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigError("give api_key=... (or set LOCALMEM_API_KEY); create one with "
                              "`localmem keys create`")
        if not isinstance(host, str) or not host.startswith(("http://", "https://")):
            raise ConfigError(f"host must be an http(s) URL such as {DEFAULT_HOST}, got {host!r:.80}")
        self.host = host.rstrip("/")
        self._http = httpx.Client(
            base_url=self.host,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            trust_env=False,  # never route a local server through a proxy from the environment
        )

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
        if isinstance(timestamp, datetime):
            timestamp = timestamp.isoformat()
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
    ) -> SearchResults:
        """Memories of the scope most relevant to ``query``, best first (see ``Memory.search``)."""
        body = _drop_none(query=query, user_id=user_id, agent_id=agent_id, run_id=run_id,
                          limit=limit, filters=filters, threshold=threshold, max_words=max_words)
        return _results(self._request("POST", "/v1/memories/search", body=body))

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
    ) -> SearchResults:
        """The scope's memories, newest first (see ``Memory.get_all``)."""
        params = _drop_none(user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit,
                            filters=_encode(filters).decode() if filters is not None else None)
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
        """Every ADD / UPDATE / DELETE of a memory, oldest first (see ``Memory.history``)."""
        data = self._request("GET", f"/v1/memories/{_id(memory_id)}/history")
        return [HistoryEntry.model_validate(h) for h in data]

    # -- lifecycle --

    def close(self) -> None:
        """Close the HTTP connection pool."""
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
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self._http.request(method, path, content=content, params=params,
                                          headers=headers)
        except httpx.InvalidURL as exc:
            raise InvalidInputError(f"cannot build a request for {path!r:.80}: {exc}") from exc
        except httpx.TransportError as exc:
            raise ConfigError(
                f"cannot reach the localmem server at {self.host} ({exc}); start it with "
                "`localmem serve` or fix host=..."
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success:
            if data is None:
                raise StorageError(f"the server at {self.host} answered {path} with no JSON")
            return data
        raise _error_from(response.status_code, data)


def _error_from(status: int, data: Any) -> LocalmemError:
    """The LocalmemError the server described (by its type name), else one chosen by status."""
    detail = data.get("error") if isinstance(data, dict) else None
    kind = detail.get("type") if isinstance(detail, dict) else None
    message = str(detail.get("message")) if isinstance(detail, dict) else f"HTTP {status}"
    cls = getattr(errors, kind, None) if isinstance(kind, str) and kind in errors.__all__ else None
    if isinstance(cls, type) and issubclass(cls, LocalmemError):
        return cls(message)
    if status == 401:
        return AccessDeniedError(f"the server rejected the API key: {message}")
    if status == 403:
        return AccessDeniedError(f"this API key may not do that: {message}")
    if status == 404:
        return errors.MemoryNotFoundError(message)
    if 400 <= status < 500:
        return InvalidInputError(message)
    return StorageError(f"the server failed (HTTP {status}): {message}")


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


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _results(data: dict[str, Any]) -> SearchResults:
    return SearchResults(MemoryItem.model_validate(item) for item in data["results"])

