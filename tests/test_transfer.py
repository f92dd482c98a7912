"""Export / import as JSON Lines: an exact round trip, and refusals that store nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from localmem import FakeLLM, HashEmbedder, InvalidInputError, Memory
from localmem.frontends.cli import cli
from localmem.frontends.transfer import export_lines, import_lines
from tests.helpers import backend, sql

TABLES = ("messages", "memories", "memory_sources", "history")


def responder(prompt, schema):
    """Extraction: one fact per known sentence; decisions follow the pipeline's defaults."""
    if schema.__name__ == "ExtractedFacts":
        message = prompt.rsplit("Message:", 1)[1]
        facts = []
        if "Lyon" in message:
            facts.append("Lives in Lyon")
        if "pizza" in message:
            facts.append("Does not like pizza" if "anymore" in message else "Likes pizza")
        return {"facts": facts}
    return {"event": "ADD"}


def open_memory(path) -> Memory:
    return Memory(path=path, llm=FakeLLM(responder), embedder=HashEmbedder())


def table_rows(memory: Memory) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        order = "memory_id, message_id" if table == "memory_sources" else "id"
        out[table] = sql(memory, f"SELECT * FROM {table} ORDER BY {order}")
    return out


@pytest.fixture
def source(tmp_path) -> Memory:
    """A home with two users, inferred and verbatim memories, an update, metadata and a retired memory."""
    memory = open_memory(tmp_path / "a")
    memory.add("I live in Lyon and I like pizza", user_id="ana", metadata={"topic": "life", "n": 2})
    memory.add("I don't like pizza anymore", user_id="ana")
    memory.add([{"role": "user", "content": "Call me Bo"}, {"role": "assistant", "content": "Hi Bo"}],
               user_id="bo", agent_id="helper", run_id="r1", infer=False, timestamp="2024-05-01T10:00:00Z")
    kept = memory.add("Remember the pin is 4321", user_id="bo", infer=False)[0].id
    memory.update(kept, "The pin is 9876", metadata={"secret": True})
    gone = memory.add("Temporary note", user_id="bo", infer=False)[0].id
    retire(memory, gone)
    memory.close()
    return open_memory(tmp_path / "a")


def retire(memory: Memory, memory_id: int) -> None:
    """A model's DELETE before m007 (valid time): the row went, its history stayed."""
    with backend(memory).write():
        rows = backend(memory).rows
        rows.end_memory(memory_id, "model", "no longer true", "2024-01-01T00:00:00+00:00")
        rows.execute("DELETE FROM memories WHERE id=?", [memory_id])


def test_round_trip_is_exact(source, tmp_path):
    lines = list(export_lines(source))
    target = open_memory(tmp_path / "b")
    report = import_lines(target, lines)

    assert table_rows(target) == table_rows(source)
    assert (report.messages, report.memories, report.history) == (
        len(table_rows(source)["messages"]), len(table_rows(source)["memories"]),
        len(table_rows(source)["history"]),
    )
    for user in ("ana", "bo"):
        assert target.get_all(user_id=user) == source.get_all(user_id=user)
        for query in ("where does she live", "pin", "pizza", "Bo"):
            assert target.search(query, user_id=user) == source.search(query, user_id=user)
    for memory_id in {row[1] for row in table_rows(source)["history"]}:
        assert target.history(memory_id) == source.history(memory_id)
    assert list(export_lines(target)) == lines


def test_round_trip_survives_reopening(source, tmp_path):
    lines = list(export_lines(source))
    target = open_memory(tmp_path / "b")
    import_lines(target, lines)
    target.close()
    reopened = open_memory(tmp_path / "b")
    assert reopened.search("pin", user_id="bo") == source.search("pin", user_id="bo")
    # new writes continue after the imported ids instead of clashing with them
    new_id = reopened.add("A new thing", user_id="bo", infer=False)[0].id
    assert new_id > max(row[0] for row in table_rows(source)["memories"])


def test_existing_ids_are_refused_and_nothing_is_stored(source, tmp_path):
    lines = list(export_lines(source))
    target = open_memory(tmp_path / "b")
    target.add("Something of my own", user_id="cy", infer=False)
    before = table_rows(target)
    with pytest.raises(InvalidInputError, match=r"message id 1 already exists.*--replace"):
        import_lines(target, lines)
    assert table_rows(target) == before


