"""The OpenAI-compatible chat on the real bundled models, through the official ``openai`` client
pointed at 127.0.0.1 only: a real uvicorn server over ``create_app`` (what ``localmem serve``
runs), SmolLM2 generating and extracting; and upstream mode against llama-cpp-python's own
``llama_cpp.server`` started by the test on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from localmem import Memory
from localmem.backends.embeddings import SentenceTransformerEmbedder
from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.frontends.rest import ServerOptions, create_app
from localmem.frontends.rest.generation import ChatBackend
from localmem.models.locate import resolve_embedder_path, resolve_llm_path
from localmem.storage.keys import KeyStore
from tests.live_server import serving

pytestmark = pytest.mark.integration
openai = pytest.importorskip("openai")


class Seen(ChatBackend):
    """The real backend, with the messages each reply was generated from kept in ``prompts``."""

    def __init__(self, real: ChatBackend) -> None:
        self.real, self.prompts = real, []

    def complete(self, messages, sampling, stream, model, usage=False):
        self.prompts.append(messages)
        return self.real.complete(messages, sampling, stream, model, usage=usage)

    def model_ids(self):
        return self.real.model_ids()


@pytest.fixture(scope="module")
def models():
    return LlamaCppLLM(resolve_llm_path(None)), SentenceTransformerEmbedder(resolve_embedder_path(None))


@pytest.fixture
def stack(tmp_path, models):
    """``stack(**options)`` -> (openai client, memory, chat service, seen, port); torn down after."""
    opened = []

    def start(**options):
        llm, embedder = models
        memory = Memory(path=tmp_path / "home", llm=llm, embedder=embedder)
        keys = KeyStore(tmp_path / "home")
        app = create_app(tmp_path / "home", memory=memory, keys=keys, options=ServerOptions(**options))
        service = app.state.openai
        seen = service.backend = Seen(service.backend)
        server = serving(app)
        port = server.__enter__()
        opened.append((server, keys, memory))
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=keys.create("dave"),
                               max_retries=0, timeout=300)
        return client, memory, service, seen, port

    yield start
    for server, keys, memory in opened:
        server.__exit__(None, None, None)
        keys.close()
        memory.close()


def test_the_second_conversation_recalls_the_first(stack):
    client, memory, service, seen, _ = stack()
    first = client.chat.completions.create(
        model="localmem", messages=[{"role": "user", "content": "Hi there! My name is Dave."}],
        max_tokens=24, temperature=0, seed=1)
    assert first.choices[0].message.content.strip()
    service.recorder.join()
    assert any("Dave" in m.text for m in memory.get_all(user_id="dave"))

    second = client.chat.completions.create(
        model="localmem", messages=[{"role": "user", "content": "What is my name?"}],
        max_tokens=24, temperature=0, seed=1)
    system = seen.prompts[-1][0]
    assert system["role"] == "system" and "Name is Dave" in system["content"], system
    assert seen.prompts[-1][-1] == {"role": "user", "content": "What is my name?"}
    assert second.choices[0].message.content.strip()
    assert second.choices[0].finish_reason in ("stop", "length") and second.usage.completion_tokens > 0


def test_streaming_and_a_wrong_key(stack):
    client, memory, service, seen, port = stack()
    memory.add([{"role": "user", "content": "Name is Dave"}], user_id="dave", infer=False)
    stream = client.chat.completions.create(
        model="localmem", messages=[{"role": "user", "content": "What is my name?"}],
        max_tokens=16, temperature=0, stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks).strip()
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert "Name is Dave" in seen.prompts[-1][0]["content"]
    counted = list(client.chat.completions.create(
        model="localmem", messages=[{"role": "user", "content": "What is my name?"}],
        max_tokens=4, temperature=0, stream=True, stream_options={"include_usage": True}))
    usage = counted[-1].usage
    assert counted[-1].choices == [] and 0 < usage.completion_tokens <= 4
    assert usage.prompt_tokens > 10 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    wrong = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="lm_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as denied:
        wrong.chat.completions.create(model="localmem", messages=[{"role": "user", "content": "hi"}])
    assert denied.value.status_code == 401
    assert set(denied.value.body) == {"message", "type", "param", "code"}
    assert denied.value.code == "invalid_api_key"


@pytest.fixture
def llama_server():
    """llama-cpp-python's OpenAI server on SmolLM2, 127.0.0.1; the bodies it got in ``received``."""
    pytest.importorskip("llama_cpp.server.app")  # needs starlette-context, sse-starlette, ...
    from llama_cpp.server.app import create_app as llama_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    app = llama_app(server_settings=ServerSettings(host="127.0.0.1", port=0),
                    model_settings=[ModelSettings(model=str(resolve_llm_path(None)), n_ctx=2048,
                                                  model_alias="smollm2", verbose=False)])
    received: list[dict] = []

    async def recording(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        body, more = b"", True
        while more:  # read the request once, keep it, then hand the same bytes to the app
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        if body:
            received.append(json.loads(body))
        replayed = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay():
            return replayed.pop() if replayed else await receive()

        await app(scope, replay, send)

    with serving(recording) as port:
        yield f"http://127.0.0.1:{port}/v1", received


def test_upstream_mode_sends_the_memories_to_llama_cpp_server(stack, llama_server):
    url, received = llama_server
    client, memory, service, seen, _ = stack(upstream=url)
    memory.add([{"role": "user", "content": "Name is Dave"}], user_id="dave", infer=False)
    reply = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "What is my name?"}],
        max_tokens=16, temperature=0)
    assert reply.choices[0].message.content.strip() and reply.model == "smollm2"
    stream = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "What is my name?"}],
        max_tokens=16, temperature=0, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream).strip()
    got = [body for body in received if "messages" in body]
    assert len(got) == 2 and [b["stream"] for b in got] == [False, True]
    assert got[0]["messages"][0]["role"] == "system" and "Name is Dave" in got[0]["messages"][0]["content"]
    assert got[0]["max_tokens"] == 16 and got[0]["temperature"] == 0
    assert [m.id for m in client.models.list()] == ["smollm2"]
