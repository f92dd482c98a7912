"""The hand-written extraction/update set of scripts/eval_memory.py: loading, playing, scoring.

Two files in scripts/eval_data: ``set_tune.json`` (prompts, rules and thresholds may be shaped on
it) and ``set_heldout.json`` (never tuned on; it only measures). Each conversation is played into
``Memory`` under its own user id, then scored:

- precision: stored facts that say a gold fact and no gone / must_not one;
- recall: ``current`` facts found among the stored ones;
- updates: ``gone`` facts (contradicted by a later add) that were stored once and are no longer;
- repeats: adds marked ``none`` that changed nothing;
- invented: ``must_not`` facts found stored, per conversation;
- unsupported: stored facts whose names / words are not in their source messages, per stored fact;
- stale@k: gone facts among the top k facts ``search`` returns for their probing question
  (and, in brackets, among the top k items with raw messages counted too);
- model facts dropped by grounding (and, apart, grounded ones replaced by a rule rewrite), and
  add latency p50 / p95.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localmem import Memory
from localmem.backends.llm import FakeLLM
from localmem.engine.textutil import STOP_WORDS, words
from localmem.errors import LocalmemError

__all__ = [
    "SPLITS", "SET_PATH", "SLOTS", "DEFAULT_DATE", "load_set", "load_slots", "describe",
    "fact_matches", "must_not_matches", "supported", "user_text", "perfect_llm", "SetScores",
    "Observed", "score_conversation", "run_set", "percentile",
]

DATA = Path(__file__).parent / "eval_data"
SPLITS = {"tune": DATA / "set_tune.json", "heldout": DATA / "set_heldout.json"}
SET_PATH = SPLITS["tune"]
# Gold subject / attribute / single / change per gold fact, for a perfect structured extractor.
SLOTS = {"tune": DATA / "set_tune_slots.json"}
DEFAULT_DATE = "2024-01-15T12:00:00"
PROBE_K = 3


def _root(word: str) -> str:
    """A word without its inflection ("tries" / "try", "misses" / "miss", "running" / "run"):
    the judge's own stemmer, so the scores do not move when the engine's changes."""
    w = word[:-2] if word.endswith("'s") else word
    if len(w) > 4 and w[-3:] in ("ies", "ied"):
        return w[:-3] + "y"
    if len(w) > 4 and re.search(r"(s|sh|ch|x|z)es$", w):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # "runn" -> "run", "stopp" -> "stop"
    return w[:-1] if len(w) > 2 and w.endswith("e") else w


def _content(text: str) -> set[str]:
    """The roots of the words of ``text`` that carry meaning (no stop words)."""
    return {_root(w) for w in words(text) if w not in STOP_WORDS and w.strip("'")}


# Words a rewritten fact adds to the user's own ("I'm Sam" -> "Name is Sam").
_TEMPLATE_WORDS = {_root(w) for w in ("name", "is", "has", "their", "they")}
# ... and the slot verbs a fact may use for the user's paraphrase ("I'm based in X" -> "Lives in X").
_SLOT_WORDS = _TEMPLATE_WORDS | {_root(w) for w in ("lives", "works", "goes")}
# A fact that says something is not so, or no longer so ("Quit nursing", "Sold the Corolla"),
# never matches one that says it is: "Sister Ana quit nursing" is not "Sister Ana is a nurse".
_ENDED = re.compile(
    r"\b(not|no|never|nobody|no longer|anymore|any more|quit|quitting|stopped|left|former|"
    r"formerly|ex|used to|passed away|died|gave up|given up|giving up|broke up|broken up|"
    r"split up|splitting up|sold|dropped|cancell?ed|retired|divorced?|divorcing|got rid of|"
    r"ended)\b|n't\b"
)
_CLAUSES = re.compile(r"[,;:]\s*|\s+(?:and|but|so|while|because|though|although)\s+", re.I)
ALTERNATIVES = " | "  # a gold fact may be said in several ways: "Lives in Porto | Moved to Porto"
# A stored fact naming one of these (and its must_not entry not) is about someone else: "Friend
# Nina went vegan" is not the must_not "Is vegan"; "Went vegan" is.
_OTHERS = {_root(w) for w in """friend sister brother mom mum dad mother father parent roommate
    coworker colleague neighbor neighbour cousin boss wife husband partner girlfriend boyfriend son
    daughter kid aunt uncle niece nephew grandma grandpa grandmother grandfather""".split()}


def load_set(split: str | Path = "tune") -> list[dict[str, Any]]:
    """The conversations of one split ("tune", "heldout") or of a set file.

    Raises:
        ValueError: a conversation lacks its attributes, or a gone fact its probing question.
    """
    path = SPLITS.get(str(split), Path(split))
    conversations = json.loads(Path(path).read_text(encoding="utf-8"))["conversations"]
    for conv in conversations:
        if not conv.get("attributes"):
            raise ValueError(f"{path.name}: conversation {conv['id']} names no attributes")
        unprobed = [g for g in conv["gone"] if g not in conv.get("probes", {})]
        if unprobed:
            raise ValueError(f"{path.name}: {conv['id']}: no probing question for {unprobed}")
    return conversations


def describe(conversations: list[dict[str, Any]]) -> str:
    """How many conversations, updates, repeats and attributes a set holds."""
    attributes = Counter(a for c in conversations for a in c["attributes"])
    updates = sum(len(c["gone"]) for c in conversations)
    repeats = sum(bool(a.get("none")) for c in conversations for a in c["adds"])
    return (f"conversations {len(conversations)}  updates {updates}  repeats {repeats}  "
            f"attributes {len(attributes)}")


def _names(text: str) -> set[str]:
    """Capitalised words but the first, and numbers: what an invented fact gets wrong."""
    found = re.finditer(r"\b[A-Z][a-zA-Z]+\b|\b\d[\d.,:/-]*\b", text)
    return {m.group().lower() for m in found if m.start() > 0 or m.group()[0].isdigit()}


def _negated(text: str) -> bool:
    return bool(_ENDED.search(text.lower().replace("\u2019", "'")))


def _word_set(text: str) -> set[str]:
    """Words of ``text``, possessives also without "'s" ("Marco's" holds the name Marco)."""
    found = set(words(text))
    return found | {w.split("'")[0] for w in found}


def _about_other(must_not: str, stored: str) -> bool:
    """Whether ``stored`` is about a relative or friend that ``must_not`` does not name."""
    return bool((_content(stored) & _OTHERS) - _content(must_not))


def must_not_matches(must_not: str, stored: str) -> bool:
    """Whether ``stored`` says the forbidden fact about the user (not about someone else)."""
    return any(
        _matches(alt, stored) and not _about_other(alt, stored)
        for alt in must_not.split(ALTERNATIVES)
    )


def fact_matches(gold: str, stored: str) -> bool:
    """Whether ``stored`` says ``gold`` (or one of its " | " alternatives): same polarity, its
    names/numbers, >= 3/4 of its words."""
    return any(_matches(alt, stored) for alt in gold.split(ALTERNATIVES))


def _polarity_clause(stored: str, gold_words: set[str]) -> str:
    """The clause of ``stored`` that says most of ``gold_words``: its polarity is the one that
    counts ("Lives in Lisbon, no elevator" lives in Lisbon; "Sold the car and bikes" bikes)."""
    clauses = [c for c in _CLAUSES.split(stored) if c.strip()] or [stored]
    return max(clauses, key=lambda c: len(gold_words & _content(c)))


def _matches(gold: str, stored: str) -> bool:
    gold_words = _content(gold) - _TEMPLATE_WORDS
    if _negated(gold) != _negated(_polarity_clause(stored, gold_words)):
        return False
    stored_words = _content(stored)
    if not _names(gold) <= _word_set(stored):
        return False
    if not gold_words:
        return bool(_content(gold) & stored_words)
    return len(gold_words & stored_words) / len(gold_words) >= 0.75


def supported(fact: str, source: str) -> bool:
    """Whether every name/number and >= 3/4 of the content words of ``fact`` are in ``source``.

    Dates resolved from "yesterday" etc. are allowed; this is the judge of "unsupported".
    """
    fact = re.sub(r"\b(on|in the week before) \d{4}-\d\d-\d\d\b", "", fact)
    if not _names(fact) <= _word_set(source):
        return False
    fact_words = _content(fact) - _SLOT_WORDS
    if not fact_words:
        return True
    return len(fact_words & _content(source)) / len(fact_words) >= 0.75


def user_text(messages: Any) -> str:
    """The user's part of an add's messages, as the pipeline joins it."""
    if isinstance(messages, str):
        return messages
    return "\n".join(m["content"] for m in messages if m.get("role", "user") == "user")


def load_slots(split: str) -> dict[str, dict[str, Any]] | None:
    """The gold slots of a split's facts (``SLOTS``), or None where none were written."""
    path = SLOTS.get(split)
    return json.loads(path.read_text(encoding="utf-8"))["facts"] if path else None


