"""What a chat request may ask: sampling honoured, the rest refused naming the field; failures
of the model in OpenAI's shape; the upstream mode against a recording OpenAI-shaped server; the
official ``openai`` client on the fakes (127.0.0.1 only)."""

import json
import socket

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient

from localmem import FakeLLM, ModelError
from localmem.frontends.rest import ServerOptions, create_app
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory, sql
from tests.live_server import serving

ASK = [{"role": "user", "content": "Tell me about my cat"}]


@pytest.fixture
def make(tmp_path):
    """``make(llm=None, **options)`` -> (client, memory, service, key bound to "dave")."""
    opened = []

    def build(llm=None, **options):
        memory = fake_memory(tmp_path / str(len(opened)))
        if llm is not None:
            memory._llm = llm
        memory.add("My cat is called Tom", user_id="dave", infer=False)
        keys = KeyStore(tmp_path / str(len(opened)))
        app = create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0, **options))
        opened.append((keys, memory))
        return TestClient(app), memory, app.state.openai, keys.create("dave")

    yield build
    for keys, memory in opened:
        keys.close()
        memory.close()


def post(client, key, **body):
    return client.post("/v1/chat/completions", json={"model": "localmem", "messages": ASK, **body},
                       headers={"Authorization": f"Bearer {key}"})


def test_temperature_top_p_max_tokens_stop_and_seed_reach_the_model(make):
    client, memory, _, key = make()
    memory.llm.chat_reply = "Tom is a grey cat. He sleeps all day."
    sent = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 6, "stop": ["."], "seed": 42}
    body = post(client, key, **sent).json()
    assert memory.llm.chat_calls[-1][1] == sent
    assert body["choices"][0]["message"]["content"] == "Tom is a grey cat"
    cut = post(client, key, max_completion_tokens=2).json()["choices"][0]
    assert cut["message"]["content"] == "Tom is" and cut["finish_reason"] == "length"
    post(client, key, stop="grey")
    assert memory.llm.chat_calls[-1][1] == {"stop": "grey", "max_tokens": 512}  # the default cap


def test_the_default_max_tokens_is_a_server_option(make):
    client, memory, _, key = make(chat_max_tokens=7)
    post(client, key)
    assert memory.llm.chat_calls[-1][1] == {"max_tokens": 7}


REFUSED = [
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools", "unsupported_parameter"),
    ({"tool_choice": "auto"}, "tool_choice", "unsupported_parameter"),
    ({"functions": [{"name": "f"}]}, "functions", "unsupported_parameter"),
    ({"logprobs": True}, "logprobs", "unsupported_parameter"),
    ({"response_format": {"type": "json_object"}}, "response_format", "unsupported_parameter"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),  # no stream
    ({"stream": True, "stream_options": {"include_usage": "yes"}}, "stream_options", "invalid_value"),
    ({"stream": True, "stream_options": {"chunk_size": 1}}, "stream_options", "unknown_parameter"),
    ({"presence_penalty": 0.5}, "presence_penalty", "unsupported_parameter"),
    ({"n": 2}, "n", "invalid_value"),
    ({"frobnicate": 1}, "frobnicate", "unknown_parameter"),
    ({"temperature": 3}, "temperature", "invalid_value"),
    ({"temperature": "0.5"}, "temperature", "invalid_value"),
    ({"max_tokens": 0}, "max_tokens", "invalid_value"),
    ({"max_tokens": 5, "max_completion_tokens": 6}, "max_completion_tokens", "invalid_value"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "invalid_value"),
    ({"stream": "yes"}, "stream", "invalid_value"),
    ({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]},
     "messages[0].content", "invalid_value"),
    ({"messages": [{"role": "tool", "content": "42", "tool_call_id": "c1"}]}, "messages[0]", None),
    ({"messages": [{"role": "assistant", "content": None, "tool_calls": []}]},
     "messages[0].content", "invalid_value"),
    ({"messages": [{"role": "user", "content": "hi", "name": "dave"}]}, "messages[0].name",
     "unsupported_parameter"),
    ({"messages": []}, "messages", "invalid_value"),
    ({"model": ""}, "model", "invalid_value"),
]


@pytest.mark.parametrize("extra,param,code", REFUSED)
def test_what_localmem_does_not_do_is_refused_naming_the_field(make, extra, param, code):
    client, memory, service, key = make()
    before = dump(memory)
    response = post(client, key, **extra)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param is not None:
        assert error["param"].startswith(param), error
    if code is not None:
        assert error["code"] == code, error
    service.recorder.join()
    assert memory.llm.chat_calls == [] and dump(memory) == before


def test_fields_that_ask_for_nothing_and_text_parts_are_accepted(make):
    client, memory, _, key = make()
    response = post(client, key, tools=[], logprobs=False, n=1, user="dave", messages=[
        {"role": "user", "content": [{"type": "text", "text": "Tell me"}, {"type": "text", "text": "about Tom"}]}])
    assert response.status_code == 200, response.text
    assert memory.llm.chat_calls[-1][0][-1] == {"role": "user", "content": "Tell me\nabout Tom"}


class BrokenChat(FakeLLM):
    """A model that fails to chat: at once, or (``after`` pieces) in the middle of a reply."""

    def __init__(self, after=None):
        super().__init__()
        self.after = after

    def chat_completion(self, messages, *, stream=False, **sampling):
        if self.after is None:
            raise ModelError("llama.cpp failed while chatting: out of memory")
        return self._pieces()

    def _pieces(self):
        yield {"choices": [{"index": 0, "delta": {"content": "Tom "}, "finish_reason": None}]}
        raise ModelError("llama.cpp failed while chatting: out of memory")


