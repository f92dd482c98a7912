"""llama.cpp behind the LLM seam: grammar-constrained JSON, chat, and cached prompt prefixes.

``LlamaCppLLM`` turns the pydantic schema into a llama.cpp grammar, so the output always parses,
and keeps the evaluated KV state of each prompt family (``PrefixStates``) so that a prompt whose
start was seen before only pays for its new tokens, even when extraction and decision prompts
alternate. llama-cpp-python is imported on first use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from localmem.backends.llama_greedy import greedy_completion, supported
from localmem.backends.llm import LLM, parse_json_output
from localmem.backends.priority import PriorityLock
from localmem.config import LLMConfig
from localmem.errors import InvalidInputError, LocalmemError, ModelError

__all__ = ["LlamaCppLLM", "PrefixStates", "plain_chat_prompt"]


class LlamaCppLLM(LLM):
    """A GGUF model run by llama-cpp-python on the CPU, loaded on first use."""

    def __init__(self, model_path: Path, config: LLMConfig | None = None) -> None:
        self.model_path = Path(model_path)
        self.config = config or LLMConfig()
        self._llama: Any = None
        self._grammars: dict[type[BaseModel], Any] = {}
        # Chat replies (someone waits for them) go before the next extraction call.
        self._lock = PriorityLock()
        self.prefix_states = PrefixStates()
        # Chat prompts have their own saved states, so that a reply after an extraction still
        # reuses the last reply's prompt (its recalled memories, its conversation so far).
        self.chat_states = PrefixStates(max_entries=2)
        self._formatter: Any = None

    @property
    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama``.

        Raises:
            ModelError: llama-cpp-python is missing or cannot load the file.
        """
        if self._llama is None:
            try:
                import llama_cpp
            except ImportError as exc:
                raise ModelError(
                    "llama-cpp-python is not installed; run: pip install 'localmem[models]'"
                ) from exc
            _silence_llama_cpp_logs()
            threads = self.config.n_threads or max((os.cpu_count() or 1) // 2, 1)
            try:
                self._llama = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.config.n_ctx,
                    n_threads=threads,
                    # Prompts on as many threads as generation (llama-cpp-python's default is
                    # every core): llama.cpp's threads wait for each other at each step, so on a
                    # shared machine one descheduled thread stalls the rest. 36 prompt tokens,
                    # SmolLM2, 2 cores at load 8: 0.25 s CPU on one thread, 1.8 s (4.2 s wall)
                    # on two; the logits are bit-identical.
                    n_threads_batch=threads,
                    seed=self.config.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(
                    f"llama.cpp cannot load {self.model_path}: {exc}; check that it is a complete "
                    "GGUF file (python scripts/download_model.py verifies and re-fetches models)"
                ) from exc
        return self._llama

    @property
    def has_chat_template(self) -> bool:
        return bool(self.llama.metadata.get("tokenizer.chat_template"))

    def _grammar(self, schema: type[BaseModel]) -> Any:
        if schema not in self._grammars:
            from llama_cpp import LlamaGrammar

            self._grammars[schema] = LlamaGrammar.from_json_schema(
                json.dumps(schema.model_json_schema()), verbose=False
            )
        return self._grammars[schema]

    def complete_json(self, prompt: str, schema: type[BaseModel]) -> dict[str, Any]:
        with self._lock:
            llama = self.llama
            try:
                tokens = llama.tokenize(prompt.encode("utf-8"), special=True)
                if len(tokens) + self.config.max_tokens > llama.n_ctx():
                    raise ModelError(
                        f"the prompt has {len(tokens)} tokens; with max_tokens "
                        f"{self.config.max_tokens} it does not fit n_ctx={llama.n_ctx()}; "
                        "send fewer messages per add or raise LLMConfig(n_ctx=...)"
                    )
                self.prefix_states.restore(llama, tokens)
                text = self._complete(tokens, self._grammar(schema))
                self.prefix_states.remember(llama, tokens)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp failed on a {len(prompt)}-character prompt: {exc}") from exc
        return parse_json_output(text, schema)

    def _complete(self, tokens: list[int], grammar: Any) -> str:
        """The answer's text; greedy (temperature 0) asks the grammar about the model's first
        choice before the whole vocabulary (``llama_greedy``: the same tokens, faster), where
        this llama-cpp-python has the internals it reads."""
        if self.config.temperature == 0.0 and supported(self.llama, grammar):
            return greedy_completion(self.llama, tokens, grammar, self.config.max_tokens)
        out = self.llama.create_completion(
            tokens, grammar=grammar, max_tokens=self.config.max_tokens,
            temperature=self.config.temperature, seed=self.config.seed,
        )
        return out["choices"][0]["text"]

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        """Stream a reply: through the model's chat template, or a plain format for base models.

        Raises:
            ModelError: llama.cpp failed.
        """
        with self._lock.urgent():
            llama = self.llama
            temperature = max(self.config.temperature, 0.2)
            try:
                if self.has_chat_template:
                    stream = llama.create_chat_completion(
                        messages=list(messages), max_tokens=max_tokens,
                        temperature=temperature, stream=True,
                    )
                    pieces = (c["choices"][0]["delta"].get("content") for c in stream)
                else:  # a base model: "User: ...\nAssistant:" works (measured on Gemma-3-270M)
                    stream = llama.create_completion(
                        plain_chat_prompt(messages), max_tokens=max_tokens,
                        temperature=temperature, stop=["\nUser:", "\n\n"], stream=True,
                    )
                    pieces = (c["choices"][0]["text"] for c in stream)
                for piece in pieces:
                    if piece:
                        yield piece
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp failed while chatting: {exc}") from exc

    def chat_completion(
        self, messages: Sequence[dict[str, str]], *, stream: bool = False, **sampling: Any
    ) -> Any:
        # The same loaded Llama as extraction, under the same lock: one copy of the weights.
        if stream:
            return self._chat_chunks(list(messages), sampling)
        with self._lock.urgent():
            try:
                tokens = self._restore_chat(messages)
                out = self.llama.create_chat_completion(messages=list(messages), **sampling)
                if tokens:
                    self.chat_states.remember(self.llama, tokens, newest=True)
                return out
            except (ValueError, RuntimeError) as exc:
                raise _chat_error(exc) from exc

    def _chat_chunks(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> Iterator[Any]:
        """The reply's chunks, then one with no choices and the ``usage`` (llama-cpp-python
        streams none: the prompt's tokens, and the reply's text tokenized again)."""
        with self._lock.urgent():  # held until the stream ends or is closed
            try:
                tokens = self._restore_chat(messages)
                said = []
                for item in self.llama.create_chat_completion(messages=messages, stream=True,
                                                              **sampling):
                    choice = (item.get("choices") or [{}])[0]
                    said.append((choice.get("delta") or {}).get("content") or "")
                    yield item
                if tokens:
                    self.chat_states.remember(self.llama, tokens, newest=True)
                    reply = self.llama.tokenize("".join(said).encode("utf-8"), add_bos=False,
                                                special=True) if any(said) else []
                    yield {"choices": [], "usage": {
                        "prompt_tokens": len(tokens), "completion_tokens": len(reply),
                        "total_tokens": len(tokens) + len(reply)}}
            except (ValueError, RuntimeError) as exc:
                raise _chat_error(exc) from exc

    def _restore_chat(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The prompt's tokens, as llama-cpp-python's chat handler makes them (the same
        template); the saved chat state that shares most of them is loaded first; empty for a
        model without a template (llama-cpp-python then picks a format itself)."""
        llama = self.llama
        if not self.has_chat_template:
            return []
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos, bos = llama.token_eos(), llama.token_bos()
            text = llama._model.token_get_text
            self._formatter = Jinja2ChatFormatter(
                template=llama.metadata["tokenizer.chat_template"],
                eos_token=text(eos) if eos != -1 else "", bos_token=text(bos) if bos != -1 else "",
                stop_token_ids=[eos])
        result = self._formatter(messages=list(messages))
        tokens = llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special,
                                special=True)
        self.chat_states.restore(llama, tokens)
        return tokens


def _chat_error(exc: Exception) -> LocalmemError:
    if "context window" in str(exc):  # llama-cpp-python's "Requested tokens ... exceed context window"
        return InvalidInputError(f"the messages do not fit the model's context: {exc}; send fewer "
                                 "or shorter messages, or a smaller max_tokens")
    return ModelError(f"llama.cpp failed while chatting: {exc}")


def plain_chat_prompt(messages: Sequence[dict[str, str]]) -> str:
    """A chat as plain text for a base model without a chat template ("User: ..\nAssistant:")."""
    parts = []
    for msg in messages:
        if msg["role"] == "system":
            parts.append(msg["content"] + "\n")
        else:
            parts.append(f"{'User' if msg['role'] == 'user' else 'Assistant'}: {msg['content']}")
    return "\n".join(parts) + "\nAssistant:"


def _silence_llama_cpp_logs() -> None:
    """llama.cpp logs to stderr even with verbose=False (e.g. the SWA cache note); mute it once."""
    import ctypes

    import llama_cpp

    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        _LOG_CALLBACK = llama_cpp.llama_log_callback(lambda level, text, data: None)
        llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


_LOG_CALLBACK: Any = None


class PrefixStates:
    """Saved llama.cpp states, one per prompt family, restored when a prompt shares their prefix.

    llama-cpp-python already reuses the live context's common prefix; this keeps that benefit
    when two prompt families alternate (extraction, then a decision). Only the llama.cpp state is
    copied (a few MB for small models), not llama-cpp-python's logits array.
    """

    FAMILY_TOKENS = 48  # prompts sharing this many leading tokens belong to one family
    MIN_GAIN = 16  # restore only when it saves at least this many tokens of evaluation

    def __init__(self, max_entries: int = 4) -> None:
        self.max_entries = max_entries
        self.entries: list[tuple[list[int], bytes]] = []
        self.restores = 0

    @staticmethod
    def _common(a: Sequence[int], b: Sequence[int]) -> int:
        n = 0
        for x, y in zip(a, b):
            if x != y:
                break
            n += 1
        return n

    def restore(self, llama: Any, tokens: Sequence[int]) -> None:
        """Load the saved state that covers more of ``tokens`` than the live context does."""
        if not self.entries:
            return
        live = self._common(llama._input_ids.tolist(), tokens)
        saved, data = max(self.entries, key=lambda e: self._common(e[0], tokens))
        if self._common(saved, tokens) < live + self.MIN_GAIN:
            return
        import ctypes

        import llama_cpp

        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llama.ctx, buffer, len(data)) != len(data):
            llama.reset()
            return
        llama.input_ids[: len(saved)] = saved
        llama.n_tokens = len(saved)
        llama._requires_eval = True  # logits are recomputed from the first new token
        self.restores += 1

    def remember(self, llama: Any, tokens: Sequence[int], newest: bool = False) -> None:
        """Save the live state if no saved state belongs to this prompt's family yet; with
        ``newest``, in place of that family's state (a chat's latest turn covers the most)."""
        family = min(self.FAMILY_TOKENS, len(tokens) // 2)
        same = [e for e in self.entries if self._common(e[0], tokens) >= family]
        if same and not newest:
            return
        self.entries = [e for e in self.entries if not any(e is s for s in same)]
        import ctypes

        import llama_cpp

        size = llama_cpp.llama_state_get_size(llama.ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(llama.ctx, buffer, size)
        self.entries.append((llama._input_ids.tolist(), bytes(buffer)[:written]))
        if len(self.entries) > self.max_entries:
            self.entries.pop(0)
