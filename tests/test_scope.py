"""Scope filters are exact, however many users share the index (unlike mem0's post-filtering)."""

from tests.helpers import fake_memory


def test_each_user_sees_only_their_own_memories_among_many():
    memory = fake_memory()
    for u in range(300):
        memory.add([{"role": "user", "content": f"I like topic{u} and common things"}],
                   user_id=f"user{u}", infer=False)
    memory.add("I like the rare word zanzibar", user_id="lonely", infer=False)
    for u in (0, 150, 299):
        hits = memory.search("I like common things", user_id=f"user{u}", limit=5)
        assert hits and {h.user_id for h in hits} == {f"user{u}"}
    # One memory among 300 others that match the query better still comes back.
    hits = memory.search("I like topic7 and common things", user_id="lonely")
    assert [h.text for h in hits] == ["I like the rare word zanzibar"]


def test_agent_and_run_scopes_combine_exactly():
    memory = fake_memory()
    memory.add("I like green tea", user_id="u", agent_id="a1", run_id="r1", infer=False)
    memory.add("I like black tea", user_id="u", agent_id="a2", infer=False)
    assert [m.text for m in memory.search("tea", agent_id="a1")] == ["I like green tea"]
    assert [m.text for m in memory.search("tea", user_id="u", agent_id="a2")] == ["I like black tea"]
    assert not memory.search("tea", user_id="u", agent_id="a1", run_id="r2")
    assert len(memory.get_all(user_id="u", limit=10)) == 2


def test_updates_never_cross_users():
    memory = fake_memory()
    memory.add("My name is Dave", user_id="a")
    memory.add("My name is Dan", user_id="b")
    assert [m.text for m in memory.get_all(user_id="a")] == ["Name is Dave"]
    assert [m.text for m in memory.get_all(user_id="b")] == ["Name is Dan"]