def test_replace_overwrites_clashing_ids(source, tmp_path):
    lines = list(export_lines(source))
    target = open_memory(tmp_path / "b")
    target.add("Something of my own", user_id="cy", infer=False)
    report = import_lines(target, lines, replace=True)
    assert "memory 1" in report.replaced
    assert table_rows(target) == table_rows(source)
    assert target.get_all(user_id="cy") == []


def test_bad_line_names_the_line_and_stores_nothing(source, tmp_path):
    lines = list(export_lines(source))
    record = json.loads(lines[3])
    record["created_at"] = "yesterday"
    broken = lines[:3] + [json.dumps(record)] + lines[4:]
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match=r"line 4: created_at 'yesterday' is not an ISO 8601"):
        import_lines(target, broken)
    with pytest.raises(InvalidInputError, match=r"line 2: not JSON"):
        import_lines(target, [lines[0], "{not json", *lines[1:]])
    assert all(rows == [] for rows in table_rows(target).values())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(type="note"), "unknown record type 'note'"),
        (lambda r: r.pop("hash"), r"missing keys \['hash'\]"),
        (lambda r: r.update(colour="red"), r"unknown keys \['colour'\]"),
        (lambda r: r.update(id=-3), "memory id must be a positive integer"),
        (lambda r: r.update(embedding="AAAAAA=="), r"embedding is 4 bytes, expected 1536 \(384 float32"),
        (lambda r: r.update(embedding="***"), "embedding is not base64"),
        (lambda r: r.update(metadata=[1]), "metadata must be a dict"),
        (lambda r: r.update(text=""), "memory text is empty"),
        (lambda r: r.update(source_message_ids=[999]), r"source messages \[999\]"),
    ],
)
def test_invalid_memory_records_are_refused(source, tmp_path, change, message):
    lines = list(export_lines(source))
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "memory")
    record = json.loads(lines[index])
    change(record)
    lines[index] = json.dumps(record)
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match=message):
        import_lines(target, lines)
    assert all(rows == [] for rows in table_rows(target).values())


def test_header_is_required_and_checked(source, tmp_path):
    lines = list(export_lines(source))
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match="line 1: expected the localmem-export header"):
        import_lines(target, lines[1:])
    with pytest.raises(InvalidInputError, match="not a localmem export"):
        import_lines(target, [])
    other = Memory(path=tmp_path / "c", llm=FakeLLM(), embedder=HashEmbedder(64))
    with pytest.raises(InvalidInputError, match="384-dimension embeddings but this home's embedder makes 64"):
        import_lines(other, lines)


def test_duplicate_ids_in_the_file_are_refused(source, tmp_path):
    lines = list(export_lines(source))
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "history")
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match=rf"line {len(lines) + 1}: history id \d+ appears twice"):
        import_lines(target, [*lines, lines[index]])


# --- scoped export ----------------------------------------------------------------------------


@pytest.fixture
def two_users(tmp_path) -> Memory:
    """ana and bo, each with inferred or verbatim facts, an update and raw messages; plus "Ana"."""
    memory = open_memory(tmp_path / "two")
    memory.add("I live in Lyon and I like pizza", user_id="ana", metadata={"topic": "life"})
    pizza = next(m.id for m in memory.get_all(user_id="ana") if "pizza" in m.text)
    memory.update(pizza, "Loves pizza margherita", metadata={"edited": True})
    memory.add([{"role": "user", "content": "Ana asks about trains"},
                {"role": "assistant", "content": "Trains leave hourly"}],
               user_id="ana", agent_id="helper", run_id="r1", infer=False,
               timestamp="2024-05-01T10:00:00Z")
    garden = memory.add("Bo keeps a secret garden", user_id="bo", infer=False)[0].id
    memory.update(garden, "Bo keeps a secret orchard")
    memory.add([{"role": "user", "content": "Bo's pin is 4321"}], user_id="bo", agent_id="helper",
               run_id="r1", infer=False)
    memory.add("Capital Ana rows in Oslo", user_id="Ana", infer=False)  # exact match: not ana
    return memory


