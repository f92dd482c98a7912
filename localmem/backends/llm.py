"""The LLM seam: ``complete_json(prompt, schema) -> dict``; ``FakeLLM`` and the factory.

The llama.cpp backend lives in ``localmem.backends.llama_cpp``; ``FakeLLM`` ships for tests.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from localmem.config import LLMConfig
from localmem.errors import ModelError, ModelOutputError

__all__ = ["LLM", "FakeLLM", "make_llm", "parse_json_output"]


class LLM(ABC):
    """A local language model. Subclasses implement ``complete_json``; ``chat`` is optional."""

    @abstractmethod
    def complete_json(self, prompt: str, schema: type[BaseModel]) -> dict[str, Any]:
        """Complete ``prompt`` with JSON that validates against ``schema``.

        Raises:
            ModelError: the model failed.
            ModelOutputError: the answer did not fit the schema.
        """

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        """Stream a chat reply token by token.

        Raises:
            ModelError: this model cannot chat.
        """
        raise ModelError(f"{type(self).__name__} does not support chat")

    def chat_completion(
        self, messages: Sequence[dict[str, str]], *, stream: bool = False, **sampling: Any
    ) -> Any:
        """An OpenAI-shaped chat completion: the response dict, or with ``stream`` an iterator
        of chunk dicts. ``sampling``: temperature, top_p, max_tokens, stop, seed.

        Raises:
            ModelError: this model cannot chat, or it failed.
            InvalidInputError: the messages do not fit the model's context.
        """
        raise ModelError(f"{type(self).__name__} does not support chat completions")


def parse_json_output(text: str, schema: type[BaseModel]) -> dict[str, Any]:
    """Parse and validate model output.

    Raises:
        ModelOutputError: not JSON, or not the schema's shape.
    """
    try:
        return schema.model_validate(json.loads(text)).model_dump()
    except (ValueError, ValidationError) as exc:
        raise ModelOutputError(
            f"the model's answer is not a valid {schema.__name__}: {text[:200]!r}"
        ) from exc


Responder = Callable[[str, type[BaseModel]], dict[str, Any]]


class FakeLLM(LLM):
    """A scripted model for tests: a function of (prompt, schema), or a list of answers in turn.

    With no script it answers with the schema's empty value (no facts; ADD for a decision; no
    ids for a rerank, so the search order stands).
    Every call is recorded in ``calls`` as (prompt, schema name).
    """

    def __init__(
        self,
        responses: Responder | Sequence[dict[str, Any] | str] | None = None,
        chat_reply: str = "I remember.",
    ) -> None:
        self._responder = responses if callable(responses) else None
        self._queue = list(responses) if responses is not None and not callable(responses) else []
        self.chat_reply = chat_reply
        self.calls: list[tuple[str, str]] = []
        self.chat_calls: list[tuple[list[dict[str, str]], dict[str, Any]]] = []

    def complete_json(self, prompt: str, schema: type[BaseModel]) -> dict[str, Any]:
        self.calls.append((prompt, schema.__name__))
        if self._responder is not None:
            answer: dict[str, Any] | str = self._responder(prompt, schema)
        elif self._queue:
            answer = self._queue.pop(0)
        else:
            fields = schema.model_fields
            answer = {"facts": []} if "facts" in fields else {"ids": []} if "ids" in fields \
                else {"event": "ADD"}
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return parse_json_output(text, schema)

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        self.calls.append((messages[-1]["content"] if messages else "", "chat"))
        yield from (w + " " for w in self.chat_reply.split())

    def chat_completion(
        self, messages: Sequence[dict[str, str]], *, stream: bool = False, **sampling: Any
    ) -> Any:
        """``chat_reply`` word by word (one word a token), cut by ``max_tokens`` and ``stop``,
        streamed with a last usage chunk; each call's messages and sampling are recorded in
        ``chat_calls``."""
        self.chat_calls.append(([dict(m) for m in messages], dict(sampling)))
        words = [w + " " for w in self.chat_reply.split()]
        limit = sampling.get("max_tokens")
        finish = "length" if limit is not None and len(words) > limit else "stop"
        text = "".join(words[:limit]).rstrip()
        stops = sampling.get("stop") or []
        for stop in [stops] if isinstance(stops, str) else stops:
            text = text.split(stop)[0]
        prompt, completion = sum(len(m["content"].split()) for m in messages), len(text.split())
        usage = {"prompt_tokens": prompt, "completion_tokens": completion,
                 "total_tokens": prompt + completion}
        if not stream:
            return {"choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": usage}
        pieces = [{"role": "assistant"}] + [{"content": w} for w in re.findall(r"\S+\s*", text)]
        chunks = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in pieces]
        # the last chunk as LlamaCppLLM streams it: no choices, the usage
        return iter(chunks + [{"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                              {"choices": [], "usage": usage}])

def make_llm(config: LLMConfig, home: Path | None = None) -> LLM:
    """The model ``config`` names: llama.cpp on its GGUF (loaded on first use), or ``FakeLLM``.

    Raises:
        ModelNotFoundError: no GGUF file matches ``config.model`` (or the saved default in ``home``).
    """
    if config.provider == "fake":
        return FakeLLM()
    from localmem.backends.llama_cpp import LlamaCppLLM
    from localmem.models.locate import resolve_llm_path

    return LlamaCppLLM(resolve_llm_path(config.model, home), config)