def perfect_llm(conversations: list[dict[str, Any]],
                slots: dict[str, dict[str, Any]] | None = None) -> FakeLLM:
    """A FakeLLM that extracts exactly the gold facts of each add (decisions: the default ADD);
    asked for structured facts, each comes with its gold slot from ``slots``."""
    gold = {user_text(a["messages"]): a["facts"] for c in conversations for a in c["adds"]}

    def respond(prompt: str, schema: type) -> dict[str, Any]:
        if "facts" not in schema.model_fields:
            return {"event": "ADD"}
        tail = prompt.rstrip()
        found = [k for k in gold if k and tail.endswith(k)] or [k for k in gold if k and k in prompt]
        facts = gold[max(found, key=len)] if found else []
        if schema.__name__ == "StructuredFacts":
            return {"facts": [{"text": f, **(slots or {})[f]} for f in facts][:3]}
        return {"facts": facts}

    return FakeLLM(respond)


@dataclass
class SetScores:
    conversations: int = 0
    stored: int = 0
    correct: int = 0
    unsupported: int = 0
    must_not_hits: int = 0
    gold: int = 0
    recalled: int = 0
    contradictions: int = 0
    old_stored: int = 0  # contradicted facts that were stored at some point
    superseded: int = 0
    probes: int = 0
    stale_facts: int = 0  # a gone fact among the top PROBE_K facts for its question
    stale_items: int = 0  # ... among the top PROBE_K items, raw messages included
    repeats: int = 0
    repeats_ok: int = 0
    model_facts: int = 0
    dropped: int = 0
    replaced: int = 0  # grounded model facts left out for the rule rewrite of their clause
    errors: int = 0
    add_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.stored if self.stored else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.gold if self.gold else 1.0

    @property
    def update_accuracy(self) -> float:
        return self.superseded / self.contradictions if self.contradictions else 1.0

    @property
    def repeat_accuracy(self) -> float:
        return self.repeats_ok / self.repeats if self.repeats else 1.0

    @property
    def invented_rate(self) -> float:
        """must_not facts stored, per conversation."""
        return self.must_not_hits / self.conversations if self.conversations else 0.0

    @property
    def unsupported_rate(self) -> float:
        """Stored facts not supported by their source messages, per stored fact."""
        return self.unsupported / self.stored if self.stored else 0.0

    @property
    def stale_rate(self) -> float:
        return self.stale_facts / self.probes if self.probes else 0.0

    @property
    def drop_rate(self) -> float:
        return self.dropped / self.model_facts if self.model_facts else 0.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f} ({self.correct}/{self.stored})  "
            f"recall {self.recall:.3f} ({self.recalled}/{self.gold})  "
            f"updates {self.update_accuracy:.3f} ({self.superseded}/{self.contradictions}; "
            f"old fact stored {self.old_stored})  "
            f"repeats {self.repeat_accuracy:.3f} ({self.repeats_ok}/{self.repeats})  "
            f"invented {self.invented_rate:.3f} ({self.must_not_hits}/{self.conversations} conv)  "
            f"unsupported {self.unsupported_rate:.3f} ({self.unsupported}/{self.stored})  "
            f"stale@{PROBE_K} {self.stale_rate:.3f} ({self.stale_facts}/{self.probes}; "
            f"with raw messages {self.stale_items})  "
            f"grounding-dropped {self.drop_rate:.3f} ({self.dropped}/{self.model_facts}; "
            f"replaced by rules {self.replaced})  "
            f"add p50 {percentile(self.add_seconds, 50):.2f}s "
            f"p95 {percentile(self.add_seconds, 95):.2f}s  failed adds {self.errors}"
        )


