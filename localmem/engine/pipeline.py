"""add(infer=True): extract -> ground -> annotate -> decide. Returns a plan; memory.py applies it.

The model is asked once per add for facts (grammar-constrained JSON). Its facts must be grounded
in the user's words; clauses it missed are rewritten deterministically, so a weak model loses
nothing; where the rules lead, a model fact is kept only where it fills a gap they left
(``gaps.py``). Each fact gets a subject ("user", "sister ana"), an attribute key (job, home,
pet, ...) and a change ("new", "changed", "ended"): from the model where it leads
(``model_leads``; a catalog setting per model, measured), else from rules and attribute
prototypes.

Decisions look first at the stored facts of the same subject and attribute (``related``): a new
value of a single-valued attribute supersedes the current one (UPDATE: history keeps the old
text), an ending ends what it names (DELETE, its reason in history, and the ending itself is
kept as a fact), a repeated value is NONE. Then flipped negations and changed preferences, then
similarity: near-duplicates are NONE, nothing similar is ADD, and only ambiguous cases go to the
model, which sees small integer ids, never real ones; an id it was not offered is rejected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.backends.llm import LLM
from localmem.engine.attributes import (
    Prototypes, is_ending, is_single, rule_attribute, split_subject, statement_vectors,
    subjects_match,
)
from localmem.engine.decisions import (
    Candidate, Verdict, corrected_target, partner_facts, rule_verdicts, shared_slot, slot_of,
)
from localmem.engine.clauses import message_clauses
from localmem.engine.extract import (
    correction, has_negation, is_grounded, resolve_dates, rewrite_clause,
    third_person_lead,
)
from localmem.engine.facts import (
    Fact, annotate, best_clause, covers, derived_facts, known_subject, stored_form, touches,
    with_subject,
)
from localmem.engine.gaps import fills_gap, model_fills_gap
from localmem.engine.prompts import (
    FACT_EXTRACTION_PROMPT, STRUCTURED_EXTRACTION_PROMPT, UPDATE_MEMORY_PROMPT, ExtractedFacts,
    MemoryDecision, StructuredFacts,
)
from localmem.engine.slots import catalog_slots, fill_attributes
from localmem.engine.textutil import content_words, normalize, text_hash
from localmem.engine.worth import Worth
from localmem.errors import ModelError
from localmem.types import Action

__all__ = ["Pipeline", "Fact", "PlannedChange", "Candidate", "ExtractionReport", "catalog_leads"]

log = logging.getLogger("localmem")

NEAR_DUPLICATE = 0.95  # cosine at or above which a fact is the memory it resembles
AMBIGUOUS_MIN = 0.55  # below this no stored memory is close enough to ask the model about
CANDIDATES = 5

Similar = Callable[[np.ndarray, int], list[Candidate]]
ByHash = Callable[[str], "Candidate | None"]
Related = Callable[[str | None, str, np.ndarray], list[Candidate]]


@dataclass
class PlannedChange:
    event: Action
    text: str
    embedding: np.ndarray | None
    memory_id: int | None = None  # the memory updated / deleted / matched
    previous_text: str | None = None
    source_ids: list[int] = field(default_factory=list)
    reason: str = ""
    subject: str | None = None  # what the stored memory is about (ADD / UPDATE)
    attribute: str | None = None
    ends: list[int] = field(default_factory=list)  # an ADD that ends these stored memories


@dataclass
class ExtractionReport:
    facts: list[Fact] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # model facts not grounded in the messages
    partial: list[str] = field(default_factory=list)  # grounded, set aside: the rules decide
    model_error: str | None = None


def catalog_leads(llm: LLM) -> bool:
    """Whether the catalog says this model's extraction leads (``leads="model"``); else False."""
    from localmem.models.catalog import entry_for_llm

    return getattr(entry_for_llm(llm), "leads", "rules") == "model"


