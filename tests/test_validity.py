"""Facts valid in time: supersessions and endings keep the past answerable, reads see the
present by default, a user's delete still erases every version, and stores carry over."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from localmem.errors import InvalidInputError
from localmem.frontends.transfer import export_lines, import_lines
from localmem.storage.migrations import MIGRATIONS
from localmem.types import Action
from tests.helpers import backend, dump, fake_memory, in_step, sql

JAN, MAR, JUN, SEP = (f"2024-{m}-01T09:00:00+00:00" for m in ("01", "03", "06", "09"))


def texts(items):
    return [i.text for i in items]


@pytest.fixture
def job_change():
    """A barista (January) who became a software engineer (June)."""
    memory = fake_memory()
    old = memory.add("I work as a barista at Blue Bottle.", user_id="u", timestamp=JAN)[0]
    new = memory.add("I am now a software engineer at Google.", user_id="u", timestamp=JUN)[0]
    yield memory, old, new
    memory.close()


def test_a_supersession_ends_the_old_row_and_adds_the_new_value_as_its_own(job_change):
    memory, old, new = job_change
    assert new.event is Action.UPDATE and new.replaced_id == old.id and new.id != old.id
    assert new.previous_text == "Works as a barista at Blue Bottle"
    ended = memory.get(old.id)
    assert ended.valid_to is not None and ended.valid_to.isoformat() == JUN
    assert ended.ended_by == new.id and ended.valid_from.isoformat() == JAN
    current = memory.get(new.id)
    assert current.valid_from.isoformat() == JUN and current.valid_to is None
    assert texts(memory.get_all(user_id="u")) == ["Is now a software engineer at Google"]
    assert in_step(memory)  # the index holds the current row only


def test_search_as_of_answers_with_what_held_then(job_change):
    memory, old, new = job_change
    now = [i for i in memory.search("what is my job", user_id="u") if i.kind == "fact"]
    assert [i.id for i in now] == [new.id]
    assert [i.id for i in memory.search("what is my job", user_id="u", as_of=MAR)] == [old.id]
    assert [i.id for i in memory.search("what is my job", user_id="u", as_of=SEP)] == [new.id]
    assert [i.id for i in memory.search("what is my job", user_id="u", as_of=JUN)] == [new.id]
    assert memory.search("what is my job", user_id="u", as_of="2023-06-01") == []  # before both


def test_as_of_compares_instants_not_the_offsets_they_were_written_in(job_change):
    memory, old, new = job_change
    just_before = "2024-06-01T10:59:00+02:00"  # 08:59 UTC, a minute before the change
    assert [i.id for i in memory.search("job", user_id="u", as_of=just_before)] == [old.id]
    assert [i.id for i in memory.get_all(user_id="u", as_of="2024-06-01T11:00:00+02:00")] == [new.id]


def test_keyword_matches_of_ended_facts_stay_out_of_current_search(job_change):
    memory, old, _ = job_change
    # "Bottle" is only in the ended fact: current search must not surface it through FTS.
    facts = [i for i in memory.search("Blue Bottle", user_id="u") if i.kind == "fact"]
    assert old.id not in [i.id for i in facts]
    assert [i.id for i in memory.search("Blue Bottle", user_id="u", as_of=MAR)][0] == old.id


def test_an_ending_sets_valid_to_and_keeps_the_row():
    memory = fake_memory()
    cat = memory.add("I have a cat named Tom.", user_id="u", timestamp=JAN)[0]
    events = memory.add("I don't have a cat anymore.", user_id="u", timestamp=JUN)
    ending = next(e for e in events if e.event is Action.ADD)
    assert any(e.event is Action.DELETE and e.id == cat.id for e in events)
    gone = memory.get(cat.id)
    assert gone.valid_to.isoformat() == JUN and gone.ended_by == ending.id
    assert cat.id not in [i.id for i in memory.get_all(user_id="u")]
    assert [i.id for i in memory.search("my cat", user_id="u", as_of=MAR)] == [cat.id]
    assert cat.id not in [i.id for i in memory.search("my cat", user_id="u", as_of=SEP)]
    assert in_step(memory)


def test_get_all_includes_ended_facts_only_when_asked(job_change):
    memory, old, new = job_change
    assert [i.id for i in memory.get_all(user_id="u")] == [new.id]
    every = memory.get_all(user_id="u", include_ended=True)
    assert [(i.id, i.valid_to is None) for i in every] == [(new.id, True), (old.id, False)]
    assert [i.id for i in memory.get_all(user_id="u", as_of=MAR)] == [old.id]
    assert memory.stats().scopes[0].memories == 1  # counts what holds now


def test_history_shows_the_chain_from_either_end(job_change):
    memory, old, new = job_change
    expected = [(old.id, Action.ADD), (new.id, Action.ADD), (old.id, Action.DELETE)]
    for mid in (old.id, new.id):
        assert [(h.memory_id, h.event) for h in memory.history(mid)] == expected
    assert f"superseded by memory {new.id}" in memory.history(old.id)[-1].reason


def test_decisions_and_dedupe_look_at_current_rows_only():
    memory = fake_memory()
    first = memory.add("I have a cat named Tom.", user_id="u", timestamp=JAN)[0]
    memory.add("I don't have a cat anymore.", user_id="u", timestamp=MAR)
    again = memory.add("I have a cat named Tom.", user_id="u", timestamp=JUN)
    # Not NONE against the ended row of the same text: the ending is what it replaces.
    assert [(e.event, e.text) for e in again] == [(Action.UPDATE, "Has a cat named Tom")]
    assert again[0].id not in (first.id, again[0].replaced_id)
    assert texts(memory.get_all(user_id="u")) == ["Has a cat named Tom"]
    assert memory.get(first.id).valid_to.isoformat() == MAR


def test_an_update_that_refines_the_wording_stays_in_place():
    def respond(prompt, schema):
        if schema.__name__ == "ExtractedFacts":
            return {"facts": []}
        return {"event": "UPDATE", "id": 0, "text": "Enjoys long walks on the beach at sunset with Rex"}

    memory = fake_memory(responses=respond)
    first = memory.add("I enjoy long walks on the beach at sunset", user_id="u")[0]
    event = memory.add("I enjoy long walks on the beach at sunset with Rex", user_id="u")[0]
    assert event.event is Action.UPDATE and event.id == first.id and event.replaced_id is None
    assert memory.get(first.id).valid_to is None
    assert len(memory.get_all(user_id="u", include_ended=True)) == 1


def test_a_user_edit_stays_in_place(job_change):
    memory, _, new = job_change
    memory.update(new.id, "Is a staff engineer at Google")
    assert [i.id for i in memory.get_all(user_id="u", include_ended=True)] == [new.id, new.id - 1]
    assert memory.get(new.id).valid_from.isoformat() == JUN


@pytest.mark.parametrize("which", ["old", "new"])
def test_a_user_delete_erases_every_version_everywhere(tmp_path, which):
    memory = fake_memory(tmp_path)
    old = memory.add("I work as a barista at Blue Bottle.", user_id="u", timestamp=JAN)[0]
    new = memory.add("I am now a software engineer at Google.", user_id="u", timestamp=JUN)[0]
    keep = memory.add("I play the cello.", user_id="u", timestamp=JUN)[0]
    memory.delete(old.id if which == "old" else new.id)
    tables = json.dumps(dump(memory), default=str)
    for word in ("barista", "Bottle", "engineer", "Google"):
        assert word not in tables
    assert [i.id for i in memory.get_all(user_id="u", include_ended=True)] == [keep.id]
    assert in_step(memory)
    memory.close()
    db = (tmp_path / "memory.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("memory.db-*"))
    assert b"barista" not in db and b"Google" not in db  # scrubbed from the file too


def test_export_import_round_trip_keeps_validity(tmp_path, job_change):
    memory, old, new = job_change
    lines = list(export_lines(memory))
    target = fake_memory(tmp_path)
    import_lines(target, lines)
    assert dump(target)["memories"] == dump(memory)["memories"]
    assert [i.id for i in target.search("job", user_id="u", as_of=MAR)] == [old.id]
    assert [i.id for i in target.get_all(user_id="u")] == [new.id]
    assert in_step(target)
    scoped = [json.loads(x) for x in export_lines(memory, user_id="u")]
    ended = next(r for r in scoped if r["type"] == "memory" and r["id"] == old.id)
    assert (ended["valid_to"], ended["ended_by"]) == (JUN.replace("09:00:00", "09:00:00.000000"),
                                                     new.id)


def test_an_export_made_before_validity_imports_as_current(job_change):
    memory, _, _ = job_change
    lines = []
    for line in export_lines(memory):
        record = json.loads(line)
        if record["type"] == "memory":
            for key in ("valid_from", "valid_to", "ended_by"):
                record.pop(key)
        lines.append(json.dumps(record))
    target = fake_memory()
    import_lines(target, lines)
    every = target.get_all(user_id="u")
    assert len(every) == 2 and all(i.valid_to is None for i in every)
    assert sorted(i.valid_from.isoformat() for i in every) == [JAN, JUN]  # from observed_at


@pytest.mark.parametrize("key, value, message", [
    ("valid_to", "yesterday", "valid_to 'yesterday' is not an ISO 8601 timestamp"),
    ("ended_by", 0, "memory ended_by must be a positive integer"),
    ("ended_by", "2", "memory ended_by must be a positive integer"),
])
def test_bad_validity_in_an_import_is_refused_and_nothing_is_stored(job_change, key, value, message):
    memory, old, _ = job_change
    lines = [json.loads(x) for x in export_lines(memory)]
    next(r for r in lines if r["type"] == "memory")[key] = value
    target = fake_memory()
    before = dump(target)
    with pytest.raises(InvalidInputError, match=message):
        import_lines(target, [json.dumps(r) for r in lines])
    assert dump(target) == before


def _store_at_m006(path):
    """A database as localmem made it before m007, with memories observed in two offsets."""
    db = sqlite_utils.Database(sqlite3.connect(path))
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for migration in MIGRATIONS[:6]:
        assert migration.__name__ != "m007_valid_time"
        migration(db)
        db.execute("INSERT INTO _migrations VALUES (?, '2024-01-01')", [migration.__name__])
    return db


def test_m007_carries_a_store_made_at_m006_over(tmp_path):
    source = fake_memory()  # vectors the hash embedder makes, as the old code would have stored
    source.add("I live in Oslo.", user_id="u", timestamp=JAN)
    source.add("I play the cello.", user_id="u")
    rows = sql(source, "SELECT text, hash, embedding, created_at, updated_at FROM memories")
    db = _store_at_m006(tmp_path / "memory.db")
    db.execute("INSERT INTO store_settings VALUES ('embedder', 'HashEmbedder-384')")
    observed = ["2024-01-01T10:00:00.000000+01:00", None]  # Oslo in local time; cello: none
    for (text, hash_, blob, created, updated), when in zip(rows, observed):
        db.execute("INSERT INTO memories (text, hash, user_id, embedding, created_at, updated_at,"
                   " observed_at, attribute) VALUES (?, ?, 'u', ?, ?, ?, ?, NULL)",
                   [text, hash_, blob, created, updated, when])
    db.conn.commit()
    db.conn.close()

    memory = fake_memory(tmp_path)
    applied = sql(memory, "SELECT name FROM _migrations ORDER BY name")[-1]
    assert applied == ("m007_valid_time",)
    stored = sql(memory, "SELECT valid_from, valid_to, ended_by FROM memories ORDER BY id")
    assert stored == [("2024-01-01T09:00:00.000000+00:00", None, None),
                      (rows[1][3], None, None)]  # UTC; no observation time: when stored
    assert texts(memory.get_all(user_id="u")) == ["Plays the cello", "Lives in Oslo"]
    assert memory.search("where do I live", user_id="u")[0].text == "Lives in Oslo"
    assert memory.search("where do I live", user_id="u", as_of="2023-12-31") == []
    moved = memory.add("I moved to Bergen.", user_id="u", timestamp=JUN)
    assert any(e.replaced_id == 1 for e in moved)
    assert [i.text for i in memory.search("where do I live", user_id="u", as_of=MAR)] == [
        "Lives in Oslo"]
    assert in_step(memory)


def test_another_process_sees_an_ending_through_the_change_log(tmp_path):
    writer, reader = fake_memory(tmp_path), fake_memory(tmp_path)
    old = writer.add("I work as a barista at Blue Bottle.", user_id="u", timestamp=JAN)[0]
    assert [i.id for i in reader.search("job", user_id="u") if i.kind == "fact"] == [old.id]
    writer.add("I am now a software engineer at Google.", user_id="u", timestamp=JUN)
    found = [i.id for i in reader.search("job", user_id="u") if i.kind == "fact"]
    indexes = backend(reader).indexes
    assert old.id not in found and indexes.rebuilds == 0 and indexes.catchups >= 1  # replayed
    assert in_step(reader)
    writer.close()
    reader.close()


@pytest.mark.parametrize("as_of, message", [
    ("next tuesday", "as_of: timestamp 'next tuesday' is not a datetime"),
    ("9999-01-01", "as_of '9999-01-01' is in the future"),
    (True, "as_of: timestamp must be a datetime"),
    (float("nan"), "as_of: timestamp nan is not a datetime"),
])
def test_a_bad_as_of_is_refused_clearly(job_change, as_of, message):
    memory, _, _ = job_change
    before = dump(memory)
    with pytest.raises(InvalidInputError, match=message):
        memory.search("job", user_id="u", as_of=as_of)
    with pytest.raises(InvalidInputError, match=message):
        memory.get_all(user_id="u", as_of=as_of)
    with pytest.raises(InvalidInputError, match="include_ended must be True or False"):
        memory.get_all(user_id="u", include_ended="yes")
    assert dump(memory) == before


def test_the_scope_mirror_read_afresh_leaves_ended_rows_out(job_change):
    from localmem.storage.migrations import MEMORIES

    memory, old, new = job_change
    mirror = backend(memory).indexes.scopes[MEMORIES]
    mirror.reset()  # what a mirror holding mostly ended rows does by itself
    assert mirror.lookup({"user_id": "u"}).tolist() == [new.id]
    assert backend(memory).store.scope_ids(MEMORIES, {"user_id": "u"}).tolist() == [new.id]
