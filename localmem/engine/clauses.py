"""Which parts of a user message are statements about the user: one clause each, cleaned.

Kept: first-person statements ("I", "my"; "we" / "our" when they lead), subjectless ones about
what the user did ("switched to guitar!"), statements about family said without "my" ("mom sold
her condo"), and endings said without "I" ("the Japan trip is off"). Left out: questions,
requests, small talk, talk about the listener.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from localmem.engine.passing import complaint, passing
from localmem.engine.plainly import (
    ASIDE, GIVEN_BY, HAVE_WHAT, HEDGE_TAIL, LISTENER, NEW_THING, SCHEDULED, STATE_LEAD,
    self_intro, without_aside,
)
from localmem.engine.telling import Telling
from localmem.engine.textutil import content_words, split_sentences

__all__ = ["candidate_clauses", "message_clauses", "strip_lead_in", "named_lead"]

_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|ive|i'd|i'll|my|me|mine|myself|we|we're|we've|our|ours|us)\b", re.I
)
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))( there| again| all)?\b[\s,!.:-]*",
    re.I,
)
# "no" is an answer before a pause or a new statement ("no, I moved"), not "no pets for me yet"
_FILLER = re.compile(
    r"^(actually|well|s+o+|oh|btw|by the way|anyway|also|and|but|um|uh|hmm|honestly|yeah|yes|"
    r"no(?=\s*[,!.:-]|\s+(?:i|i'm|i've|we|it|that|not)\b)|nope|nah|ugh|tbh|ngl|omg|"
    r"apparently|ok|okay|sure|haha|lol|wow|great|cool|right|"
    # "like" before an amount hedges it: "like 15 minutes", "like twice a week"
    r"like(?=\s+(?:\d|a |an |maybe|about|around|half|once|twice|two|three|four|five|ten)))"
    r"\b[\s,!.:-]+",
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
    r",?\s+(?:and|but|so|because|cause|cuz|coz|while|now that)\s+"
    r"(?=(?:(?:now|then|honestly|also|still) )?"
    r"(?:i|my|i'm|i've|we|we're|our)\b)"
    r"|[,;]\s+(?=(?:now |then |and now )?(?:i|my|i'm|i've|we|we're|our|nobody|no one|everyone|"
    r"everybody)\s)"
    # a new subject after a comma: "I rent in Austin, the rent keeps going up"
    r"|,\s+(?=(?:the |a |an )?(?!(?:which|who|what|that|this|there|here|it|he|she|they|i|we|"
    r"you|been|being|now|then|so|and|but)\b)[a-z]+(?: [a-z]+)? (?:is|are|was|were|keeps|kept)\b"
    r"|the (?:[a-z]+ )?[a-z]+ (?:actually |really |still |just |always |never )?[a-z]+(?:s|ed)\b)"
    # a comment on what was just said: "a beagle named Cooper, he's the laziest dog ever"
    r"|,\s+(?=(?:he|she|it|that|they)(?:'s|'re|\s))|\s+(?:and|but|so)\s+(?=(?:it|that)(?:'s|\s))",
    re.I,
)
# An ending said without "I": "the Japan trip is off", "our wedding got cancelled".
_ENDED_THING = re.compile(
    r"^(?:(?i:the|our|my) [\w' -]{1,40}?|[A-Z][\w'-]+(?: [a-z][\w'-]+){0,2}) "
    r"(?i:(?:is|are|was|got|has been) (?:off|cancell?ed|called off|postponed|scrapped)"
    r"|(?:isn't|is not|won't be|is no longer|aren't|are not) happening|fell through"
    r"|ended|finished|wrapped up|(?:is|was) over|came off|went through"
    r"|(?:is|are|was) (?:finally |fully |all |officially |now )?(?:gone|healed|sold))\b"
    r"|^[A-Z][\w'-]+ (?i:died|passed away)\b"
)
_TRAILING = re.compile(r"(?:[\s,]+(?:lol|lmao|haha+|tbh|omg|xd|ngl|btw|fyi|honestly|obviously|"
                       r"unfortunately|sadly|luckily|thankfully|though|tho|anyway|anyways))+$"
                       r"|[^\w)'\"]+$", re.I)
# Lead-ins that carry no fact: "Big news:", "As for me,", "These days", "Personally".
_LEAD_IN = re.compile(
    r"^(\w+(?: \w+)?:\s+|as for me,?\s+|for me,?\s+|personally,?\s+|plus,?\s+|these days,?\s+|"
    r"nowadays,?\s+|now,?\s+|guess what[,!.]*\s+|then,?\s+|lately,?\s+|remember,?\s+|as i said,?\s+|"
    r"like i said,?\s+|fyi,?\s+|just so you know,?\s+|ok so,?\s+|so,?\s+|"
    # an announcement before the news: "plot twist, I moved", "funny thing, these days I ..."
    r"(?:plot twist|funny thing|fun fact|confession|(?:big |good |bad )?news|update)[,:!]*\s+|"
    # asides that announce a statement: "just a heads up, I'm allergic", "side note: ..."
    r"(?:just )?(?:a )?(?:quick )?(?:heads up|side note|update|reminder)[,:!-]*\s+|"
    r"(?:for the record|full disclosure|in other news|long story short|not gonna lie|"
    r"random but|random thought but|oh and|and also|on another note)[,:!-]*\s+)",
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
    r"( today| too| thanks)?(?:,? (?-i:[A-Z][a-z]+))?$|^we (should|could|can|might|must|gotta)\b|"
    r"^we('ll| will) (see|talk|catch up|chat)\b|^(let's|lets)\b|"
    r"^(just )?(wanted to (say|tell|ask|check|let|share)|looking forward|going to bed|"
    r"heading (to bed|out|off)|talk (to you )?(soon|later)|catching up)\b",
    re.I,
)
_IRREGULAR_PAST = {
    "went", "was", "were", "had", "got", "made", "took", "saw", "bought", "came", "became",
    "began", "felt", "found", "gave", "grew", "heard", "kept", "knew", "left", "lost", "met",
    "paid", "ran", "said", "sold", "sent", "spent", "taught", "thought", "told", "won", "wrote",
    "drove", "ate", "drank", "flew", "fell", "broke", "chose", "did", "built", "read", "quit",
    "brought", "caught", "forgot", "held", "led", "meant", "rode", "sang", "sat", "shot", "slept",
    "spoke", "stood", "swam", "threw", "understood", "woke", "wore", "set", "put", "cut", "hit",
    "let", "hurt", "bit", "dug", "fed", "fought", "hung", "lit", "struck", "swung", "tore", "won",
}


def candidate_clauses(text: str) -> list[str]:
    """First-person statements in a user message, one clause each, cleaned of greetings."""
    return [clause for clause, _ in message_clauses([text])[0]]


def message_clauses(texts: Sequence[str]) -> list[list[tuple[str, list[int]]]]:
    """``candidate_clauses`` of each of the user's messages, read in order as one telling: a
    "she" or a "here" may point into an earlier message, "her name's Tamsin" into the one before
    (``telling.Telling``). Each clause comes with the indexes of the messages it draws on."""
    telling = Telling()
    told = []
    for i, text in enumerate(texts):
        telling.message = i
        told.append(_clauses(text, telling))
    return [[(clause, [i, *sorted(drawn - {i})]) for clause, drawn in said]
            for i, said in enumerate(told)]


# What is said of a name after "who": a thought of its own ("a bunny named Clover who chews
# every cable": "Clover chews every cable").
_RELATIVE = re.compile(r"\b((?:named|called) ([A-Z][\w'-]+)) (?:who|which|that) (?=\w)")
# An emoji ends a thought as a full stop does: "we're engaged 💍 I said yes obviously".
_EMOJI = re.compile(r"\s*[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+\s*")


def _clauses(text: str, telling: Telling) -> list[list[Any]]:
    out: list[list[Any]] = []  # [clause, the messages it draws on]
    text = _RELATIVE.sub(r"\1. \2 ", text)
    for sentence in (p for s in split_sentences(text) for p in _EMOJI.split(s) if p.strip()):
        sentence = sentence.strip().strip('"')
        for _ in range(3):
            sentence = _FILLER.sub("", _GREETING.sub("", sentence)).strip()
        sentence = _GUESS_WHO.sub("I'm", ASIDE.sub("", sentence))  # "guess who's ..."
        sentence = self_intro(sentence)  # "junior dev at Monzo here" -> "I'm junior dev ..."
        if not sentence or sentence.endswith("?") or _REQUEST.search(sentence):
            continue
        for clause in _split_clauses(sentence):
            clause = GIVEN_BY.sub("", clause)  # "an iphone 13 my cousin sold me cheap"
            clause = strip_lead_in(_TRAILING.sub("", _TRAILING.sub("", clause.strip(" ,;:-")))
                                   .rstrip(".!"))
            clause = HEDGE_TAIL.sub("", clause)
            if telling.names(clause):
                continue
            clause = NEW_THING.sub(r"my \1", clause)  # "new job starts monday": the user's
            clause, about_them, drawn = telling.resolve(clause, named_lead(clause))
            telling.read(clause)
            if _PLEASANTRY.search(clause) or _led_by_someone_else(clause):
                continue
            if not (about_them and _sets_something(clause) or _speaks_for_user(clause) and not _OTHER_SUBJECT.match(clause)
                    or _ENDED_THING.search(clause)
                    or _said_without_subject(clause) or _about_family(clause)
                    or _about_named(clause)):
                continue
            clause = without_aside(clause)
            if _NOT_A_FACT.search(clause) or LISTENER.search(clause) or passing(clause):
                continue
            if len([w for w in content_words(clause) if w not in ("name",)]) < 1:
                continue
            out.append([clause, drawn])
            telling.kept(out[-1])
    return out


# Something else is the subject, the user only mentioned in it: "puppy cuddles are basically
# part of my salary", "the rent on my place keeps going up".
_OTHER_SUBJECT = re.compile(r"^(?:the |a |an )?(?!(?:i|i'm|my|our|we|we're|me|us)\b)[a-z]+"
                            r"(?: (?!(?:i|me|we|and)\b)[a-z]+){0,3} (?:is|are|was|were|keeps|kept)\b")
_GUESS_WHO = re.compile(r"^guess who(?:'s| is)\b", re.I)
# "my knees gave out": a thing of the user's doing something, the user only its owner
# (not "my PIN is 4242": what a thing of theirs is, is a fact)
_MY_THING = re.compile(r"^(?:my|our) (?:(?:whole|new|old|little|own|big) )?"
                       r"(?!(?:whole|new|old|little|own|big) )([a-z]+) "
                       r"(?!(?:is|are|was|were|has|have)\b)[a-z]+\b(?!.*\b(?:i|me|i'm|i've)\b)",
                       re.I)
_PEOPLE = set("""mom mum mother dad father sister brother wife husband partner girlfriend boyfriend
son daughter friend boss roommate cousin aunt uncle grandma grandpa grandmother grandfather niece
nephew fiance fiancee kid kids child children parents parent family baby coworker colleague
neighbor neighbour best older younger dog cat puppy kitten name favorite favourite birthday
doctor manager teacher team company employer school landlord hamster rabbit bunny parrot
fish goldfish turtle horse bird snake gecko lizard""".split())
# "it broke my heart" is led by something else; "this weekend I ..." only by a time
_OTHER_LEAD = re.compile(
    r"^(?:he|she|it|they|that|this|there|these|those)(?:'s|'re|\s|$)(?!(?:past )?(?:morning|"
    r"afternoon|evening|night|weekend|week|month|year|summer|winter|spring|fall|autumn|semester|"
    r"christmas|thanksgiving|new years?'?(?: eve)?|holidays?|time)\b)", re.I)


def _sets_something(clause: str) -> bool:
    """Whether a statement about someone named sets what they are or do now ("Tamsin is a vet
    nurse", "Ana is teaching yoga now"), not a judgement ("Cooper is a sweetheart")."""
    from localmem.engine.attributes import rule_attribute  # it imports this module

    said = re.sub(r"^[A-Z][\w'-]+ ", "", clause)  # "is a vet nurse"
    return rule_attribute(said) is not None or re.search(r"\bnow\b", said) is not None


def _led_by_someone_else(clause: str) -> bool:
    """A clause whose subject is someone or something else ("they finally gave me the keys",
    "it broke my heart", "my knees gave out", "my whole office plays"): kept only when it sets
    an attribute ("they made me sous chef", "my iPhone is dying") or ends something."""
    if complaint(clause):
        return True  # "my knees said absolutely not", "my arms are dead"
    thing = _MY_THING.match(clause)
    if not (_OTHER_LEAD.match(clause) or thing and thing.group(1).lower() not in _PEOPLE):
        return False
    from localmem.engine.attributes import is_ending, rule_attribute  # they import this module

    return rule_attribute(clause) is None and not (
        thing and (is_ending(clause) or SCHEDULED.search(clause)))


_NOT_A_DEED = {"thing", "nothing", "something", "anything", "everything", "morning", "evening",
               "spring", "king", "ring", "wedding", "feeling", "need", "seed", "speed", "bed",
               "red", "shed", "weed", "ted", "fred", "ned", "united", "interested", "excited",
               "tired", "bored", "scared", "glad", "sad", "bad", "mad", "dad"}
_FAMILY = re.compile(
    r"^(?i:(?:my |our |the )?(mom|mum|mother|dad|father|sister|brother|wife|husband|partner|"
    r"girlfriend|boyfriend|son|daughter|grandma|grandpa|grandmother|grandfather|aunt|uncle|"
    r"cousin|boss|roommate|best friend|parents|kids?|twins|baby))\b(?: [A-Z][\w'-]+)?"
    r"(?i:('s|'re| is| are)(?= (?:\w+ )?\w+ing\b))?"  # "mom's retiring next year"
    r"(?: (?:finally|just|also|already|recently))? ([a-z]+)\b"
)


def _said_without_subject(clause: str) -> bool:
    """A subjectless statement of what the user did or does: "caved and got an iphone 15",
    "switched to guitar!", "leasing a Tesla now", "back in the office 4 days a week"."""
    tokens = clause.split()
    if len(tokens) < 2 or len(content_words(clause)) < 2:
        return False
    first = tokens[0].lower().strip(",.!")
    while first in ("just", "finally", "now", "still", "also", "already", "currently") \
            and len(tokens) > 2:
        tokens = tokens[1:]
        first = tokens[0].lower().strip(",.!")
    if first in _NOT_A_DEED:
        return False
    if first == "back" and tokens[1].lower() in ("in", "at", "to", "on", "home"):
        return True
    if first in ("been", "gonna"):  # "been vegan 4 years now", "gonna start at Deloitte"
        return True
    if STATE_LEAD.match(clause):  # "still vegetarian", "no longer at Amazon"
        return True
    if first == "have" and HAVE_WHAT.match(" ".join(tokens[1:2])):
        return True  # "have two kids, both teenagers"
    if first.isdigit() and re.match(r"(day|week|month|year)s? without\b", " ".join(tokens[1:3]),
                                    re.I):
        return True  # "3 weeks without vaping"
    past = first in _IRREGULAR_PAST or (first.endswith("ed") and len(first) > 4)
    said = " ".join(tokens)
    if first.endswith("ing") and _GERUND_SUBJECT.match(said) and not _NAMES.search(said):
        return False  # "renting the piano was too expensive": the doing is the subject (not
        # "working at Google has been great": where it names something, it says a fact)
    return past or (first.endswith("ing") and len(first) > 4)


_NAMES = re.compile(r"(?<!^)\b[A-Z]|\d")
_GERUND_SUBJECT = re.compile(r"^\w+ing(?: [\w'-]+){0,5} (?:is|was|will be|gets|got)\b",
                             re.I)


def _about_family(clause: str) -> bool:
    """A statement about the user's family said without "my": "mom sold her condo"."""
    match = _FAMILY.match(clause)
    verb = match.group(3).lower() if match else ""
    if match and match.group(2):
        return verb.endswith("ing")  # "mom's retiring next year"
    return verb not in ("is", "was", "are", "were", "and") and (
        verb in _IRREGULAR_PAST or verb.endswith(("ed", "s")) and len(verb) > 3
    )


_NAMED = re.compile(r"^([A-Z][a-z]+)(?: and [A-Z][a-z]+)? "
                    r"(?:(?:finally|just|also|now|already|actually) )?([a-z]+)\b")
_NOT_A_NAME = {"the", "this", "that", "these", "those", "there", "it", "today", "tonight",
               "yesterday", "everyone", "everybody", "nobody", "someone", "work", "school",
               "life", "everything", "nothing", "something", "monday", "tuesday", "wednesday",
               "thursday", "friday", "saturday", "sunday", "he", "she", "they", "what", "who"}


# First words of stored facts and statements that are not names.
_LEADS = {"is", "has", "does", "goes", "was", "had", "just", "finally", "also", "still", "now",
          "really", "actually", "recently", "always", "never", "usually", "girlfriend",
          "boyfriend", "wife", "husband", "partner", "fiance", "fiancee", "name", "commute",
          "job", "home", "plan", "trip", "can", "will", "would", "could", "should", "might"}


def _done(verb: str) -> bool:
    """Whether a verb says what someone did ("got", "quit", "moved")."""
    return verb in _IRREGULAR_PAST and verb not in ("was", "were", "did", "had") or (
        verb.endswith("ed") and len(verb) > 4 and verb not in _NOT_A_DEED
    )


def named_lead(clause: str) -> str | None:
    """The name a statement about someone the user names starts with, said without "my":
    "Jake got a job at Google", "Maya lives in Austin"; else None."""
    match = _NAMED.match(clause)
    if not match:
        return None
    first = match.group(1).lower()
    if first in _NOT_A_NAME or first in _LEADS or _done(first) or first.endswith("ing"):
        return None  # "Is based in ...", "Switched to ...", "Just closed on ...": a verb leads
    verb = match.group(2)
    return match.group(1) if _done(verb) or verb in _DOES or _LIFE_EVENT.match(
        clause, match.end(2)) else None


# What someone does, said in the present: "Maya teaches yoga", "Tom plays bass in a band".
# (not a pastime said in passing: "he cooks a lot")
_DOES = {"lives", "works", "teaches", "studies", "plays", "owns", "runs", "drives", "coaches",
         "manages", "speaks", "trains", "volunteers", "rents", "designs", "nurses", "builds",
         "sells"}
# A life event said with "had": "Priya just had a baby boy" (not "had a great time").
_LIFE_EVENT = re.compile(r" (?:a|an|her|his|their|the) (?:baby|babies|son|daughter|twins|surgery|"
                         r"operation|stroke|heart attack|wedding|funeral|miscarriage)\b", re.I)


def _about_named(clause: str) -> bool:
    """A statement of what someone the user names did or does: "Ana finally quit the hospital",
    "Maya teaches yoga" (the user's family and friends, known by name)."""
    return named_lead(clause) is not None


def _speaks_for_user(clause: str) -> bool:
    """"I" / "my" anywhere, or "we" / "our" leading the clause ("We moved to Porto", "Some of
    our favorite moments were ...")."""
    if re.match(r"^(?:(?:some|one|most|all|many|a few|each) of )?(we|we're|we've|our|ours|us)\b",
                clause, re.I):
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
        joined = re.fullmatch(r"\s+and\s+", match.group(0), re.I) is not None and (
            len(pieces[-1].split()) <= 3
            and re.match(r"i\s", sentence[match.end():], re.I) is not None
            and not _FIRST_PERSON.search(pieces[-1].replace("My ", "").replace("my ", ""))
            or pieces[-1].strip().lower() == "me"  # "Me and my friends play padel"
        )
        if joined:
            pieces[-1] += match.group(0)
        start = match.end()
    if joined:
        pieces[-1] += sentence[start:]
    else:
        pieces.append(sentence[start:])
    return pieces
