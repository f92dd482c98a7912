"""Deterministic fact work around the model: candidate clauses, third-person rewriting, grounding.

Tiny local models invent facts, so the model is one signal, not the only judge:
- ``candidate_clauses`` keeps the user's first-person statements (no questions, no small talk);
- ``rewrite_clause`` turns one into a subject-less third-person fact ("I like X" -> "Likes X");
- ``is_grounded`` rejects a model fact whose names, numbers or content words are not in the source.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from localmem.engine.textutil import content_words, split_sentences, stem, words

__all__ = [
    "candidate_clauses", "rewrite_clause", "is_grounded", "has_negation", "topic_words",
    "resolve_dates", "strip_lead_in",
]

# "We" / "our" speak for the user too ("we bought a house in Porto and moved there").
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|i'd|i'll|my|me|mine|myself|we|we're|we've|our|ours|us)\b", re.I
)
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))( there| again| all)?\b[\s,!.:-]*",
    re.I,
)
_FILLER = re.compile(
    r"^(actually|well|so|oh|btw|by the way|anyway|also|and|but|um|uh|hmm|honestly|yeah|yes|no|"
    r"ok|okay|sure|haha|lol|wow|great|cool|right)\b[\s,!.:-]+",
    re.I,
)
_REQUEST = re.compile(
    r"^(can|could|would|will|please|tell|help|show|give|let|remind|what|how|why|who|where|when|"
    r"do you|are you|did you)\b|\b(i want you|i need you|i'd like you|can you|could you)\b",
    re.I,
)
_PLEASANTRY = re.compile(
    r"\b(nice to meet|thank|thanks|appreciate|you're welcome|see you|bye|good night|have a good)\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(
    r",?\s+(?:and|but|so|because|while)\s+(?=(?:i|my|i'm|i've|we|we're|our)\b)"
    r"|[,;]\s+(?=(?:now |then |and now )?(?:i|my|i'm|i've|we|we're|our|nobody|no one)\s)",
    re.I,
)
# An ending said without "I": "the Japan trip is off", "our wedding got cancelled".
_ENDED_THING = re.compile(
    r"^(?i:(?:the|our|my) [\w' -]{1,40}? (?:is|are|was|got|has been) (?:off|cancell?ed|called off))\b"
    r"|^[A-Z][\w'-]+ (?i:died|passed away)\b"
)
_TRAILING = re.compile(r"(?:[\s,]+(?:lol|lmao|haha+|tbh|omg|xd|ngl))+$|[^\w)'\"]+$", re.I)
# Lead-ins that carry no fact: "Big news:", "As for me,", "These days", "Personally".
_LEAD_IN = re.compile(
    r"^(\w+(?: \w+)?:\s+|as for me,?\s+|for me,?\s+|personally,?\s+|plus,?\s+|these days,?\s+|"
    r"nowadays,?\s+|now,?\s+|then,?\s+|lately,?\s+|remember,?\s+|as i said,?\s+|"
    r"like i said,?\s+|fyi,?\s+|just so you know,?\s+|ok so,?\s+|so,?\s+)",
    re.I,
)
# A hedge before a statement: "I guess I'm pescatarian now" says "I'm pescatarian now".
_HEDGE = re.compile(
    r"^i (?:guess|think|suppose|believe|feel like|'d say|would say),? (?=(?:i|i'm|my|we)\b)", re.I
)
# Talk about the conversation, not the user: "I'm glad to hear...", "I hope you...", "If ...".
_NOT_A_FACT = re.compile(
    r"^(if|when you|while you)\b|^i('m| am) (glad|happy|sorry|sure|excited to hear)\b|"
    r"^i (hope|think|agree|guess|bet|wonder|appreciate|understand|believe)\b|"
    r"^i (can|could) (see|imagine|understand|tell)\b|^i('d| would) (love|like) to (hear|know|see)\b|"
    r"^my pleasure\b|^(i'm|im|i am) (doing |feeling )?(good|well|great|fine|ok|okay|alright|not bad)"
    r"( today| too| thanks)?$|^we (should|could|can|might|must|gotta)\b|"
    r"^we('ll| will) (see|talk|catch up|chat)\b|^(let's|lets)\b|"
    r"^(just )?(wanted to (say|tell|ask|check|let|share)|looking forward|going to bed|"
    r"heading (to bed|out|off)|talk (to you )?(soon|later)|catching up)\b",
    re.I,
)
_SECOND_PERSON = re.compile(r"\b(you|your|yours|you're|you've|you'd|you'll|u|ur|yourself)\b", re.I)
_CONTRAST = re.compile(r",?\s+(?:but|and|although|though|while|whereas|yet)\s+|;\s*", re.I)
_NEGATION = re.compile(
    r"\b(not|no|never|none|nobody|nothing|neither|nor|no longer|anymore|don't|doesn't|didn't|"
    r"isn't|aren't|wasn't|weren't|won't|can't|cannot|haven't|hasn't|hadn't|stopped|quit)\b|n't\b",
    re.I,
)

_ADVERBS = {
    "really", "also", "usually", "often", "always", "never", "just", "still", "absolutely",
    "totally", "sometimes", "recently", "currently", "actually", "mostly", "definitely",
    "now", "truly", "honestly", "generally", "finally", "already", "even",
}
_IRREGULAR_PAST = {
    "went", "was", "were", "had", "got", "made", "took", "saw", "bought", "came", "became",
    "began", "felt", "found", "gave", "grew", "heard", "kept", "knew", "left", "lost", "met",
    "paid", "ran", "said", "sold", "sent", "spent", "taught", "thought", "told", "won", "wrote",
    "drove", "ate", "drank", "flew", "fell", "broke", "chose", "did", "built", "read", "quit",
    "brought", "caught", "forgot", "held", "led", "meant", "rode", "sang", "sat", "shot", "slept",
    "spoke", "stood", "swam", "threw", "understood", "woke", "wore", "set", "put", "cut", "hit",
    "let", "hurt", "bit", "dug", "fed", "fought", "hung", "lit", "struck", "swung", "tore", "won",
}
_MODALS = {"might", "may", "must", "should", "could", "would", "can", "will", "shall", "used"}
_CONTRACTIONS = [
    (r"^(i'm|im|i am) not\b", "Is not"),
    (r"^(i'm|im|i am)\b", "Is"),
    (r"^i was\b", "Was"),
    (r"^i('ve| have) not\b", "Has not"),
    (r"^i haven't\b", "Has not"),
    (r"^i('ve| have)\b", "Has"),
    (r"^i('d| would)\b", "Would"),
    (r"^i('ll| will)\b", "Will"),
    (r"^i (don't|do not)\b", "Does not"),
    (r"^i (didn't|did not)\b", "Did not"),
    (r"^i (can't|cannot|can not)\b", "Cannot"),
    (r"^i (won't|will not)\b", "Will not"),
    (r"^i can\b", "Can"),
    (r"^my name'?s\b", "Name is"),
    (r"^call me\b", "Goes by"),
    (r"^my\b", ""),
    (r"^(we're|we are) not\b", "Is not"),
    (r"^(we're|we are)\b", "Is"),
    (r"^we were\b", "Was"),
    (r"^we('ve| have)\b", "Has"),
    (r"^we('d| would)\b", "Would"),
    (r"^we('ll| will)\b", "Will"),
    (r"^we (don't|do not)\b", "Does not"),
    (r"^we (didn't|did not)\b", "Did not"),
    (r"^our\b", ""),
]
_MID_SENTENCE = [
    (r"\bi'm\b|\bim\b", "they're"),
    (r"\bi am\b", "they are"),
    (r"\bi've\b", "they've"),
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


def candidate_clauses(text: str) -> list[str]:
    """First-person statements in a user message, one clause each, cleaned of greetings."""
    out: list[str] = []
    for sentence in split_sentences(text):
        sentence = sentence.strip().strip('"')
        for _ in range(3):
            sentence = _FILLER.sub("", _GREETING.sub("", sentence)).strip()
        if not sentence or sentence.endswith("?") or _REQUEST.search(sentence):
            continue
        for clause in _split_clauses(sentence):
            clause = strip_lead_in(_TRAILING.sub("", clause.strip(" ,;:-")).rstrip(".!"))
            if _PLEASANTRY.search(clause):
                continue
            if not (_speaks_for_user(clause) or _ENDED_THING.search(clause)
                    or _said_without_subject(clause) or _about_family(clause)):
                continue
            if _NOT_A_FACT.search(clause) or _SECOND_PERSON.search(clause):
                continue
            if len([w for w in content_words(clause) if w not in ("name",)]) < 1:
                continue
            out.append(clause)
    return out


_NOT_A_DEED = {"thing", "nothing", "something", "anything", "everything", "morning", "evening",
               "spring", "king", "ring", "wedding", "feeling", "need", "seed", "speed", "bed",
               "red", "shed", "weed", "ted", "fred", "ned", "united", "interested", "excited",
               "tired", "bored", "scared", "glad", "sad", "bad", "mad", "dad"}
_FAMILY = re.compile(
    r"^(?i:(?:my |our )?(mom|mum|mother|dad|father|sister|brother|wife|husband|partner|"
    r"girlfriend|boyfriend|son|daughter|grandma|grandpa|grandmother|grandfather|aunt|uncle|"
    r"cousin|boss|roommate|best friend|parents|kids?))\b(?: [A-Z][\w'-]+)? ([a-z]+)\b"
)


def _said_without_subject(clause: str) -> bool:
    """A subjectless statement of what the user did or does: "caved and got an iphone 15",
    "switched to guitar!", "leasing a Tesla now", "back in the office 4 days a week"."""
    tokens = clause.split()
    if len(tokens) < 2 or len(content_words(clause)) < 2:
        return False
    first = tokens[0].lower().strip(",.!")
    if first == "just" and len(tokens) > 2:
        first = tokens[1].lower()
    if first in _NOT_A_DEED:
        return False
    if first == "back" and tokens[1].lower() in ("in", "at", "to", "on", "home"):
        return True
    if first.isdigit() and re.match(r"(day|week|month|year)s? without\b", " ".join(tokens[1:3]),
                                    re.I):
        return True  # "3 weeks without vaping"
    past = first in _IRREGULAR_PAST or (first.endswith("ed") and len(first) > 4)
    return past or (first.endswith("ing") and len(first) > 4)


def _about_family(clause: str) -> bool:
    """A statement about the user's family said without "my": "mom sold her condo"."""
    match = _FAMILY.match(clause)
    verb = match.group(2).lower() if match else ""
    return verb not in ("is", "was", "are", "were", "and") and (
        verb in _IRREGULAR_PAST or verb.endswith(("ed", "s")) and len(verb) > 3
    )


