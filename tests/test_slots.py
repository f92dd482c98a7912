"""engine/slots.py: a model's attribute for a fact, in the vocabulary's spelling, asked with a
fixed prompt prefix (FakeLLM; the figures of real models: scripts/eval_slots.py)."""

from __future__ import annotations

import pytest

from localmem.backends.llm import FakeLLM
from localmem.engine.slots import SLOT_PROMPT, name_slots
from localmem.errors import ModelOutputError


def answering(keys: dict[str, str]) -> FakeLLM:
    """A model that answers each fact's attribute from ``keys`` (by the fact, the prompt's
    last line)."""
    def respond(prompt: str, schema: type) -> dict:
        fact = prompt.rstrip("\n").rsplit("\n", 1)[-1].removeprefix("Fact: ")
        return {"attribute": keys[fact]}

    return FakeLLM(respond)


def test_the_model_s_answers_become_vocabulary_keys():
    llm = answering({"Works at a bakery": "job", "Favourite band is Blur": "favourite",
                     "Had a long day": "none", "Loves the colour red": "favourite"})
    facts = ["Works at a bakery", "Favourite band is Blur", "Had a long day",
             "Loves the colour red"]
    # "favourite" takes its thing from the fact; with no thing named it names nothing
    assert name_slots(llm, facts) == ["job", "favourite_band", "", ""]


def test_every_prompt_starts_with_the_same_instruction_then_the_message():
    llm = answering({"Moved to Leeds": "home", "Dog died": "pet"})
    name_slots(llm, ["Moved to Leeds", "Dog died"], "I moved to Leeds and my dog died.")
    name_slots(llm, ["Moved to Leeds"])
    prompts = [p for p, _ in llm.calls]
    assert all(p.startswith(SLOT_PROMPT) for p in prompts)  # llama.cpp reuses its state
    assert prompts[0].endswith("Message: I moved to Leeds and my dog died.\nFact: Moved to Leeds\n")
    assert prompts[1].endswith("my dog died.\nFact: Dog died\n")
    assert "Message:" not in prompts[2][len(SLOT_PROMPT):]


def test_an_answer_outside_the_vocabulary_is_a_model_error():
    llm = FakeLLM([{"attribute": "favourite_colour"}])
    with pytest.raises(ModelOutputError, match="SlotAnswer"):
        name_slots(llm, ["Loves red"])
