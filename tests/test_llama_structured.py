"""The structured extraction prompt with the bundled model: its fixed part is evaluated once
(the saved KV state of the prefix is restored when decisions alternate), answers unchanged."""

from __future__ import annotations

import pytest

from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.engine.prompts import (
    STRUCTURED_EXTRACTION_PROMPT, UPDATE_MEMORY_PROMPT, MemoryDecision, StructuredFacts,
)
from localmem.models.locate import resolve_llm_path

pytestmark = pytest.mark.integration

MESSAGES = ("I work as a nurse in Leeds.", "I don't drink coffee anymore, tea is nicer.")


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