class Pipeline:
    """Turns messages into a plan of memory changes.

    ``model_leads``: True lets the model's structured facts lead (rules check grounding and fill
    gaps); False lets the rules lead (the model only proposes fact texts); None asks the catalog.
    ``keep_chatter``: True makes every candidate fact a memory (no ``Worth`` check).
    ``model_slots``: True lets the model name attributes nothing else named; None: the catalog.
    """

    def __init__(
        self,
        llm: LLM,
        embedder: Embedder,
        extraction_prompt: str | None = None,
        update_prompt: str | None = None,
        model_leads: bool | None = None,
        keep_chatter: bool = False,
        model_slots: bool | None = None,
    ) -> None:
        self.llm = llm
        self.embedder = embedder
        self.model_leads = catalog_leads(llm) if model_leads is None else model_leads
        default = STRUCTURED_EXTRACTION_PROMPT if self.model_leads else FACT_EXTRACTION_PROMPT
        self.extraction_prompt = extraction_prompt or default
        self.update_prompt = update_prompt or UPDATE_MEMORY_PROMPT
        self.prototypes = Prototypes(embedder)
        self.worth = None if keep_chatter else Worth(embedder)
        self.model_slots = catalog_slots(llm) if model_slots is None else model_slots

    # -- extraction --

    def extract(
        self,
        user_messages: Sequence[tuple[int, str]],
        observed: date | None = None,
        prompt: str | None = None,
    ) -> ExtractionReport:
        """Grounded, annotated facts from (message id, text) pairs of the user's messages."""
        report = ExtractionReport()
        if not user_messages:
            return report
        source = "\n".join(text for _, text in user_messages)
        fixes = {mid: fix for mid, text in user_messages if (fix := correction(text))}
        told = [(mid, text) for mid, text in user_messages if mid not in fixes]
        drawn = {(told[i][0], c): [told[j][0] for j in js]  # read in order: a "she" may point
                 for i, said in enumerate(message_clauses([t for _, t in told]))  # into an
                 for c, js in said}  # earlier message; the fact's sources are all it draws on
        clauses = list(drawn)
        kept = self._model_facts(source, observed, prompt, report)
        if not self.model_leads:  # the rules say what their clauses say; the model fills gaps
            ruled = [c for _, c in clauses]  # gaps.py: what fills a gap the rules left
            report.partial = [t for t, _ in kept if any(touches(t, c) for c in ruled)
                              or not model_fills_gap(t, source, ruled)]
            kept = [(t, got) for t, got in kept if t not in report.partial]
        facts = [Fact(text, self._sources(text, user_messages), "model", fields=got)
                 for text, got in kept]
        for msg_id, clause in clauses:
            if any(covers(text, clause) or touches(text, clause) for text, _ in kept):
                continue
            rewritten = rewrite_clause(clause)
            if not self.model_leads or fills_gap(rewritten, report.model_error is None):
                facts.append(Fact(rewritten, drawn[msg_id, clause], "rule"))
        for mid, (right, wrong) in fixes.items():  # "*Mochi, not Mocha": fixes a stored name
            said = f"It's {right}" + (f", not {wrong}" if wrong else "")  # if nothing to fix
            facts.append(Fact(said, [mid], "rule", attribute="", change="corrected",
                              fields={"right": right, "wrong": wrong}))
        for fact in list(facts):
            for text, attribute, event in derived_facts(fact.text):
                facts.append(Fact(text, fact.source_ids, fact.origin, attribute=attribute))
                if event:
                    fact.attribute = ""  # "Moved to X" is an event; "Lives in X" the value
        seen: set[str] = set()
        for fact in facts:
            fact.text = resolve_dates(fact.text, observed)
            key = text_hash(fact.text)
            if key not in seen and fact.text:
                seen.add(key)
                said = [c for _, c in clauses] if fact.origin == "model" else []
                if fact.change != "corrected":
                    annotate(fact, source, self.model_leads, best_clause(fact.text, said))
                report.facts.append(fact)
        return report

    def _model_facts(self, source: str, observed: date | None, prompt: str | None,
                     report: ExtractionReport) -> list[tuple[str, dict]]:
        """The model's grounded facts in stored form, each with its structured answer."""
        schema = StructuredFacts if self.model_leads else ExtractedFacts
        try:
            template = prompt or self.extraction_prompt
            answer = self.llm.complete_json(
                template.format(messages=source, today=(observed or date.today()).isoformat()),
                schema,
            )
        except ModelError as exc:
            # The raw messages are stored and the deterministic path still runs: warn, go on.
            report.model_error = str(exc)
            log.warning("fact extraction by the model failed, rules only: %s", exc)
            return []
        raw = [f if isinstance(f, dict) else {"text": f} for f in answer["facts"]]
        grounded: list[tuple[str, dict[str, Any]]] = []
        for got in raw:
            text = (got.get("text") or "").strip()
            if not text:
                continue
            if self.model_leads:
                text = with_subject(third_person_lead(text, source), got.get("subject"), source)
            form = stored_form(text) if is_grounded(text, source) else None
            if form is None:
                report.dropped.append(text)  # ungrounded, a bare word, or a model looping
            elif form not in [t for t, _ in grounded]:
                grounded.append((form, got))
        return grounded

    @staticmethod
    def _sources(fact: str, user_messages: Sequence[tuple[int, str]]) -> list[int]:
        """The message the fact comes from, and any other that holds a word of it."""
        words = set(content_words(fact))
        best = max(user_messages, key=lambda m: len(words & set(content_words(m[1]))))
        more = [m for m, text in user_messages if m != best[0] and words & set(content_words(text))]
        return [best[0], *more]

    # -- decisions --

    def decide(
        self,
        facts: Sequence[Fact],
        similar: Similar,
        by_hash: ByHash,
        related: Related | None = None,
    ) -> list[PlannedChange]:
        """Changes for the facts; ``similar`` / ``by_hash`` / ``related`` look at stored
        memories of the scope: ``related(attribute, text, vector)`` gives those with that
        attribute (None: none) and those sharing a keyword with the text."""
        unknown = [f for f in facts if f.attribute is None]
        voted = [f for f in facts if self.worth and self._judged(f) and self.worth.needs_vote(f)]
        # the prototypes and the worth vote compare the same predicate vectors: embed them once
        statements = statement_vectors(self.embedder, [f.text for f in [*unknown, *voted]])
        for fact, key in zip(unknown, self.prototypes.name([f.text for f in unknown], statements)):
            fact.attribute = key or ""
            fact.single = is_single(key)
        if self.model_slots:  # engine/slots.py: measured per model, recorded in the catalog
            fill_attributes(self.llm, [f for f in unknown if not f.attribute])
        facts = self._worth_keeping(facts, statements)
        if not facts:
            return []
        vectors = self.embedder.embed_many([f.text for f in facts])
        plan: list[PlannedChange] = []
        for fact, vector in zip(facts, vectors):
            pending = [
                Candidate(-(i + 1), p.text, float(np.dot(p.embedding, vector)), p.subject,
                          p.attribute)
                for i, p in enumerate(plan)
                if p.event is Action.ADD and p.embedding is not None
            ]
            ended = {i for p in plan for i in p.ends}
            for change in self._decide_one(fact, vector, similar, by_hash, related, pending, ended):
                _merge(plan, change)
        return plan

    def _judged(self, fact: Fact) -> bool:
        """Whether the worth check judges the fact: a leading model's own facts are its call."""
        return fact.origin == "rule" or not self.model_leads

    def _worth_keeping(self, facts: Sequence[Fact],
                       statements: dict[str, np.ndarray] | None = None) -> list[Fact]:
        """The facts worth a memory (``worth.Worth``); chatter stays in the raw messages only."""
        if self.worth is None:
            return list(facts)
        judged = [f for f in facts if self._judged(f)]
        verdicts = dict(zip(map(id, judged), self.worth.keeps(judged, statements)))
        return [f for f in facts if verdicts.get(id(f), True)]

    def _decide_one(
        self, fact: Fact, vector: np.ndarray, similar: Similar, by_hash: ByHash,
        related: Related | None, pending: list[Candidate], ended: set[int | None],
    ) -> list[PlannedChange]:
        def change(verdict: Verdict, text: str | None = None,
                   ends: Sequence[Candidate] = ()) -> PlannedChange:
            event, cand = verdict.event, verdict.candidate
            if event is Action.DELETE:  # the ending is kept as a fact; commit ends the old ones
                event, cand = Action.ADD, None
            return PlannedChange(
                event=event, text=text or fact.text,
                embedding=vector if event in (Action.ADD, Action.UPDATE) else None,
                memory_id=None if event is Action.ADD else cand.id if cand else None,
                previous_text=cand.text if cand and event is not Action.ADD else None,
                source_ids=list(fact.source_ids), reason=verdict.reason,
                subject=fact.subject, attribute=fact.attribute,
                ends=[c.id for c in ends if c.id > 0],  # not a fact of this same add
            )

        if fact.change == "corrected":
            fixed = corrected_target(fact.fields["right"], fact.fields["wrong"],
                                     similar(vector, 4 * CANDIDATES))
            if fixed:
                return [change(Verdict(Action.UPDATE, fixed[0], "corrects a name"), fixed[1])]
        same = by_hash(text_hash(fact.text))
        if same is not None:
            return [change(Verdict(Action.NONE, same, "same text is stored"))]
        near = [_annotated(c) for c in similar(vector, CANDIDATES) if c.id not in ended]
        found = [_annotated(c) for c in (related(fact.attribute or None, fact.text, vector)
                                          if related else []) if c.id not in ended]
        if known_subject(fact, [c.subject for c in [*found, *near]]):  # "Jake" is "brother jake"
            vector = self.embedder.embed_many([fact.text])[0]
            found += [_annotated(c) for c in (related(fact.attribute or None, fact.text, vector)
                                              if related and fact.attribute else [])
                      if c.id not in ended and c.id not in {f.id for f in found}]
        shared_slot(fact, [*found, *near], self.prototypes.lean, agree=self.prototypes.agreement)
        slot = slot_of(fact, [*found, *near])
        seen = {c.id for c in [*near, *slot]}
        by_word = [c for c in found if c.id not in seen]
        candidates = [*sorted([*near, *pending], key=lambda c: -c.score)[:CANDIDATES], *by_word]
        if any(normalize(c.text) == normalize(fact.text) for c in candidates):
            return [change(Verdict(Action.NONE, candidates[0], "same text is stored"))]
        mine = [c for c in candidates if subjects_match(fact.subject, c.subject)]
        if fact.change == "ended" and fact.attribute == "relationship":
            mine += partner_facts(fact.text, candidates)  # "Broke up with Theo" ends "Theo ..."
        told = [c for c in pending if c.attribute == fact.attribute and subjects_match(
            fact.subject, c.subject)] if fact.attribute else []
        verdicts = rule_verdicts(fact, slot, mine, told)
        if verdicts:  # the first decides; the rest are values it ends besides
            ends = [v.candidate for v in verdicts if v.event is Action.DELETE and v.candidate]
            return [change(verdicts[0], ends=ends)]
        if candidates and candidates[0].score >= NEAR_DUPLICATE:
            near_dup = Verdict(Action.NONE, candidates[0], "near-duplicate of a stored memory")
            return [change(near_dup)]
        ids = {c.id for c in slot}
        offered = [  # the slot's values first; never a fact of this add or of another attribute
            c for c in [*slot, *(c for c in mine if c.id not in ids)]
            if c.score >= AMBIGUOUS_MIN and c.id > 0
            and (not fact.attribute or not c.attribute or c.attribute == fact.attribute)
        ]
        if not offered:
            return [change(Verdict(Action.ADD, None, "new information"))]
        return self._ask_model(fact, offered[:CANDIDATES], change)

    def _ask_model(self, fact: Fact, offered: list[Candidate], change) -> list[PlannedChange]:
        listing = "\n".join(f"{i}: {c.text}" for i, c in enumerate(offered))
        try:
            answer = self.llm.complete_json(
                self.update_prompt.format(memories=listing, facts=fact.text, fact=fact.text),
                MemoryDecision,
            )
        except ModelError as exc:
            log.warning("the model could not decide on %r, kept as new: %s", fact.text, exc)
            return [change(Verdict(Action.ADD, None, "model failed; kept as new"))]
        event = Action(answer["event"])
        if event is Action.ADD:
            return [change(Verdict(Action.ADD, None, "model: new information"))]
        index = answer.get("id")
        if index is None or not 0 <= index < len(offered):
            reason = f"model chose id {index}, not offered; kept as new"
            return [change(Verdict(Action.ADD, None, reason))]
        cand = offered[index]
        if event is Action.NONE:
            return [change(Verdict(Action.NONE, cand, "model: already known"))]
        if event is Action.DELETE:
            if not (has_negation(fact.text) or is_ending(fact.text)):
                # a weak model deletes freely; an ending needs words that say so
                reason = "model deletion without an ending; kept as new"
                return [change(Verdict(Action.ADD, None, reason))]
            verdict = Verdict(Action.DELETE, cand, "model: ends the stored memory")
            return [change(verdict, ends=[cand])]
        text = (answer.get("text") or "").strip()
        source = f"{fact.text}\n{cand.text}"
        if not text or not is_grounded(text, source) or not covers(text, fact.text):
            text = fact.text  # the merged text must carry the new fact, not just the old one
        return [change(Verdict(Action.UPDATE, cand, "model: replaces the stored memory"), text)]


