"""Which facts of the side that does not lead fill a gap the leader left.

Where the rules lead (every catalog model today), their clauses say what the user said and the
model only adds what the rules made nothing of. The rules leave a sentence out on purpose: a
question, a wish or an "if", talk about the listener, a mood, the body complaining. A model fact
drawn from such a sentence is what the rules declined, not a gap; nor is a fact whose words all
lie inside one of the rules' clauses (a piece of what they already said: "In Melbourne" from
"I'm in Melbourne for uni"). A gap fact must also be one the rules can place (an attribute, an
ending) and hold only words the user said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from localmem.engine.attributes import is_ending, is_hypothetical, rule_attribute
from localmem.engine.extract import is_grounded, source_piece, strip_lead_in, topic_words
from localmem.engine.passing import complaint, passing
from localmem.engine.textutil import content_words

__all__ = ["fills_gap", "model_fills_gap", "declined"]

_LISTENER = re.compile(r"\b(?:you|your|yours|you're|you've|you'd|you'll|yourself|u|ur)\b", re.I)
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
            or bool(_LISTENER.search(piece)) and not _SPEAKER.search(piece))


def model_fills_gap(fact: str, source: str, clauses: Sequence[str]) -> bool:
    """Whether a model fact fills a gap the leading rules left in ``source``: placeable, every
    content word said, not inside one of the rules' ``clauses``, not drawn from a piece the
    rules declined, and no wish itself."""
    if not fills_gap(fact, leader_answered=True) or not is_grounded(fact, source, share=1.0):
        return False
    said = topic_words(fact)
    if any(said <= set(content_words(c)) for c in clauses):
        return False
    return not is_hypothetical(fact) and not declined(source_piece(content_words(fact), source))
