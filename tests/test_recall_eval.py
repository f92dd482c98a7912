"""The REALTALK tools: the fixed tune/held-out split, the store cache, the events measure."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from tests.helpers import eval_harness

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def harness():
    yield from eval_harness("eval_memory_recall")


@pytest.fixture(scope="module")
def events(harness):
    spec = importlib.util.spec_from_file_location("eval_events_recall", SCRIPTS / "eval_events.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_events_recall"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("eval_events_recall", None)


def _turn(n: int, i: int, speaker: str, text: str) -> dict:
    return {"clean_text": text, "speaker": speaker, "dia_id": f"D{n}:{i}",
            "date_time": f"0{n}.01.2024, 10:00:00"}


@pytest.fixture
def chat_dir(tmp_path):
    data = {
        "name": {"speaker_1": "Ana", "speaker_2": "Ben"},
        "session_1": [_turn(1, 1, "Ana", "I adopted a beagle named Pretzel."),
                      _turn(1, 2, "Ben", "Hey! How are you?")],
        "session_2": [_turn(2, 1, "Ben", "I ran a charity race in Boston.")],
        "events_session_1": {"agent_a": [{"sub-event": "Ana adopts a beagle named Pretzel."}],
                             "agent_b": [{"sub-event": ""}]},
        "events_session_2": {"agent_a": [],
                             "agent_b": [{"sub-event": "Ben runs a charity race."},
                                         {"sub-event": "Ben buys a new car."}]},
        "qa": [{"question": "What is the name of Ana's dog?", "answer": "Pretzel",
                "evidence": ["D1:1"], "category": 1}],
    }
    for number in (1, 2):
        (tmp_path / f"Chat_{number}_Ana_Ben.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def test_the_split_is_fixed_by_chat_number(harness):
    from realtalk import chat_numbers  # the harness put scripts/ on the path

    every = list(range(1, 11))
    assert chat_numbers("tune", every) == [1, 3, 5, 7, 9]
    assert chat_numbers("heldout", every) == [2, 4, 6, 8, 10]
    assert chat_numbers("all", every) == chat_numbers(None, every) == every
    assert chat_numbers("3", every) == [1, 2, 3] and chat_numbers("2,9", every) == [2, 9]


def test_a_cached_store_is_reused_with_its_ingest_figures(harness, chat_dir, tmp_path):
    chats = harness.load_chats(chat_dir, "tune")
    assert [c.id for c in chats] == ["Chat_1_Ana_Ben"]
    cache = tmp_path / "cache"
    first = harness.run_realtalk(chats, 3, ["facts"], FakeLLM(), HashEmbedder(), tmp_path / "a",
                                 cache=cache)
    (folder,) = cache.iterdir()
    stamp = (folder / "ingest.json").stat().st_mtime_ns
    again = harness.run_realtalk(chats, 3, ["facts"], FakeLLM(), HashEmbedder(), tmp_path / "b",
                                 cache=cache)
    assert (folder / "ingest.json").stat().st_mtime_ns == stamp  # not ingested again
    assert again["facts"].stored == first["facts"].stored > 0
    assert again["facts"].per_cat == first["facts"].per_cat


def test_events_are_matched_per_session_against_the_gold(harness, events, chat_dir, tmp_path):
    (chat,) = harness.load_chats(chat_dir, "1")
    memory = harness.chat_store(chat, "facts", FakeLLM(), HashEmbedder(), tmp_path, None, None,
                                None, None, harness.ModeResult())
    counts = events.score_chat(memory, chat)
    assert counts[1].events == 1 and counts[1].events_matched == 1  # the empty gold is dropped
    assert counts[2].events == 2 and counts[2].events_matched == 1  # no car was bought
    assert counts[1].facts_matched == counts[1].facts == 1
    memory.close()


def test_an_event_matches_on_two_shared_words_or_a_fact_of_one_word(events):
    assert events.matches({"adopt", "beagl"}, {"adopt", "beagl", "pretzel"})
    assert not events.matches({"adopt", "kitten"}, {"adopt", "beagl"})
    assert events.matches({"skiing"}, {"skiing", "colorado"})


def test_a_turn_is_added_after_the_other_speakers_turn_before_its_run(harness):
    from realtalk import turn_messages

    def turn(dia: str, speaker: str, text: str) -> dict:
        return {"dia_id": dia, "speaker": speaker, "text": text}

    turns = [turn("D1:1", "Ben", "What movies do your kids like?"),
             turn("D1:2", "Ana", "WALL-E and Bolt"), turn("D1:3", "Ana", "and Kung Fu Panda"),
             turn("D2:1", "Ben", "Hi again!")]
    asked = {"role": "assistant", "content": "What movies do your kids like?"}
    assert turn_messages(turns, 0) == [{"role": "user", "content": turns[0]["text"]}]
    assert turn_messages(turns, 1) == [asked, {"role": "user", "content": "WALL-E and Bolt"}]
    assert turn_messages(turns, 2) == [asked, {"role": "user", "content": "and Kung Fu Panda"}]
    assert turn_messages(turns, 3) == [{"role": "user", "content": "Hi again!"}]  # a new session