def _annotated(cand: Candidate) -> Candidate:
    """A candidate with a subject and attribute (read from its text where the store has none)."""
    if cand.subject is None:
        cand.subject = split_subject(cand.text)[0]
    if cand.attribute is None:
        cand.attribute = rule_attribute(cand.text)
    return cand


def _merge(plan: list[PlannedChange], change: PlannedChange) -> None:
    """Add ``change`` to the plan; a second change of one memory in one add: the later wins."""
    target = None
    if change.memory_id is not None and change.memory_id < 0:
        target = plan[-change.memory_id - 1]  # a fact planned earlier in this add
    elif change.event is not Action.ADD:
        target = next((p for p in plan if p.memory_id == change.memory_id
                       and p.event in (Action.UPDATE, Action.DELETE)), None)
    if target is None:
        plan.append(change)
    elif change.event is Action.UPDATE and target.event is Action.UPDATE:
        # A second new value of one memory in one add: both were said together, both stand.
        plan.append(PlannedChange(Action.ADD, change.text, change.embedding,
                                  source_ids=change.source_ids, reason=change.reason,
                                  subject=change.subject, attribute=change.attribute))
    elif change.event is Action.UPDATE and target.event is Action.ADD:
        target.text, target.embedding = change.text, change.embedding  # a fact of this add
        target.subject, target.attribute = change.subject, change.attribute
        target.source_ids = sorted({*target.source_ids, *change.source_ids})
