"""The OpenAI-compatible chat on the fakes: recall into the system message, OpenAI's shapes
(completion, SSE chunks, errors), the scope, sampling honoured, refusals, background storage."""

import json
import threading

import pytest
from fastapi.testclient import TestClient

from localmem import FakeLLM, ModelError
from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory, sql

QUESTION = [{"role": "user", "content": "What is my name?"}]


def facts_of(text_to_facts):
    """The fake model's extraction: the facts ``text_to_facts`` gives the prompt; ADD decisions."""
    def answer(prompt, schema):
        if "facts" in schema.model_fields:
            return {"facts": text_to_facts(prompt)}
        return {"event": "ADD"}
    return answer


def name_facts(prompt):
    return ["Name is Dave"] if "My name is Dave" in prompt else []


@pytest.fixture
def env(tmp_path):
    memory = fake_memory(tmp_path, responses=facts_of(name_facts))
    memory.llm.chat_reply = "Your name is Dave."
    keys = KeyStore(tmp_path)
    app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0))
    with TestClient(app) as client:
        yield client, memory, app.state.openai, {"admin": keys.create(admin=True), "dave": keys.create("dave")}
    keys.close()
    memory.close()


def auth(key, **extra):
    return {"Authorization": f"Bearer {key}", **extra}


def chat(client, key, messages=QUESTION, headers=None, **body):
    return client.post("/v1/chat/completions", json={"model": "localmem", "messages": messages, **body},
                       headers={**auth(key), **(headers or {})})


def events(response):
    """The SSE ``data:`` payloads of a streamed answer, in order, and nothing else in between."""
    blocks = response.text.split("\n\n")
    assert blocks[-1] == "", "the stream ends with a blank line"
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks[:-1]), blocks
    return [b.removeprefix("data: ") for b in blocks[:-1]]


def test_the_second_conversation_recalls_what_the_first_said(env):
    client, memory, service, k = env
    first = chat(client, k["dave"], [{"role": "user", "content": "Hi there! My name is Dave."}])
    assert first.status_code == 200, first.text
    assert first.headers["X-Localmem-Memories"] == "0"
    service.recorder.join()
    assert [m.text for m in memory.get_all(user_id="dave")] == ["Name is Dave"]

    second = chat(client, k["dave"])
    body = second.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "localmem" and second.headers["X-Localmem-Memories"] == "1"
    assert body["choices"] == [{"index": 0, "logprobs": None, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "Your name is Dave.", "refusal": None}}]
    assert body["usage"]["completion_tokens"] == 4
    got, _ = memory.llm.chat_calls[-1]
    assert got[0]["role"] == "system" and "- Name is Dave" in got[0]["content"]
    assert got[1:] == QUESTION


def test_a_stream_is_openai_chunks_ending_with_done(env):
    client, memory, service, k = env
    memory.add("My name is Dave", user_id="dave")
    response = chat(client, k["dave"], stream=True)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    data = events(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and {c["model"] for c in chunks} == {"localmem"}
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""} and deltas[-1] == {}
    assert "".join(d["content"] for d in deltas[1:-1]) == "Your name is Dave."
    assert [c["choices"][0]["finish_reason"] for c in chunks][-2:] == [None, "stop"]
    service.recorder.join()
    stored = sql(memory, "SELECT content FROM messages ORDER BY id")
    assert [r[0] for r in stored][-2:] == ["What is my name?", "Your name is Dave."]


def test_the_memories_join_the_clients_own_system_message(env):
    client, memory, _, k = env
    memory.add("My name is Dave", user_id="dave")
    chat(client, k["dave"], [{"role": "developer", "content": "Be terse."}, *QUESTION])
    got, _ = memory.llm.chat_calls[-1]
    assert [m["role"] for m in got] == ["system", "user"]
    assert got[0]["content"].startswith("Be terse.\n\nFacts about the user:\n- Name is Dave")


def test_the_template_and_the_word_budget_are_the_servers_options(tmp_path):
    memory = fake_memory(tmp_path, responses=facts_of(lambda p: []))
    memory.add([{"role": "user", "content": "Name is Dave"},
                {"role": "user", "content": "Lives in a small town near the sea with two cats"}],
               user_id="dave", infer=False)
    keys = KeyStore(tmp_path)
    options = ServerOptions(rate=0, memory_template="Known: {memories}", memory_words=3)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=options))
    chat(client, keys.create("dave"), [{"role": "user", "content": "name Dave town cats"}])
    got, _ = memory.llm.chat_calls[-1]
    assert got[0] == {"role": "system", "content": "Known: - Name is Dave"}  # 3 words fit, 10 do not
    keys.close()
    memory.close()


