"""The context builder: recalled items as the lines a model reads before it answers.

One line per item. For a question about a time ("When did Mel paint the sunrise?") each line
also carries the date the item was observed (a fact's ``observed_at``, set from the message
it came from), so the model can answer with a date instead of guessing one.
"""

from __future__ import annotations

from collections.abc import Sequence

from localmem.engine.signals import is_when
from localmem.types import MemoryItem

__all__ = ["context_lines", "spoken_date"]


def spoken_date(item: MemoryItem) -> str:
    """The item's observation date as words ("29 December 2023"); "" when it has none."""
    when = item.observed_at
    return f"{when.day} {when:%B %Y}" if when else ""


def context_lines(items: Sequence[MemoryItem], question: str) -> list[str]:
    """``- text`` per item; ``- text (29 December 2023)`` for a when-question."""
    dated = is_when(question)
    lines = []
    for item in items:
        date = spoken_date(item) if dated else ""
        lines.append(f"- {item.text} ({date})" if date else f"- {item.text}")
    return lines
