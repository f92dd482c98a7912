"""An add's model call does not hold the memory's lock: other users' reads and writes go on."""

import threading

from localmem import FakeLLM, HashEmbedder, Memory


def test_a_slow_model_call_does_not_block_other_callers():
    entered, release = threading.Event(), threading.Event()

    def slow_model(prompt, schema):
        entered.set()
        assert release.wait(30), "the test never released the model"
        return {"facts": []}

    memory = Memory(path=":memory:", llm=FakeLLM(slow_model), embedder=HashEmbedder())
    memory.add("I like tea", user_id="bob", infer=False)
    alice = threading.Thread(target=memory.add, args=("I live in Oslo",), kwargs={"user_id": "alice"})
    alice.start()
    try:
        assert entered.wait(30)
        # alice's model call is in progress (it cannot end before release): bob is served now
        assert [m.text for m in memory.get_all(user_id="bob")] == ["I like tea"]
        assert memory.search("tea", user_id="bob")[0].text == "I like tea"
        memory.add("I play chess", user_id="bob", infer=False)
        assert alice.is_alive()
    finally:
        release.set()
        alice.join(30)
    assert not alice.is_alive()
    assert "Lives in Oslo" in [m.text for m in memory.get_all(user_id="alice")]
    memory.close()
