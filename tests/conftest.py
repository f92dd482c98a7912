"""Every test gets its own home directory, and nothing reaches a model hub."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """LOCALMEM_HOME points at a fresh folder for each test."""
    home = tmp_path / "home"
    monkeypatch.setenv("LOCALMEM_HOME", str(home))
    monkeypatch.delenv("LOCALMEM_MODELS", raising=False)
    monkeypatch.delenv("LOCALMEM_USER", raising=False)
    return home


# The backend suites' PostgreSQL server (one per session), a database per test, and the
# ``backend`` each of their tests runs on (a home folder, then a PostgreSQL URL).
from tests.pg_fixtures import backend, pg_server, pg_url  # noqa: E402,F401
