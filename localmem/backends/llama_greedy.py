"""Greedy grammar-constrained generation that asks the grammar about the model's choice first.

llama-cpp-python's sampler chain (penalties, grammar, greedy) runs the grammar over the whole
vocabulary at every step (49,152 tokens for SmolLM2: ~3.7 ms of CPU a token on the 2-core
machine, a fifth of a generated token's cost). A greedy answer is the highest logit the grammar
allows; where the grammar allows the highest logit of all (most steps), that is the token, so
only that one candidate needs checking. Where the grammar rejects it, the whole vocabulary is
checked as before. Each candidate is accepted or rejected on its own, so the tokens, and the
text, are those of ``Llama.create_completion(temperature=0.0)`` (tests/test_llama_structured.py
compares the two); the prompt is evaluated in the same steps, so the logits are the same too.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["greedy_completion", "supported"]


_LIB = ("llama_sampler_init_grammar", "llama_sampler_accept", "llama_sampler_apply",
        "llama_sampler_free", "llama_vocab_is_eog", "llama_get_logits_ith", "llama_token_data",
        "llama_token_data_array", "llama_token_data_p")


def supported(llama: Any, grammar: Any) -> bool:
    """Whether this llama-cpp-python has the internals ``greedy_completion`` reads (checked on
    0.3.x; pyproject does not cap the version, so a release without them falls back to
    ``create_completion``)."""
    import llama_cpp

    return (all(hasattr(llama_cpp, name) for name in _LIB)
            and all(hasattr(llama, name) for name in ("_model", "_ctx", "_input_ids",
                                                        "_requires_eval", "n_tokens"))
            and hasattr(getattr(llama, "_model", None), "vocab")
            and hasattr(getattr(llama, "_ctx", None), "kv_cache_seq_rm")
            and hasattr(grammar, "_grammar") and hasattr(grammar, "_root"))


def greedy_completion(llama: Any, tokens: Sequence[int], grammar: Any, max_tokens: int) -> str:
    """The text ``llama.create_completion(tokens, grammar=grammar, max_tokens=max_tokens,
    temperature=0.0)`` returns (no repeat penalty, no stop strings), found faster.

    Raises:
        ValueError, RuntimeError: llama.cpp failed (as ``create_completion`` raises them).
    """
    import llama_cpp

    tokens = list(tokens)
    n_ctx = llama.n_ctx()
    # create_completion's limit: the answer stops at the end of the context
    max_tokens = max_tokens if max_tokens + len(tokens) < n_ctx else n_ctx - len(tokens)
    vocab = llama._model.vocab
    sampler = llama_cpp.llama_sampler_init_grammar(
        vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
    pick = _Picker(llama, sampler)
    completion: list[int] = []
    try:
        llama.eval(_unevaluated(llama, tokens))
        multibyte = 0
        while True:
            token = pick()
            llama_cpp.llama_sampler_accept(sampler, token)
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            completion.append(token)
            # create_completion lets an unfinished UTF-8 character run past max_tokens
            multibyte = _pending_bytes(llama.detokenize(completion, prev_tokens=tokens), multibyte)
            if multibyte > 0:
                multibyte -= 1
            elif len(completion) >= max_tokens:
                break
            llama.eval([token])
    finally:
        llama_cpp.llama_sampler_free(sampler)
    return llama.detokenize(completion, prev_tokens=tokens).decode("utf-8", errors="ignore")


class _Picker:
    """The greedy token the grammar allows at the live context's last position."""

    def __init__(self, llama: Any, sampler: Any) -> None:
        import llama_cpp

        self.llama, self.sampler, self.lib = llama, sampler, llama_cpp
        n_vocab = llama.n_vocab()
        self.one = (llama_cpp.llama_token_data * 1)()
        self.all = (llama_cpp.llama_token_data * n_vocab)()
        self.table = np.ctypeslib.as_array(self.all)  # a view: fields id, logit, p
        self.table["id"] = np.arange(n_vocab)
        self.n_vocab = n_vocab

    def __call__(self) -> int:
        lib = self.lib
        pointer = lib.llama_get_logits_ith(self.llama.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        best = int(np.argmax(logits))  # the first of equal maxima, as the greedy sampler
        self.one[0] = lib.llama_token_data(best, float(logits[best]), 0.0)
        if self._apply(self.one, 1)[0]["logit"] != -np.inf:
            return best
        self.table["logit"] = logits
        self.table["p"] = 0.0
        return int(np.argmax(self._apply(self.all, self.n_vocab)["logit"]))

    def _apply(self, data: Any, size: int) -> np.ndarray:
        lib = self.lib
        array = lib.llama_token_data_array(
            data=ctypes.cast(data, lib.llama_token_data_p), size=size, selected=-1, sorted=False)
        lib.llama_sampler_apply(self.sampler, ctypes.byref(array))
        return np.ctypeslib.as_array(data)


def _unevaluated(llama: Any, tokens: list[int]) -> list[int]:
    """The prompt tokens the live context still needs, after ``Llama.generate``'s prefix reuse
    (unchanged, so the prompt is evaluated in the same steps as there)."""
    if llama.n_tokens > 0:
        prefix = 0
        for a, b in zip(llama._input_ids, tokens):
            if a != b:
                break
            prefix += 1
        consumed = prefix == len(tokens)
        if llama.n_tokens == len(tokens) and consumed and not llama._requires_eval:
            return []  # the live logits are this prompt's
        reuse = prefix - 1 if consumed else prefix  # a consumed prompt replays its last token
        if reuse > 0 and llama._ctx.kv_cache_seq_rm(-1, reuse, -1):
            llama.n_tokens = reuse
            llama._requires_eval = True
            return tokens[reuse:]
    llama.reset()
    return tokens


def _pending_bytes(text: bytes, pending: int) -> int:
    """create_completion's count of the bytes an unfinished UTF-8 character at the end of
    ``text`` still needs (its own arithmetic, kept so the answers stop where its answers do)."""
    for k, char in enumerate(text[-3:]):
        k = 3 - k
        for num, pattern in ((2, 192), (3, 224), (4, 240)):
            if num > k and pattern & char == pattern:
                pending = num - k
    return pending
