"""Cues of statements people make without "I": a state ("still vegetarian"), a
self-introduction ("junior dev at Monzo here"), the user's new thing ("new job starts monday"),
and what to cut from a clause before judging it: a hedge after it ("if I'm lucky"), who a thing
came from ("a bike my uncle gave me"). Vocabularies written from everyday English; used by
``clauses`` (which finds the clauses) and ``extract.rewrite_clause`` (which words them)."""

from __future__ import annotations

import re

__all__ = ["STATE_LEAD", "HAVE_WHAT", "HEDGE_TAIL", "GIVEN_BY", "SCHEDULED", "NEW_THING", "ASIDE",
           "LISTENER", "self_intro", "without_aside"]

# The user or the listener named in a phrase (a self-introduction has neither); the listener
# ("u" / "ur" only as words of their own: not the "u" of "u-turn").
_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|my|me|we|our|us|you|your|you're|u|ur)\b", re.I)
LISTENER = re.compile(r"\b(you|your|yours|you're|you've|you'd|you'll|yourself)\b"
                       r"|(?<![\w-])(?i:u|ur)(?![\w-])", re.I)

# Who a thing came from, said after it: "got a bike my uncle gave me" got a bike (the giving is
# a detail; "sold" in it would read as the user selling).
GIVEN_BY = re.compile(
    r"(?<=\w)\s+(?:that |which )?(?:my|our) (?:\w+ )?(?:mom|mum|dad|sister|brother|cousin|uncle|"
    r"aunt|friend|roommate|neighbou?r|boss|grandma|grandpa|wife|husband|partner|girlfriend|"
    r"boyfriend|coworker|colleague) (?:gave|sold|lent|loaned|got|bought|made|left|sent|found|"
    r"brought|passed down|handed down) (?:me|us)\b.*$", re.I)
# A hedge after a statement, where the only "I" may be: "like 15 minutes if I'm lucky" says
# nothing about the user; "I'm vegan, to be honest" says "I'm vegan".
HEDGE_TAIL = re.compile(
    r",?\s+(?:if|unless) (?:i'm|im|i am|i was|we're|we are)(?: being)? (?:totally |completely )?"
    r"(?:lucky|honest|real|right|wrong|not mistaken|fair)\b.*$"
    r"|,?\s+if (?:i|we) (?:remember|recall) (?:it )?(?:right|correctly)\b.*$"
    r"|,?\s+if you ask me\b.*$|,?\s+to be (?:honest|fair)$|,?\s+(?:i think|i guess|i suppose)$",
    re.I)
# When a thing of the user's begins or ends: "my new job starts monday" (a plan, not the job
# doing something).
SCHEDULED = re.compile(r"\b(?:starts|begins|kicks off|finishes|opens|is (?:on|next|booked|"
                        r"scheduled|set for))\b", re.I)
# "new job starts monday", "new place has a garden": the user's new thing, said without "my"
NEW_THING = re.compile(r"^((?i:new|first) (?:job|role|position|place|apartment|flat|house|home|"
                        r"car|phone|laptop|school|gym|boss|team|office|bike|puppy|kitten|dog|cat|"
                        r"class|course|day|week|shift|contract|gig|project|doctor|therapist)\b)")
# "junior dev at Monzo here": who the user is, said as a self-introduction
_SELF_INTRO = re.compile(r"^(?P<who>[a-z][\w'&-]*(?: [\w'&-]+){0,6}?) here(?P<rest>$|[,.!;].*|"
                         r"\s+(?:and|but|lol|haha)\b.*)$", re.I)
_NOT_A_ROLE = set("""same me us new still nothing everything everyone everybody nobody all it its
it's this that there just not so been hi hello hey lol ok also over out up down in back right from
around come get go stay sit live move work i we you he she they is was are were hot cold warm sunny
freezing raining snowing humid quiet busy crazy dead late early nice lovely beautiful weird wild
chaos chaotic""".split())


def self_intro(sentence: str) -> str:
    """A self-introduction as a statement: "junior dev at Monzo here, mostly fixing bugs" ->
    "I'm junior dev at Monzo, mostly fixing bugs" ("same here", "so hot here" left alone)."""
    match = _SELF_INTRO.match(sentence)
    if not match:
        return sentence
    who = match.group("who").split()
    if {w.lower() for w in who} & _NOT_A_ROLE or who[-1].lower().endswith(("ing", "ly")) \
            or _PERSON.search(match.group("who")):
        return sentence
    article = "" if who[0][0].isupper() or who[0].lower() in _DETERMINERS else (
        "an " if who[0][0].lower() in "aeiou" else "a ")
    return f"I'm {article}{match.group('who')}{match.group('rest')}"


_DETERMINERS = {"a", "an", "the", "another", "one", "just", "your", "ur", "his", "her", "their"}


# What one is, said without "I'm" (written from everyday English: diet, relationship, health,
# work, language): "still vegetarian", "allergic to cats", "on a keto diet", "no longer at
# Amazon", "more of a tea person". Rewritten with "Is" (``extract.rewrite_clause``).
_STATE_WORDS = """vegan vegetarian veggie pescatarian pescetarian keto paleo carnivore gluten-free
dairy-free sober teetotal single married engaged divorced separated widowed pregnant retired
unemployed self-employed freelance allergic intolerant lactose diabetic asthmatic celiac coeliac
deaf colorblind colourblind left-handed right-handed fluent bilingual trilingual
vaccinated""".split()
STATE_LEAD = re.compile(
    r"^(?i:(?:still|now|currently|also|officially|finally|basically|fully|happily|newly|no longer|"
    r"not|never been|mostly|kind of|kinda|pretty much) )*"
    rf"(?i:(?:(?:a |an )?(?:{'|'.join(_STATE_WORDS)})\b"
    r"|on (?:a |an |the )?[\w-]+(?: [\w-]+)? diet\b"
    r"|more of an? [\w-]+(?: [\w-]+)? (?:person|fan|drinker|eater|guy|girl|type)\b"
    r"|not (?:a|an|much of an?|really an?) (?:big |huge )?[\w-]+ "
    r"(?:person|fan|drinker|eater|guy|girl|type)\b))"
    r"|^(?i:still|now|currently|no longer|not anymore) (?i:at|in|with|working at|working for|"
    r"living in|based in|on)\b")
# ("have a lovely evening" is a wish, so no "a")
HAVE_WHAT = re.compile(r"(?i:no|two|three|four|five|six|twins|kids|\d+)$")


# An aside to the listener after a statement: "I'm head chef now, can you believe it".
ASIDE = re.compile(r",\s*(?:can you believe|would you believe|believe it or not|you know|ya know|"
                    r"if you can believe)\b[^,]*$", re.I)


def without_aside(clause: str) -> str:
    """A statement without an aside to the listener after it: "I'm head chef now, can you
    believe it" says "I'm head chef now"."""
    head = re.split(r",\s*(?=[^,]*\b(?:you|your|u)\b)", clause, maxsplit=1, flags=re.I)[0]
    return head if head != clause and not LISTENER.search(head) else clause