def scope_rows(memory: Memory, where: str, params: list) -> dict[str, list[tuple]]:
    """Every table's rows that belong to the memories and messages matching ``where``."""
    mems = f"SELECT id FROM memories WHERE {where}"
    msgs = f"SELECT id FROM messages WHERE {where}"
    queries = {
        "messages": (f"SELECT * FROM messages WHERE {where} ORDER BY id", params),
        "memories": (f"SELECT * FROM memories WHERE {where} ORDER BY id", params),
        "memory_sources": (f"SELECT * FROM memory_sources WHERE memory_id IN ({mems}) AND "
                           f"message_id IN ({msgs}) ORDER BY memory_id, message_id", params * 2),
        "history": (f"SELECT * FROM history WHERE memory_id IN ({mems}) ORDER BY id", params),
    }
    return {table: sql(memory, query, p) for table, (query, p) in queries.items()}


def texts_of(memory: Memory, user: str) -> set[str]:
    """Every text stored for ``user``: memories, raw messages, old and new texts in history."""
    mine = "memory_id IN (SELECT id FROM memories WHERE user_id = :user)"
    rows = sql(
        memory,
        "SELECT text FROM memories WHERE user_id = :user "
        "UNION SELECT content FROM messages WHERE user_id = :user "
        f"UNION SELECT old_text FROM history WHERE {mine} "
        f"UNION SELECT new_text FROM history WHERE {mine}",
        {"user": user},
    )
    return {r[0] for r in rows if r[0] is not None}


def test_user_scope_exports_only_that_user_and_imports_exactly(two_users, tmp_path):
    lines = list(export_lines(two_users, user_id="ana"))
    assert json.loads(lines[0]) == {"type": "header", "format": "localmem-export", "version": 1,
                                    "dims": 384, "embedder": "HashEmbedder-384",
                                    "scope": {"user_id": "ana"}}
    dump = "\n".join(lines)
    assert {"Bo keeps a secret garden", "Bo's pin is 4321"} <= texts_of(two_users, "bo")
    leaked = {t for t in texts_of(two_users, "bo") | texts_of(two_users, "Ana") if t in dump}
    assert leaked == set() and "Bo" not in dump and "Oslo" not in dump

    target = open_memory(tmp_path / "b")
    report = import_lines(target, lines)
    expected = scope_rows(two_users, "user_id = ?", ["ana"])
    assert table_rows(target) == expected
    assert all(expected[t] for t in TABLES)  # the fixture gives every table some rows
    assert [r[2] for r in expected["history"]] == ["ADD", "ADD", "UPDATE", "ADD", "ADD"]
    assert (report.messages, report.memories, report.history) == (3, 4, 5)
    assert target.get_all(user_id="ana") == two_users.get_all(user_id="ana")
    assert target.search("pizza", user_id="ana") == two_users.search("pizza", user_id="ana")
    assert target.get_all(user_id="bo") == [] and target.get_all(user_id="Ana") == []
    assert list(export_lines(target, user_id="ana")) == lines


def test_narrower_scope_matches_every_given_id_exactly(two_users, tmp_path):
    lines = list(export_lines(two_users, user_id="ana", agent_id="helper", run_id="r1"))
    assert json.loads(lines[0])["scope"] == {"user_id": "ana", "agent_id": "helper", "run_id": "r1"}
    target = open_memory(tmp_path / "b")
    import_lines(target, lines)
    where = "user_id = ? AND agent_id = ? AND run_id = ?"
    assert table_rows(target) == scope_rows(two_users, where, ["ana", "helper", "r1"])
    assert {r[3] for r in table_rows(target)["memories"]} == {"ana"}  # user_id
    by_run = list(export_lines(two_users, run_id="r1"))  # both users' r1 rows
    assert {json.loads(line).get("user_id") for line in by_run[1:]} >= {"ana", "bo"}


def test_links_to_messages_outside_the_scope_are_left_out(tmp_path):
    memory = open_memory(tmp_path / "a")
    memory.add("I live in Lyon", user_id="ana", run_id="r1")
    memory.add("I really live in Lyon", user_id="ana")  # same fact: linked to the r1 memory
    (fact,) = memory.get_all(user_id="ana")
    assert len(fact.source_message_ids) == 2
    lines = list(export_lines(memory, user_id="ana", run_id="r1"))
    target = open_memory(tmp_path / "b")
    import_lines(target, lines)
    assert table_rows(target) == scope_rows(memory, "user_id = ? AND run_id = ?", ["ana", "r1"])
    assert len(table_rows(target)["memory_sources"]) == 1


