"""The chat generation seam: ``ChatBackend.complete(messages, sampling, stream, model)``.

Both backends return OpenAI-shaped payloads (a completion, or its stream chunks), which the
routes re-issue under their own ids:

    LocalChat     the local GGUF model through its chat template: the memory's own loaded
                  ``LlamaCppLLM`` (one copy of the weights; ``FakeLLM`` in unit tests)
    UpstreamChat  another local OpenAI-compatible server (llama.cpp's server, Ollama, LM Studio)
                  over httpx, streamed through as it arrives

``GenerationGate`` counts the replies being generated, so that the background recorder waits for
a pause instead of competing with a reply for the model and the CPU.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from localmem.backends.llm import LLM
from localmem.errors import ModelError
from localmem.frontends.rest.openai_errors import ChatRequestError

__all__ = ["ChatBackend", "LocalChat", "UpstreamChat", "GenerationGate", "LOCAL_MODEL"]

LOCAL_MODEL = "localmem"  # the one model id the local backend serves


class ChatBackend(ABC):
    """Generates chat replies. Called on a worker thread; the iterator is read there too."""

    @abstractmethod
    def complete(
        self, messages: list[dict[str, str]], sampling: dict[str, Any], stream: bool, model: str,
        usage: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """OpenAI payloads for ``messages``: with ``stream`` the ``chat.completion.chunk``
        dicts as they come, else one ``chat.completion`` dict. ``sampling`` holds any of
        temperature, top_p, max_tokens, stop, seed. With ``stream`` and ``usage`` the last
        chunk should be OpenAI's usage chunk (no choices, a ``usage``); the local model always
        sends it.

        Raises (from the call or from the iterator):
            ChatRequestError, InvalidInputError: the request cannot be served (e.g. the model).
            ModelError: the model, or the upstream server, failed.
        """

    def model_ids(self) -> list[str]:
        """The model ids a request may name (``GET /v1/models``).

        Raises:
            ModelError: the upstream server failed.
        """
        return [LOCAL_MODEL]

    def close(self) -> None:
        """Release connections (nothing by default)."""


class LocalChat(ChatBackend):
    """The local model (``llm()`` is looked up per request: the memory loads it on first use)."""

    def __init__(self, llm: Callable[[], LLM]) -> None:
        self._llm = llm

    def complete(
        self, messages: list[dict[str, str]], sampling: dict[str, Any], stream: bool, model: str,
        usage: bool = False,
    ) -> Iterator[dict[str, Any]]:
        if model not in self.model_ids():
            raise ChatRequestError(
                f"The model '{model}' does not exist: this server's local model is "
                f"'{LOCAL_MODEL}' (GET /v1/models lists it).", "model", "model_not_found", 404)
        result = self._llm().chat_completion(messages, stream=stream, **sampling)
        return iter(result) if stream else iter([result])


class UpstreamChat(ChatBackend):
    """Another OpenAI-compatible server at ``base_url`` (e.g. ``http://127.0.0.1:8080/v1``)."""

    def __init__(self, base_url: str, timeout: float = 300.0, api_key: str | None = None) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # trust_env=False: no proxy from the environment; the request goes where the user said.
        self._http = httpx.Client(timeout=timeout, headers=headers, trust_env=False)

    def complete(
        self, messages: list[dict[str, str]], sampling: dict[str, Any], stream: bool, model: str,
        usage: bool = False,
    ) -> Iterator[dict[str, Any]]:
        payload = {"model": model, "messages": messages, "stream": stream, **sampling}
        if stream and usage:  # asked only when wanted: an older server may refuse the field
            payload["stream_options"] = {"include_usage": True}
        if stream:
            return self._stream(payload)
        with self._guard():
            response = self._http.post(f"{self.base_url}/chat/completions", json=payload)
            return iter([self._json(response)])

    def _stream(self, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        with self._guard(), self._http.stream(
            "POST", f"{self.base_url}/chat/completions", json=payload
        ) as response:
            if response.status_code >= 400:
                response.read()
                self._json(response)  # raises the upstream's refusal
            for line in response.iter_lines():
                data = line.removeprefix("data:").strip() if line.startswith("data:") else None
                if data == "[DONE]":
                    return
                if data:
                    yield self._payload(data)

    def model_ids(self) -> list[str]:
        with self._guard():
            body = self._json(self._http.get(f"{self.base_url}/models"))
        data = body.get("data") if isinstance(body, dict) else None
        return [m["id"] for m in data or () if isinstance(m, dict) and isinstance(m.get("id"), str)]

    def close(self) -> None:
        self._http.close()

    def _guard(self) -> Any:
        return _Translate(self.base_url)

    def _payload(self, data: str) -> dict[str, Any]:
        try:
            body = json.loads(data)
        except ValueError:
            raise ModelError(f"the upstream server {self.base_url} sent a chunk that is not JSON: "
                             f"{data[:100]!r}") from None
        if not isinstance(body, dict):
            raise ModelError(f"the upstream server {self.base_url} sent {data[:100]!r}, not a chunk")
        if isinstance(body.get("error"), dict):
            raise ModelError(f"the upstream server {self.base_url} failed mid-reply: "
                             f"{body['error'].get('message')}")
        return body

    def _json(self, response: Any) -> dict[str, Any]:
        """The upstream's JSON answer; its 4xx passed on as ours (status, message, param).

        Raises:
            ChatRequestError: the upstream refused the request (4xx).
            ModelError: it failed (5xx) or did not answer JSON.
        """
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {"message": str(error or response.text[:200])}
        if 400 <= response.status_code < 500:
            raise ChatRequestError(
                f"the upstream server {self.base_url} refused the request: {error.get('message')}",
                error.get("param"), error.get("code"), response.status_code)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise ModelError(f"the upstream server {self.base_url} failed ({response.status_code}): "
                             f"{error.get('message')}; check its log")
        return body


class GenerationGate:
    """How many replies are being generated; background work waits for none (``wait_idle``)."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._active = 0
        self._ended = 0.0  # time.monotonic() of the last reply's end

    @property
    def active(self) -> int:
        return self._active

    def hold(self, generate: Callable[[], Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """``generate()``'s payloads, the gate held from the call until they are exhausted,
        closed or dropped (a client that goes away mid-stream releases it too).

        Raises:
            whatever ``generate()`` raises (the gate is released first).
        """
        with self._idle:
            self._active += 1
        try:
            return _Held(generate(), self._release)
        except BaseException:
            self._release()
            raise

    def wait_idle(self, timeout: float | None = None, quiet: float = 0.0) -> bool:
        """Block until no reply is generating and none ended in the last ``quiet`` seconds, or
        ``timeout`` seconds have passed; True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while True:
                now = time.monotonic()
                if self._active == 0 and now - self._ended >= quiet:
                    return True
                waits = [quiet - (now - self._ended)] if self._active == 0 else []
                if deadline is not None:
                    if now >= deadline:
                        return False
                    waits.append(deadline - now)
                self._idle.wait(min(waits) if waits else None)

    def _release(self) -> None:
        with self._idle:
            self._active -= 1
            self._ended = time.monotonic()
            if self._active == 0:
                self._idle.notify_all()


class _Held:
    """An iterator that calls ``release`` once, when exhausted, closed, failed or collected."""

    def __init__(self, items: Iterator[dict[str, Any]], release: Callable[[], None]) -> None:
        self._items: Iterator[dict[str, Any]] | None = items
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> _Held:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._items is None:
            raise StopIteration
        try:
            return next(self._items)
        except BaseException:  # StopIteration included: the reply is over
            self.close()
            raise

    def close(self) -> None:
        items, release, self._items, self._release = self._items, self._release, None, None
        try:
            close = getattr(items, "close", None)
            if close is not None:  # a generator releases the model's lock when closed
                close()
        finally:
            if release is not None:
                release()

    __del__ = close


class _Translate:
    """httpx's transport errors as ModelError (503): the upstream is down or too slow."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        import httpx

        if isinstance(exc, httpx.HTTPError):
            raise ModelError(f"the upstream server {self.url} cannot be reached or stopped "
                             f"answering ({type(exc).__name__}: {exc}); start it, or fix "
                             "`localmem serve --upstream`") from exc
        return False
