"""Which facts of the side that does not lead fill a gap the leader left.

Where the rules lead (every catalog model today), their clauses say what the user said and the
model only adds what the rules made nothing of: a sentence they took no clause from. Within a
sentence the rules read, what they cut is cut on purpose (a comment after the fact: "I'm a
receptionist at a vet clinic, puppy cuddles are basically part of my salary"). They also leave
a piece out on purpose: a question, a wish or an "if", talk about the listener, a mood, the body
complaining; a model fact drawn from such a piece is what the rules declined, not a gap. A gap
fact must also be one the rules can place (an attribute, an ending) and hold only words the
user said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from localmem.engine.attributes import is_ending, is_hypothetical, rule_attribute
from localmem.engine.extract import is_grounded, source_piece, strip_lead_in, topic_words
from localmem.engine.passing import complaint, passing
from localmem.engine.plainly import LISTENER
from localmem.engine.textutil import content_words, split_sentences

__all__ = ["fills_gap", "model_fills_gap", "declined"]

_SPEAKER = re.compile(r"\b(?:i|i'm|im|i've|i'd|i'll|my|me|mine|myself|we|we're|our|us)\b", re.I)


def fills_gap(fact: str, leader_answered: bool) -> bool:
    """Whether a fact from the one that does not lead fills a gap the leader left: only one the
    rules can place (an attribute, an ending), unless the leader said nothing."""
    return not leader_answered or rule_attribute(fact) is not None or is_ending(fact)


def declined(piece: str) -> bool:
    """Whether the rules leave this piece of a message out on purpose: a question, a wish or a
    condition, talk about the listener alone, a mood or a moment, the body complaining."""
    piece = strip_lead_in(piece.strip())
    return (piece.rstrip(" )").endswith("?") or is_hypothetical(piece) or passing(piece)
            or complaint(piece)
            or bool(LISTENER.search(piece)) and not _SPEAKER.search(piece))


def model_fills_gap(fact: str, source: str, clauses: Sequence[str]) -> bool:
    """Whether a model fact fills a gap the leading rules left in ``source``: placeable, every
    content word said, no wish itself, not drawn from a piece the rules declined, nor from a
    sentence they took one of their ``clauses`` from."""
    if not fills_gap(fact, leader_answered=True) or not is_grounded(fact, source, share=1.0):
        return False
    piece = source_piece(content_words(fact), source)
    if is_hypothetical(fact) or declined(piece):
        return False
    said = topic_words(fact)
    sentence = next((s for s in split_sentences(source) if piece in s), piece)
    return not any(said <= set(content_words(c)) or _within(c, sentence) for c in clauses)


def _within(clause: str, sentence: str) -> bool:
    """Whether the rules took ``clause`` from ``sentence`` (nearly all its words are there)."""
    words = set(content_words(clause))
    return bool(words) and len(words & set(content_words(sentence))) >= 0.8 * len(words)
