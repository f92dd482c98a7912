"""Shared test helpers: a memory on fakes, and a dump of every table to prove "unchanged"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localmem import FakeLLM, HashEmbedder, Memory


def fake_memory(path: Path | str = ":memory:", responses: Any = None, **kwargs: Any) -> Memory:
    """A Memory on real SQLite with the scripted FakeLLM and the hashing embedder."""
    return Memory(path=path, llm=FakeLLM(responses), embedder=HashEmbedder(), **kwargs)


def dump(memory: Memory) -> dict[str, list[tuple]]:
    """Every row of every data table, for before/after comparisons."""
    tables = ("memories", "messages", "memory_sources", "history", "meta")
    return {t: memory.store.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
