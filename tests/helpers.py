"""Shared test helpers: a memory on fakes, a dump of every table to prove "unchanged", and the
evaluation harness (scripts/eval_memory.py) loaded as a module."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from localmem import FakeLLM, HashEmbedder, Memory


def fake_memory(path: Path | str = ":memory:", responses: Any = None, **kwargs: Any) -> Memory:
    """A Memory on real SQLite with the scripted FakeLLM and the hashing embedder."""
    return Memory(path=path, llm=FakeLLM(responses), embedder=HashEmbedder(), **kwargs)


def dump(memory: Memory) -> dict[str, list[tuple]]:
    """Every row of every data table, for before/after comparisons."""
    tables = ("memories", "messages", "memory_sources", "history", "meta")
    return {t: memory.store.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


EVAL_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "eval_memory.py"


def eval_harness(name: str) -> Iterator[ModuleType]:
    """scripts/eval_memory.py as module ``name`` (a generator, for a module-scoped fixture)."""
    spec = importlib.util.spec_from_file_location(name, EVAL_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)
