"""`localmem import-chats`: ChatGPT and Claude exports (zip and plain), resume after a kill,
Ctrl-C, malformed files, and a 10,000-message export; on real SQLite with the fake backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from chat_exports import (T0, chatgpt_sample, claude_sample, generated_chatgpt, write_json,
                          write_zip)
from helpers import dump, fake_memory
from localmem import InvalidInputError
from localmem.frontends.chat_import import KEY_FIELD, ChatImporter, read_export
from localmem.frontends.cli import cli

CHILD = Path(__file__).with_name("chat_import_child.py")
LISBON = ["I moved to Lisbon last spring.", "I work as a nurse there.",
          "My sister Ana visits in June."]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """The CLI on one home with the fake backends; returns click's Result."""
    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = tmp_path / "home"

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--home", str(home), *args])

    invoke.home = home
    return invoke


def per_key(home: Path, user: str = "default") -> tuple[Counter, Counter]:
    """How many memories, and how many raw messages, each import key has in the home."""
    with fake_memory(home) as memory:
        facts = Counter(m.metadata.get(KEY_FIELD) for m in memory.get_all(user_id=user,
                                                                          limit=1_000_000))
        rows = dump(memory)["messages"]
    raw = Counter(json.loads(r[7]).get(KEY_FIELD) for r in rows)  # column 7: metadata
    return facts, raw


# --- the two formats -----------------------------------------------------------------------------


def test_chatgpt_zip_and_plain_file_read_the_same_visible_thread(tmp_path):
    plain = read_export(write_json(tmp_path / "conversations.json", chatgpt_sample()), "chatgpt")
    zipped = read_export(write_zip(tmp_path / "export.zip", chatgpt_sample()), "chatgpt")
    assert plain.turns == zipped.turns and zipped.name.endswith("export.zip!conversations.json")
    texts = [t.text for t in plain.turns]
    # oldest first; the untimed conversation takes its own time; the regenerated reply, the
    # system and tool messages, and the image part are not there; the image-only message is
    # counted as skipped
    assert texts == ["I am allergic to peanuts.", *LISBON]
    assert plain.skipped == 1 and plain.conversations == 2
    untitled, moved, nurse, sister = plain.turns
    assert untitled.conversation == "(untitled)"
    assert untitled.said_at.startswith("2023-11-13T22:13:20")
    assert moved.context is None and nurse.context == "Lisbon is lovely. What brought you there?"
    assert sister.context == "Nursing is demanding work."
    assert nurse.metadata() == {"source": "chatgpt", "conversation": "Moving to Lisbon",
                                "conversation_id": "conv-lisbon", "message_id": "u2",
                                KEY_FIELD: "chatgpt:conv-lisbon:u2"}


def test_claude_export_reads_text_blocks_or_the_text_field(tmp_path):
    export = read_export(write_zip(tmp_path / "claude.zip", claude_sample()), "claude")
    garden, cat = export.turns
    assert (garden.text, garden.context) == ("I grow tomatoes on my balcony.", None)
    assert (cat.text, cat.context) == ("My cat Miso eats the leaves.", "Tomatoes like sun.")
    assert cat.said_at == "2024-05-01T09:01:00.000000+00:00" and cat.key == "claude:c-garden:m3"
    assert export.conversations == 2 and export.skipped == 0


