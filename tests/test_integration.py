"""The real bundled models end to end: SmolLM2 GGUF through llama.cpp, and MiniLM."""

from __future__ import annotations

import pytest

from localmem import Action, Memory, MemoryNotFoundError
from localmem.backends.embeddings import SentenceTransformerEmbedder
from examples import DAVE, MOVIES
from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.models.locate import resolve_embedder_path, resolve_llm_path
from tests.helpers import sql

pytestmark = pytest.mark.integration



@pytest.fixture(scope="module")
def models():
    llm = LlamaCppLLM(resolve_llm_path(None))
    embedder = SentenceTransformerEmbedder(resolve_embedder_path(None))
    return llm, embedder


@pytest.fixture
def memory(tmp_path, models):
    llm, embedder = models
    mem = Memory(path=tmp_path / "home", llm=llm, embedder=embedder)
    yield mem
    mem.close()


def test_zero_config_memory_runs_the_seed_example(isolated_home):
    memory = Memory()
    memory.add(DAVE, user_id="user123")
    results = memory.search("What is my name?", user_id="user123", limit=3)
    assert results and "Dave" in results[0].text
    memory.close()
    assert (isolated_home / "memory.db").exists()


def test_movie_chat_keeps_the_preferences(memory):
    events = memory.add(MOVIES, user_id="alice")
    texts = " | ".join(e.text for e in events)
    assert "sci-fi" in texts
    hits = memory.search("What kind of movies does alice like?", user_id="alice", limit=3)
    assert hits and "sci-fi" in hits[0].text
    # Nothing stored is invented: every fact's content is in what the user said.
    from localmem.engine.extract import is_grounded

    said = "\n".join(m["content"] for m in MOVIES if m["role"] == "user")
    for item in memory.get_all(user_id="alice"):
        assert is_grounded(item.text, said) or item.text.startswith("Is planning"), item.text


def test_adding_the_same_conversation_again_changes_nothing(memory):
    memory.add(MOVIES, user_id="alice")
    before = sorted(m.text for m in memory.get_all(user_id="alice"))
    events = memory.add(MOVIES, user_id="alice")
    assert all(e.event is Action.NONE for e in events)
    assert sorted(m.text for m in memory.get_all(user_id="alice")) == before


def test_persistence_across_a_reopened_memory(tmp_path, models):
    llm, embedder = models
    first = Memory(path=tmp_path / "h", llm=llm, embedder=embedder)
    first.add(DAVE, user_id="u")
    first.close()
    second = Memory(path=tmp_path / "h", llm=llm, embedder=embedder)
    assert "Dave" in second.search("What is my name?", user_id="u")[0].text
    second.close()


def test_scope_isolation_with_real_embeddings(memory):
    memory.add(DAVE, user_id="dave")
    memory.add("My name is Priya and I teach physics.", user_id="priya")
    assert all(h.user_id == "priya" for h in memory.search("What is my name?", user_id="priya"))
    assert all(h.user_id == "dave" for h in memory.search("What is my name?", user_id="dave"))


def test_history_after_an_update(memory):
    first = [e for e in memory.add("My name is Dave.", user_id="u") if "Dave" in e.text][0]
    events = memory.add("Actually, my name is Dan.", user_id="u")
    update = [e for e in events if e.event is Action.UPDATE]
    assert update and update[0].replaced_id == first.id  # the new value has its own row
    history = memory.history(first.id)  # the chain: Dave added, Dan added, Dave ended
    assert [h.event for h in history][:3] == [Action.ADD, Action.ADD, Action.DELETE]
    assert "Dan" in history[1].new_text and "Dave" in history[2].old_text
    assert "Dan" in memory.search("What is my name?", user_id="u")[0].text


def test_delete_is_really_gone(memory):
    ids = [e.id for e in memory.add(DAVE, user_id="u") if e.event is Action.ADD]
    for mid in ids:
        memory.delete(mid)
        with pytest.raises(MemoryNotFoundError):
            memory.get(mid)
    assert not [h for h in memory.search("Dave", user_id="u") if "Dave" in h.text]
    rows = sql(memory, "SELECT content FROM messages WHERE role='user'")
    assert not any("Dave" in r[0] for r in rows)  # the source messages went with the memory


def test_custom_prompts_with_the_real_model(memory):
    prompt = (
        "List facts about the user as JSON.\n"
        'Message: I have two cats.\n{{"facts": ["Has two cats"]}}\n'
        "Message: {messages}\n"
    )
    events = memory.add("I have a red bicycle.", user_id="u", prompt=prompt)
    assert any("bicycle" in e.text for e in events)


def test_infer_false_stores_verbatim(memory):
    events = memory.add(DAVE, user_id="u", infer=False)
    assert [e.text for e in events] == [m["content"] for m in DAVE]
    assert memory.search("What is my name?", user_id="u")[0].text == DAVE[0]["content"]


def test_add_and_search_with_sockets_disabled(memory):
    from pytest_socket import disable_socket, enable_socket

    disable_socket()
    try:
        memory.add(DAVE, user_id="offline")
        assert "Dave" in memory.search("What is my name?", user_id="offline")[0].text
    finally:
        enable_socket()


def test_prefix_states_give_the_same_answers_with_less_evaluation(models):
    from localmem.engine.prompts import (
        FACT_EXTRACTION_PROMPT,
        UPDATE_MEMORY_PROMPT,
        ExtractedFacts,
        MemoryDecision,
    )

    def alternate(llm: LlamaCppLLM) -> list[dict]:
        out = []
        for msg in ("I work as a nurse in Leeds.", "I don't drink coffee anymore."):
            out.append(llm.complete_json(FACT_EXTRACTION_PROMPT.format(messages=msg), ExtractedFacts))
            out.append(llm.complete_json(
                UPDATE_MEMORY_PROMPT.format(memories="0: Works as a nurse", facts=msg, fact=msg),
                MemoryDecision,
            ))
        return out

    cached = LlamaCppLLM(resolve_llm_path(None))
    plain = LlamaCppLLM(resolve_llm_path(None))
    plain.prefix_states.max_entries = 0
    assert alternate(cached) == alternate(plain)
    assert cached.prefix_states.restores >= 2 and plain.prefix_states.restores == 0
