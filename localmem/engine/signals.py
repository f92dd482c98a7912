"""What a query asks and what a stored text is worth as evidence (deterministic, no model).

- ``low_value``: a raw turn that only asks, greets or thanks ("What is my job?", "Hey! How are
  you?", "Thanks so much!") is kept for provenance but answers nothing: retrieval ranks it last.
- ``is_when``: a question about a time ("When did Mel paint the sunrise?"), so the context shows
  each item's date.
- ``named``: the lowercased words a query uses, against which a fact's subject is matched
  ("What does Caroline's sister do?" names ``caroline`` and ``sister``).
- ``dates_named``: the calendar days a query names ("What did Elise buy on 7 Jan 2024?",
  "on 10.01.2024"), so items observed on or near that day rank higher.
- ``is_list``: a question that asks for several things ("What are Kate's hobbies?", "Which
  cities did Elise visit?"): facts, short and many, serve it better than whole raw turns.
- ``unnamed``: the query without the people it asks about ("What are Kate's hobbies?" ->
  "What are hobbies?"): what its vector is made of. A search runs in one person's scope, and facts
  rarely spell their subject's name, so a name in the vector only finds texts that say the name
  ("Name is Kate", "Thanks Kate!"). The name still counts in keyword search and ``named``.
- ``asked_for``: what a list question asks for, its content words less names ("hobbies"), so
  that items can be scored by what they are, not by the question's wording.
- ``searched_as``: the text a raw user turn is found by: an answer ("WALL-E, Bolt and Kung Fu
  Panda") together with the question the other side asked just before it ("What movies do your
  kids like?"), so a later question in the question's words finds the answer. Only the search
  vector carries the question; the stored turn stays as said, and no fact is made of it.
"""

from __future__ import annotations

import re

from collections.abc import Sequence
from datetime import date
from typing import Any

from localmem.engine.textutil import STOP_WORDS, split_sentences, words

__all__ = [
    "low_value", "is_when", "named", "subject_named", "asked_before", "searched_as", "dates_named",
    "is_list", "unnamed", "asked_for",
]

# Words of small talk: a sentence made only of these (and stop words) says nothing lasting.
_PHATIC = frozenset(
    """hi hii hey heya hello hiya yo morning evening night good great nice cool awesome amazing
    wow lovely sweet fine well glad happy thanks thank thx ty welcome appreciate appreciated much
    lot bye goodbye later soon care see talk chat day doing going sure definitely totally agree
    absolutely right true haha hahaha lol lmao omg yay aw aww sounds fun interesting exciting
    hope hear love same too also dear friend buddy man guys one""".split()
)
_WHEN = re.compile(
    r"^\s*(when|since when|how long ago)\b|\b(what|which) (date|day|year|month|time|week)\b|"
    r"\bhow long (ago|has|have|did|was)\b",
    re.IGNORECASE,
)

_MONTHS = {m[:3].lower(): n for n, m in enumerate(
    "January February March April May June July August September October November December".split(),
    1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATES = (  # (pattern, the groups of day, month, year); d.m.y as in most of the world
    (re.compile(rf"\b{_DAY}(?: of)? {_MONTH},? (\d{{4}})\b", re.I), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH} {_DAY},? (\d{{4}})\b", re.I), (2, 1, 3)),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b"), (1, 2, 3)),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), (3, 2, 1)),
)


_ASKS = frozenset("what which who where".split())
_NOT_PLURAL = frozenset("is was does has this his its us as plus always perhaps".split())


def _informative(sentence: str) -> bool:
    """A sentence that states something: not a question, not only small talk."""
    if sentence.rstrip().endswith("?"):
        return False
    return any(w not in STOP_WORDS and w not in _PHATIC for w in words(sentence))


def low_value(text: str) -> bool:
    """True when every sentence of ``text`` is a question or small talk."""
    return not any(_informative(s) for s in split_sentences(text))


def is_when(query: str) -> bool:
    """True for a question about when something happened."""
    return bool(_WHEN.search(query))


def named(query: str) -> frozenset[str]:
    """The query's words, lowercased, possessives dropped ("Caroline's" -> "caroline")."""
    return frozenset(w.removesuffix("'s") for w in words(query))