@pytest.mark.parametrize("fmt,sample,texts", [
    ("chatgpt", chatgpt_sample, ["I am allergic to peanuts.", *LISBON]),
    ("claude", claude_sample, ["I grow tomatoes on my balcony.", "My cat Miso eats the leaves."]),
])
def test_cli_stores_each_user_message_once_at_its_time_with_its_conversation(
        run, tmp_path, fmt, sample, texts):
    path = write_zip(tmp_path / "export.zip", sample())
    first = run("--json", "import-chats", str(path), "--format", fmt, "--user", "ana", "--no-infer")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["already"], summary["left"]) == (len(texts), 0, 0)
    with fake_memory(run.home) as memory:
        items = sorted(memory.get_all(user_id="ana"), key=lambda m: m.observed_at)
    assert [m.text for m in items] == texts
    expected = {t.key: t for t in read_export(path, fmt).turns}
    for item in items:
        turn = expected[item.metadata[KEY_FIELD]]
        assert item.observed_at.isoformat(timespec="microseconds") == turn.said_at
        assert item.metadata["conversation"] == turn.conversation

    before = dump(fake_memory(run.home))
    again = run("import-chats", str(path), "--format", fmt, "--user", "ana", "--no-infer")
    assert again.exit_code == 0 and f"added 0 of {len(texts)}" in again.stdout
    assert f"{len(texts)} of {len(texts)} messages are stored already" in again.stderr
    assert dump(fake_memory(run.home)) == before


def test_infer_adds_the_reply_before_as_context_and_tags_the_facts(tmp_path):
    export = read_export(write_json(tmp_path / "c.json", chatgpt_sample()), "chatgpt")
    with fake_memory(tmp_path / "home", responses=lambda prompt, schema: (
            {"facts": ["User works as a nurse"]} if "nurse" in prompt and "facts" in
            schema.model_fields else {"facts": []} if "facts" in schema.model_fields
            else {"event": "ADD"})) as memory:
        report = ChatImporter(memory, export.turns, user_id="ana", infer=True).run()
        assert (report.added, report.left) == (4, 0)
        nurse = [m for m in memory.get_all(user_id="ana") if "nurse" in m.text]
        assert nurse and nurse[0].metadata["message_id"] == "u2"
        sources = [memory.get(-i) for i in nurse[0].source_message_ids]
        raw = dump(memory)["messages"]
    assert [s.text for s in sources] == ["I work as a nurse there."]
    assert ("assistant", "Lisbon is lovely. What brought you there?") in [(r[1], r[2]) for r in raw]


# --- bad files -----------------------------------------------------------------------------------


def _gpt_with(**changes):
    convs = chatgpt_sample()
    convs[-1] = {**convs[-1], **changes}  # the last conversation: the whole file is checked first
    return convs


def _nul_in_last():
    convs = chatgpt_sample()
    convs[-1]["mapping"]["x1"]["message"]["content"]["parts"] = ["bad \x00 text"]
    return convs


def _claude_bad_sender():
    convs = claude_sample()
    convs[0]["chat_messages"][2]["sender"] = "system"
    return convs


