"""Fixtures for the backend suite: one real PostgreSQL for the session, a database per test.

``open_memory(location)`` opens a fake-model Memory on either backend: a home folder (SQLite +
FAISS) or a ``postgresql://`` URL; child processes call it with the same string.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localmem import Memory
from localmem.backends.embeddings import HashEmbedder
from localmem.backends.llm import FakeLLM
from localmem.config import MemoryConfig, VectorStoreConfig
from tests.pg_server import PgServer, start_primary

__all__ = ["pg_server", "pg_url", "backend", "open_memory", "BACKENDS", "stored_text"]

BACKENDS = ("sqlite", "postgres")
_numbers = itertools.count()


def open_memory(location: str | Path, responses: Any = None) -> Memory:
    """A Memory with FakeLLM and HashEmbedder on a home folder or a PostgreSQL URL."""
    location = str(location)
    if location.startswith("postgresql://"):
        config = MemoryConfig(vector_store=VectorStoreConfig(provider="postgres", url=location))
        return Memory(config, llm=FakeLLM(responses), embedder=HashEmbedder())
    return Memory(path=location, llm=FakeLLM(responses), embedder=HashEmbedder())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server (with pgvector) for the whole session."""
    server = start_primary()
    try:
        yield server
    finally:
        server.remove()


def admin(server: PgServer, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh database on the session's server, dropped after the test."""
    name = f"t{next(_numbers)}"
    admin(pg_server, f"CREATE DATABASE {name}")
    try:
        yield pg_server.url(name)
    finally:
        admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> str:
    """Where a store lives: a home folder (sqlite) or a fresh database's URL (postgres)."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "home")


def stored_text(memory: Memory) -> str:
    """Every row of every table of the memory's store as text (what a hard delete must clear)."""
    storage = memory._storage
    if hasattr(storage, "db") and hasattr(storage.db, "pool"):  # PostgreSQL
        tables = [r[0] for r in storage.db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
        return "\n".join(str(r[0]) for t in tables
                         for r in storage.db.execute(f"SELECT t::text FROM {t} t"))
    store = storage.store
    tables = [r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return "\n".join(repr(row) for t in tables for row in store.execute(f"SELECT * FROM [{t}]"))
