"""Bad input: a clear InvalidInputError (or MemoryNotFoundError) and the store unchanged."""

import pytest

from localmem import InvalidInputError, LocalmemError, MemoryNotFoundError
from tests.helpers import dump, fake_memory, sql

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


# --- issue 12: errors that escaped as OverflowError / KeyError / IndexError / ValueError ------


@pytest.mark.parametrize(
    "flt, needle",
    [
        ({"a": 2**63}, "beyond 64 bits"),
        ({"a": -(2**63) - 1}, "beyond 64 bits"),
        ({"a": 10**40}, "beyond 64 bits"),
        ({"a": "bad \ud800 surrogate"}, "surrogate"),
    ],
)
def test_filters_sqlite_cannot_bind_are_invalid_input(flt, needle):
    memory = fake_memory()
    memory.add("I like tea", user_id="u", metadata={"a": 1})
    before = dump(memory)
    for call in (lambda: memory.search("tea", user_id="u", filters=flt),
                 lambda: memory.get_all(user_id="u", filters=flt)):
        with pytest.raises(InvalidInputError, match=needle):
            call()
    assert dump(memory) == before
    # the edges of SQLite's integers still compare (and match nothing here)
    assert memory.get_all(user_id="u", filters={"a": 2**63 - 1}) == []
    assert memory.get_all(user_id="u", filters={"a": -(2**63)}) == []


def test_cli_list_with_a_huge_integer_filter_prints_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.frontends.cli import cli

    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = str(tmp_path / "home")
    CliRunner().invoke(cli, ["--home", home, "add", "Likes tea", "--user", "u", "--no-infer"])
    result = CliRunner().invoke(
        cli, ["--home", home, "list", "--user", "u", "--filters", '{"a": 9223372036854775808}']
    )
    assert result.exit_code == 1 and not isinstance(result.exception, OverflowError)
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("Error: filter 'a' is an integer beyond 64 bits")


BAD_PROMPTS = [
    ("{facts} {messages}", r"unknown placeholders \['\{facts\}'\]"),
    ("Extract {0} {messages}", r"unknown placeholders \['\{0\}'\]"),
    ("Extract {} {messages}", r"unknown placeholders \['\{\}'\]"),
    ("x { {messages}", "not a valid format string"),
    ("x } {messages}", "not a valid format string"),
    ("{messages.__class__}", "unknown placeholders"),
    ("{messages[0]}", "unknown placeholders"),
    ("{messages!r}", "unknown placeholders"),
    ("{messages:>99999999}", "unknown placeholders"),  # 100 MB of spaces, had it been formatted
    ("   ", "empty"),
    ("a\x00 {messages}", "NUL"),
]


@pytest.mark.parametrize(("prompt", "needle"), BAD_PROMPTS)
def test_a_per_call_prompt_gets_the_configured_prompts_check(prompt, needle):
    from localmem import ConfigError, MemoryConfig

    memory = fake_memory()
    memory.add("I like tea", user_id="u")
    before = dump(memory)
    with pytest.raises(InvalidInputError, match=needle):
        memory.add("I play chess", user_id="u", prompt=prompt)
    assert dump(memory) == before
    with pytest.raises(ConfigError, match=needle):  # one check for both
        MemoryConfig(fact_extraction_prompt=prompt)


def test_good_per_call_prompts_still_work():
    seen = []

    def respond(prompt, schema):
        seen.append(prompt)
        return {"facts": []} if schema.__name__ == "ExtractedFacts" else {"event": "ADD"}

    memory = fake_memory(responses=respond)
    memory.add("I play chess", user_id="u", prompt="On {today}, {{literal}}: {messages}",
               timestamp="2024-05-01T10:00:00Z")
    memory.add("I play go", user_id="u", prompt="No placeholder at all")
    assert seen[0] == "On 2024-05-01, {literal}: I play chess"
    assert seen[1].startswith("No placeholder at all") and seen[1].rstrip().endswith("I play go")


@pytest.mark.parametrize(
    "timestamp, said, kept",
    [
        ("0001-01-01T00:00:00", "I went to Paris yesterday", "yesterday"),
        ("9999-12-31T23:59:59", "I fly to Rome tomorrow", "tomorrow"),
    ],
)
def test_a_date_off_the_calendar_is_left_unresolved_and_nothing_is_lost(timestamp, said, kept):
    memory = fake_memory()
    events = memory.add(said, user_id="u", timestamp=timestamp)
    assert [e.event.value for e in events] == ["ADD"]
    assert kept in events[0].text
    raw = sql(memory, "SELECT content, observed_at FROM messages")
    assert raw == [(said, timestamp + ".000000+00:00")]


def test_resolve_dates_at_the_calendar_edges():
    from datetime import date

    from localmem.engine.extract import resolve_dates

    assert resolve_dates("Left yesterday", date.min) == "Left yesterday"
    assert resolve_dates("Leaves tomorrow", date.min) == "Leaves on 0001-01-02"
    assert resolve_dates("Leaves tomorrow, back today", date.max) == "Leaves tomorrow, back on 9999-12-31"
    assert resolve_dates("Left yesterday", date.max) == "Left on 9999-12-30"
