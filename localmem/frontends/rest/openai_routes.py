"""The OpenAI-compatible endpoints: a chat that remembers, for any OpenAI client.

    POST /v1/chat/completions   OpenAI's chat completion, streamed (SSE) or not
    GET  /v1/models             the model ids a request may name

Each reply: recall the scope's memories relevant to the last user message (under a word budget)
into a system message, generate (local model or ``--upstream``), answer, then store the exchange
in the background: the user's messages since the last answer, and this answer. The scope is the
key's user, or for an admin key the body's ``user`` or the ``X-Localmem-User`` header.
``X-Localmem-Memory: off`` makes a turn neither recall nor store. The answer's
``X-Localmem-Stored`` says what became of the exchange: ``queued`` (to be extracted in the
background), ``verbatim`` (the recorder's queue was full: stored as said, without extraction),
``lost`` (not stored: see the log) or ``no`` (nothing to store). A streamed answer says it at
its start: ``queued`` is then a forecast (if the queue fills meanwhile, the log says
``verbatim``). ``stream_options: {"include_usage": true}`` ends a stream with OpenAI's usage
chunk.
Errors are OpenAI's shape (``openai_errors``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from localmem.errors import AccessDeniedError, LocalmemError
from localmem.frontends.rest.auth import Caller, scope_for
from localmem.frontends.rest.generation import ChatBackend, GenerationGate, LocalChat, UpstreamChat
from localmem.frontends.rest.openai_errors import ChatRequestError, OpenAIRoute, error_body
from localmem.frontends.rest.openai_schemas import (
    ChatRequest,
    OpenAIErrorResponse,
    Reply,
    chunk,
    completion,
    model_list,
    usage_chunk,
)
from localmem.frontends.rest.options import ServerOptions
from localmem.frontends.rest.recorder import ExchangeRecorder, Stored
from localmem.memory import Memory
from localmem.types import MemoryItem

__all__ = ["ChatService", "mount_openai", "router", "with_memories", "USER_HEADER", "MEMORY_HEADER",
           "STORED_HEADER"]

log = logging.getLogger("localmem.server")

USER_HEADER = "X-Localmem-User"
MEMORY_HEADER = "X-Localmem-Memory"
RECALLED_HEADER = "X-Localmem-Memories"  # the answer says how many memories went in
STORED_HEADER = "X-Localmem-Stored"  # and what became of the exchange

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)
_ERRORS = {
    400: "bad or unsupported input; the error's param names the field", 401: "no or a wrong key",
    403: "a user-bound key named another user", 404: "no such model",
    429: "the key is over its rate or concurrency limit; see Retry-After",
    500: "the server failed", 503: "the model (or the upstream server) failed; retry later",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": OpenAIErrorResponse, "description": _ERRORS[c]}
            for c in sorted({400, 401, 429, 500, 503, *codes})}


@dataclass
class ChatService:
    """What the chat routes use: the memory, a generation backend, the background recorder,
    and the gate that makes the recorder wait while a reply is generated."""

    memory: Memory
    backend: ChatBackend
    recorder: ExchangeRecorder
    options: ServerOptions
    gate: GenerationGate

    def close(self) -> None:
        """Store the exchanges still queued, then release the backend."""
        self.recorder.close()
        self.backend.close()


def mount_openai(app: FastAPI, memory: Memory, options: ServerOptions) -> ChatService:
    """Add the routes to ``app``; the backend is ``options.upstream``'s server, else the local
    model of ``memory``. The caller closes the returned service on shutdown."""
    backend: ChatBackend = (
        UpstreamChat(options.upstream, options.upstream_timeout) if options.upstream
        else LocalChat(lambda: memory.llm)
    )
    gate = GenerationGate()
    recorder = ExchangeRecorder(memory, options.chat_record_queue, gate)
    app.state.openai = ChatService(memory, backend, recorder, options, gate)
    app.include_router(router)
    return app.state.openai


def _service(request: Request) -> ChatService:
    return request.app.state.openai


@router.get("/models", summary="The model ids a chat request may name (OpenAI's list)",
            responses=_errors())
async def models(request: Request, _: Caller) -> JSONResponse:
    ids = await run_in_threadpool(_service(request).backend.model_ids)
    return JSONResponse(model_list(ids))


@router.post("/chat/completions", summary="A chat completion that remembers (OpenAI's API)",
             responses={200: {"description": "a chat.completion, or with stream=true its chunks "
                                             "as text/event-stream"}, **_errors(403, 404)})
async def chat_completions(body: ChatRequest, request: Request, key: Caller) -> Any:
    """Recall, generate, answer; the exchange is stored after the answer, in the background."""
    service = _service(request)
    scope = _scope(key, body.user, request.headers.get(USER_HEADER))
    remember = _memory_on(request.headers.get(MEMORY_HEADER))
    messages = body.plain_messages()
    question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), None)
    recalled: list[MemoryItem] = []
    if remember and question and question.strip():
        recalled = await run_in_threadpool(_recall, service, question, scope)
        messages = with_memories(messages, recalled, service.options.memory_template)
    turn = Turn(service, Reply(body.model), messages, body.sampling(service.options.chat_max_tokens),
                scope, _new_turns(body.plain_messages()) if remember else [], body.include_usage)
    headers = {RECALLED_HEADER: str(len(recalled))}
    if body.stream:
        return await turn.stream(headers)
    answer, stored = await run_in_threadpool(turn.complete)
    return JSONResponse(answer, headers={**headers, STORED_HEADER: stored})


def _scope(key: Any, user: str | None, header: str | None) -> dict[str, Any]:
    """The user this turn belongs to: the key's own, else the body's ``user`` or the header.

    Raises:
        ChatRequestError: an admin key named no user, or two different ones.
        AccessDeniedError: a user-bound key named another user (403).
    """
    if user is not None and header is not None and user != header:
        raise ChatRequestError(f"'user' ({user!r}) and the {USER_HEADER} header ({header!r}) "
                               "name different users; send one of them", "user", "invalid_value")
    named = user if user is not None else header
    if key.user_id is None and not named:
        raise ChatRequestError(
            f"an admin key must say whose memories to use: send 'user' in the body or the "
            f"{USER_HEADER} header (or use a key bound to a user: `localmem keys create --user`)",
            "user", "missing_required_parameter")
    try:
        return scope_for(key, named)
    except AccessDeniedError as exc:
        raise ChatRequestError(str(exc), "user", "permission_denied", 403) from None


def _recall(service: ChatService, question: str, scope: dict[str, Any]) -> list[MemoryItem]:
    """The memories for ``question`` under the options' limit and word budget, less a stored
    raw message that is this very question (asked before): it tells the model nothing, and
    would push out a memory that does.

    Raises:
        InvalidInputError, StorageError: from ``Memory.search``.
    """
    limit = service.options.memory_limit
    found = service.memory.search(question, **scope, limit=limit + 1,
                                  max_words=service.options.memory_words)
    return [m for m in found if _plain(m.text) != _plain(question)][:limit]


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _new_turns(messages: list[dict[str, str]]) -> list[str]:
    """What the user said since the last answer: the part of the conversation not yet stored
    (a client sends the whole conversation each turn; the earlier turns were stored then)."""
    said: list[str] = []
    for message in messages:
        if message["role"] == "assistant":
            said = []
        elif message["role"] == "user" and message["content"].strip():
            said.append(message["content"])
    return said


def _memory_on(value: str | None) -> bool:
    """``X-Localmem-Memory``: ``on`` (the default) or ``off``.

    Raises:
        ChatRequestError: any other value.
    """
    if value is None or value.strip().lower() == "on":
        return True
    if value.strip().lower() == "off":
        return False
    raise ChatRequestError(f"the {MEMORY_HEADER} header must be 'on' or 'off', got {value[:40]!r}",
                           MEMORY_HEADER, "invalid_value")


def with_memories(
    messages: list[dict[str, str]], recalled: list[MemoryItem], template: str
) -> list[dict[str, str]]:
    """``messages`` with the recalled memories in the system message. Added to the first message
    when that is already a system message: many chat templates accept only one, and only first.

    The memories are listed in the order they were stored, not by score: a turn that recalls
    the same ones as the last turn then sends the same prompt start, which the local model has
    cached (``LlamaCppLLM.chat_states``) and does not evaluate again."""
    if not recalled:
        return messages
    ordered = sorted(recalled, key=lambda item: (item.kind != "fact", abs(item.id)))
    block = template.replace("{memories}", "\n".join(f"- {item.text}" for item in ordered))
    if messages and messages[0]["role"] == "system":
        first = {"role": "system", "content": f"{messages[0]['content']}\n\n{block}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": block}, *messages]


class Turn:
    """One reply: generate, answer in OpenAI's shape, then queue the exchange for memory."""

    def __init__(self, service: ChatService, reply: Reply, messages: list[dict[str, str]],
                 sampling: dict[str, Any], scope: dict[str, Any], said: list[str],
                 usage: bool = False) -> None:
        self.service, self.reply, self.messages = service, reply, messages
        self.sampling, self.scope, self.said, self.usage = sampling, scope, said, usage

    def _generate(self, stream: bool) -> Iterator[dict[str, Any]]:
        """The backend's payloads, the recorder kept waiting until they end (``GenerationGate``)."""
        wanted = {"usage": True} if self.usage else {}  # a backend of before keeps working
        return self.service.gate.hold(lambda: self.service.backend.complete(
            self.messages, self.sampling, stream, self.reply.model, **wanted))

    def record(self, answer: str, now: bool = False) -> Stored | Literal["no"]:
        """Queue the exchange (the new user messages and the answer) to be remembered; with
        ``now``, store it verbatim at once (the queue was full when the answer began)."""
        if not self.said:
            return "no"
        exchange = [{"role": "user", "content": text} for text in self.said]
        if answer.strip():
            exchange.append({"role": "assistant", "content": answer.strip()})
        recorder = self.service.recorder
        return recorder.store_now(exchange, self.scope) if now else recorder.submit(exchange, self.scope)

    def complete(self) -> tuple[dict[str, Any], str]:
        """The whole answer, and what became of the exchange (on a worker thread).

        Raises:
            LocalmemError: the request cannot be served, or generation failed.
        """
        payloads = self._generate(False)
        try:
            result = next(payloads, {})
        finally:
            close = getattr(payloads, "close", None)
            if close is not None:
                close()
        choice = (result.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content") or ""
        stored = self.record(content)
        body = completion(self.reply, content, choice.get("finish_reason") or "stop", result.get("usage"))
        return body, stored

    async def stream(self, headers: dict[str, str]) -> StreamingResponse:
        """Server-sent events like OpenAI's, ending with ``data: [DONE]``. Generation starts
        before the answer does, so a failure to start is a plain error status; one later is an
        ``error`` event (OpenAI's clients raise it)."""
        chunks = await run_in_threadpool(self._generate, True)
        first = await run_in_threadpool(next, chunks, None)
        verbatim = bool(self.said) and self.service.recorder.full()
        stored = "no" if not self.said else "verbatim" if verbatim else "queued"
        return StreamingResponse(self._events(chunks, first, verbatim),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", **headers,
                                          STORED_HEADER: stored})

    async def _events(self, chunks: Iterator[dict[str, Any]], item: dict[str, Any] | None,
                      verbatim: bool) -> AsyncIterator[str]:
        said: list[str] = []
        finish, usage = "stop", None
        try:
            yield _sse(chunk(self.reply, {"role": "assistant", "content": ""}, usage=self.usage))
            while item is not None:
                usage = item.get("usage") or usage
                choice = (item.get("choices") or [{}])[0]
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    said.append(piece)
                    yield _sse(chunk(self.reply, {"content": piece}, usage=self.usage))
                finish = choice.get("finish_reason") or finish
                item = await run_in_threadpool(next, chunks, None)
            yield _sse(chunk(self.reply, {}, finish, usage=self.usage))
            if self.usage and usage is not None:
                yield _sse(usage_chunk(self.reply, usage))
            elif self.usage:
                log.warning("the chat backend reported no usage for a streamed reply; its "
                            "usage chunk is left out")
            yield "data: [DONE]\n\n"
        except LocalmemError as exc:
            log.warning("a streamed reply failed midway: %s", exc)
            yield _sse(error_body(exc)[1])
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:  # releases the model (its lock) if the client went away
                close()
            # In the event loop, not a thread: a cancelled request must still store its words.
            self.record("".join(said), now=verbatim)


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"
