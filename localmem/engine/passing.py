"""Clauses that only mattered in the moment: a mood, a moment, a liking of "it", the body
complaining, a reaction ("I literally screamed", "don't even miss it"), someone's mood or a
judgement of them ("he's always tired"), a telling with nothing told ("my manager told me on
Monday"). The raw message keeps them; no memory is made of them."""

from __future__ import annotations

import re

from localmem.engine.textutil import STOP_WORDS, content_words, words

__all__ = ["passing", "complaint"]

# How someone feels in the moment (written for this module from everyday English).
_MOODS = """happy happier proud tired exhausted excited nervous sad relieved stressed bored glad
thrilled sorry grateful lucky sick hungry sleepy busy jealous terrified scared worried anxious upset
bummed heartbroken gutted devastated overwhelmed stoked pumped shattered knackered drained wiped
annoyed furious pissed mad angry cranky grumpy moody confused shocked speechless amazed surprised
ecstatic overjoyed elated giddy hyped buzzing jittery shaky restless lonely homesick frustrated
embarrassed mortified ashamed guilty nostalgic emotional teary weepy miserable""".split()
# Judgements of someone or something, not what they are: "Cooper is the sweetest", "she's so
# dramatic" ("is a nurse", "is 12" are not in it).
_JUDGED = """cute adorable sweet lazy annoying hilarious funny crazy wild insane amazing awesome
great gorgeous weird dramatic clingy spoiled cursed obsessed ridiculous unbearable impossible
nice lovely cool chill brutal rough""".split()
_ADVERB = (r"(?:so |really |very |all so |kind of |kinda |a bit |pretty |super |just |honestly |"
           r"totally |a little |always |still |literally |such an? |being |getting |way too |too )")
_MOOD_WORDS = "|".join(_MOODS)
# Moods and moments, not lasting facts: "I'm so proud", "having lunch right now".
_MOOD = re.compile(
    r"^(?:i'm|im|i am|we're|we are|i was|we were|i feel|i felt|feeling|(?:i've|i have|we've|"
    rf"we have|have)? ?never been) {_ADVERB}*(?:{_MOOD_WORDS})\b"
    r"(?! (?:to|about|for|that|with|because|since|of)\b)"
    r"|^(?:i'm|im|i am) (?:gonna|going to) miss\b|^(?:i )?just (?:got back|got home|woke up)\b"
    r"|\b(?:right now|at the moment|atm)\b"
    # a mood said alone, as a reply: "terrified and free", "so relieved honestly"
    rf"|^{_ADVERB}*(?:{_MOOD_WORDS})(?: (?:and|but|&) {_ADVERB}*[a-z]+)?$",
    re.I,
)
# (someone sick is their health, not a mood: "my dad is sick")
_THEIRS = "|".join([*(m for m in _MOODS if m != "sick"), *_JUDGED])
# Someone's mood or a judgement of them, and nothing else: "my brother Jake is always tired",
# "Pickles is grumpy and spoiled" (not "Pickles is 12": an age is a fact).
_THEIR_MOOD = re.compile(
    r"^(?:[\w'-]+ ){0,3}[\w'-]+?"  # the subject, and nothing said before it
    rf"(?:'s|'re| is| are| was| were) {_ADVERB}*(?:{_THEIRS})(?: (?:and|but|&) {_ADVERB}*"
    rf"(?:{_THEIRS}))?$", re.I)
# A reaction of the moment, not a fact: "I don't even miss cheese", "I feel like a hacker",
# "I literally screamed in the car", "now I want one so bad", "I can't stop smiling".
_REACTION = re.compile(
    r"^(?:(?:i|we) )?(?:honestly |really |just |literally |kinda |kind of )*(?:"
    r"(?:don't|do not|doesn't|does not|didn't|did not|never) (?:even |really |actually )?miss\b"
    r"|feel(?:s|ing)? like (?:a|an|such an?)\b"
    r"|can't (?:stop (?:smiling|laughing|crying|thinking about it)|believe (?:it|this|that)\b))"
    r"|\b(?:want|need|wanted) (?:one|it|that|this|them) so (?:bad|badly|much)\b"
    r"|\blost (?:my|their|our) (?:mind|shit|marbles)\b",
    re.I,
)
# An outburst, where it says nothing of what it was at: "I literally screamed in the car" (not
# "I cried at my sister's wedding": the wedding is a fact).
_OUTBURST = re.compile(
    r"^(?:(?:i|we) )?(?:honestly |really |just |literally |almost |nearly |totally )*(?:screamed|"
    r"squealed|shrieked|gasped|cried|teared up|freaked out|lost it|cheered|fangirled)\b"
    r"(?P<rest>(?: (?!(?:my|our|their|his|her)\b)[a-z]+){0,4})$", re.I)
# Someone telling the user something, with nothing of what was told: "my manager told me on
# Monday", "my roommate won't shut up about it", "mom laughed".
_TOLD = re.compile(
    r"^(?!(?:i|we)\b)[\w' -]{1,40}? (?:told|tells|texted|texts|messaged|called|asked|said|says|"
    r"laughed|joked|screamed|yelled|won't shut up|wouldn't shut up|keeps (?:asking|texting|"
    r"calling|bugging))\b(?: (?:me|us|him|her|them|it))?(?P<rest>.*)$", re.I)
_NOTHING_TOLD = set("""about it that this so too also again yesterday today tonight morning
night week weekend monday tuesday wednesday thursday friday saturday sunday earlier later last
first right away phone text call immediately twice hard""".split())
_LIKING_ONLY = {"lov", "lik", "enjoy", "hat", "miss", "actual", "realli", "total", "just", "so"}


# A question in disguise, a choice not made: "wondering if I should get a dog", "not sure
# whether to take the job" (what the user decides is the fact, later).
_UNDECIDED = re.compile(
    r"^(?:i'm |im |i am |i was |just |still |kinda |kind of |honestly )?(?:wondering|debating|"
    r"not sure|unsure|undecided|torn|trying to (?:decide|figure out|work out)|can't decide|"
    r"cannot decide|idk|dunno|(?:i )?don't know) (?:if|whether|about whether|what|which|how|when|"
    r"where)\b", re.I)


def passing(clause: str) -> bool:
    """A mood or a moment ("I'm so proud"), a reaction, someone's mood, a telling with nothing
    told, or a liking of a bare pronoun ("I love it")."""
    if _MOOD.search(clause) or _REACTION.search(clause) or _THEIR_MOOD.search(clause) \
            or _UNDECIDED.match(clause):
        return True
    if _OUTBURST.match(clause):
        return True
    told = _TOLD.match(clause)
    if told and not set(words(told.group("rest"))) - STOP_WORDS - _NOTHING_TOLD:
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
