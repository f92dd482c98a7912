"""Queries go through ``Embedder.embed_query``, stored texts never do (their vectors stay in one
space, whatever shortcut an embedder takes for queries)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from localmem import FakeLLM, HashEmbedder, Memory


class QuerySpy(HashEmbedder):
    """The hashing embedder, noting which texts reach ``embed_batch`` and ``embed_query``."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: list[str] = []
        self.queries: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.stored.extend(texts)
        return super().embed_batch(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return HashEmbedder.embed_batch(self, [text])[0]  # not noted as stored


def test_the_default_query_vector_is_the_text_vector() -> None:
    embedder = HashEmbedder()
    text = "Which city does Ana live in?"
    np.testing.assert_array_equal(embedder.embed_query(text), embedder.embed(text))


def test_search_embeds_its_query_with_embed_query_and_adds_never_do() -> None:
    spy = QuerySpy()
    with Memory(path=":memory:", llm=FakeLLM(), embedder=spy) as memory:
        memory.add("Lives in Lisbon with two cats", user_id="ana", infer=False)
        memory.add("Works as a data engineer", user_id="ana", infer=False)
        found = memory.search("Lisbon cats", user_id="ana", limit=1)
        memory.update(found[0].id, "Lives in Porto with two cats")
    assert found[0].text == "Lives in Lisbon with two cats"
    assert spy.queries == ["Lisbon cats"]
    assert "Lisbon cats" not in spy.stored
    assert "Lives in Porto with two cats" in spy.stored  # an edit is stored, so embedded as one
