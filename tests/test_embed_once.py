"""Each distinct text is embedded once: within an ``embed_many`` call, and within one add
(``Embedder.remembering``), with the memories stored exactly as when every text is embedded
every time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.storage.migrations import COLUMNS
from tests.helpers import sql

ADDS = [  # a conversation the rules store, update and end (rule facts: the model says nothing)
    "I work as a nurse in Leeds and my sister Ana lives in Porto.",
    "I love hiking in the mountains, and I have a dog named Rex.",
    "I quit my job at the hospital, now I work as a teacher.",
    "Ana moved to Lisbon last month. I don't have a dog anymore.",
    "I love hiking in the mountains.",
]


class Counting(HashEmbedder):
    """The hashing embedder, counting each text it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[str] = Counter()
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.seen.update(texts)
        return super().embed_batch(texts)


class EveryTime(Counting):
    """Embeds every text every time it is asked, one by one (the engine before the memo)."""

    def embed_many(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        rows = [self.embed_batch([t])[0] for t in texts]
        return np.array(rows, dtype=np.float32).reshape(len(texts), self.dims)

    def embed(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    @contextmanager
    def remembering(self) -> Iterator[None]:
        yield


def test_embed_many_embeds_a_repeated_text_once_with_the_same_rows():
    embedder = Counting()
    texts = ["Works as a nurse", "Lives in Leeds", "Works as a nurse", "Has a dog"]
    out = embedder.embed_many(texts)
    assert embedder.seen == Counter({"Works as a nurse": 1, "Lives in Leeds": 1, "Has a dog": 1})
    assert np.array_equal(out, HashEmbedder().embed_batch(texts))
    assert embedder.embed_many([]).shape == (0, embedder.dims)


def test_remembering_embeds_a_text_once_in_the_block_and_again_after_it():
    embedder = Counting()
    with embedder.remembering():
        first = embedder.embed_many(["Has a dog", "Lives in Leeds"])
        with embedder.remembering():  # nested: the same memo
            again = embedder.embed("Has a dog")
        more = embedder.embed_many(["Lives in Leeds", "Plays chess"])
    assert np.array_equal(first[0], again) and np.array_equal(first[1], more[0])
    assert embedder.seen == Counter({"Has a dog": 1, "Lives in Leeds": 1, "Plays chess": 1})
    embedder.embed("Has a dog")  # the block is over: embedded again
    assert embedder.seen["Has a dog"] == 2


def run(embedder: Counting, tmp_path) -> tuple[list, dict, list[Counter[str]]]:
    memory = Memory(path=tmp_path, llm=FakeLLM(), embedder=embedder)
    memory.add("warm up: I like tea.", user_id="warmup",  # the prototypes and examples, once
               timestamp="2026-03-01T09:00:00+00:00")
    events, per_add = [], []
    for day, said in enumerate(ADDS, start=1):
        embedder.seen.clear()
        added = memory.add(said, user_id="u", timestamp=f"2026-03-{day:02d}T10:00:00+00:00")
        events.append([(e.event, e.text, e.previous_text) for e in added])
        per_add.append(Counter(embedder.seen))
    stored = {table: sql(memory, f"SELECT {', '.join(_written(table))} FROM {table} ORDER BY id")
              for table in COLUMNS}
    memory.close()
    return events, stored, per_add


def _written(table: str) -> list[str]:
    """The columns an add writes, less the clock's (when the row was written)."""
    return [c for c in COLUMNS[table] if c not in ("created_at", "updated_at")]


def test_an_add_embeds_each_text_once_and_stores_what_embedding_every_time_stores(tmp_path):
    events, stored, per_add = run(Counting(), tmp_path / "once")
    before_events, before_stored, before_per_add = run(EveryTime(), tmp_path / "every")
    assert events == before_events and stored == before_stored
    assert all(count == 1 for seen in per_add for count in seen.values())
    assert any(count > 1 for seen in before_per_add for count in seen.values())  # it did repeat
    assert sum(map(sum, (s.values() for s in per_add))) < sum(
        map(sum, (s.values() for s in before_per_add)))
