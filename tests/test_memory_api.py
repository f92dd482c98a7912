"""The Memory verbs on fakes and real SQLite."""

import pytest

from localmem import Action, MemoryNotFoundError
from examples import DAVE
from tests.helpers import fake_memory



def test_add_extracts_facts_and_search_finds_the_name_first():
    memory = fake_memory()
    events = memory.add(DAVE, user_id="user123")
    assert [e.event for e in events] == [Action.ADD, Action.ADD]
    assert {e.text for e in events} == {"Name is Dave", "Likes to build automations"}
    results = memory.search("What is my name?", user_id="user123", limit=3)
    assert results and "Dave" in results[0].text
    assert results[0].kind == "fact" and results[0].user_id == "user123"
    assert results[0].score is not None and results[0].score > 0


def test_add_accepts_a_string_a_dict_or_a_list():
    memory = fake_memory()
    assert memory.add("I play the cello", user_id="a")[0].text == "Plays the cello"
    assert memory.add({"role": "user", "content": "I live in Lyon"}, user_id="a")[0].text == "Lives in Lyon"
    assert len(memory.get_all(user_id="a")) == 2


def test_user_id_may_be_omitted_and_the_default_user_is_used():
    memory = fake_memory()
    memory.add("I am a vegetarian")
    assert memory.get_all()[0].user_id == "default"
    assert memory.search("vegetarian")[0].text == "Is a vegetarian"
    assert not memory.search("vegetarian", user_id="someone-else")


def test_infer_false_stores_each_message_verbatim_without_the_model():
    memory = fake_memory()
    events = memory.add(DAVE, user_id="u", infer=False)
    assert [e.text for e in events] == [m["content"] for m in DAVE]
    assert memory.llm.calls == []
    again = memory.add(DAVE[0]["content"], user_id="u", infer=False)
    assert again[0].event is Action.NONE and again[0].id == events[0].id


def test_repeating_a_fact_changes_nothing():
    memory = fake_memory()
    first = memory.add("I live in Lyon", user_id="u")
    second = memory.add("I live in Lyon.", user_id="u")
    assert second[0].event is Action.NONE and second[0].id == first[0].id
    assert len(memory.get_all(user_id="u")) == 1


def test_a_new_value_for_a_slot_updates_and_history_keeps_the_old():
    memory = fake_memory()
    added = memory.add("My name is Dave", user_id="u")[0]
    changed = memory.add("Actually my name is Dan", user_id="u")[0]
    assert changed.event is Action.UPDATE and changed.replaced_id == added.id  # a new row
    assert changed.previous_text == "Name is Dave"
    assert [m.text for m in memory.get_all(user_id="u")] == ["Name is Dan"]
    history = memory.history(added.id)  # the chain: the old row, the new one, the old's end
    assert [(h.memory_id, h.event) for h in history] == [
        (added.id, Action.ADD), (changed.id, Action.ADD), (added.id, Action.DELETE)]
    assert history[1].new_text == "Name is Dan" and history[2].old_text == "Name is Dave"
    assert history[2].actor == "model"


def test_moving_supersedes_where_the_user_lives():
    memory = fake_memory()
    memory.add("I live in Toronto", user_id="u")
    events = memory.add("I moved from Toronto to Vancouver", user_id="u")
    texts = [m.text for m in memory.get_all(user_id="u")]
    assert "Lives in Vancouver" in texts and "Lives in Toronto" not in texts
    assert any(e.event is Action.UPDATE and e.previous_text == "Lives in Toronto" for e in events)


def test_a_negation_supersedes_the_positive_fact():
    memory = fake_memory()
    memory.add("I like thrillers", user_id="u")
    event = memory.add("I don't like thrillers", user_id="u")[0]
    assert event.event is Action.UPDATE and event.previous_text == "Likes thrillers"