def _speaks_for_user(clause: str) -> bool:
    """"I" / "my" anywhere, or "we" / "our" leading the clause ("We moved to Porto")."""
    if re.match(r"^(we|we're|we've|our|ours)\b", clause, re.I):
        return True
    return bool(_FIRST_PERSON.search(re.sub(r"\b(we|we're|we've|our|ours|us)\b", "", clause,
                                            flags=re.I)))


def strip_lead_in(clause: str) -> str:
    """A clause without the lead-ins and fillers that carry no fact ("These days, ...")."""
    for _ in range(2):
        clause = _FILLER.sub("", _LEAD_IN.sub("", clause)).strip()
        clause = _HEDGE.sub("", clause)
    return clause


def _split_clauses(sentence: str) -> list[str]:
    """Clauses of a sentence; "Sam and I split up" stays one (a short name before "and I")."""
    pieces: list[str] = []
    start, joined = 0, False
    for match in _CLAUSE_SPLIT.finditer(sentence):
        left = sentence[start : match.start()]
        if joined:
            pieces[-1] += left
        else:
            pieces.append(left)
        joined = (
            re.fullmatch(r"\s+and\s+", match.group(0), re.I) is not None
            and len(pieces[-1].split()) <= 3
            and re.match(r"i\s", sentence[match.end():], re.I) is not None
            and not _FIRST_PERSON.search(pieces[-1].replace("My ", "").replace("my ", ""))
        )
        if joined:
            pieces[-1] += match.group(0)
        start = match.end()
    if joined:
        pieces[-1] += sentence[start:]
    else:
        pieces.append(sentence[start:])
    return pieces


