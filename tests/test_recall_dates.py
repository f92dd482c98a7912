"""A query that names a day ("What did I buy on 7 Jan 2024?") prefers what was said that day."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from localmem import FakeLLM, HashEmbedder, Memory, MemoryConfig
from localmem.engine import retrieval
from localmem.engine.signals import dates_named


@pytest.mark.parametrize("query, days", [
    ("What did Elise buy on 7 Jan 2024?", [date(2024, 1, 7)]),
    ("Where was Kate on 31 Dec, 2023?", [date(2023, 12, 31)]),
    ("What happened on January 7th, 2024?", [date(2024, 1, 7)]),
    ("What is Paola planning to do on 10.01.2024?", [date(2024, 1, 10)]),
    ("Anything on 2024-01-07 or 5 January 2024?", [date(2024, 1, 7), date(2024, 1, 5)]),
    ("What did I do in 2023?", []),
    ("on 32.01.2024", []),  # no such day
])
def test_the_days_a_query_names(query, days):
    assert dates_named(query) == days


def _memory(tmp_path) -> Memory:
    # every purchase stored as a fact: the hashing embedder's chatter vote is not what is tested
    memory = Memory(path=tmp_path / "m", llm=FakeLLM(), embedder=HashEmbedder(),
                    config=MemoryConfig(keep_chatter=True))
    for day, said in [(1, "I bought flowers at the market."), (7, "I bought water at the market."),
                      (9, "I bought bread at the market.")]:
        memory.add(said, user_id="elise", timestamp=datetime(2024, 1, day, 12, tzinfo=timezone.utc))
    return memory


def test_what_was_said_on_the_named_day_comes_first(tmp_path):
    memory = _memory(tmp_path)
    # "purchase" matches no stored word: only the vectors and the day order these
    undated = memory.search("What did I purchase?", user_id="elise", limit=3)
    assert "water" not in undated[0].text
    found = memory.search("What did I purchase on 7 Jan 2024?", user_id="elise", limit=3)
    assert "water" in found[0].text and "bread" in found[1].text  # the 9th: near, half
    assert found[0].score - found[2].score == pytest.approx(retrieval.DATE_WEIGHT)


def _scores(memory: Memory, query: str) -> dict[str, float]:
    found = memory.search(query, user_id="elise", limit=10)
    return {next(w for w in ("flowers", "water", "bread") if w in i.text): i.score
            for i in found if i.kind == "fact"}


def test_a_day_close_to_the_named_one_gains_half(tmp_path, monkeypatch):
    memory = _memory(tmp_path)
    query = "What did I buy at the market shortly before 8 Jan 2024?"  # keywords too
    monkeypatch.setattr(retrieval, "DATE_WEIGHT", 0.0)
    plain = _scores(memory, query)
    monkeypatch.setattr(retrieval, "DATE_WEIGHT", 0.2)
    dated = _scores(memory, query)
    # 7 and 9 January are within DATE_NEAR days of the 8th (half), 1 January is too far
    assert dated["water"] - plain["water"] == pytest.approx(0.1)
    assert dated["bread"] - plain["bread"] == pytest.approx(0.1)
    assert dated["flowers"] == pytest.approx(plain["flowers"])
