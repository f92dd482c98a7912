"""Deterministic fact work around the model: candidate clauses, third-person rewriting, grounding.

Tiny local models invent facts, so the model is one signal, not the only judge:
- ``candidate_clauses`` keeps the user's first-person statements (no questions, no small talk);
- ``rewrite_clause`` turns one into a subject-less third-person fact ("I like X" -> "Likes X");
- ``is_grounded`` rejects a model fact whose names, numbers or content words are not in the source.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from localmem.engine.clauses import (
    _CLAUSE_SPLIT, _IRREGULAR_PAST, _PLEASANTRY, candidate_clauses, strip_lead_in,
)
from localmem.engine.corrections import correction
from localmem.engine.plainly import STATE_LEAD
from localmem.engine.textutil import content_words, split_sentences, stem, words

__all__ = [
    "candidate_clauses", "rewrite_clause", "is_grounded", "has_negation", "topic_words",
    "resolve_dates", "strip_lead_in", "correction", "third_person_lead", "source_piece",
]

# "We" / "our" speak for the user too ("we bought a house in Porto and moved there").
_CONTRAST = re.compile(r",?\s+(?:but|and|although|though|while|whereas|yet)\s+|;\s*", re.I)
_NEGATION = re.compile(
    r"\b(not|no|never|none|nobody|nothing|neither|nor|no longer|anymore|don't|doesn't|didn't|"
    r"isn't|aren't|wasn't|weren't|won't|can't|cannot|haven't|hasn't|hadn't|stopped|quit)\b|n't\b",
    re.I,
)

_ADVERBS = {
    "really", "also", "usually", "often", "always", "never", "just", "still", "absolutely",
    "totally", "sometimes", "recently", "currently", "actually", "mostly", "definitely",
    "now", "truly", "honestly", "generally", "finally", "already", "even", "only", "probably",
    "basically", "kinda", "barely", "hardly", "almost", "rarely",
}
_MODALS = {"might", "may", "must", "should", "could", "would", "can", "will", "shall", "used"}
_CONTRACTIONS = [
    (r"^(i'm|im|i am) not\b", "Is not"),
    (r"^(i'm|im|i am)\b", "Is"),
    (r"^i was\b", "Was"),
    (r"^(?:i've|ive|i have) not\b", "Has not"),
    (r"^i haven't\b", "Has not"),
    (r"^(?:i've|ive|i have) got\b", "Has"),  # "I've got 3 cats": has 3 cats
    (r"^(?:i've|ive|i have)\b", "Has"),
    (r"^i('d| would)\b", "Would"),
    (r"^i('ll| will)\b", "Will"),
    (r"^i (don't|do not)\b", "Does not"),
    (r"^i (didn't|did not)\b", "Did not"),
    (r"^i (can't|cannot|can not)\b", "Cannot"),
    (r"^i (won't|will not)\b", "Will not"),
    (r"^i can\b", "Can"),
    (r"^been\b", "Has been"),  # "been vegan 4 years" said without "I've"
    (r"^have\b", "Has"),  # "have two kids" said without "I"
    (r"^my name'?s\b", "Name is"),
    (r"^call me\b", "Goes by"),
    (r"^my\b", ""),
    (r"^gonna\b", "Is going to"),  # "gonna start at Deloitte in March"
    (r"^(we're|we are) not\b", "Is not"),
    (r"^(we're|we are)\b", "Is"),
    (r"^we were\b", "Was"),
    (r"^we(?:'ve| have) got\b", "Has"),
    (r"^we('ve| have)\b", "Has"),
    (r"^we('d| would)\b", "Would"),
    (r"^we('ll| will)\b", "Will"),
    (r"^we (don't|do not)\b", "Does not"),
    (r"^we (didn't|did not)\b", "Did not"),
    (r"^our\b", ""),
    (r"^the (?=(?:kids|baby|twins)\b)", ""),  # "the kids started school": the user's kids
]
# Adverbs said before "I": "basically I'm ...", "honestly we ..." (said after the verb instead).
_ADVERBS_AHEAD = re.compile(
    r"^((?:(?:[a-z]+ly|basically|now|still|also|just|finally|currently|even|kinda|tbh) )+)"
    r"(i'm|im|i am|i've|ive|i|we're|we've|we)(?=\s)", re.I)
_MID_SENTENCE = [
    (r"\bi'm\b|\bim\b", "they're"),
    (r"\bi am\b", "they are"),
    (r"\bi was\b", "they were"),
    (r"\bi've\b|\bive\b", "they've"),
    (r"\bi'd\b", "they'd"),
    (r"\bi'll\b", "they'll"),
    (r"\bmyself\b", "themselves"),
    (r"\bmine\b", "theirs"),
    (r"\bmy\b", "their"),
    (r"\bme\b", "them"),
    (r"\bi\b", "they"),
    (r"\bwe're\b", "they're"),
    (r"\bwe've\b", "they've"),
    (r"\bour\b", "their"),
    (r"\bours\b", "theirs"),
    (r"\bus\b", "them"),
    (r"\bwe\b", "they"),
]
_STATE_SLOT_WORDS = {
    f(w) for w in ("name", "is", "has", "goes", "by", "lives", "live", "works", "work")
    for f in (str, stem)
}
_AGE_WORDS = {"year", "old"}
_RELATIONS = {
    stem(w) for w in """daughter son child kid sister brother wife husband partner girlfriend
    boyfriend mother mom father dad parent grandmother grandma grandfather grandpa aunt uncle
    cousin niece nephew friend roommate boss coworker colleague dog cat pet""".split()
}
_RELATIVE_TIME = re.compile(r"\b(yesterday|today|tonight|tomorrow|last week)\b", re.I)
GROUNDED_SHARE = 0.75  # share of a fact's content words the source must hold
_SYNONYMS = [
    {stem(w) for w in group}  # compared with stemmed content words
    for group in (
        {"like", "love", "enjoy", "fan", "prefer", "adore"},
        {"live", "reside", "based"},
        {"work", "job", "employed"},
        {"dislike", "hate"},
    )
]


def _third_person(verb: str) -> str:
    if "'" in verb or verb in _IRREGULAR_PAST or verb in _MODALS or verb.endswith("ed"):
        return verb
    special = {"have": "has", "do": "does", "go": "goes", "be": "is", "am": "is"}
    if verb in special:
        return special[verb]
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    if re.search(r"(s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    return verb + "s"


def _is_adverb(token: str) -> bool:
    """"literally", "totally": a word in -ly before the verb ("I literally screamed")."""
    word = token.lower()
    return len(word) > 5 and word.endswith("ly") and word not in ("reply", "apply", "supply")


def rewrite_clause(clause: str) -> str:
    """A first-person clause as a subject-less third-person fact: "I love hiking" -> "Loves hiking"."""
    text = clause.strip().replace("\u2019", "'")
    lowered = text.lower()
    name = re.match(r"^(?:i'm|im|i am) ([A-Z][a-z]+)$", text, re.I)
    if name and name.group(1)[0].isupper():
        return f"Name is {name.group(1)}"
    together = re.match(r"^((?:my |our )?[\w'-]+(?: [\w'-]+)?) and (?:i|me) (\w+)\b(.*)$", text,
                        re.I) or re.match(r"^(?:me|i) and ((?:my |our )?[\w'-]+) (\w+)\b(.*)$", text,
                                          re.I)  # "me and Jess called it quits"
    if together and together.group(2).lower() not in ("am", "had"):
        partner = re.sub(r"^(?:my|our) ", "their ", together.group(1), flags=re.I)
        verb = {"are": "is", "were": "was", "have": "has"}.get(together.group(2).lower(),
                                                              together.group(2))
        text = f"{verb}{together.group(3)} with {partner}"  # "Sam and I split up"
        lowered = text.lower()
    # "no pets for me yet": what the user has none of (not "no more X for me": a stop)
    text = re.sub(r"^no (?!more\b|longer\b)(.+?) for (?:me|us)\b", r"has no \1", text, flags=re.I)
    if STATE_LEAD.match(text):  # "still vegetarian" said without "I'm"
        text = f"Is {text}"
    ahead = _ADVERBS_AHEAD.match(text)
    if ahead:  # "basically I'm a stay at home dad now": the adverb after the verb
        subject, rest = ahead.group(2), text[ahead.end():]
        text = f"{subject} {ahead.group(1).strip().lower()}{rest}"
    lowered = text.lower()
    rewritten = None
    for pattern, replacement in _CONTRACTIONS:
        match = re.match(pattern, lowered)
        if match:
            rewritten = (replacement + text[match.end():]).strip()
            break
    if rewritten is None and re.match(r"^(i|we)\s", lowered):
        tokens = text.split()[1:]
        adverbs = []
        while tokens and (tokens[0].lower() in _ADVERBS or _is_adverb(tokens[0]) or
                          tokens[0].lower() == "no" and
                          len(tokens) > 1 and tokens[1].lower() == "longer"):
            adverbs.append(tokens.pop(0).lower())
            if adverbs[-1] == "no":
                adverbs.append(tokens.pop(0).lower())  # "I no longer work" -> "no longer works"
        if tokens:
            verb = _third_person(tokens[0].lower())
            rewritten = " ".join([*adverbs, verb, *tokens[1:]])
    if rewritten is None:
        rewritten = text
    for pattern, replacement in _MID_SENTENCE:
        rewritten = re.sub(pattern, replacement, rewritten, flags=re.I)
    rewritten = re.sub(r"\s+", " ", rewritten).strip(" ,.")
    return rewritten[:1].upper() + rewritten[1:]


def third_person_lead(fact: str, source: str) -> str:
    """A model fact that starts with the user's own verb left in the first person gets the
    third person: "Drive a Jeep" from "I drive a Jeep" -> "Drives a Jeep". Other facts as given.
    """
    first = fact.split(maxsplit=1)[0].lower() if fact.strip() else ""
    if not first.isalpha() or _third_person(first) == first:
        return fact  # "Moved ...", "Quit ...", "Is ...": already a third-person or past verb
    lead = r"(?:\w+ly |" + "|".join(f"{a} " for a in sorted(_ADVERBS)) + r")?"
    if not re.search(rf"\b(?:i|we) {lead}{re.escape(first)}\b", source, re.I):
        return fact
    return rewrite_clause(f"I {fact[0].lower()}{fact[1:]}")


def has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text.replace("\u2019", "'")))


_NEGATION_STEMS = {stem(w) for w in ("anymore", "never", "longer", "quit", "stopped", "nobody")}


def topic_words(text: str) -> set[str]:
    """Content words without negation markers: "Does not smoke anymore" -> {"smok"}."""
    return set(content_words(text)) - _NEGATION_STEMS


def _expand(word: str) -> set[str]:
    for group in _SYNONYMS:
        if word in group:
            return group
    return {word}


def is_grounded(fact: str, source: str, share: float = GROUNDED_SHARE) -> bool:
    """Whether the source supports ``fact``: its names, numbers and content words (at least
    ``share`` of them) are there.

    Allows the user's own paraphrase ("I'm vegetarian" -> "Is vegetarian"), a few template
    words ("Name is", "years old" after a number the user said), a date resolved from a relative
    one ("yesterday" -> "on 2024-03-04"), and rejects a fact whose negation differs from the
    source clause it comes from.
    """
    if _RELATIVE_TIME.search(source):
        fact = re.sub(r"\s*\b(?:on|in the week before)?\s*\d{4}-\d\d-\d\d\b", "", fact)
    fact_words = content_words(fact)
    if not fact_words:
        return False
    source_stems = set(content_words(source)) | {stem(w) for w in words(source)}
    raw_source = {w for w in words(source)}
    raw_source |= {w.split("'")[0] for w in raw_source}  # "Mary's" says Mary
    for found in re.finditer(r"\b[A-Z][a-zA-Z]+\b|\b\d[\d.,:/-]*\b", fact):
        if found.start() > 0 and found.group().lower() not in raw_source:
            return False  # a name or number the user never said (the first word is the verb)
    if any(w in _RELATIONS and w not in source_stems for w in fact_words):
        return False  # a relative or pet the user never mentioned ("Daughter Mia" from "sister")
    template = _STATE_SLOT_WORDS | (_AGE_WORDS if re.search(r"\d+ years? old\b", fact) else set())
    found = [w for w in fact_words if _expand(w) & source_stems or w in template]
    meaningful = [w for w in fact_words if w not in template]
    if meaningful and not any(w in found for w in meaningful):
        return False
    if len(found) / len(fact_words) < share:
        return False
    best = source_piece(fact_words, source)
    if best.rstrip().endswith("?") or _PLEASANTRY.search(best):
        return False  # a question or a pleasantry is not a fact about the user
    return has_negation(best) == has_negation(fact)


def source_piece(fact_words: list[str], source: str) -> str:
    """The clause or comma piece of ``source`` sharing most of ``fact_words`` (the shortest of
    equals): what a fact was drawn from."""
    clauses = [
        c for s in split_sentences(source) or [source]
        for part in _CONTRAST.split(s) if part
        for c in _CLAUSE_SPLIT.split(part) if c
    ]
    # A comma piece of three words or more stands for itself: "I'm doing keto, no carbs" holds
    # "Is doing keto" without the negation; "I'm not, like, vegan" keeps it.
    pieces = [p for c in clauses for p in re.split(r",\s*", c) if len(p.split()) >= 3]
    return max([*pieces, *clauses],
               key=lambda s: (len(set(content_words(s)) & set(fact_words)), -len(s)))


_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}


def resolve_dates(fact: str, observed: date | None) -> str:
    """Replace "yesterday" / "today" / "tomorrow" / "last week" with dates from ``observed``."""
    if observed is None:
        return fact

    def day(match: re.Match[str]) -> str:
        try:
            when = observed + timedelta(days=_RELATIVE_DAYS[match.group(0).lower()])
        except OverflowError:  # off the calendar (before year 1, after 9999): keep the word
            return match.group(0)
        return f"on {when.isoformat()}"

    fact = re.sub(r"\b(yesterday|today|tonight|tomorrow)\b", day, fact, flags=re.I)
    fact = re.sub(
        r"\blast week\b",
        lambda m: f"in the week before {observed.isoformat()}",
        fact,
        flags=re.I,
    )
    return fact
