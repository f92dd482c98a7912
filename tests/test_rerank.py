"""Search reranking by the local model (engine/rerank.py), driven by a scripted FakeLLM on real
SQLite: the model's order is followed, its bad numbers ignored, its failure leaves the search
order, and nothing changes unless reranking is asked for."""

from __future__ import annotations

import logging
import re

import pytest

from localmem import ConfigError, InvalidInputError, MemoryConfig, RerankConfig
from localmem.engine.packing import Candidate
from localmem.engine.rerank import PICKS, TEXT_WORDS, answer_schema, order
from localmem.errors import ModelError
from tests.helpers import fake_memory

TEXTS = ["Works as a nurse in Boston", "Likes pizza", "Has a dog called Rex",
         "Lives in Lyon", "Plays the violin"]


def notes(prompt: str) -> dict[int, str]:
    """The numbered notes of the search's rerank prompt (after the fixed example)."""
    asked = prompt.rsplit("Notes:\n", 1)[1]
    return {int(n): t for n, t in re.findall(r"^(\d+)\. (.*)$", asked, re.M)}


def scripted(pick):
    """A model that answers a rerank prompt with ``pick(notes)`` (a list of numbers)."""
    def respond(prompt, schema):
        if schema.__name__ == "RerankAnswer":
            return {"ids": pick(notes(prompt))}
        return {"facts": []}
    return respond


def stored(responses=None, **kwargs):
    memory = fake_memory(responses=responses, **kwargs)
    for text in TEXTS:
        memory.add(text, user_id="ana", infer=False)
    return memory


def texts(results):
    return [item.text for item in results]


def test_the_order_follows_the_model_and_unnamed_candidates_follow_in_search_order():
    def reverse_two(shown):  # the model names the two notes about animals and violins, in turn
        by_text = {t: n for n, t in shown.items()}
        return [by_text["Plays the violin"], by_text["Has a dog called Rex"]]

    memory = stored(scripted(reverse_two))
    plain = memory.search("what does she do?", user_id="ana", limit=10)
    reranked = memory.search("what does she do?", user_id="ana", limit=10, rerank=True)
    rest = [t for t in texts(plain) if t not in ("Plays the violin", "Has a dog called Rex")]
    assert texts(reranked) == ["Plays the violin", "Has a dog called Rex", *rest]
    assert reranked.rerank_error is None
    scores = [item.score for item in reranked]
    assert scores == sorted(scores, reverse=True)  # each took the score of its new place
    assert sorted(scores) == sorted(item.score for item in plain)


def test_numbers_out_of_range_repeated_or_missing_are_ignored_and_nothing_is_dropped():
    memory = stored(scripted(lambda shown: [0, len(shown) + 1, 3, 3, -2, 3]))
    plain = texts(memory.search("pets", user_id="ana", limit=10))
    reranked = texts(memory.search("pets", user_id="ana", limit=10, rerank=True))
    assert reranked == [plain[2], *plain[:2], *plain[3:]]
    assert sorted(reranked) == sorted(TEXTS)


def test_a_model_error_keeps_the_search_order_and_says_so(caplog):
    def fails(prompt, schema):
        if schema.__name__ == "RerankAnswer":
            raise ModelError("llama.cpp failed on a prompt")
        return {"facts": []}

    memory = stored(fails)
    plain = memory.search("music", user_id="ana", limit=3)
    with caplog.at_level(logging.WARNING, logger="localmem"):
        reranked = memory.search("music", user_id="ana", limit=3, rerank=True)
    assert texts(reranked) == texts(plain)
    assert [i.score for i in reranked] == [i.score for i in plain]
    assert "llama.cpp failed" in reranked.rerank_error
    assert "reranking by the model failed" in caplog.text


def test_an_answer_that_does_not_fit_the_schema_keeps_the_order():
    memory = stored(lambda prompt, schema: '{"ids": "first"}' if schema.__name__ == "RerankAnswer"
                    else {"facts": []})
    reranked = memory.search("music", user_id="ana", limit=5, rerank=True)
    assert texts(reranked) == texts(memory.search("music", user_id="ana", limit=5))
    assert "RerankAnswer" in reranked.rerank_error