@dataclass
class Observed:
    """What one played conversation left in memory, as the scoring sees it."""

    stored: list[tuple[str, str]]  # (current fact, the text of its source messages)
    ever: list[str]  # every text an ADD or UPDATE wrote
    shown: dict[str, list[tuple[str, str]]]  # probing question -> top-k (kind, text)


def score_conversation(scores: SetScores, conv: dict[str, Any], seen: Observed) -> None:
    """Add one conversation's outcome to ``scores`` (everything but repeats and latency)."""
    cid = conv["id"]
    scores.conversations += 1
    stored = [text for text, _ in seen.stored]
    gold = [*conv["current"], *(f for a in conv["adds"] for f in a["facts"])]
    for text, source in seen.stored:
        scores.stored += 1
        wrong = any(fact_matches(g, text) for g in conv["gone"]) or any(
            must_not_matches(m, text) for m in conv["must_not"])
        if not wrong and any(fact_matches(g, text) for g in gold):
            scores.correct += 1
        else:
            scores.failures.append(f"{cid}: not gold: {text!r}")
        if not supported(text, source):
            scores.unsupported += 1
            scores.failures.append(f"{cid}: UNSUPPORTED {text!r}")
    for fact in conv["current"]:
        scores.gold += 1
        hit = any(fact_matches(fact, s) for s in stored)
        scores.recalled += hit
        if not hit:
            scores.failures.append(f"{cid}: missed {fact!r} in {stored}")
    for fact in conv["gone"]:
        scores.contradictions += 1
        once = any(fact_matches(fact, s) for s in seen.ever)
        still = [s for s in stored if fact_matches(fact, s)]
        scores.old_stored += once
        scores.superseded += once and not still
        if not once:
            scores.failures.append(f"{cid}: never stored {fact!r}, so not superseded")
        elif still:
            scores.failures.append(f"{cid}: not superseded {fact!r}: {still}")
    for fact in conv["must_not"]:
        hits = [s for s in stored if must_not_matches(fact, s)]
        scores.must_not_hits += bool(hits)
        if hits:
            scores.failures.append(f"{cid}: INVENTED {fact!r}: {hits}")
    for fact, question in conv.get("probes", {}).items():
        top = seen.shown.get(question, [])
        scores.probes += 1
        stale = [t for kind, t in top if fact_matches(fact, t)]
        scores.stale_items += bool(stale)
        if any(kind == "fact" and fact_matches(fact, t) for kind, t in top):
            scores.stale_facts += 1
            scores.failures.append(f"{cid}: STALE in top {PROBE_K} for {question!r}: {stale}")