@pytest.mark.parametrize("stream", [False, True])
def test_a_model_that_cannot_answer_is_a_503_in_openai_shape(make, stream):
    client, memory, service, key = make(llm=BrokenChat())
    before = dump(memory)
    response = post(client, key, stream=stream)
    assert response.status_code == 503
    assert response.json()["error"] == {"message": "llama.cpp failed while chatting: out of memory",
                                        "type": "server_error", "param": None, "code": None}
    service.recorder.join()
    assert dump(memory) == before  # nothing was answered, so nothing to remember


def test_a_stream_that_fails_midway_ends_with_an_error_event_and_keeps_what_was_said(make):
    client, memory, service, key = make(llm=BrokenChat(after=1))
    response = post(client, key, stream=True)
    assert response.status_code == 200
    data = [b.removeprefix("data: ") for b in response.text.split("\n\n") if b]
    assert "[DONE]" not in data
    assert json.loads(data[1])["choices"][0]["delta"] == {"content": "Tom "}
    assert json.loads(data[-1])["error"]["type"] == "server_error"
    service.recorder.join()
    said = [r[0] for r in sql(memory, "SELECT content FROM messages")]
    assert said[-2:] == ["Tell me about my cat", "Tom"]


# --- upstream mode, against a recording OpenAI-shaped server -------------------------------------


def recording_upstream(received):
    """An OpenAI-shaped server that keeps every body it gets and answers 'Tom is grey.'."""
    app = FastAPI()

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": "qwen", "object": "model", "owned_by": "me"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        received.append(body)
        if body["model"] == "missing":
            return JSONResponse({"error": {"message": "model 'missing' not found", "type": "invalid_request_error",
                                           "param": "model", "code": "model_not_found"}}, 404)
        if not body["stream"]:
            return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Tom is grey."}}]}
        pieces = [{"role": "assistant"}, {"content": "Tom "}, {"content": "is grey."}]
        lines = [json.dumps({"choices": [{"index": 0, "delta": d, "finish_reason": None}]}) for d in pieces]
        lines.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}))
        if body.get("stream_options", {}).get("include_usage"):
            lines.append(json.dumps({"choices": [], "usage": {
                "prompt_tokens": 31, "completion_tokens": 4, "total_tokens": 35}}))
        return StreamingResponse((f"data: {line}\n\n" for line in [*lines, "[DONE]"]),
                                 media_type="text/event-stream")

    return app


def test_upstream_mode_sends_the_memories_and_streams_the_reply_through(make):
    received = []
    with serving(recording_upstream(received)) as port:
        client, memory, service, key = make(upstream=f"http://127.0.0.1:{port}/v1")
        plain = post(client, key, model="qwen", temperature=0.1).json()
        streamed = post(client, key, model="qwen", stream=True)
        missing = post(client, key, model="missing")
        listed = client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).json()
    assert plain["choices"][0]["message"]["content"] == "Tom is grey." and plain["model"] == "qwen"
    chunks = [json.loads(b[6:]) for b in streamed.text.split("\n\n") if b and b != "data: [DONE]"]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Tom is grey."
    assert chunks[-1]["choices"][0]["finish_reason"] == "length" and streamed.text.endswith("data: [DONE]\n\n")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    assert [m["id"] for m in listed["data"]] == ["qwen"]
    first = received[0]
    assert first["messages"][0]["role"] == "system" and "My cat is called Tom" in first["messages"][0]["content"]
    assert first["temperature"] == 0.1 and first["stream"] is False and received[1]["stream"] is True
    assert memory.llm.chat_calls == []  # the local model never chatted
    service.recorder.join()
    assert service.recorder.stored == 2


def test_an_upstream_that_is_not_there_is_a_503(make):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        client, _, _, key = make(upstream=f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        for stream in (False, True):
            response = post(client, key, stream=stream)
            assert response.status_code == 503
            assert "cannot be reached" in response.json()["error"]["message"]


# --- the official openai client, on the fakes ----------------------------------------------------


def test_the_openai_client_reads_our_answers_and_errors(make):
    openai = pytest.importorskip("openai")
    client, memory, service, key = make()
    memory.llm.chat_reply = "Your cat is Tom."
    with serving(client.app) as port:
        api = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        reply = api.chat.completions.create(model="localmem", messages=ASK)
        stream = api.chat.completions.create(model="localmem", messages=ASK, stream=True)
        pieces = [c.choices[0].delta.content or "" for c in stream]
        with pytest.raises(openai.BadRequestError) as refused:
            api.chat.completions.create(model="localmem", messages=ASK, tools=[
                {"type": "function", "function": {"name": "f", "parameters": {}}}])
        wrong = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="lm_wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as denied:
            wrong.models.list()
    assert reply.choices[0].message.content == "Your cat is Tom." == "".join(pieces)
    assert refused.value.param == "tools" and denied.value.code == "invalid_api_key"


def test_the_ported_chat_loop_remembers_through_the_server(make):
    import importlib.util
    from pathlib import Path

    openai = pytest.importorskip("openai")
    path = Path(__file__).resolve().parents[1] / "scripts" / "chat_openai_client.py"
    spec = importlib.util.spec_from_file_location("chat_openai_client", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    client, memory, service, key = make()
    with serving(client.app) as port:
        api = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        history = []
        assert script.chat_with_memories(api, "Where does Tom sleep?", history, None) == "I remember."
        script.chat_with_memories(api, "And my cat?", history, None)
    got = memory.llm.chat_calls[-1][0]
    assert "My cat is called Tom" in got[0]["content"] and got[0]["content"].startswith("You are")
    assert [m["content"] for m in got[1:]] == ["Where does Tom sleep?", "I remember.", "And my cat?"]
    service.recorder.join()
    assert service.recorder.stored == 2