def test_history_of_a_retired_memory_travels_only_in_a_full_export(two_users):
    gone = int(two_users.add("Temporary note", user_id="ana", infer=False)[0].id)
    retire(two_users, gone)

    def history_of_gone(lines):
        return [r["event"] for r in map(json.loads, lines) if r.get("memory_id") == gone]

    assert history_of_gone(export_lines(two_users, user_id="ana")) == []
    assert history_of_gone(export_lines(two_users)) == ["ADD", "DELETE"]


def test_a_full_export_has_no_scope_in_its_header(two_users):
    header = next(export_lines(two_users))
    assert header == ('{"type": "header", "format": "localmem-export", "version": 1, "dims": 384, '
                      '"embedder": "HashEmbedder-384"}')


@pytest.mark.parametrize(
    "scope, message",
    [
        ({"user_id": ""}, "user_id must be a non-empty string"),
        ({"agent_id": "   "}, "agent_id must be a non-empty string"),
        ({"run_id": 7}, "run_id must be a non-empty string, got 7"),
        ({"user_id": "a\x01b"}, "user_id must be at most 256 printable characters"),
        ({"user_id": "x" * 257}, "user_id must be at most 256 printable characters"),
    ],
)
def test_bad_scope_values_are_refused_at_the_call(two_users, scope, message):
    with pytest.raises(InvalidInputError, match=message):
        export_lines(two_users, **scope)  # before any line is read


def test_import_checks_the_header_scope(two_users, tmp_path):
    lines = list(export_lines(two_users, user_id="ana"))
    target = open_memory(tmp_path / "b")
    for bad in ({"colour": "red"}, ["ana"], {"user_id": ""}):
        header = {**json.loads(lines[0]), "scope": bad}
        with pytest.raises(InvalidInputError, match="line 1: .*(header scope|user_id)"):
            import_lines(target, [json.dumps(header), *lines[1:]])
    assert all(rows == [] for rows in table_rows(target).values())


@pytest.fixture
def cli_run(tmp_path, monkeypatch):
    """Invoke the CLI on a home (fake backends); returns the click Result."""
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")

    def invoke(home, *args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args])

    return invoke


def test_cli_exports_one_users_data(cli_run, tmp_path):
    home, other = tmp_path / "home", tmp_path / "other"
    cli_run(home, "add", "Likes tea", "--user", "ana", "--no-infer")
    added = cli_run(home, "--json", "add", "Plays chess", "--user", "bo", "--no-infer")
    cli_run(home, "update", str(json.loads(added.stdout)[0]["id"]), "Plays go")
    cli_run(home, "add", "Ana's notes", "--user", "ana", "--agent", "helper", "--no-infer")

    exported = cli_run(home, "export", "--user-id", "ana")
    assert exported.exit_code == 0, exported.output
    assert "chess" not in exported.stdout and " go" not in exported.stdout
    assert json.loads(exported.stdout.splitlines()[0])["scope"] == {"user_id": "ana"}
    dump = tmp_path / "ana.jsonl"
    assert cli_run(home, "export", "--user", "ana", "--output", str(dump)).exit_code == 0
    assert dump.read_text() == exported.stdout
    imported = cli_run(other, "--json", "import", str(dump))
    assert json.loads(imported.stdout) == {"messages": 2, "memories": 2, "history": 2, "replaced": 0}
    listed = [cli_run(h, "--json", "list", "--user", "ana").stdout for h in (home, other)]
    assert listed[0] == listed[1]
    assert json.loads(cli_run(other, "--json", "list", "--user", "bo").stdout) == []

    narrow = cli_run(home, "export", "--user", "ana", "--agent-id", "helper").stdout.splitlines()
    assert [json.loads(line).get("text") for line in narrow if '"memory"' in line] == ["Ana's notes"]


def test_cli_bad_scope_prints_one_line_and_writes_nothing(cli_run, tmp_path):
    cli_run(tmp_path / "home", "add", "Likes tea", "--user", "ana", "--no-infer")
    out = tmp_path / "out.jsonl"
    result = cli_run(tmp_path / "home", "export", "--user", "", "--output", str(out))
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line] == [
        "Error: user_id must be a non-empty string, got ''"
    ]
    assert not out.exists()