def test_off_by_default_no_model_call_and_the_same_results():
    memory = stored()
    calls = len(memory.llm.calls)
    plain = memory.search("Where does she work?", user_id="ana", limit=5)
    off = memory.search("Where does she work?", user_id="ana", limit=5, rerank=False)
    assert len(memory.llm.calls) == calls  # no model call for a plain search
    assert plain == off and plain.rerank_error is None
    assert memory.config.rerank == RerankConfig(enabled=False, candidates=20)


def test_the_config_turns_it_on_and_search_can_turn_it_off():
    memory = stored(scripted(lambda shown: [len(shown)]),
                    config=MemoryConfig(rerank=RerankConfig(enabled=True, candidates=3)))
    calls = len(memory.llm.calls)
    on = memory.search("violin", user_id="ana", limit=5)
    assert len(memory.llm.calls) == calls + 1
    prompt = memory.llm.calls[-1][0]
    assert len(notes(prompt)) == 3  # only the best `candidates` are shown to the model
    off = memory.search("violin", user_id="ana", limit=5, rerank=False)
    assert len(memory.llm.calls) == calls + 1
    assert texts(on) == [texts(off)[2], *texts(off)[:2], *texts(off)[3:]]


def test_reranking_applies_before_a_word_budget():
    memory = stored(scripted(lambda shown: [n for n, t in shown.items() if "violin" in t]))
    packed = memory.search("anything", user_id="ana", limit=10, max_words=4, rerank=True)
    assert texts(packed)[0] == "Plays the violin"
    assert sum(len(t.split()) for t in texts(packed)) <= 4


def test_one_candidate_or_none_asks_no_model():
    memory = fake_memory()
    memory.add("Likes tea", user_id="bo", infer=False)
    calls = len(memory.llm.calls)
    assert texts(memory.search("tea", user_id="bo", rerank=True)) == ["Likes tea"]
    assert texts(memory.search("tea", user_id="nobody", rerank=True)) == []
    assert len(memory.llm.calls) == calls


@pytest.mark.parametrize("value", ["yes", 1, 0.5, [True]])
def test_a_bad_rerank_argument_is_refused_before_any_search(value):
    memory = stored()
    calls = len(memory.llm.calls)
    with pytest.raises(InvalidInputError, match="rerank must be True, False or None"):
        memory.search("tea", user_id="ana", rerank=value)
    assert len(memory.llm.calls) == calls


@pytest.mark.parametrize("config", [{"candidates": 1}, {"candidates": 51}, {"candidates": "many"},
                                    {"enabled": "maybe"}, {"top": 5}])
def test_a_bad_rerank_config_is_a_config_error_naming_the_field(config):
    with pytest.raises(ConfigError, match="candidates|enabled|RerankConfig accepts"):
        MemoryConfig.model_validate({"rerank": config})


def test_long_candidates_are_cut_in_the_prompt_and_the_query_is_one_line():
    long_text = "word " * 100
    memory = fake_memory(responses=scripted(lambda shown: []))
    memory.add(long_text, user_id="cy", infer=False)
    memory.add("Short fact", user_id="cy", infer=False)
    memory.search("word\nword", user_id="cy", rerank=True)
    prompt = memory.llm.calls[-1][0]
    assert "Question: word word\n" in prompt
    assert max(len(t.split()) for t in notes(prompt).values()) == TEXT_WORDS + 1  # and "..."


def test_order_keeps_every_candidate_once():
    ranked = [Candidate(1.0 - i / 10, "fact", i, {"text": f"t{i}"}) for i in range(6)]
    out = order(ranked, [4, 4, 9, 1], 4)
    assert [c.rid for c in out] == [3, 0, 1, 2, 4, 5]  # the head reordered, the tail in place
    assert [c.score for c in out] == [c.score for c in ranked]


