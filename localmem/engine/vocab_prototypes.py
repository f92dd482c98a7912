"""Prototype facts per attribute key, for ``attributes.Prototypes``.

Data only. Short facts in the stored form with the subject left out, in many wordings per
attribute (a title, an employer, a promotion, a first day; a move said without "moved to"; a
switch, a start, an end; slang and misspellings), so that a fact no pattern recognises still
meets the prototypes of its attribute. Kept by group, one module each; a key here must be in
``vocab.ATTRIBUTES``. The change wordings (``vocab_prototypes_change``) join their key's.
"""

from __future__ import annotations

from localmem.engine.vocab_prototypes_change import CHANGES
from localmem.engine.vocab_prototypes_habits import HABITS
from localmem.engine.vocab_prototypes_people import PEOPLE
from localmem.engine.vocab_prototypes_things import THINGS
from localmem.engine.vocab_prototypes_work import WORK

__all__ = ["PROTOTYPES"]

_PLAIN: dict[str, tuple[str, ...]] = {**PEOPLE, **WORK, **THINGS, **HABITS}
PROTOTYPES: dict[str, tuple[str, ...]] = {
    key: tuple(dict.fromkeys([*texts, *CHANGES.get(key, ())])) for key, texts in _PLAIN.items()
}
