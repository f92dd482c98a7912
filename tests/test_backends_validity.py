"""Facts valid in time on both backends (SQLite + FAISS and PostgreSQL + pgvector): a
supersession or an ending keeps the past answerable, reads see the present by default, a
user's delete erases every version, exports carry the validity, and PostgreSQL's m006 carries a
store made before it over. FakeLLM and HashEmbedder; ``backend`` comes from ``pg_fixtures``."""

from __future__ import annotations

import pytest

from localmem.frontends.transfer import export_lines, import_lines
from localmem.types import Action
from tests.pg_fixtures import open_memory, stored_text

JAN, MAR, JUN, SEP = (f"2024-{m}-01T09:00:00+00:00" for m in ("01", "03", "06", "09"))


def ids(items):
    return [i.id for i in items]


def changed_jobs(memory):
    """A barista (January) who became a software engineer (June): the two memories."""
    return [memory.add(text, user_id="u", timestamp=when)[0] for text, when in (
        ("I work as a barista at Blue Bottle.", JAN),
        ("I am now a software engineer at Google.", JUN))]


@pytest.fixture
def job_change(backend):
    memory = open_memory(backend)
    yield memory, *changed_jobs(memory)
    memory.close()


def test_a_supersession_keeps_the_old_row_for_reads_of_the_past(job_change):
    memory, old, new = job_change
    assert new.event is Action.UPDATE and new.replaced_id == old.id != new.id
    ended = memory.get(old.id)
    assert (ended.valid_from.isoformat(), ended.valid_to.isoformat(), ended.ended_by) == (
        JAN, JUN, new.id)
    assert memory.get(new.id).valid_from.isoformat() == JUN and memory.get(new.id).valid_to is None
    facts = [i for i in memory.search("what is my job", user_id="u") if i.kind == "fact"]
    assert ids(facts) == [new.id]
    assert ids(memory.search("what is my job", user_id="u", as_of=MAR)) == [old.id]
    assert ids(memory.search("what is my job", user_id="u", as_of=SEP)) == [new.id]
    assert ids(memory.search("what is my job", user_id="u", as_of=JUN)) == [new.id]
    assert memory.search("what is my job", user_id="u", as_of="2023-06-01") == []
    # Instants, not strings: 10:59+02:00 is a minute before the change.
    assert ids(memory.search("job", user_id="u", as_of="2024-06-01T10:59:00+02:00")) == [old.id]
    # "Bottle" is only in the ended fact: keyword search must not bring it back now.
    now = [i for i in memory.search("Blue Bottle", user_id="u") if i.kind == "fact"]
    assert old.id not in ids(now)
    assert ids(memory.search("Blue Bottle", user_id="u", as_of=MAR))[0] == old.id


def test_postgres_large_scopes_filter_validity_through_hnsw_too(pg_url):
    memory = open_memory(pg_url)
    old, new = changed_jobs(memory)
    memory._storage.vectors.exact_max = 0  # every scope counts as large: the HNSW plan
    facts = [i for i in memory.search("Blue Bottle job", user_id="u") if i.kind == "fact"]
    assert ids(facts) == [new.id]
    assert ids(memory.search("Blue Bottle job", user_id="u", as_of=MAR)) == [old.id]
    memory.close()


def test_get_all_lists_ended_facts_only_when_asked(job_change):
    memory, old, new = job_change
    assert ids(memory.get_all(user_id="u")) == [new.id]
    every = memory.get_all(user_id="u", include_ended=True)
    assert [(i.id, i.valid_to is None) for i in every] == [(new.id, True), (old.id, False)]
    assert ids(memory.get_all(user_id="u", as_of=MAR)) == [old.id]
    assert memory.stats().scopes[0].memories == 1  # what holds now


def test_history_covers_the_chain_from_either_end(job_change):
    memory, old, new = job_change
    expected = [(old.id, Action.ADD), (new.id, Action.ADD), (old.id, Action.DELETE)]
    for mid in (old.id, new.id):
        assert [(h.memory_id, h.event) for h in memory.history(mid)] == expected
    assert f"superseded by memory {new.id}" in memory.history(old.id)[-1].reason


