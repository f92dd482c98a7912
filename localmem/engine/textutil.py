"""Small deterministic text helpers: normalising, hashing, sentences, content words."""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = [
    "STOP_WORDS",
    "normalize",
    "text_hash",
    "split_sentences",
    "words",
    "content_words",
    "stem",
    "fts_query",
]

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having he
    he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in
    into is isn't it it's its itself just let's me more most mustn't my myself no nor not now of off
    on once only or other ought our ours ourselves out over own really same shan't she she'd she'll
    she's should shouldn't so some such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up user
    very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
    which while who who's whom why why's will with won't would wouldn't you you'd you'll you're
    you've your yours yourself yourselves yes yeah ok okay oh um uh hi hello hey thanks thank lol
    s t d ll re ve m""".split()
)

_WORD = re.compile(r"[0-9]+(?:[.,:/-][0-9]+)*|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# A full stop after a title or "St" ends no sentence ("a nurse at St. Mary's").
_SENTENCE_END = re.compile(
    r"(?<!\bSt\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bJr\.)(?<!\bvs\.)"
    r"(?<=[.!?])\s+|\n+"
)


def normalize(text: str) -> str:
    """Lowercase, NFKC, single spaces, no trailing punctuation: equal facts compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(" .!;,")


def text_hash(text: str) -> str:
    """sha256 of the normalised text (the deduplication key)."""
    return hashlib.sha256(normalize(text).encode("utf-8", "surrogatepass")).hexdigest()


def split_sentences(text: str) -> list[str]:
    """Split on sentence ends and line breaks; empty pieces are dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def words(text: str) -> list[str]:
    """Words and numbers in order, lowercased, apostrophes normalised."""
    return [w.lower() for w in _WORD.findall(text.replace("\u2019", "'"))]


def stem(word: str) -> str:
    """A crude suffix stripper, enough to match "likes"/"liked"/"liking" with "like"."""
    for suffix in ("ingly", "ing", "ied", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ied", "ies"):
                return base + "y"
            return base.rstrip("e") if len(base) > 3 else base
    return word.rstrip("e") if len(word) > 3 else word


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning (stop words removed), in order, unique."""
    out = [stem(w) for w in words(text) if w not in STOP_WORDS and w.strip("'")]
    return list(dict.fromkeys(out))


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of ``text`` (each word quoted, so nothing is syntax)."""
    found = [w for w in re.findall(r"\w+", text.lower(), re.UNICODE) if len(w) > 1 or w.isdigit()]
    found = [w for w in found if w not in STOP_WORDS] or found
    unique = list(dict.fromkeys(found))[:32]
    return " OR ".join(f'"{w}"' for w in unique)
