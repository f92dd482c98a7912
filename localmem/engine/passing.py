"""Clauses that only mattered in the moment: a mood, a moment, a liking of "it", the body
complaining. The raw message keeps them; no memory is made of them."""

from __future__ import annotations

import re

from localmem.engine.textutil import content_words

__all__ = ["passing", "complaint"]

# Moods and moments, not lasting facts: "I'm so proud", "having lunch right now".
_MOOD = re.compile(
    r"^(?:i'm|im|i am|we're|we are|i was|we were|i feel|i felt|feeling|(?:i've|i have|we've|"
    r"we have|have)? ?never been) (?:so |really |very |all so |kind of |a bit |pretty |super |"
    r"just |honestly |totally |a little )*(?:happy|happier|proud|tired|exhausted|excited|"
    r"nervous|sad|relieved|stressed|bored|glad|thrilled|sorry|grateful|lucky|sick|hungry|"
    r"sleepy|busy|jealous|terrified|scared|worried|anxious|upset|bummed|heartbroken|gutted|"
    r"devastated|overwhelmed|stoked|pumped)\b(?! (?:to|about|for|that|with|because|since|of)\b)"
    r"|^(?:i'm|im|i am) (?:gonna|going to) miss\b|^(?:i )?just (?:got back|got home|woke up)\b"
    r"|\b(?:right now|at the moment|atm)\b",
    re.I,
)
_LIKING_ONLY = {"lov", "lik", "enjoy", "hat", "miss", "actual", "realli", "total", "just", "so"}


def passing(clause: str) -> bool:
    """A mood or a moment ("I'm so proud"), or a liking of a bare pronoun ("I love it")."""
    if _MOOD.search(clause):
        return True
    said = set(content_words(clause)) - _LIKING_ONLY
    return not said and bool(re.search(r"\b(it|them|him|her|that|this)\b", clause, re.I))


# The user's body as the subject: a complaint of the moment, unless it names an ailment or a
# recovery ("my knee is fully healed", "my back hurts", "my wrist is broken").
_BODY_TALK = re.compile(
    r"^(?:my|our|the) (?:\w+ )?(?:knees?|back|arms?|legs?|shoulders?|stomach|tummy|head|feet|"
    r"foot|hands?|wrists?|ankles?|neck|hips?|eyes?|brain|body|throat|fingers?|toes?|muscles?)"
    r"(?: just| really| still| totally| literally| officially)? (?:is|are|was|were|said|says|"
    r"gave|can't|cannot|won't|keeps|kept|feels?|felt|looks?|hates?|wants?|refuses?|needs?|"
    r"died|quit)\b", re.I)
_AILMENT = re.compile(
    r"\b(?:hurt\w*|ache\w*|aching|broke|broken|sprain\w*|injur\w*|heal\w*|sore|swollen|"
    r"bleed\w*|infect\w*|surgery|fractur\w*|pain\w*|cast|sling|torn|tore|itch\w*|rash|"
    r"recover\w*|better|worse)\b", re.I)


def complaint(clause: str) -> bool:
    """Whether the clause is the user's body complaining ("my knees said absolutely not", "my
    arms are dead"), not an ailment or a recovery."""
    return bool(_BODY_TALK.match(clause)) and not _AILMENT.search(clause)