BAD_FILES = {
    "not JSON": (lambda p: p.write_text("<html>nope</html>"), "chatgpt", "is not JSON"),
    "cut short": (lambda p: p.write_text(json.dumps(chatgpt_sample())[:500]), "chatgpt",
                  "ends before its JSON does"),
    "an object": (lambda p: p.write_text('{"conversations": []}'), "chatgpt",
                  "not a list of conversations"),
    "not UTF-8": (lambda p: p.write_bytes(b'[{"title": "\xff"}]'), "chatgpt", "not UTF-8"),
    "zip without it": (lambda p: write_zip(p, [], member="chats.json"), "chatgpt",
                       "zip without conversations.json"),
    "cut-short zip": (lambda p: p.write_bytes(write_zip(p, chatgpt_sample()).read_bytes()[:300]),
                      "chatgpt", "damaged or cut-short zip"),
    "other format": (lambda p: write_json(p, claude_sample()), "chatgpt", "use --format claude"),
    "no mapping": (lambda p: write_json(p, _gpt_with(mapping=None)), "chatgpt",
                   "conversation 1: mapping: Input should be a valid dictionary"),
    "missing node": (lambda p: write_json(p, _gpt_with(current_node="gone")), "chatgpt",
                     "node 'gone' is on its thread but not in its mapping"),
    "NUL in text": (lambda p: write_json(p, _nul_in_last()), "chatgpt",
                    "conversation 1: message 'x1' contains a NUL character"),
    "bad sender": (lambda p: write_json(p, _claude_bad_sender()), "claude",
                   "chat_messages[2] (id 'm3').sender: Input should be 'human' or 'assistant'"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gets_one_clear_line_and_changes_nothing(run, tmp_path, case):
    write, fmt, expected = BAD_FILES[case]
    assert run("add", "I keep bees", "--no-infer").exit_code == 0
    before = dump(fake_memory(run.home))
    path = tmp_path / "bad.json"
    write(path)
    result = run("import-chats", str(path), "--format", fmt, "--no-infer")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert expected in result.stderr and result.stdout == ""
    assert dump(fake_memory(run.home)) == before


def test_a_message_without_any_time_is_refused_by_name(tmp_path):
    convs = chatgpt_sample()
    convs[1]["create_time"] = None
    with pytest.raises(InvalidInputError, match="message 'x1' has no create_time"):
        read_export(write_json(tmp_path / "c.json", convs), "chatgpt")


# --- stopping and resuming -----------------------------------------------------------------------


def _child(home: Path, export: Path, stall_at: int) -> subprocess.Popen:
    """The import in a child process, stalled inside its ``stall_at``-th add."""
    paths = [str(CHILD.parent.parent), str(CHILD.parent)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(home), str(stall_at), str(export),
         "--format", "chatgpt", "--no-infer"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert child.stdout.readline() == "stalled\n", child.communicate(timeout=60)
    return child


def _await_line(stream, text: str) -> None:
    for line in stream:
        if text in line:
            return
    raise AssertionError(f"the child ended without printing {text!r}")


def test_a_killed_import_resumes_and_stores_every_message_exactly_once(run, tmp_path):
    export = write_json(tmp_path / "c.json", generated_chatgpt(4, 10))
    child = _child(run.home, export, stall_at=17)
    child.kill()  # SIGKILL inside the 17th add: no cleanup of any kind runs
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    facts, raw = per_key(run.home)
    assert len(facts) == 16 and set(facts.values()) == {1} and facts == raw

    resumed = run("--json", "import-chats", str(export), "--format", "chatgpt", "--no-infer")
    assert resumed.exit_code == 0, resumed.output
    assert (json.loads(resumed.stdout)["already"], json.loads(resumed.stdout)["added"]) == (16, 24)
    facts, raw = per_key(run.home)
    assert len(facts) == 40 and set(facts.values()) == {1} and facts == raw
    with fake_memory(run.home) as memory:  # the indexes caught up with what SQLite holds
        hit = memory.search("note 16: the number 16 is mine", user_id="default", limit=1)
    assert hit[0].text == "note 16: the number 16 is mine"


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(run, tmp_path, presses):
    export = write_json(tmp_path / "c.json", generated_chatgpt(2, 10))
    child = _child(run.home, export, stall_at=5)
    child.send_signal(signal.SIGINT)
    _await_line(child.stderr, "stopping after the current message")
    if presses == 2:
        child.send_signal(signal.SIGINT)  # abandon the add it is in
    out, err = child.communicate("\n", timeout=60)
    stored = 5 if presses == 1 else 4  # the 5th add finishes, or is rolled back
    assert child.returncode == 130, err
    assert f"added {stored} of 20 messages" in out
    assert f"stopped with {20 - stored} messages left; run the same command again" in err
    facts, raw = per_key(run.home)
    assert len(facts) == stored and set(facts.values()) == {1} and facts == raw

    resumed = run("import-chats", str(export), "--format", "chatgpt", "--no-infer")
    assert resumed.exit_code == 0 and f"added {20 - stored} of 20" in resumed.stdout
    facts, raw = per_key(run.home)
    assert len(facts) == 20 and set(facts.values()) == {1} and facts == raw


def test_a_stop_request_ends_the_run_between_adds(tmp_path):
    export = read_export(write_json(tmp_path / "c.json", generated_chatgpt(1, 6)), "chatgpt")
    with fake_memory(tmp_path / "home") as memory:
        importer = ChatImporter(memory, export.turns, user_id="u", infer=False)

        def stop_after_two(turn):
            if importer.report.added == 2:
                importer.stop_requested = True

        report = importer.run(stop_after_two)
        assert (report.added, report.left, report.stopped) == (2, 4, True)
        again = ChatImporter(memory, export.turns, user_id="u", infer=False)
        assert (again.report.already, len(again.todo)) == (2, 4)
        assert again.run().left == 0
        assert len(memory.get_all(user_id="u")) == 6


# --- size ----------------------------------------------------------------------------------------


def test_ten_thousand_messages_go_in_and_a_rerun_skips_them_all(tmp_path):
    # 5,000 user messages, each answered: 10,000 messages
    path = write_zip(tmp_path / "big.zip", generated_chatgpt(100, 50))
    export = read_export(path, "chatgpt")
    assert len(export.turns) == 5_000 and export.turns[0].said_at < export.turns[-1].said_at
    with fake_memory() as memory:  # in memory: this test is about the import's cost, not disk
        report = ChatImporter(memory, export.turns, user_id="u", infer=False).run()
        assert (report.added, report.left) == (5_000, 0)
        rerun = ChatImporter(memory, export.turns, user_id="u", infer=False)
        assert (rerun.report.already, rerun.todo) == (5_000, [])
        stored = memory.get_all(user_id="u", limit=10_000)
    assert len({m.metadata[KEY_FIELD] for m in stored}) == 5_000
    assert min(m.observed_at for m in stored).timestamp() == T0


def test_a_message_longer_than_an_add_takes_is_stored_in_parts(tmp_path):
    convs = generated_chatgpt(1, 1)
    long_text = "".join(f"Day {i}: I kept my diary. " for i in range(9_000))  # 241,890 chars
    convs[0]["mapping"]["u0"]["message"]["content"]["parts"] = [long_text]
    export = read_export(write_json(tmp_path / "c.json", convs), "chatgpt")
    with fake_memory() as memory:
        ChatImporter(memory, export.turns, user_id="u", infer=False).run()
        parts = sorted(memory.get_all(user_id="u"), key=lambda m: m.id)
    assert "".join(m.text for m in parts) == long_text and len(parts) == 3
    assert all(m.text.endswith(" ") for m in parts)  # cut between words; one message holds 100k


# --- the two Memory methods the import stands on -------------------------------------------------


def test_metadata_values_names_what_every_add_stored_in_its_scope(tmp_path):
    with fake_memory(tmp_path / "home") as memory:
        memory.add("I like tea", user_id="ana", infer=False, metadata={"k": "a"})
        memory.add("I like maps", user_id="ana", infer=True, metadata={"k": "b"})
        memory.add("I like jazz", user_id="bo", infer=False, metadata={"k": "c"})
        memory.add("no key here", user_id="ana", infer=False)
        assert memory.metadata_values("k", user_id="ana") == {"a", "b"}
        assert memory.metadata_values("k", user_id="bo") == {"c"}
        assert memory.metadata_values("other", user_id="ana") == set()
        with pytest.raises(InvalidInputError, match="filter key"):
            memory.metadata_values("bad key'", user_id="ana")


def test_bulk_saves_the_indexes_once_at_its_end_and_a_reader_sees_every_add(tmp_path):
    home = tmp_path / "home"
    saved = lambda: json.loads((home / "index.json").read_text())["version"]  # noqa: E731
    with fake_memory(home) as memory:
        start = saved()
        with memory.bulk():
            for i in range(3):
                memory.add(f"fact number {i}", user_id="u", infer=False)
            assert saved() == start  # nothing written to the index files yet
            with fake_memory(home) as other:  # another process catches up from SQLite
                found = other.search("fact number 2", user_id="u", limit=1)
                assert found[0].text == "fact number 2"
        assert saved() == start + 3