def test_an_ending_sets_valid_to_and_dedupe_sees_current_rows_only(backend):
    memory = open_memory(backend)
    cat = memory.add("I have a cat named Tom.", user_id="u", timestamp=JAN)[0]
    events = memory.add("I don't have a cat anymore.", user_id="u", timestamp=MAR)
    ending = next(e for e in events if e.event is Action.ADD)
    assert any(e.event is Action.DELETE and e.id == cat.id for e in events)
    gone = memory.get(cat.id)
    assert gone.valid_to.isoformat() == MAR and gone.ended_by == ending.id
    assert cat.id not in ids(memory.get_all(user_id="u"))
    assert ids(memory.search("my cat", user_id="u", as_of="2024-02-01")) == [cat.id]
    assert cat.id not in ids(memory.search("my cat", user_id="u", as_of=SEP))
    again = memory.add("I have a cat named Tom.", user_id="u", timestamp=JUN)
    # Not NONE against the ended row of the same text (find_by_hash sees current rows).
    assert [(e.event, e.text) for e in again] == [(Action.UPDATE, "Has a cat named Tom")]
    assert again[0].id != cat.id
    memory.close()


@pytest.mark.parametrize("which", ["old", "new"])
def test_a_user_delete_erases_every_version_everywhere(backend, which):
    memory = open_memory(backend)
    old, new = changed_jobs(memory)
    keep = memory.add("I play the cello.", user_id="u", timestamp=JUN)[0]
    memory.delete(old.id if which == "old" else new.id)
    text = stored_text(memory)
    for word in ("barista", "Bottle", "engineer", "Google"):
        assert word not in text
    assert ids(memory.get_all(user_id="u", include_ended=True)) == [keep.id]
    assert memory.search("job", user_id="u", as_of=MAR) == []
    memory.close()


def test_export_and_import_carry_the_validity(job_change, tmp_path):
    memory, old, new = job_change
    lines = list(export_lines(memory))
    memory.reset()
    assert memory.get_all(user_id="u", include_ended=True) == []
    import_lines(memory, lines)
    every = memory.get_all(user_id="u", include_ended=True)
    assert [(i.id, i.ended_by, i.valid_to and i.valid_to.isoformat()) for i in every] == [
        (new.id, None, None), (old.id, new.id, JUN)]
    assert ids(memory.search("job", user_id="u", as_of=MAR)) == [old.id]
    other = open_memory(tmp_path / "other")  # and across backends: into a home folder
    import_lines(other, lines)
    assert ids(other.search("job", user_id="u", as_of=MAR)) == [old.id]
    assert ids(other.get_all(user_id="u")) == [new.id]
    other.close()


def test_postgres_m006_carries_a_store_made_before_it_over(pg_url):
    import psycopg

    memory = open_memory(pg_url)
    memory.add("I live in Oslo.", user_id="u", timestamp="2024-01-01T10:00:00+01:00")
    memory.add("I play the cello.", user_id="u")
    memory.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to the schema of m005
        conn.execute("ALTER TABLE memories DROP COLUMN valid_from, DROP COLUMN valid_to, "
                     "DROP COLUMN ended_by")
        conn.execute("DELETE FROM localmem_migrations WHERE name = 'm006_valid_time'")
        conn.execute("UPDATE memories SET observed_at = NULL WHERE id = 2")  # as written by hand
        created = conn.execute("SELECT created_at FROM memories WHERE id = 2").fetchone()[0]

    memory = open_memory(pg_url)
    every = memory.get_all(user_id="u", include_ended=True)
    assert [(i.text, i.valid_to) for i in every] == [
        ("Plays the cello", None), ("Lives in Oslo", None)]
    stored = memory._storage.db.execute("SELECT valid_from FROM memories ORDER BY id")
    # UTC; no observation time: valid since stored.
    assert [r[0] for r in stored] == ["2024-01-01T09:00:00.000000+00:00", created]
    assert memory.search("where do I live", user_id="u", as_of="2023-12-31") == []
    memory.add("I moved to Bergen.", user_id="u", timestamp=JUN)
    assert [i.text for i in memory.search("where do I live", user_id="u", as_of=MAR)] == [
        "Lives in Oslo"]
    assert memory.search("where do I live", user_id="u")[0].text == "Lives in Bergen"
    memory.close()
