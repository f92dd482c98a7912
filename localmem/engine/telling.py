"""What a clause points back to, read in the order the user told it: who "she" / "he" is, who
"her name's Tamsin" names, where "here" / "there" is.

A user tells one story over several short messages ("so... I met someone", "her name's Tamsin,
she's a vet nurse"), so a ``Telling`` lives for the messages of one add, not for one sentence.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Telling"]

_RELATION = (r"(?i:best |older |younger |little |big )?(?i:mom|mum|mother|dad|father|sister|"
             r"brother|wife|husband|partner|girlfriend|boyfriend|son|daughter|friend|boss|"
             r"roommate|cousin|aunt|uncle|grandma|grandpa|coworker|colleague|neighbou?r)")
# "my sister Ana", "my brother's wife Lena": who a later "she" / "he" is
_PERSON_LEAD = re.compile(rf"^(?i:my|our) ((?:{_RELATION}'s )*{_RELATION})(?: ([A-Z][\w-]+))?(?:'s)?\b")
# "dad finally hung up his keys": family said without "my"
_BARE_RELATION = re.compile(rf"^({_RELATION})\b(?!')")
_HE_SHE = re.compile(r"^(?i:(she|he)(?:'s|\s+is)?)\b")
# "her name's Tamsin", "his name is Biskit": names the someone or the something just told of
# What the user and the one just told of did together: "his name is Omar, we met at a book
# club" says "I met Omar at a book club"; "we broke up" after "my boyfriend Sam" says who with.
_WE_TOGETHER = re.compile(r"^(?i:we) ((?i:met|broke up|split up|got married|got engaged|"
                          r"moved in together|started dating|got back together|separated))\b")
_NAME_OF = re.compile(r"^(?i:his|her|their|its) (?i:name(?:'s|\s+is))\s+([A-Z][\w'-]+)")
_NAMED_IN = re.compile(r"\b(?:named|called) ([A-Z][\w'-]+)")
_INDEFINITE = re.compile(r"\b(?:(?:someone|somebody)(?: new| special| cool| nice)?|(?:a|an) [a-z]+(?: [a-z]+){0,2})$", re.I)
_NOT_A_PLACE = set("""i january february march april may june july august september october
november december monday tuesday wednesday thursday friday saturday sunday christmas easter
thanksgiving halloween""".split())
_PLACE = re.compile(r"\b(in|at) ([A-Z][\w'.-]*(?: [A-Z][\w'.-]*)*)")
_MOTION = re.compile(r"\b(moved|move|moving|went|go|going|came|come|coming|relocated|flew|drove)"
                     r" (here|there)\b", re.I)
_HERE = re.compile(r"(?<!\bover )(?<!\bout )(?<!\bfrom )(?<!\bin )(?<!\bup )(?<!\bdown )"
                   r"(?<!\bback )(?<!\baround )(?<=\w )\b(here|there)\b"
                   r"(?!\s+(?:is|are|was|were|'s)\b)", re.I)


class Telling:
    """What the user's messages so far make a pronoun, a name or "here" stand for."""

    def __init__(self) -> None:
        self.message = 0  # which of the messages is being read
        self.person: str | None = None  # who a later "she" / "he" is
        self.place: tuple[str, str] | None = None  # ("in", "Phoenix"): the last place named
        self._person_from = self._place_from = 0  # the messages that said them
        self._someone: list[Any] | None = None  # [clause, messages it draws on]: told of someone

    def read(self, sentence: str) -> None:
        """Notes the last place a sentence names ("it's 115 degrees in Phoenix today")."""
        places = [m for m in _PLACE.finditer(sentence) if m.group(2).lower() not in _NOT_A_PLACE]
        if places:
            self.place = (places[-1].group(1), places[-1].group(2))
            self._place_from = self.message

    def resolve(self, clause: str, name: str | None) -> tuple[str, bool, set[int]]:
        """The clause with "she" / "he" and "here" / "there" said out ("she's a nurse" after
        "my sister Ana ..." is "my sister Ana is a nurse"); whether it now says what a named
        person is ("Ana is teaching yoga now": a statement about them); the messages it draws
        on. ``name``: the name the clause starts with, if any ("Ana finally quit the hospital")."""
        lead = _PERSON_LEAD.match(clause) or _BARE_RELATION.match(clause)
        if lead or name:
            self._person_from = self.message
        if lead and lead.re is _PERSON_LEAD:
            self.person = " ".join(p for p in ("my", lead.group(1), lead.group(2)) if p)
        elif lead:
            self.person = f"my {lead.group(1).lower()}"
        elif name:
            self.person = name
        drawn = {self.message}
        together = _WE_TOGETHER.match(clause)
        if together and self.person and not lead and not name:  # "we met at a book club"
            verb, rest = together.group(1), clause[together.end():]
            clause = (f"I {verb} {self.person}{rest}" if verb.lower() == "met"
                      else f"{self.person} and I {verb}{rest}")
            drawn.add(self._person_from)
        said = _HE_SHE.match(clause)
        about = False
        if said and self.person and not lead:
            state = said.group(0).lower().endswith(("'s", "is"))
            clause = f"{self.person}{' is' if state else ''}{clause[said.end():]}"
            about = state and not self.person.startswith("my ")
            drawn.add(self._person_from)
        placed = self._placed(clause)
        if placed != clause:
            drawn.add(self._place_from)
        named = _NAMED_IN.findall(clause)
        if named:  # "dating a guy named Luis, he's a firefighter": the one named last
            self.person, self._person_from = named[-1], self.message
        return placed, about, drawn

    def _placed(self, clause: str) -> str:
        """"I live here" after "... in Phoenix" is "I live in Phoenix" (not where the clause
        names the place itself: "bought a house in Portland and moved there")."""
        if not self.place or self.place[1] in clause:
            return clause
        prep, where = self.place
        clause = _MOTION.sub(lambda m: f"{m.group(1)} to {where}", clause)
        return _HERE.sub(f"{prep} {where}", clause)

    def names(self, clause: str) -> bool:
        """Whether the clause names the someone a kept clause just told of ("her name's Tamsin"
        after "I met someone": that clause becomes "I met someone named Tamsin"); it also says
        who a later "she" is."""
        named = _NAME_OF.match(clause)
        if not named:
            return False
        self.person, self._person_from = named.group(1), self.message
        if self._someone:
            self._someone[0] = f"{self._someone[0]} named {named.group(1)}"
            self._someone[1].add(self.message)
            self._someone = None
        return True

    def kept(self, told: list[Any]) -> None:
        """Notes a clause just kept, [text, messages it draws on], when it tells of someone
        unnamed ("I met someone"): a later "her name's ..." names them in it."""
        self._someone = told if _INDEFINITE.search(told[0]) else None
