"""A message that corrects how a name was spelled ("*Mochi, not Mocha")."""

from __future__ import annotations

import re

__all__ = ["correction"]

_CORRECTION_CUE = re.compile(
    r"\b(oops|sorry|typo|spelled|spelt|misspelled|autocorrect|wrong|with an? [a-z]\b)|^\s*\*", re.I
)
_CORRECTED = re.compile(r"^\s*\*\s*([A-Z][\w-]+)|\b(?i:it'?s|it is|i meant)\s+([A-Z][\w-]+)")
_WRONG = re.compile(r"\bnot ([A-Z][\w-]+)")


def correction(text: str) -> tuple[str, str | None] | None:
    """(the right name, the wrong one if said) when a message corrects how a name was spelled:
    "*Mochi, not Mocha", "oops it's Aidan with an a"; else None."""
    if not _CORRECTION_CUE.search(text):
        return None
    right = _CORRECTED.search(text)
    if not right:
        return None
    wrong = _WRONG.search(text)
    return right.group(1) or right.group(2), wrong.group(1) if wrong else None
