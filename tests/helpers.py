"""Shared test helpers: a memory on fakes, a look at what it stored (rows, indexes), and the
evaluation harness (scripts/eval_memory.py) loaded as a module.

``backend(memory)`` is the one way tests reach behind the public API: it returns the memory's
internal storage (``Memory._storage``, SQLite + FAISS). ``sql``, ``dump`` and ``in_step`` use it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from localmem import FakeLLM, HashEmbedder, Memory
from localmem.storage.sqlite_backend import SqliteFaissStorage
from localmem.storage.store import MEMORIES, MESSAGES


def fake_memory(path: Path | str = ":memory:", responses: Any = None, **kwargs: Any) -> Memory:
    """A Memory on real SQLite with the scripted FakeLLM and the hashing embedder."""
    return Memory(path=path, llm=FakeLLM(responses), embedder=HashEmbedder(), **kwargs)


def backend(memory: Memory) -> SqliteFaissStorage:
    """The memory's storage, internal: for tests that check the stored rows or the indexes."""
    return memory._storage


def sql(memory: Memory, query: str, params: Any = ()) -> list[tuple]:
    """The rows of one SQL statement run on the memory's database."""
    return backend(memory).store.execute(query, params)


def dump(memory: Memory) -> dict[str, list[tuple]]:
    """Every row of every data table, for before/after comparisons."""
    tables = ("memories", "messages", "memory_sources", "history", "meta")
    return {t: sql(memory, f"SELECT * FROM {t} ORDER BY 1") for t in tables}


def in_step(memory: Memory) -> bool:
    """The indexes hold exactly SQLite's rows with a vector, each with its own vector."""
    storage = backend(memory)
    for table in (MEMORIES, MESSAGES):
        ids, vectors = storage.store.embeddings(table)
        if storage.indexes.by_table(table).digest() != storage.store.id_digest(table):
            return False
        for rid, vector in zip(ids.tolist(), vectors):
            held = storage.vectors.scores(table, vector, [rid])
            if not np.isclose(held.get(rid, 0.0), float(vector @ vector), atol=1e-4):
                return False
    return True


EVAL_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "eval_memory.py"


def eval_harness(name: str) -> Iterator[ModuleType]:
    """scripts/eval_memory.py as module ``name`` (a generator, for a module-scoped fixture)."""
    spec = importlib.util.spec_from_file_location(name, EVAL_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


def release_and_collect(workers: list[subprocess.Popen], go: Path) -> list[dict[str, Any]]:
    """A real barrier for racing child processes: wait until each has printed "ready" (it has
    opened its memory), create ``go`` (what they wait on), then return each one's last line of
    output as JSON. Fails the test with the child's stderr when one does not get there."""
    for worker in workers:
        ready = worker.stdout.readline()
        assert ready == "ready\n", ready + worker.communicate(timeout=60)[1][-3000:]
    go.touch()
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