def subject_named(subject: str | None, owner: str | None, names: frozenset[str]) -> bool:
    """Whether a fact's subject is a person the query names.

    ``subject`` "user" means the scope's user (``owner``, its user_id); a subject is named when
    the query has one of its words ("Fahim" names "Fahim Khan"; "sister" names "sister").
    """
    if not subject:
        return False
    who = owner if subject.lower() == "user" else subject
    parts = [w.removesuffix("'s") for w in words(who or "")]
    return any(p in names for p in parts if p not in STOP_WORDS)


def asked_before(messages: Sequence[dict[str, Any]], i: int) -> str | None:
    """The questions of the assistant's message right before message ``i`` ("What movies do
    your kids like?"), joined; None when that message asks nothing or ``i`` opens the add."""
    if i == 0 or messages[i - 1]["role"] != "assistant":
        return None
    asked = [s.strip() for s in split_sentences(messages[i - 1]["content"])
             if s.rstrip().endswith("?")]
    return " ".join(asked) or None


def searched_as(messages: Sequence[dict[str, Any]], i: int) -> str:
    """Message ``i``'s text, after the question it answers when there is one."""
    text = messages[i]["content"]
    question = asked_before(messages, i)
    return f"{question} {text}" if question else text


def dates_named(query: str) -> list[date]:
    """The calendar days ``query`` names, in order ("7 Jan 2024", "January 7th, 2024",
    "07.01.2024", "2024-01-07"); a day that does not exist is left out."""
    found: list[tuple[int, date]] = []
    for pattern, (d, m, y) in _DATES:
        for match in pattern.finditer(query):
            month = match.group(m)
            month_number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
            try:
                found.append((match.start(), date(int(match.group(y)), month_number,
                                                  int(match.group(d)))))
            except ValueError:
                continue
    return list(dict.fromkeys(day for _, day in sorted(found)))


def is_list(query: str) -> bool:
    """True for a what/which/who/where question with a plural in its first five words after
    the question word; "how many" asks for one number."""
    said = words(query)
    if not said or said[0] not in _ASKS:
        return False
    return any(_plural(w) for w in said[1:6])


def _plural(word: str) -> bool:
    if word.endswith("'s") or word in _NOT_PLURAL or word in STOP_WORDS:
        return False
    return word.endswith("s") and not word.endswith("ss") and len(word) > 3


_AUX = frozenset("""do does did is are was were has have had can could will would should may might
    must""".split())
_BRIDGE = frozenset("both either neither".split())  # "are both Kate and Elise ..."
_JOIN = frozenset("and or &".split())
_EDGES = re.compile(r"^\W+|\W+$")


def _capitalised(token: str, i: int) -> bool:
    return i > 0 and token[:1].isupper()


def unnamed(query: str) -> str:
    """``query`` less the people it asks about: a capitalised word in a subject's place (a
    possessive "Kate's", or right after an auxiliary: "did Kate", "are both Kate and Elise"),
    and names joined to one by "and"/"or". Places and titles stay ("visit Art Basel", "from
    Turks and Caicos", "the New Year")."""
    out: list[str] = []
    dropped = after_aux = False
    for i, token in enumerate(query.split()):
        core = _EDGES.sub("", token)
        low = core.lower()
        if _capitalised(core, i) and (after_aux or dropped or low.endswith(("'s", "\u2019s"))):
            dropped, after_aux = True, False
            continue
        if dropped and low in _JOIN:  # "Kate and Elise": the next name goes too
            continue
        dropped = False
        after_aux = low in _AUX or (after_aux and low in _BRIDGE)
        out.append(token)
    return " ".join(out)


def asked_for(query: str) -> str:
    """The content words of ``query`` but names (capitalised words after the first) and stop
    words: "What are Kate's hobbies?" -> "hobbies"; "" when nothing is left."""
    kept = []
    for i, token in enumerate(re.findall(r"[A-Za-z][\w'\u2019-]*", query)):
        word = token.lower().removesuffix("'s").removesuffix("\u2019s")
        if not _capitalised(token, i) and word not in STOP_WORDS:
            kept.append(word)
    return " ".join(kept)
