"""The REALTALK half of scripts/eval_memory.py on a tiny chat in REALTALK's format.

The real data is not part of the project; this checks the harness's own logic: evidence parsing,
the ``max_words`` packing rule, the oracle rows and the facts-within-raw's-words calibration.
"""

from __future__ import annotations

import json

import pytest

from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from tests.helpers import eval_harness


@pytest.fixture(scope="module")
def harness():
    yield from eval_harness("eval_memory_rt")


def _turn(n: int, i: int, speaker: str, text: str, day: int) -> dict:
    return {"clean_text": text, "speaker": speaker, "dia_id": f"D{n}:{i}",
            "date_time": f"{day:02d}.01.2024, 10:00:00"}


@pytest.fixture
def chat_dir(tmp_path):
    chit = ["Hey! How are you doing today?", "Good thanks, and you?", "That sounds fun!",
            "Haha yes totally agree with you on that one", "What are your plans for the week?"]
    session_1 = [_turn(1, i + 1, "Ana" if i % 2 == 0 else "Ben", t, 3) for i, t in enumerate(chit)]
    session_1 += [_turn(1, 6, "Ana", "I adopted a beagle named Pretzel last weekend.", 3),
                  _turn(1, 7, "Ben", "I work as a nurse at the Mercy hospital downtown.", 3)]
    session_2 = [_turn(2, 1, "Ana", "I started learning the cello in a community orchestra.", 9),
                 _turn(2, 2, "Ben", "Nice, I prefer hiking in the Rockies with my brother.", 9)]
    data = {
        "name": {"speaker_1": "Ana", "speaker_2": "Ben"},
        "session_1": session_1, "session_2": session_2,
        "qa": [
            {"question": "What is the name of Ana's dog?", "answer": "Pretzel",
             "evidence": ["D1:6"], "category": 1},
            {"question": "Where does Ben work?", "answer": "Mercy hospital",
             "evidence": ["D 1:7"], "category": 1},
            {"question": "When did Ana start the cello?", "answer": "9 January 2024",
             "evidence": ["D2:1"], "category": 2},
        ],
    }
    (tmp_path / "Chat_1_Ana_Ben.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def test_evidence_ids_are_cleaned_and_ranges_expanded(harness):
    assert harness.parse_evidence(["D 2:18", "D17;39", "D1:2-D1:4"]) == [
        "D2:18", "D17:39", "D1:2", "D1:3", "D1:4"]


def test_packing_follows_max_words_rule(harness):
    from localmem.types import MemoryItem
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    items = [MemoryItem(id=i, text=t, created_at=now, updated_at=now)
             for i, t in enumerate(["one two three four", "five six", "seven eight nine", "ten"])]
    assert [i.id for i in harness._pack(items, 6)] == [0, 1]
    assert [i.id for i in harness._pack(items, 3)] == [1, 3]  # longer ones skipped, order kept


def test_realtalk_rows_oracles_and_budget(harness, chat_dir, tmp_path):
    chats = harness.load_chats(chat_dir)
    assert len(chats) == 1 and len(chats[0].turns) == 9 and len(chats[0].qa) == 3
    results = harness.run_realtalk(chats, 3, ["raw", "facts"], FakeLLM(), HashEmbedder(),
                                   tmp_path / "home")
    budget_rows = [m for m in results if m.startswith("facts max_words=")]
    assert {"raw", "facts", "oracle:evidence", "oracle:evidence+fill"} <= set(results)
    assert len(budget_rows) == 1
    oracle = [v for vals in results["oracle:evidence"].per_cat.values() for v in vals]
    # the evidence turns hold every answer word here, and cover all the evidence
    assert all(answer == 1.0 and evidence == 1.0 for answer, evidence, _ in oracle)
    raw_words = harness._mean_context(results["raw"])
    assert harness._mean_context(results[budget_rows[0]]) <= raw_words
    assert results["raw"].stored == 9 and results["facts"].failed == 0