def _third_person(verb: str) -> str:
    if verb in _IRREGULAR_PAST or verb in _MODALS or verb.endswith("ed"):
        return verb
    special = {"have": "has", "do": "does", "go": "goes", "be": "is", "am": "is"}
    if verb in special:
        return special[verb]
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    if re.search(r"(s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    return verb + "s"


def rewrite_clause(clause: str) -> str:
    """A first-person clause as a subject-less third-person fact: "I love hiking" -> "Loves hiking"."""
    text = clause.strip().replace("\u2019", "'")
    lowered = text.lower()
    name = re.match(r"^(?:i'm|im|i am) ([A-Z][a-z]+)$", text, re.I)
    if name and name.group(1)[0].isupper():
        return f"Name is {name.group(1)}"
    together = re.match(r"^((?:my |our )?[\w'-]+(?: [\w'-]+)?) and (?:i|me) (\w+)\b(.*)$", text,
                        re.I)
    if together and together.group(2).lower() not in ("am", "had"):
        partner = re.sub(r"^(?:my|our) ", "their ", together.group(1), flags=re.I)
        verb = {"are": "is", "were": "was", "have": "has"}.get(together.group(2).lower(),
                                                              together.group(2))
        text = f"{verb}{together.group(3)} with {partner}"  # "Sam and I split up"
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
        while tokens and (tokens[0].lower() in _ADVERBS or tokens[0].lower() == "no" and
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


def is_grounded(fact: str, source: str) -> bool:
    """Whether the source supports ``fact``: its names, numbers and content words are there.

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
    for token in re.findall(r"\b[A-Z][a-zA-Z]+\b|\b\d[\d.,:/-]*\b", fact[1:] if fact else fact):
        if token.lower() not in raw_source:
            return False  # a name or number the user never said
    if any(w in _RELATIONS and w not in source_stems for w in fact_words):
        return False  # a relative or pet the user never mentioned ("Daughter Mia" from "sister")
    template = _STATE_SLOT_WORDS | (_AGE_WORDS if re.search(r"\d+ years? old\b", fact) else set())
    found = [w for w in fact_words if _expand(w) & source_stems or w in template]
    meaningful = [w for w in fact_words if w not in template]
    if meaningful and not any(w in found for w in meaningful):
        return False
    if len(found) / len(fact_words) < GROUNDED_SHARE:
        return False
    clauses = [
        c for s in split_sentences(source) or [source]
        for part in _CONTRAST.split(s) if part
        for c in _CLAUSE_SPLIT.split(part) if c
    ]
    # A comma piece of three words or more stands for itself: "I'm doing keto, no carbs" holds
    # "Is doing keto" without the negation; "I'm not, like, vegan" keeps it.
    pieces = [p for c in clauses for p in re.split(r",\s*", c) if len(p.split()) >= 3]
    best = max([*pieces, *clauses],
               key=lambda s: (len(set(content_words(s)) & set(fact_words)), -len(s)))
    if best.rstrip().endswith("?") or _PLEASANTRY.search(best):
        return False  # a question or a pleasantry is not a fact about the user
    return has_negation(best) == has_negation(fact)


_RELATIVE_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}


def resolve_dates(fact: str, observed: date | None) -> str:
    """Replace "yesterday" / "today" / "tomorrow" / "last week" with dates from ``observed``."""
    if observed is None:
        return fact

    def day(match: re.Match[str]) -> str:
        when = observed + timedelta(days=_RELATIVE_DAYS[match.group(0).lower()])
        return f"on {when.isoformat()}"

    fact = re.sub(r"\b(yesterday|today|tonight|tomorrow)\b", day, fact, flags=re.I)
    fact = re.sub(
        r"\blast week\b",
        lambda m: f"in the week before {observed.isoformat()}",
        fact,
        flags=re.I,
    )
    return fact
