"""The seed's example conversations, loaded from the demo that owns them (scripts/demo.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "localmem_demo", Path(__file__).resolve().parents[1] / "scripts" / "demo.py")
_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_demo)

DAVE: list[dict[str, str]] = _demo.DAVE
MOVIES: list[dict[str, str]] = _demo.MOVIES
