"""The chat endpoint's background storage and streaming usage: a bounded recorder queue that
stores verbatim (and says so) when full, the recorder waiting while a reply is generated, the
model lock serving replies first, and OpenAI's ``stream_options.include_usage``."""

import gc
import json
import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient

from localmem import ConfigError
from localmem.backends.priority import PriorityLock
from localmem.frontends.rest import ServerOptions, create_app
from localmem.frontends.rest import recorder as recorder_module
from localmem.frontends.rest.generation import GenerationGate
from localmem.frontends.rest.recorder import ExchangeRecorder
from localmem.storage.keys import KeyStore
from tests.helpers import fake_memory
from tests.live_server import serving
from tests.test_openai_api import chat, events
from tests.test_openai_requests import recording_upstream


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until it holds (a state check, not a sleep standing in for one)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


class Blocked:
    """A fake extraction that blocks until released; ``started`` is set on its first call."""

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, prompt, schema):
        self.started.set()
        assert self.release.wait(30), "the test never released the extraction"
        return {"facts": []} if "facts" in schema.model_fields else {"event": "ADD"}


@pytest.fixture
def server(tmp_path):
    """``server(responses=None, **options)`` -> (client, memory, service, key bound to "dave")."""
    opened = []

    def build(responses=None, **options):
        home = tmp_path / str(len(opened))
        memory = fake_memory(home, responses=responses)
        keys = KeyStore(home)
        app = create_app(home, memory=memory, keys=keys, options=ServerOptions(rate=0, **options))
        opened.append((keys, memory, app.state.openai))
        return TestClient(app), memory, app.state.openai, keys.create("dave")

    yield build
    for keys, memory, service in opened:
        service.close()
        keys.close()
        memory.close()


def say(text):
    return [{"role": "user", "content": text}]


# --- the bounded queue ---------------------------------------------------------------------------


def test_a_full_queue_stores_the_exchange_verbatim_at_once_and_says_so(server, caplog):
    blocked = Blocked()
    client, memory, service, key = server(responses=blocked, chat_record_queue=1)
    first = chat(client, key, say("I own a red kayak"))
    assert blocked.started.wait(30)  # the worker took the first exchange: the queue is empty
    second = chat(client, key, say("I live in Oslo"))  # waits in the queue
    with caplog.at_level(logging.WARNING, "localmem.server"):
        third = chat(client, key, say("My dog is called Rex"))
        streamed = chat(client, key, say("I play chess"), stream=True)
    assert [r.headers["X-Localmem-Stored"] for r in (first, second, third, streamed)] == [
        "queued", "queued", "verbatim", "verbatim"]
    assert events(streamed)[-1] == "[DONE]"
    texts = {m.text for m in memory.get_all(user_id="dave")}
    assert {"My dog is called Rex", "I play chess"} <= texts  # stored before the reply went out
    assert "I own a red kayak" not in texts and "queue is full" in caplog.text
    assert service.recorder.overflowed == 2
    blocked.release.set()
    service.recorder.join()
    assert service.recorder.stored == 2 and service.recorder.failed == 0
    said = [m.text for m in memory.get_all(user_id="dave")]
    assert all(any(t in s for s in said) for t in ("red kayak", "Oslo", "Rex", "chess")), said


def test_nothing_to_store_and_memory_off_say_no(server):
    client, _, _, key = server()
    off = chat(client, key, say("I own a red kayak"), headers={"X-Localmem-Memory": "off"})
    assert off.headers["X-Localmem-Stored"] == "no"
    streamed = chat(client, key, say("hi"), stream=True, headers={"X-Localmem-Memory": "off"})
    assert streamed.headers["X-Localmem-Stored"] == "no"


def test_the_queue_size_is_a_checked_server_option():
    assert ServerOptions().chat_record_queue == 64
    for bad in (0, -1, "8"):
        with pytest.raises(ConfigError, match="chat_record_queue"):
            ServerOptions.of(chat_record_queue=bad)


def test_a_lost_exchange_is_said_and_logged(tmp_path, caplog):
    memory = fake_memory(tmp_path)
    recorder = ExchangeRecorder(memory, 1)
    memory.close()  # every write now fails
    with caplog.at_level(logging.ERROR, "localmem.server"):
        assert recorder.store_now(say("I own a red kayak"), {"user_id": "dave"}) == "lost"
    assert recorder.failed == 1 and "it is lost" in caplog.text


# --- generation first ----------------------------------------------------------------------------


class WatchedGate(GenerationGate):
    """A gate that tells the test when the recorder starts waiting on it."""

    def __init__(self):
        super().__init__()
        self.waiting = threading.Event()

    def wait_idle(self, timeout=None, quiet=0.0):
        self.waiting.set()
        return super().wait_idle(timeout, quiet)


def test_the_recorder_waits_while_a_reply_is_generated(tmp_path):
    memory = fake_memory(tmp_path)
    gate = WatchedGate()
    recorder = ExchangeRecorder(memory, 4, gate)
    reply = gate.hold(lambda: iter([{"choices": []}, {"choices": []}]))
    assert gate.active == 1
    assert recorder.submit(say("I own a red kayak"), {"user_id": "dave"}) == "queued"
    assert gate.waiting.wait(30)
    assert memory.llm.calls == [] and memory.get_all(user_id="dave") == []  # held back
    assert list(reply) == [{"choices": []}, {"choices": []}] and gate.active == 0
    recorder.join()
    assert memory.llm.calls and recorder.stored == 1
    recorder.close()


