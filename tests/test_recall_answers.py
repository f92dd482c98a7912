"""An answer with no statement in it ("WALL-E, Bolt, and Kung Fu Panda") is found by the words
of the question it answers: the raw turn's search vector carries that question, the stored
turn stays as said, and no fact is made of it.
"""

from __future__ import annotations

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.engine.signals import asked_before, searched_as

QUESTION = {"role": "assistant", "content": "Oh fun! What movies do your kids like?"}
ANSWER = {"role": "user", "content": "WALL-E, Bolt, and Kung Fu Panda"}


def test_an_answer_is_searched_with_the_question_before_it():
    said = [QUESTION, ANSWER]
    assert asked_before(said, 1) == "What movies do your kids like?"
    assert searched_as(said, 1) == "What movies do your kids like? WALL-E, Bolt, and Kung Fu Panda"


def test_only_an_assistant_question_right_before_counts():
    told = {"role": "assistant", "content": "Mine love Frozen."}
    assert asked_before([told, ANSWER], 1) is None
    assert asked_before([ANSWER], 0) is None
    assert asked_before([QUESTION, {"role": "user", "content": "hm"}, ANSWER], 2) is None
    assert searched_as([told, ANSWER], 1) == ANSWER["content"]


def test_the_answer_is_recalled_by_the_question_and_stored_as_said(tmp_path):
    memory = Memory(path=tmp_path / "home", llm=FakeLLM(), embedder=HashEmbedder())
    memory.add([QUESTION, ANSWER], user_id="emi")
    memory.add("the weather was awful all day", user_id="emi")
    assert memory.get_all(user_id="emi") == []  # neither is a fact about Emi
    hits = memory.search("Which movies do the kids like?", user_id="emi", limit=2)
    assert [h.kind for h in hits] == ["message", "message"]
    assert hits[0].text == ANSWER["content"]  # as said: the question is not in the text
    assert hits[0].score > hits[1].score + 0.1  # without the question both would score ~0
    memory.close()
