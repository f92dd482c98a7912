"""Bad input: a clear InvalidInputError (or MemoryNotFoundError) and the store unchanged."""

import pytest

from localmem import InvalidInputError, LocalmemError, MemoryNotFoundError
from tests.helpers import dump, fake_memory

BAD_MESSAGES = [
    ([], "empty"),
    ("", "empty"),
    ("   ", "empty"),
    ([{"role": "robot", "content": "hi"}], "role"),
    ([{"role": "user", "content": 42}], "must be a string"),
    ([{"role": "user", "content": None}], "must be a string"),
    ([{"role": "user", "content": ["a", "b"]}], "must be a string"),
    ([{"role": "user"}], "must be a string"),
    (["just a string in a list"], "must be a dict"),
    (42, "must be a string, a dict or a list"),
    ([{"role": "user", "content": "x" * 100_001}], "split it"),
    ([{"role": "user", "content": "bad \ud800 surrogate"}], "surrogate"),
    ([{"role": "user", "content": "nul \x00 byte"}], "NUL"),
    ([{"role": "user", "content": "hi", "extra": 1}], "unknown keys"),
]


@pytest.mark.parametrize(("messages", "needle"), BAD_MESSAGES)
def test_bad_messages_are_refused_and_nothing_is_stored(messages, needle):
    memory = fake_memory()
    memory.add("I like tea", user_id="u")
    before = dump(memory)
    with pytest.raises(InvalidInputError, match=needle):
        memory.add(messages, user_id="u")
    assert dump(memory) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"user_id": ""},
        {"user_id": 5},
        {"agent_id": "a\nb"},
        {"metadata": "not a dict"},
        {"metadata": {"x": float("nan")}},
        {"metadata": {"x": object()}},
        {"metadata": {1: "int key"}},
        {"timestamp": "yesterday-ish"},
        {"infer": "yes"},
    ],
)
def test_bad_arguments_to_add_are_refused(kwargs):
    memory = fake_memory()
    before = dump(memory)
    with pytest.raises(InvalidInputError):
        memory.add("I like tea", **kwargs)
    assert dump(memory) == before


def test_deeply_nested_metadata_is_refused():
    nested: dict = {}
    cursor = nested
    for _ in range(20):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(InvalidInputError, match="nested"):
        fake_memory().add("I like tea", metadata=nested)


@pytest.mark.parametrize("bad_id", ["abc", "../../etc/passwd", 1.5, None, True, 0, "1; DROP TABLE memories"])
def test_bad_ids_are_refused(bad_id):
    memory = fake_memory()
    memory.add("I like tea", user_id="u")
    before = dump(memory)
    for call in (memory.get, memory.delete, memory.history):
        with pytest.raises(InvalidInputError):
            call(bad_id)
    with pytest.raises(InvalidInputError):
        memory.update(bad_id, "x")
    assert dump(memory) == before


def test_unknown_ids_are_not_found_and_change_nothing():
    memory = fake_memory()
    memory.add("I like tea", user_id="u")
    before = dump(memory)
    for call in (memory.get, memory.delete, memory.history):
        with pytest.raises(MemoryNotFoundError, match="12345"):
            call(12345)
    with pytest.raises(MemoryNotFoundError):
        memory.update(12345, "new text")
    with pytest.raises(MemoryNotFoundError):
        memory.get(-999)
    assert dump(memory) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": -3},
        {"limit": "5"},
        {"threshold": float("nan")},
        {"max_words": 0},
        {"max_words": 2.5},
        {"max_words": True},
        {"filters": "user_id = 'x' OR 1=1"},
        {"filters": {"a' OR '1'='1": 1}},
        {"filters": {"topic": {"$in": ["a"]}}},
    ],
)
def test_bad_search_arguments_are_refused(kwargs):
    with pytest.raises(InvalidInputError):
        fake_memory().search("tea", **kwargs)


def test_delete_all_without_a_scope_is_refused():
    memory = fake_memory()
    memory.add("I like tea", user_id="u")
    with pytest.raises(InvalidInputError, match="reset"):
        memory.delete_all()
    assert memory.get_all(user_id="u")


def test_update_with_empty_text_is_refused():
    memory = fake_memory()
    mid = memory.add("I like tea", user_id="u")[0].id
    with pytest.raises(InvalidInputError):
        memory.update(mid, "  ")
    assert memory.get(mid).text == "Likes tea"


def test_model_output_that_is_not_json_is_counted_not_fatal():
    memory = fake_memory(responses=["this is not json"])
    events = memory.add("I like tea", user_id="u")
    assert [e.text for e in events] == ["Likes tea"]  # the deterministic path still stored it
    assert memory.last_extraction.model_error


def test_errors_are_localmem_errors():
    with pytest.raises(LocalmemError):
        fake_memory().add(None)  # type: ignore[arg-type]
