"""Hard delete: after delete_all(user_id=...) the user's words are in no file of the home directory.

Every byte of every file under home is searched (database, WAL, shared memory, FAISS indexes,
sidecars), while the memory is still open and after it is closed.
"""

from pathlib import Path

import pytest

from localmem.storage.keys import KeyStore
from tests.helpers import fake_memory

SECRET = "Quokkazebra7731"
KEPT = "Wombatheron4242"


def _files_containing(home: Path, needle: str) -> list[str]:
    word = needle.lower().encode()
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.is_file() and word in p.read_bytes().lower())


def _fill(memory, user: str, marker: str, n: int) -> list[int]:
    ids = []
    for i in range(n):
        events = memory.add(f"My friend {marker} lives in town number {i}", user_id=user,
                            metadata={"note": f"{marker} note {i}"})
        ids += [e.id for e in events]
    verbatim = memory.add([{"role": "user", "content": f"{marker} verbatim {i}"} for i in range(n)],
                          user_id=user, infer=False)
    memory.update(verbatim[0].id, f"{marker} edited once")  # history keeps the old text
    return ids + [e.id for e in verbatim]


@pytest.mark.parametrize("rounds", [1, 3])
def test_delete_all_leaves_no_trace_of_the_users_text(tmp_path, rounds):
    memory = fake_memory(tmp_path)
    for _ in range(rounds):
        _fill(memory, "alice", SECRET, 60)
        _fill(memory, "bob", KEPT, 10)
        assert _files_containing(tmp_path, SECRET), "the test cannot see stored text"
        assert memory.delete_all(user_id="alice") > 0
        leaks = _files_containing(tmp_path, SECRET)
        assert not leaks, f"{SECRET} still in {leaks} while open"
        assert _files_containing(tmp_path, KEPT)  # other users' memories are untouched
        assert memory.search(KEPT, user_id="bob")
    memory.close()
    assert not _files_containing(tmp_path, SECRET)
    assert _files_containing(tmp_path, KEPT)


def test_deleting_one_memory_erases_its_text_and_its_source_message(tmp_path):
    memory = fake_memory(tmp_path)
    gone = memory.add(f"I keep a pet called {SECRET}", user_id="carol")
    memory.add(f"I keep a pet called {KEPT}", user_id="carol")
    for event in gone:
        memory.delete(event.id)
    assert not _files_containing(tmp_path, SECRET)
    assert _files_containing(tmp_path, KEPT)
    memory.close()


def test_the_key_database_holds_no_memory_text(tmp_path):
    memory = fake_memory(tmp_path)
    KeyStore(tmp_path).create("alice")
    memory.add(f"My friend {SECRET} lives here", user_id="alice")
    assert "keys.db" not in _files_containing(tmp_path, SECRET)
    memory.delete_all(user_id="alice")
    assert not _files_containing(tmp_path, SECRET)
    memory.close()
