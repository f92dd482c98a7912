"""engine/slots.py: a model's attribute for a fact, in the vocabulary's spelling, asked with a
fixed prompt prefix (FakeLLM; the figures of real models: scripts/eval_slots.py)."""

from __future__ import annotations

import pytest

from localmem import HashEmbedder, Memory
from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.backends.llm import FakeLLM
from localmem.engine.pipeline import Pipeline
from localmem.engine.slots import SLOT_PROMPT, SlotAnswer, catalog_slots, name_slots
from localmem.errors import ModelOutputError
from tests.helpers import fake_memory, sql


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


def sports_fan(prompt: str, schema: type) -> dict:
    """Extraction: nothing (the rules' clauses stand); slots: sport_team for the two fan facts
    (the rules and the prototypes name no attribute for them); a decision: ADD."""
    if schema is SlotAnswer:
        fact = prompt.rstrip("\n").rsplit("\n", 1)[-1].removeprefix("Fact: ")
        fan = fact in ("Has Celtics season tickets", "Cheers for the Knicks")
        return {"attribute": "sport_team" if fan else "none"}
    return {"facts": []} if "facts" in schema.model_fields else {"event": "ADD"}


def play(model_slots: bool, responder=sports_fan) -> tuple[Memory, list[list[str]]]:
    memory = fake_memory(responses=responder)
    memory.pipeline.model_slots = model_slots  # what a catalog entry's slots="model" sets
    events = [[f"{e.event.value} {e.text}" for e in memory.add(m, user_id="u")]
              for m in ("I have Celtics season tickets.", "These days I cheer for the Knicks.")]
    return memory, events


def test_with_model_slots_a_new_value_of_the_model_s_attribute_supersedes_the_old():
    memory, events = play(True)
    assert events == [["ADD Has Celtics season tickets"], ["UPDATE Cheers for the Knicks"]]
    assert [i.text for i in memory.get_all(user_id="u")] == ["Cheers for the Knicks"]
    assert set(sql(memory, "SELECT attribute FROM memories")) == {("sport_team",)}
    memory, events = play(False)  # off: nothing places the facts, both stay current
    assert events == [["ADD Has Celtics season tickets"], ["ADD Cheers for the Knicks"]]
    assert not [c for c in memory.llm.calls if c[1] == "SlotAnswer"]


def test_the_model_is_asked_only_about_facts_the_rules_left_without_an_attribute():
    memory = fake_memory(responses=sports_fan)
    memory.pipeline.model_slots = True
    memory.add("I work as a nurse in Leeds. I have Celtics season tickets.", user_id="u")
    asked = [p.rsplit("Fact: ", 1)[-1].strip() for p, s in memory.llm.calls if s == "SlotAnswer"]
    assert asked == ["Has Celtics season tickets"]
    assert sorted(sql(memory, "SELECT attribute FROM memories")) == [("job",), ("sport_team",)]


def test_a_failing_slot_model_leaves_the_rules_result_and_loses_nothing():
    def broken(prompt: str, schema: type) -> dict:
        return {"attribute": "cricket"} if schema is SlotAnswer else sports_fan(prompt, schema)

    memory, events = play(True, broken)
    assert events == [["ADD Has Celtics season tickets"], ["ADD Cheers for the Knicks"]]
    assert sorted(sql(memory, "SELECT text, attribute FROM memories")) == [
        ("Cheers for the Knicks", ""), ("Has Celtics season tickets", "")]


def test_whether_a_model_names_slots_comes_from_its_catalog_entry(tmp_path, monkeypatch):
    from localmem.models import catalog

    entry = next(e for e in catalog.CATALOG if e.file.startswith("qwen2.5-coder-0.5b"))
    assert catalog_slots(FakeLLM()) is False  # no file: no model slots
    assert catalog_slots(LlamaCppLLM(tmp_path / entry.file)) is (entry.slots == "model")
    flipped = entry.model_copy(update={"slots": "model"})
    monkeypatch.setattr(catalog, "CATALOG", [flipped if e is entry else e for e in catalog.CATALOG])
    assert catalog_slots(LlamaCppLLM(tmp_path / entry.file)) is True
    assert Pipeline(LlamaCppLLM(tmp_path / entry.file), HashEmbedder()).model_slots is True
    assert Pipeline(LlamaCppLLM(tmp_path / "other.gguf"), HashEmbedder()).model_slots is False