def test_a_reply_that_never_ends_holds_the_recorder_back_only_so_long(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "MAX_WAIT_S", 0.01)
    memory = fake_memory(tmp_path)
    gate = GenerationGate()
    recorder = ExchangeRecorder(memory, 4, gate)
    stuck = gate.hold(lambda: iter([{"choices": []}]))
    recorder.submit(say("I own a red kayak"), {"user_id": "dave"})
    recorder.join()
    assert recorder.stored == 1 and gate.active == 1
    stuck.close()
    recorder.close()


def test_the_gate_waits_a_quiet_moment_after_a_reply():
    gate = GenerationGate()
    assert gate.wait_idle(0, quiet=0.05)  # no reply yet: the moment has long passed
    list(gate.hold(lambda: iter([{"choices": []}])))
    assert not gate.wait_idle(0, quiet=60)
    start = time.monotonic()
    assert gate.wait_idle(30, quiet=0.05)
    assert time.monotonic() - start >= 0.04 and gate.wait_idle(0, quiet=0)


@pytest.mark.parametrize("end", ["exhausted", "closed", "failed", "dropped", "failed to start"])
def test_the_gate_is_released_however_a_reply_ends(end):
    gate = GenerationGate()

    def payloads():
        yield {"choices": []}
        if end == "failed":
            raise RuntimeError("the model broke")
        yield {"choices": []}

    if end == "failed to start":
        with pytest.raises(RuntimeError):
            gate.hold(lambda: (_ for _ in ()).throw(RuntimeError("no model")))
    else:
        held = gate.hold(payloads)
        next(held)
        assert gate.active == 1
        if end == "exhausted":
            list(held)
        elif end == "closed":
            held.close()
        elif end == "failed":
            with pytest.raises(RuntimeError):
                list(held)
        else:
            del held
            gc.collect()
    assert gate.active == 0 and gate.wait_idle(0)


def test_a_waiting_reply_gets_the_model_before_the_next_extraction_call():
    lock, order = PriorityLock(), []
    lock.acquire()  # an extraction call is running

    def background(name):
        with lock:
            order.append(name)

    def reply():
        with lock.urgent():
            order.append("reply")

    first = threading.Thread(target=background, args=("extraction 2",))
    first.start()
    wait_until(lambda: lock.waiting == 1)
    urgent = threading.Thread(target=reply)
    urgent.start()
    wait_until(lambda: lock.urgent_waiting == 1 and lock.waiting == 2)
    lock.release()
    for thread in (first, urgent):
        thread.join(30)
    assert order == ["reply", "extraction 2"]


def test_the_local_model_serves_chat_under_the_priority_lock():
    from localmem.backends.llama_cpp import LlamaCppLLM

    llm = LlamaCppLLM("unused.gguf")  # nothing is loaded until used
    assert isinstance(llm._lock, PriorityLock)


# --- usage on streamed replies -------------------------------------------------------------------


def chunks(response):
    return [json.loads(e) for e in events(response) if e != "[DONE]"]


def test_include_usage_ends_the_stream_with_a_usage_chunk(server):
    client, memory, _, key = server()
    memory.llm.chat_reply = "Your kayak is red."
    streamed = chunks(chat(client, key, say("What colour is my kayak?"), stream=True,
                           stream_options={"include_usage": True}))
    *replies, last = streamed
    assert last["choices"] == [] and last["object"] == "chat.completion.chunk"
    assert last["usage"] == {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
    assert all(c["usage"] is None and len(c["choices"]) == 1 for c in replies)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in replies) == "Your kayak is red."
    plain = chunks(chat(client, key, say("What colour is my kayak?"), stream=True))
    assert all("usage" not in c and c["choices"] for c in plain)
    off = chunks(chat(client, key, say("hi"), stream=True, stream_options={"include_usage": False}))
    assert all("usage" not in c for c in off)


def test_the_upstream_is_asked_for_usage_only_when_the_client_asks(server):
    received = []
    with serving(recording_upstream(received)) as port:
        client, _, _, key = server(upstream=f"http://127.0.0.1:{port}/v1")
        asked = chunks(chat(client, key, say("hi"), model="qwen", stream=True,
                            stream_options={"include_usage": True}))
        plain = chunks(chat(client, key, say("hi"), model="qwen", stream=True))
    assert received[0]["stream_options"] == {"include_usage": True}
    assert "stream_options" not in received[1]
    assert asked[-1]["choices"] == [] and asked[-1]["usage"]["total_tokens"] == 35
    assert all(c["choices"] for c in plain)


def test_the_openai_client_reads_the_streamed_usage(server):
    openai = pytest.importorskip("openai")
    client, memory, _, key = server()
    with serving(client.app) as port:
        api = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        stream = api.chat.completions.create(model="localmem", messages=say("hi"), stream=True,
                                             stream_options={"include_usage": True})
        got = list(stream)
    assert got[-1].choices == [] and got[-1].usage.completion_tokens == 2  # "I remember."
    assert got[-1].usage.total_tokens == got[-1].usage.prompt_tokens + 2
