"""Hostile export files: any edit of a real export either imports, leaving a store whose derived
fields and scopes hold, or fails with a LocalmemError and leaves every table unchanged.

Forged hashes, non-unit or foreign vectors, rows outside the header's scope, sources across
scopes, stray history, oversized or NUL-laden fields, broken lines, repeated headers.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from localmem import FakeLLM, HashEmbedder, LocalmemError, Memory
from localmem.engine.textutil import text_hash
from localmem.frontends.transfer import export_lines, import_lines
from tests.helpers import sql
from tests.test_transfer import retire
from tests.test_hostile_input import BOUNDED, _deep, _respond, full_dump, json_like, text


def _b64(values) -> str:
    return base64.b64encode(np.asarray(values, dtype=np.float32).tobytes()).decode()


_other_space = np.random.default_rng(1).normal(size=384)
FIELD_VALUES = [
    2**63, -(2**63) - 1, 10**40, 0, -1, 3, True, None, "", " ", "\x00", "a\x00b", "\ud800",
    "x" * 100_001, "r" * 1_001, "ana", "bo", "helper", "9999-12-31T23:59:59",
    "0001-01-01T00:00:00", "yesterday", float("nan"), float("inf"), [], {}, [1, 2, 3, 999],
    {"user_id": "bo"}, {"user_id": "ana", "run_id": "r9"}, "ADD", "DELETE", "NONE", "user",
    "HashEmbedder-384", "all-MiniLM-L6-v2-384", _b64([-3e38] * 384),
    _b64([3e38 if i % 2 else -3e38 for i in range(384)]), _b64([float("nan")] * 384),
    _b64([0.0] * 384), _b64(_other_space / np.linalg.norm(_other_space)), "AAAA", "***",
    text_hash("Plays the cello"), _deep(50),
]
IMPORT_KEYS = sorted({
    "type", "id", "role", "content", "name", "user_id", "agent_id", "run_id", "metadata",
    "embedding", "created_at", "observed_at", "text", "hash", "updated_at", "source_message_ids",
    "memory_id", "event", "old_text", "new_text", "actor", "reason", "format", "version", "dims",
    "scope", "embedder", "colour",
})
field_value = st.one_of(st.sampled_from(FIELD_VALUES), json_like, st.lists(st.integers(-3, 12), max_size=4))
_scope_value = st.sampled_from(["ana", "bo", "cy", "helper", None])
_vector = st.sampled_from([v for v in FIELD_VALUES if isinstance(v, str) and len(v) == 2048])
FORGERIES = {  # well-typed values a careless or hostile file may carry, by record type and key
    "memory": {"hash": st.sampled_from([text_hash("Plays the cello"), text_hash("Likes tea"), "0" * 64]),
               "embedding": _vector, "user_id": _scope_value, "agent_id": _scope_value,
               "run_id": _scope_value, "source_message_ids": st.lists(st.integers(1, 8), max_size=4),
               "id": st.integers(1, 12)},
    "message": {"embedding": _vector, "user_id": _scope_value, "agent_id": _scope_value,
                "run_id": _scope_value, "id": st.integers(1, 8)},
    "history": {"memory_id": st.integers(1, 12), "actor": st.sampled_from(["model", "user", "a" * 65]),
                "reason": st.sampled_from(["", "r" * 1_001, "why\nnot"]), "id": st.integers(1, 12)},
    "header": {"scope": st.sampled_from([{}, {"user_id": "ana"}, {"user_id": "bo"}, {"run_id": "r1"}]),
               "embedder": st.sampled_from(["HashEmbedder-384", "other-384", None])},
}


@st.composite
def forgery(draw) -> tuple:
    kind = draw(st.sampled_from(sorted(FORGERIES)))
    key = draw(st.sampled_from(sorted(FORGERIES[kind])))
    return ("forge", draw(st.integers(0, 8)), kind, key, draw(FORGERIES[kind][key]))


edit = st.one_of(
    forgery(),
    st.tuples(st.just("set"), st.integers(0, 40), st.sampled_from(IMPORT_KEYS), field_value),
    st.tuples(st.just("drop"), st.integers(0, 40), st.sampled_from(IMPORT_KEYS)),
    st.tuples(st.sampled_from(["repeat", "remove"]), st.integers(0, 40)),
    st.tuples(st.just("insert"), st.integers(0, 40), st.one_of(
        text, st.sampled_from(["{}", "[]", "null", '{"type": "header"}', "NaN", "{" * 5000]))),
)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, list[str]]:
    """A full and a scoped export of two users: inferred, verbatim, updated and retired memories."""
    source = Memory(path=tmp_path_factory.mktemp("source"), llm=FakeLLM(_respond), embedder=HashEmbedder())
    source.add("I live in Lyon and I play the cello", user_id="ana", metadata={"topic": "life"})
    source.add([{"role": "user", "content": "My PIN is 4242"}, {"role": "assistant", "content": "Noted"}],
               user_id="bo", agent_id="helper", infer=False)
    garden = source.add("Keeps a garden", user_id="bo", infer=False)[0].id
    source.update(garden, "Keeps an orchard")
    gone = source.add("Temporary note", user_id="ana", infer=False)[0].id
    retire(source, gone)
    out = {"full": list(export_lines(source)), "ana": list(export_lines(source, user_id="ana"))}
    source.close()
    return out


def _edited(lines: list[str], edits: list[tuple]) -> list[str]:
    recs: list = [json.loads(line) for line in lines]
    for op, at, *rest in edits:
        if op == "forge":
            of_kind = [r for r in recs if isinstance(r, dict) and r.get("type") == rest[0]]
            if of_kind:
                of_kind[at % len(of_kind)][rest[1]] = rest[2]
            continue
        at %= len(recs) + (op == "insert")
        if op == "set" and isinstance(recs[at], dict):
            recs[at][rest[0]] = rest[1]
        elif op == "drop" and isinstance(recs[at], dict):
            recs[at].pop(rest[0], None)
        elif op == "repeat":
            recs.insert(at, recs[at])
        elif op == "remove" and len(recs) > 1:
            recs.pop(at)
        elif op == "insert":
            recs.insert(at, ("raw", rest[0]))
    return [r[1] if isinstance(r, tuple) else json.dumps(r, ensure_ascii=False, allow_nan=True)
            for r in recs]


def assert_import_invariants(memory: Memory) -> None:
    """What no file can break: derived hashes, unit vectors, provenance within scope, finite scores."""
    for text_, hash_, blob in sql(memory, "SELECT text, hash, embedding FROM memories"):
        assert hash_ == text_hash(text_)
        vector = np.frombuffer(blob, dtype=np.float32)
        assert vector.size == 384 and abs(float(np.linalg.norm(vector)) - 1) < 1e-3
    crossed = sql(memory, 
        "SELECT count(*) FROM memory_sources s JOIN memories m ON m.id = s.memory_id "
        "JOIN messages g ON g.id = s.message_id WHERE "
        + " OR ".join(f"(g.{k} IS NOT NULL AND g.{k} IS NOT m.{k})" for k in ("user_id", "agent_id", "run_id"))
    )[0][0]
    assert crossed == 0
    for user in ("ana", "bo"):
        found = memory.search("Lyon cello orchard PIN", user_id=user, limit=20)
        json.dumps(found.to_dict(), allow_nan=False)


@BOUNDED
@given(which=st.sampled_from(["full", "ana"]), edits=st.lists(edit, min_size=1, max_size=4),
       replace=st.booleans(), seeded=st.booleans())
def test_import_takes_any_file_and_fails_only_cleanly(exports, which, edits, replace, seeded):
    target = Memory(path=":memory:", llm=FakeLLM(_respond), embedder=HashEmbedder())
    if seeded:  # ids that clash with the file's
        target.add("I play the viola", user_id="cy")
    lines = _edited(exports[which], edits)
    before = full_dump(target)
    try:
        import_lines(target, lines, replace=replace)
    except LocalmemError:
        assert full_dump(target) == before
    else:
        assert_import_invariants(target)
    finally:
        target.close()