def test_memory_off_neither_recalls_nor_stores(env):
    client, memory, service, k = env
    memory.add("My name is Dave", user_id="dave")
    before = dump(memory)
    response = chat(client, k["dave"], headers={"X-Localmem-Memory": "off"})
    assert response.status_code == 200 and response.headers["X-Localmem-Memories"] == "0"
    assert memory.llm.chat_calls[-1][0] == QUESTION
    service.recorder.join()
    assert dump(memory) == before
    bad = chat(client, k["dave"], headers={"X-Localmem-Memory": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "X-Localmem-Memory"


def test_the_reply_does_not_wait_for_the_exchange_to_be_stored(tmp_path):
    release = threading.Event()

    def slow_extraction(prompt, schema):
        assert release.wait(30), "the test never released the extraction"
        return {"facts": []} if "facts" in schema.model_fields else {"event": "ADD"}

    memory = fake_memory(tmp_path, responses=slow_extraction)
    keys = KeyStore(tmp_path)
    app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0))
    client, key = TestClient(app), keys.create("dave")
    recorder = app.state.openai.recorder
    streamed = chat(client, key, [{"role": "user", "content": "turn 1"}], stream=True)
    plain = chat(client, key, [{"role": "user", "content": "turn 2"}],
                 headers={"X-Localmem-Memory": "off"})  # no recall: the memory's lock is busy
    assert events(streamed)[-1] == "[DONE]" and plain.status_code == 200
    assert recorder.stored == 0  # the first exchange is still being extracted
    release.set()
    recorder.join()
    assert recorder.stored == 1
    keys.close()
    memory.close()


def test_a_failed_extraction_never_fails_the_reply_and_keeps_the_words(tmp_path, caplog):
    def broken(prompt, schema):
        raise RuntimeError("extraction bug")

    memory = fake_memory(tmp_path, responses=broken)
    keys = KeyStore(tmp_path)
    app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0))
    with TestClient(app) as client:
        response = chat(client, keys.create("dave"), [{"role": "user", "content": "I own a red kayak"}])
        assert response.status_code == 200
        app.state.openai.recorder.join()
    texts = [m.text for m in memory.get_all(user_id="dave")]
    assert "I own a red kayak" in texts  # stored verbatim instead
    assert "extraction crashed" in caplog.text
    keys.close()
    memory.close()


def test_queued_exchanges_are_stored_when_the_server_stops(tmp_path):
    memory = fake_memory(tmp_path, responses=facts_of(name_facts))
    keys = KeyStore(tmp_path)
    app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0))
    with TestClient(app) as client:
        chat(client, keys.create("dave"), [{"role": "user", "content": "My name is Dave"}])
    assert [m.text for m in memory.get_all(user_id="dave")] == ["Name is Dave"]  # no join: shutdown
    keys.close()
    memory.close()


# --- the scope -------------------------------------------------------------------------------


def test_an_admin_key_names_the_user_in_the_body_or_a_header(env):
    client, memory, service, k = env
    memory.add("My name is Dave", user_id="dave")
    memory.add("My name is Ana", user_id="ana", infer=False)
    by_body = chat(client, k["admin"], user="dave")
    by_header = chat(client, k["admin"], headers={"X-Localmem-User": "ana"})
    assert by_body.headers["X-Localmem-Memories"] == by_header.headers["X-Localmem-Memories"] == "1"
    systems = [call[0][0]["content"] for call in memory.llm.chat_calls[-2:]]
    assert "Name is Dave" in systems[0] and "My name is Ana" in systems[1]
    assert "Ana" not in systems[0] and "Dave" not in systems[1]
    service.recorder.join()
    assert {m.user_id for m in memory.get_all(user_id="ana")} == {"ana"}


@pytest.mark.parametrize("who,body,headers,status,param", [
    ("admin", {}, {}, 400, "user"),
    ("admin", {"user": "dave"}, {"X-Localmem-User": "ana"}, 400, "user"),
    ("dave", {"user": "ana"}, {}, 403, "user"),
    ("dave", {}, {"X-Localmem-User": "ana"}, 403, "user"),
])
def test_a_turn_without_a_clear_own_user_is_refused(env, who, body, headers, status, param):
    client, memory, _, k = env
    before = dump(memory)
    response = chat(client, k[who], headers=headers, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and set(error) == {"message", "type", "param", "code"}
    assert memory.llm.chat_calls == [] and dump(memory) == before


@pytest.mark.parametrize("path,method", [("/v1/chat/completions", "POST"), ("/v1/models", "GET")])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_a_wrong_key_gets_openais_401(env, path, method, headers):
    client = env[0]
    response = client.request(method, path, json={"model": "localmem", "messages": QUESTION},
                              headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": {
        "message": "missing or wrong API key; create one with `localmem keys create`",
        "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}


def test_models_lists_the_local_model_and_others_are_404(env):
    client, _, _, k = env
    listed = client.get("/v1/models", headers=auth(k["dave"])).json()
    assert listed == {"object": "list", "data": [
        {"id": "localmem", "object": "model", "created": 0, "owned_by": "localmem"}]}
    response = chat(client, k["dave"], model="gpt-4o")
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


def test_only_what_the_user_said_since_the_last_answer_is_stored(env):
    client, memory, service, k = env
    conversation = [
        {"role": "user", "content": "My name is Dave"}, {"role": "assistant", "content": "Hi Dave"},
        {"role": "user", "content": "I like tea"}, {"role": "user", "content": "and jazz"},
    ]
    chat(client, k["dave"], conversation)
    service.recorder.join()
    said = [r[0] for r in sql(memory, "SELECT content FROM messages ORDER BY id")]
    assert said == ["I like tea", "and jazz", "Your name is Dave."]


def test_a_stored_copy_of_the_question_is_not_recalled_as_a_memory(env):
    client, memory, _, k = env
    memory.add("My name is Dave", user_id="dave")
    memory.add("what is my  NAME?", user_id="dave", infer=False)  # asked before, stored verbatim
    response = chat(client, k["dave"])
    system = memory.llm.chat_calls[-1][0][0]["content"]
    assert response.headers["X-Localmem-Memories"] == "1" and "NAME?" not in system
