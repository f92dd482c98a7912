"""The bundled model behind the LLM seam: the structured extraction prompt's fixed part is
evaluated once (the saved KV state of the prefix is restored when decisions alternate), greedy
answers check the model's first choice first, prompts run on the generation threads: every
answer unchanged."""

from __future__ import annotations

import pytest

from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.backends.llama_greedy import supported
from localmem.engine.prompts import (
    FACT_EXTRACTION_PROMPT, STRUCTURED_EXTRACTION_PROMPT, UPDATE_MEMORY_PROMPT, ExtractedFacts,
    MemoryDecision, StructuredFacts,
)
from localmem.models.locate import resolve_llm_path

pytestmark = pytest.mark.integration

MESSAGES = ("I work as a nurse in Leeds.", "I don't drink coffee anymore, tea is nicer.")
MORE = ("My sister Zoë moved to Zürich, and I switched to a Pixel phone last week.",
        "lol what's the weather like", "We adopted a cat called Miso and I play the cello.")


def alternate(llm: LlamaCppLLM) -> list[dict]:
    """Extraction and decision prompts in turn, as the pipeline sends them."""
    out = []
    for msg in MESSAGES:
        out.append(llm.complete_json(STRUCTURED_EXTRACTION_PROMPT.format(messages=msg),
                                     StructuredFacts))
        out.append(llm.complete_json(
            UPDATE_MEMORY_PROMPT.format(memories="0: Works as a nurse", facts=msg, fact=msg),
            MemoryDecision))
    return out


def test_the_structured_prompt_s_prefix_state_is_reused_with_the_same_answers():
    cached = LlamaCppLLM(resolve_llm_path(None))
    plain = LlamaCppLLM(resolve_llm_path(None))
    plain.prefix_states.max_entries = 0
    assert alternate(cached) == alternate(plain)
    assert cached.prefix_states.restores >= 2 and plain.prefix_states.restores == 0


def plain_completion(llm: LlamaCppLLM):
    """llama-cpp-python's own sampling (the whole vocabulary through the grammar each step)."""
    def complete(tokens: list[int], grammar) -> str:
        out = llm.llama.create_completion(tokens, grammar=grammar, max_tokens=llm.config.max_tokens,
                                          temperature=0.0, seed=llm.config.seed)
        return out["choices"][0]["text"]
    return complete


def test_greedy_answers_checking_the_model_s_first_choice_are_llama_cpp_s_own():
    fast = LlamaCppLLM(resolve_llm_path(None))
    plain = LlamaCppLLM(resolve_llm_path(None))
    plain._complete = plain_completion(plain)  # type: ignore[method-assign]
    prompts = [FACT_EXTRACTION_PROMPT.format(messages=m) for m in (*MESSAGES, *MORE)]
    assert supported(fast.llama, fast._grammar(ExtractedFacts))  # the fast path is what runs
    got = [fast.complete_json(p, ExtractedFacts) for p in prompts] + alternate(fast)
    assert got == [plain.complete_json(p, ExtractedFacts) for p in prompts] + alternate(plain)
    assert any(answer.get("facts") for answer in got)  # the model said something to compare


def test_prompts_run_on_the_generation_threads_with_the_same_logits():
    import llama_cpp
    import numpy as np

    llm = LlamaCppLLM(resolve_llm_path(None))
    params = llm.llama.context_params
    assert params.n_threads_batch == params.n_threads
    tokens = llm.llama.tokenize(FACT_EXTRACTION_PROMPT.format(messages=MORE[0]).encode())
    logits = []
    for batch_threads in (params.n_threads, params.n_threads + 1):
        llama_cpp.llama_set_n_threads(llm.llama.ctx, params.n_threads, batch_threads)
        llm.llama.reset()
        llm.llama.eval(tokens)
        last = llama_cpp.llama_get_logits_ith(llm.llama.ctx, -1)
        logits.append(np.ctypeslib.as_array(last, shape=(llm.llama.n_vocab(),)).copy())
    assert np.array_equal(logits[0], logits[1])


def test_a_llama_without_the_internals_greedy_reads_is_not_supported():
    class Bare:  # what a llama-cpp-python release without those private attributes looks like
        n_tokens = 0
    assert not supported(Bare(), object())
