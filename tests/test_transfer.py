"""Export / import as JSON Lines: an exact round trip, and refusals that store nothing."""

from __future__ import annotations

import json

import pytest

from localmem import FakeLLM, HashEmbedder, InvalidInputError, Memory
from localmem.transfer import export_lines, import_lines

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
        out[table] = memory.store.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
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
    with memory.store.transaction():  # a model's DELETE: the row goes, its history stays
        memory.store.retire_memory(gone, "model", "no longer true")
        memory.store.bump_vectors_version()
    memory.close()
    return open_memory(tmp_path / "a")


def test_round_trip_is_exact(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
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
    assert list(export_lines(target.store, target.embedder.dims)) == lines


def test_round_trip_survives_reopening(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
    target = open_memory(tmp_path / "b")
    import_lines(target, lines)
    target.close()
    reopened = open_memory(tmp_path / "b")
    assert reopened.search("pin", user_id="bo") == source.search("pin", user_id="bo")
    # new writes continue after the imported ids instead of clashing with them
    new_id = reopened.add("A new thing", user_id="bo", infer=False)[0].id
    assert new_id > max(row[0] for row in table_rows(source)["memories"])


def test_existing_ids_are_refused_and_nothing_is_stored(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
    target = open_memory(tmp_path / "b")
    target.add("Something of my own", user_id="cy", infer=False)
    before = table_rows(target)
    with pytest.raises(InvalidInputError, match=r"message id 1 already exists.*--replace"):
        import_lines(target, lines)
    assert table_rows(target) == before


def test_replace_overwrites_clashing_ids(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
    target = open_memory(tmp_path / "b")
    target.add("Something of my own", user_id="cy", infer=False)
    report = import_lines(target, lines, replace=True)
    assert "memory 1" in report.replaced
    assert table_rows(target) == table_rows(source)
    assert target.get_all(user_id="cy") == []


def test_bad_line_names_the_line_and_stores_nothing(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
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
    lines = list(export_lines(source.store, source.embedder.dims))
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "memory")
    record = json.loads(lines[index])
    change(record)
    lines[index] = json.dumps(record)
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match=message):
        import_lines(target, lines)
    assert all(rows == [] for rows in table_rows(target).values())


def test_header_is_required_and_checked(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match="line 1: expected the localmem-export header"):
        import_lines(target, lines[1:])
    with pytest.raises(InvalidInputError, match="not a localmem export"):
        import_lines(target, [])
    other = Memory(path=tmp_path / "c", llm=FakeLLM(), embedder=HashEmbedder(64))
    with pytest.raises(InvalidInputError, match="384-dimension embeddings but this home's embedder makes 64"):
        import_lines(other, lines)


def test_duplicate_ids_in_the_file_are_refused(source, tmp_path):
    lines = list(export_lines(source.store, source.embedder.dims))
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "history")
    target = open_memory(tmp_path / "b")
    with pytest.raises(InvalidInputError, match=rf"line {len(lines) + 1}: history id \d+ appears twice"):
        import_lines(target, [*lines, lines[index]])