def test_get_update_delete_and_history():
    memory = fake_memory()
    mid = memory.add("I play chess", user_id="u")[0].id
    item = memory.get(mid)
    assert item.text == "Plays chess" and item.source_message_ids
    assert memory.get(str(mid)).id == mid
    event = memory.update(mid, "Plays chess on Sundays", metadata={"topic": "hobby"})
    assert event.previous_text == "Plays chess"
    assert memory.get(mid).metadata == {"topic": "hobby"}
    assert memory.search("Sundays", user_id="u")[0].id == mid
    assert [h.event for h in memory.history(mid)] == [Action.ADD, Action.UPDATE]
    assert memory.history(mid)[1].actor == "user"
    memory.delete(mid)
    with pytest.raises(MemoryNotFoundError):
        memory.get(mid)
    with pytest.raises(MemoryNotFoundError):
        memory.history(mid)  # a user's delete erases the history too
    assert not memory.search("chess", user_id="u")


def test_model_decisions_keep_the_old_text_in_history_for_audit():
    def respond(prompt, schema):
        if schema.__name__ == "ExtractedFacts":
            return {"facts": []}
        return {"event": "DELETE", "id": 0, "text": ""}

    memory = fake_memory(responses=respond)
    mid = memory.add("I eat meat every day", user_id="u")[0].id
    events = memory.add("I eat no meat every day anymore", user_id="u")
    # An ending is decided without the model: the old fact ends, its text stays in history,
    # and the ending is kept as a fact of its own.
    assert [e.event for e in events] == [Action.DELETE, Action.ADD] and events[0].id == mid
    assert memory.history(mid)[-1].old_text == "Eats meat every day"
    assert memory.history(mid)[-1].reason == f"ended by memory {events[1].id}"
    assert [m.text for m in memory.get_all(user_id="u")] == ["Eats no meat every day anymore"]


def test_delete_all_is_scoped_and_reset_clears_everything():
    memory = fake_memory()
    memory.add("I like tea", user_id="a")
    memory.add("I like coffee", user_id="b")
    assert memory.delete_all(user_id="a") == 1
    assert not memory.get_all(user_id="a")
    assert memory.get_all(user_id="b")[0].text == "Likes coffee"
    memory.reset()
    assert not memory.get_all(user_id="b")
    assert memory.stats().scopes == []  # raw messages too


def test_items_dump_to_mem0_shaped_dicts():
    memory = fake_memory()
    event = memory.add("I live in Oslo", user_id="u", metadata={"src": "chat"})[0]
    assert event.to_dict() == {"id": event.id, "memory": "Lives in Oslo", "event": "ADD"}
    found = memory.search("Oslo", user_id="u").to_dict()
    first = found["results"][0]
    assert first["memory"] == "Lives in Oslo" and first["user_id"] == "u"
    assert first["metadata"] == {"src": "chat"} and "score" in first and "created_at" in first
    assert memory.history(event.id)[0].to_dict()["new_memory"] == "Lives in Oslo"


def test_search_filters_and_threshold():
    memory = fake_memory()
    memory.add("I like jazz", user_id="u", metadata={"topic": "music"})
    memory.add("I like hiking", user_id="u", metadata={"topic": "sport"})
    hits = memory.search("like", user_id="u", filters={"topic": "sport"})
    assert [h.text for h in hits if h.kind == "fact"] == ["Likes hiking"]
    assert not memory.search("jazz", user_id="u", threshold=5.0)
    assert len(memory.search("like", user_id="u", limit=1)) == 1


def test_max_words_returns_the_best_items_that_fit_the_budget_in_rank_order():
    memory = fake_memory()
    for text in ("I play the cello in a small orchestra that meets every Tuesday evening downtown.",
                 "I like cello music.", "I have a cat named Miso."):
        memory.add(text, user_id="u", infer=False)
    ranked = memory.search("cello", user_id="u", limit=10)
    sizes = [len(item.text.split()) for item in ranked]
    assert len(ranked) == 3
    budget = sum(sizes) - 1  # one word short of everything: something must be left out
    packed = memory.search("cello", user_id="u", limit=10, max_words=budget)
    assert sum(len(item.text.split()) for item in packed) <= budget
    assert [item.id for item in packed] == [i.id for i in ranked if i.id in {p.id for p in packed}]
    # a long item that does not fit is skipped for shorter ones ranked below it
    longest = ranked[sizes.index(max(sizes))]
    short = memory.search("cello", user_id="u", limit=10, max_words=max(sizes) - 1)
    assert len(short) == 2 and longest.id not in {item.id for item in short}
    assert len(memory.search("cello", user_id="u", limit=1, max_words=1000)) == 1  # limit still caps
    assert not memory.search("cello", user_id="u", max_words=min(sizes) - 1)  # nothing fits


