"""What is worth recalling: questions, greetings and thanks rank as evidence of nothing; a fact
about the person a query names comes first; a when-question's context carries dates.

The chat check of issue 18: after a first session, "What is my job?" asked in a second one must
not recall the raw question from the first session above the fact that answers it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine.context import context_lines
from localmem.engine.signals import is_when, low_value, subject_named, named
from localmem.frontends.chat import ChatSession
from localmem.types import MemoryItem


def _chat_memory(tmp_path, embedder) -> Memory:
    return Memory(path=tmp_path / "home", llm=FakeLLM(chat_reply="Noted."), embedder=embedder)


def _two_sessions(memory: Memory) -> list[MemoryItem]:
    first = ChatSession(memory, "dana")
    list(first.turn("I work as a nurse at the Mercy hospital."))
    list(first.turn("What is my job?"))
    return ChatSession(memory, "dana").recall("What is my job?")


def _question_not_above_its_answer(recalled: list[MemoryItem]) -> None:
    texts = [item.text for item in recalled]
    answer = next(i for i, item in enumerate(recalled) if item.kind == "fact" and "nurse" in item.text)
    asked = [i for i, t in enumerate(texts) if t == "What is my job?"]
    assert all(answer < i for i in asked), texts


def test_a_question_asked_in_an_earlier_session_is_not_recalled_above_its_answer(tmp_path):
    memory = _chat_memory(tmp_path, HashEmbedder())
    recalled = _two_sessions(memory)
    assert recalled[0].kind == "fact" and "nurse" in recalled[0].text
    _question_not_above_its_answer(recalled)


@pytest.mark.integration
def test_the_chat_check_with_the_real_embedder(tmp_path):
    from localmem.backends.embeddings import make_embedder
    from localmem.config import EmbedderConfig

    memory = _chat_memory(tmp_path, make_embedder(EmbedderConfig()))
    _question_not_above_its_answer(_two_sessions(memory))


@pytest.mark.parametrize("text", [
    "What is my job?", "Hey! How are you?", "Thanks so much!", "Hi, I'm doing good how are you?",
    "Haha yes totally agree with you on that one", "That sounds fun! Have you been there?",
])
def test_questions_greetings_and_thanks_are_low_value(text):
    assert low_value(text)


@pytest.mark.parametrize("text", [
    "I work as a nurse.", "Thanks! I adopted a beagle named Pretzel.", "Yes, Miami last week.",
    "Good thanks, I just got back from Turks and Caicos. How about you?",
])
def test_a_turn_that_states_something_is_evidence(text):
    assert not low_value(text)


def test_low_value_turns_rank_after_informative_ones_but_stay_stored(tmp_path):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("Where is the Mercy hospital?", user_id="u")  # no fact: a raw turn only
    memory.add("The Mercy hospital is on Elm street, next to the bakery.", user_id="u")
    found = memory.search("Where is the Mercy hospital?", user_id="u", limit=5)
    assert found[-1].text == "Where is the Mercy hospital?" and found[-1].kind == "message"
    assert any("Elm street" in i.text for i in found[:-1])


@pytest.mark.parametrize("query, when", [
    ("When did Mel paint the sunrise?", True), ("What year did Kate start skiing?", True),
    ("How long ago did Ben move?", True), ("What is Ana's dog called?", False),
    ("Where does Ben work?", False),
])
def test_when_questions(query, when):
    assert is_when(query) is when


def test_a_subject_is_named_by_the_owner_or_its_own_words():
    names = named("What does Caroline's sister do?")
    assert subject_named("sister", "caroline", names)
    assert subject_named("user", "Caroline", names)
    assert not subject_named("user", "Mel", names)
    assert not subject_named("brother", "Caroline", names)
    assert subject_named("user", "Fahim Khan", named("Where does Fahim live?"))
    assert not subject_named(None, "Caroline", names)


def test_a_when_question_gets_each_items_date_in_the_context():
    when = datetime(2023, 12, 29, 22, 42, tzinfo=timezone.utc)
    items = [MemoryItem(id=1, text="Went skiing in Colorado", created_at=when, updated_at=when,
                        observed_at=when),
             MemoryItem(id=2, text="Likes tea", created_at=when, updated_at=when)]
    assert context_lines(items, "When did Kate go skiing?") == [
        "- Went skiing in Colorado (29 December 2023)", "- Likes tea"]
    assert context_lines(items, "Where did Kate go skiing?") == [
        "- Went skiing in Colorado", "- Likes tea"]


def test_the_chat_prompt_dates_memories_for_a_when_question(tmp_path):
    memory = _chat_memory(tmp_path, HashEmbedder())
    session = ChatSession(memory, "dana")
    list(session.turn("I adopted a beagle named Pretzel."))
    session.recall("When did I adopt Pretzel?")
    system = session.prompt_messages("When did I adopt Pretzel?")[0]["content"]
    day = session.recalled[0].observed_at
    assert f"({day.day} {day:%B %Y})" in system


def test_a_fact_about_the_person_the_question_names_comes_first(tmp_path):
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add("I work as a nurse at the Mercy hospital.", user_id="ben", run_id="chat")
    memory.add("I work as a nurse at the Mercy hospital.", user_id="ana", run_id="chat")
    found = memory.search("Is Ana employed somewhere?", run_id="chat", limit=2)  # no keyword hit
    assert [(i.kind, i.user_id) for i in found] == [("fact", "ana"), ("fact", "ben")]
    assert found[0].score > found[1].score