def _play(memory: Memory, conv: dict[str, Any], uid: str, scores: SetScores) -> list[str]:
    """Add every turn of ``conv``, counting repeats, latency and grounding; returns the texts
    written."""
    ever: list[str] = []
    for add in conv["adds"]:
        start = time.perf_counter()
        try:
            when = add.get("date", DEFAULT_DATE)
            events = memory.add(add["messages"], user_id=uid, timestamp=when)
        except LocalmemError as exc:  # counted: the add's facts are then missing
            scores.errors += 1
            scores.failures.append(f"{conv['id']}: add failed: {exc}")
            continue
        scores.add_seconds.append(time.perf_counter() - start)
        report = memory.last_extraction
        scores.dropped += len(report.dropped)
        scores.model_facts += (len(report.dropped) + len(report.partial)  # all the model said
                           + sum(f.origin == "model" for f in report.facts))
        scores.replaced += len(getattr(report, "partial", []))
        ever += [e.text for e in events if e.event.value in ("ADD", "UPDATE")]
        if add.get("none"):
            scores.repeats += 1
            changed = [e.text for e in events if e.event.value != "NONE"]
            scores.repeats_ok += not changed
            if changed:
                scores.failures.append(f"{conv['id']}: repeat changed {changed}")
    return ever


def run_set(memory: Memory, conversations: list[dict[str, Any]]) -> SetScores:
    """Play every conversation into ``memory`` (one user id each) and score what is stored."""
    scores = SetScores()
    for conv in conversations:
        uid = f"set-{conv['id']}"
        ever = _play(memory, conv, uid, scores)
        items = memory.get_all(user_id=uid, limit=1000)
        stored = [
            (item.text, "\n".join(memory.get(-m).text for m in item.source_message_ids))
            for item in items
        ]
        shown = {
            q: [(i.kind, i.text) for i in memory.search(q, user_id=uid, limit=PROBE_K)]
            for q in conv.get("probes", {}).values()
        }
        score_conversation(scores, conv, Observed(stored, ever, shown))
    return scores


def percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