def test_with_a_budget_a_raw_message_behind_a_returned_fact_is_not_repeated():
    memory = fake_memory()
    memory.add([{"role": "user", "content": "I like jazz."},
                {"role": "user", "content": "The concert at the Blue Note was loud."}], user_id="u")
    results = memory.search("jazz concert", user_id="u", limit=20, max_words=200)
    behind = {m for item in results if item.kind == "fact" for m in item.source_message_ids}
    messages = [item for item in results if item.kind == "message"]
    assert behind and messages  # a fact and the message no fact covers
    assert all(-item.id not in behind for item in messages)


def test_search_results_are_empty_and_falsy_when_nothing_matches():
    memory = fake_memory()
    results = memory.search("anything at all", user_id="nobody")
    assert not results and results == [] and results.to_dict() == {"results": []}


def test_facts_come_first_and_raw_messages_fill_in_with_negative_ids():
    memory = fake_memory()
    memory.add(
        [{"role": "user", "content": "The concert at the Blue Note was loud."},
         {"role": "user", "content": "I like jazz."}],
        user_id="u",
    )
    results = memory.search("Blue Note concert", user_id="u", limit=5)
    kinds = {r.kind for r in results}
    assert kinds == {"fact", "message"}
    raw = [r for r in results if r.kind == "message"]
    assert raw[0].id < 0 and "Blue Note" in raw[0].text
    assert memory.get(raw[0].id).text == raw[0].text
    assert raw[0].metadata["role"] == "user"


def test_custom_extraction_prompt_per_call_and_in_config(tmp_path):
    from localmem import EmbedderConfig, HashEmbedder, LLMConfig, Memory, MemoryConfig

    seen = []

    def respond(prompt, schema):
        seen.append(prompt)
        return {"facts": []}

    from localmem import FakeLLM

    config = MemoryConfig(
        llm=LLMConfig(provider="fake"), embedder=EmbedderConfig(provider="hash"),
        fact_extraction_prompt="CUSTOM {messages}",
    )
    memory = Memory(config=config, path=tmp_path, llm=FakeLLM(respond), embedder=HashEmbedder())
    memory.add("I fly kites", user_id="u")
    memory.add("I fly kites", user_id="u", prompt="PER CALL: {messages}")
    assert seen[0] == "CUSTOM I fly kites" and seen[1] == "PER CALL: I fly kites"


def test_the_model_sees_small_ids_and_an_id_not_offered_is_never_applied():
    prompts = []

    def respond(prompt, schema):
        if schema.__name__ == "ExtractedFacts":
            return {"facts": []}
        prompts.append(prompt)
        return {"event": "UPDATE", "id": 7, "text": "hijack"}

    memory = fake_memory(responses=respond)
    memory.add("I enjoy long walks on the beach at sunset", user_id="u")
    events = memory.add("I enjoy long walks on the beach at dawn", user_id="u")
    assert prompts, "an ambiguous fact goes to the model"
    assert "0: Enjoys long walks on the beach at sunset" in prompts[0]
    assert events[0].event is Action.ADD  # id 7 was not offered
    assert len(memory.get_all(user_id="u")) == 2


def test_model_update_among_offered_candidates_is_applied():
    def respond(prompt, schema):
        if schema.__name__ == "ExtractedFacts":
            return {"facts": []}
        return {"event": "UPDATE", "id": 0, "text": "Enjoys long walks on the beach at dawn"}

    memory = fake_memory(responses=respond)
    first = memory.add("I enjoy long walks on the beach at sunset", user_id="u")[0]
    event = memory.add("I enjoy long walks on the beach at dawn", user_id="u")[0]
    assert event.event is Action.UPDATE and event.replaced_id == first.id
    assert memory.get(event.id).text == "Enjoys long walks on the beach at dawn"


def test_a_looping_or_bare_model_fact_is_dropped_and_counted():
    loop = "Is going to Miami, and they're going to Miami, and they're going to Miami"
    memory = fake_memory(responses=[{"facts": [loop, "Miami"]}])
    events = memory.add("I'm going to Miami next week", user_id="u")
    assert [e.text for e in events] == ["Is going to Miami next week"]  # the rule rewrite
    assert memory.last_extraction.dropped == [loop, "Miami"]