# --- the surfaces: REST (through MemClient) and the CLI -------------------------------------------


def served(memory, tmp_path):
    from fastapi.testclient import TestClient

    from localmem.client import MemClient
    from localmem.frontends.rest import ServerOptions, create_app
    from localmem.storage.keys import KeyStore

    keys = KeyStore(tmp_path)
    http = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    return MemClient(api_key=keys.create(admin=True), http_client=http), keys


def test_rest_search_reranks_on_request_and_reports_a_failure(tmp_path):
    pick = {"ids": None}

    def respond(prompt, schema):
        if schema.__name__ != "RerankAnswer":
            return {"facts": []}
        if pick["ids"] is None:
            raise ModelError("the model is gone")
        return {"ids": pick["ids"]}

    memory = stored(respond)
    client, keys = served(memory, tmp_path)
    try:
        plain = client.search("violin", user_id="ana", limit=5)
        failed = client.search("violin", user_id="ana", limit=5, rerank=True)
        assert texts(failed) == texts(plain) and "the model is gone" in failed.rerank_error
        pick["ids"] = [5, 4]
        reranked = client.search("violin", user_id="ana", limit=5, rerank=True)
        assert texts(reranked) == [*texts(plain)[4:2:-1], *texts(plain)[:3]]
        assert reranked.rerank_error is None and plain.rerank_error is None
        with pytest.raises(InvalidInputError, match="rerank"):
            client.search("violin", user_id="ana", rerank=[1])
    finally:
        client.close()
        keys.close()


def test_mcp_search_reranks_on_request(tmp_path):
    pytest.importorskip("mcp")
    import anyio
    from mcp import Client

    from localmem.frontends.mcp import build_mcp

    def respond(prompt, schema):
        return {"ids": [5, 4]} if schema.__name__ == "RerankAnswer" else {"facts": []}

    memory = stored(respond)
    plain = texts(memory.search("violin", user_id="ana", limit=5))

    async def scenario():
        async with Client(build_mcp(memory, "ana")) as client:
            args = {"query": "violin", "user_id": "ana", "limit": 5}
            off = await client.call_tool("search_memories", args)
            on = await client.call_tool("search_memories", {**args, "rerank": True})
            bad = await client.call_tool("search_memories", {**args, "rerank": "yes please"})
            return off, on, bad

    off, on, bad = anyio.run(scenario)
    assert [r["memory"] for r in off.structured_content["results"]] == plain
    assert [r["memory"] for r in on.structured_content["results"]] == [*plain[4:2:-1], *plain[:3]]
    assert bad.is_error and "rerank" in bad.content[0].text


def test_cli_search_rerank_flag(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.frontends.cli import cli

    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = ["--home", str(tmp_path / "home"), "--json"]
    runner = CliRunner()
    for text in TEXTS:
        added = runner.invoke(cli, [*home, "add", text, "--user", "ana", "--no-infer"])
        assert added.exit_code == 0
    plain = runner.invoke(cli, [*home, "search", "violin", "--user", "ana"])
    reranked = runner.invoke(cli, [*home, "search", "violin", "--user", "ana", "--rerank"])
    # the fake model names no candidate: the order stands, with no warning
    assert reranked.exit_code == 0 and reranked.stdout == plain.stdout and not reranked.stderr


def test_the_answer_grammar_allows_only_the_shown_numbers_and_few_of_them():
    """The limits are in the JSON schema llama.cpp turns into its grammar; validation is lenient
    (``order`` drops bad numbers), so one wrong number from another backend costs only itself."""
    schema = answer_schema(7).model_json_schema()
    ids = schema["properties"]["ids"]
    assert ids["items"]["enum"] == list(range(1, 8)) and ids["maxItems"] == PICKS
    assert schema["required"] == ["ids"]
    assert answer_schema(7).model_validate({"ids": [0, 9, 3]}).ids == [0, 9, 3]
