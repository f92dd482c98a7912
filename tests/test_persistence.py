"""SQLite is the source of truth; the FAISS index is rebuilt whenever it is missing or stale."""

import numpy as np

from localmem.storage.store import MEMORIES
from tests.helpers import backend, fake_memory


def test_memories_survive_a_reopen(tmp_path):
    memory = fake_memory(tmp_path)
    mid = memory.add("I live in Lisbon", user_id="u")[0].id
    memory.close()
    again = fake_memory(tmp_path)
    assert again.get(mid).text == "Lives in Lisbon"
    assert again.search("Lisbon", user_id="u")[0].id == mid
    assert backend(again).indexes.rebuilds == 0  # the saved index was current


def test_a_missing_index_is_rebuilt_from_sqlite(tmp_path):
    memory = fake_memory(tmp_path)
    mid = memory.add("I live in Lisbon", user_id="u")[0].id
    memory.close()
    (tmp_path / "facts.faiss").unlink()
    again = fake_memory(tmp_path)
    assert backend(again).indexes.rebuilds == 1
    assert again.search("Lisbon", user_id="u")[0].id == mid


def test_a_corrupt_index_is_rebuilt(tmp_path):
    memory = fake_memory(tmp_path)
    mid = memory.add("I live in Lisbon", user_id="u")[0].id
    memory.close()
    (tmp_path / "facts.faiss").write_bytes(b"garbage")
    again = fake_memory(tmp_path)
    assert again.search("Lisbon", user_id="u")[0].id == mid


def test_an_index_older_than_sqlite_catches_up_from_the_change_log(tmp_path):
    memory = fake_memory(tmp_path)
    memory.add("I live in Lisbon", user_id="u")
    memory.close()
    saved = (tmp_path / "facts.faiss").read_bytes(), (tmp_path / "index.json").read_bytes()
    memory = fake_memory(tmp_path)
    mid = memory.add("I play the oboe", user_id="u")[0].id
    memory.close()
    (tmp_path / "facts.faiss").write_bytes(saved[0])  # as if the process died before saving
    (tmp_path / "index.json").write_bytes(saved[1])
    again = fake_memory(tmp_path)
    assert (backend(again).indexes.rebuilds, backend(again).indexes.catchups) == (0, 1)
    assert again.search("oboe", user_id="u")[0].id == mid


def test_a_second_handle_sees_writes_made_by_the_first(tmp_path):
    writer = fake_memory(tmp_path)
    reader = fake_memory(tmp_path)
    mid = writer.add("I collect stamps", user_id="u")[0].id
    assert reader.search("stamps", user_id="u")[0].id == mid
    writer.update(mid, "Collects old stamps")
    hits = reader.search("old stamps", user_id="u")
    assert hits[0].text == "Collects old stamps"
    assert np.isclose(hits[0].score, writer.search("old stamps", user_id="u")[0].score)


def test_an_update_re_embeds(tmp_path):
    memory = fake_memory(tmp_path)
    mid = memory.add("I like tennis", user_id="u")[0].id
    memory.update(mid, "Likes badminton")
    assert memory.search("badminton", user_id="u")[0].id == mid
    stored = backend(memory).vectors.scores(MEMORIES, memory.embedder.embed("Likes badminton"), [mid])
    assert stored[mid] > 0.99


def test_a_store_refuses_vectors_from_another_embedder(tmp_path):
    import pytest

    from localmem import ConfigError, FakeLLM, HashEmbedder, Memory

    memory = fake_memory(tmp_path)
    memory.add("I live in Lisbon", user_id="u")
    memory.close()
    with pytest.raises(ConfigError, match="embedded with 'HashEmbedder-384'"):
        Memory(path=tmp_path, llm=FakeLLM(), embedder=HashEmbedder(dims=128))
    again = fake_memory(tmp_path)  # the same embedder still opens it
    assert again.get_all(user_id="u")
