"""How well a slot namer names the slots of gold fact texts (tuning split only).

The gold facts of ``set_tune.json`` with their hand-written slots (``set_tune_slots.json``:
subject / attribute / single / change) are given, text and message, to each namer:

- ``rules``: today's rules and attribute prototypes, as for a rules-led fact
  (``facts.annotate``, then ``attributes.Prototypes`` where no pattern named an attribute: the
  nearest prototypes' vote, else the attribute classifier of ``engine/namer.py``);
- ``knn``: the same without the classifier (the nearest prototypes' vote alone);
- ``model``: a GGUF model asked for the attribute under a grammar (``engine/slots.py``), one
  call per fact, the facts of a message in turn; the instruction part of its prompt is a fixed
  prefix, so llama.cpp's saved prefix state is reused (subject and change: the rules');
- ``fill``: the rules, and the model asked only about the facts they named no attribute;
- with ``rules`` and ``model`` both run, their combinations (the rules' pattern, else the
  model; the model, else the rules; the rules, else the model).

Printed: attribute accuracy (exact key, "" = none), the same on facts whose gold attribute is
single-valued, change accuracy, subject accuracy (same person, ``subjects_match``) and ms per
fact. The rules are tuned on these very texts, so their figures are optimistic; the model's
are not.

    python scripts/eval_slots.py --model /work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
    python scripts/eval_slots.py --namers rules            # the rules only, no model
    python scripts/eval_slots.py --namers knn,rules --no-context  # without / with the classifier
    python scripts/eval_slots.py --pipeline [--model PATH]  # the whole split, rules-led
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from eval_set import load_set, load_slots, user_text  # noqa: E402

from localmem.engine.attributes import (  # noqa: E402
    Prototypes, is_single, rule_attribute, subjects_match,
)
from localmem.engine.facts import Fact, annotate  # noqa: E402

Slot = dict[str, Any]


def gold_items(split: str = "tune") -> list[tuple[str, str, Slot]]:
    """(fact text, the message it was said in, its gold slot) for each gold fact of an add."""
    slots = load_slots(split) or {}
    items, seen = [], set()
    for conv in load_set(split):
        for add in conv["adds"]:
            source = user_text(add["messages"])
            for text in add["facts"]:
                if text in slots and (text, source) not in seen:
                    seen.add((text, source))
                    items.append((text, source, slots[text]))
    return items


def rules_namer(embedder: Any, classifier: bool = True) -> Any:
    """Today's rules: annotate as for a rules-led fact, then the prototypes' vote (and, with
    ``classifier``, the attribute classifier where the vote names nothing)."""
    prototypes = Prototypes(embedder) if classifier else Prototypes(embedder, confident=2.0)

    def name(batch: list[tuple[str, str]]) -> list[Slot]:
        facts = []
        for text, source in batch:
            fact = Fact(text, [0], "rule")
            annotate(fact, source, leads=False)
            facts.append(fact)
        unknown = [f for f in facts if f.attribute is None]
        for fact, key in zip(unknown, prototypes.name([f.text for f in unknown])):
            fact.attribute = key or ""
            fact.single = is_single(key)
        return [{"subject": f.subject, "attribute": f.attribute or "", "change": f.change,
                 "pattern": rule_attribute(f.text) or ""} for f in facts]

    return name


def model_namer(llm: Any, context: bool, rules: Any) -> Any:
    """The model's attribute; subject and change stay the rules' (the model is asked for the
    attribute only: ``engine/slots.py``)."""
    from localmem.engine.slots import name_slots

    def name(batch: list[tuple[str, str]]) -> list[Slot]:
        keys = name_slots(llm, [t for t, _ in batch], batch[0][1] if context else None)
        return [{**r, "attribute": k} for r, k in zip(rules(batch), keys)]

    return name


def fill_namer(llm: Any, context: bool, rules: Any) -> Any:
    """The rules, and the model's attribute only where they named none: the model is asked
    about those facts alone."""
    from localmem.engine.slots import name_slots

    def name(batch: list[tuple[str, str]]) -> list[Slot]:
        got = rules(batch)
        gaps = [i for i, slot in enumerate(got) if not slot["attribute"]]
        if gaps:
            keys = name_slots(llm, [batch[i][0] for i in gaps], batch[0][1] if context else None)
            for i, key in zip(gaps, keys):
                got[i] = {**got[i], "attribute": key}
        return got

    return name


def pipeline_scores(model: str | None) -> Any:
    """The tuning split played through the rules-led pipeline (``FakeLLM``: extraction and
    decisions by the rules), the model (a GGUF path) asked only for the slots nothing else
    named; None: no model at all. Returns ``eval_set.SetScores``."""
    import tempfile

    from eval_set import run_set

    from localmem import Memory
    from localmem.backends.llm import FakeLLM
    from localmem.engine.slots import SlotAnswer

    slots = None
    if model:
        from localmem.backends.llama_cpp import LlamaCppLLM

        slots = LlamaCppLLM(Path(model))
    rules = FakeLLM()

    def respond(prompt: str, schema: type) -> dict[str, Any]:
        return (slots if schema is SlotAnswer and slots else rules).complete_json(prompt, schema)

    with tempfile.TemporaryDirectory() as home:
        memory = Memory(path=Path(home) / "store", llm=FakeLLM(respond))
        memory.pipeline.model_slots = slots is not None
        try:
            return run_set(memory, load_set("tune"))
        finally:
            memory.close()


def run(namer: Any, items: list[tuple[str, str, Slot]]) -> tuple[list[Slot], float]:
    """The namer's slots for every item, asked one message at a time; seconds in all."""
    out: list[Slot] = [{}] * len(items)
    groups: dict[str, list[int]] = {}
    for i, (_, source, _) in enumerate(items):
        groups.setdefault(source, []).append(i)
    start = time.perf_counter()
    for n, idx in enumerate(groups.values()):
        for i, slot in zip(idx, namer([(items[i][0], items[i][1]) for i in idx])):
            out[i] = slot
        if n % 25 == 24:
            print(f"  .. {n + 1}/{len(groups)} messages", file=sys.stderr, flush=True)
    return out, time.perf_counter() - start


def combine(first: list[Slot], second: list[Slot], key: str = "attribute") -> list[Slot]:
    """``first``'s slots, with ``second``'s attribute where ``first`` named none."""
    return [{**a, key: a[key] or b[key]} for a, b in zip(first, second)]


def score(preds: list[Slot], items: list[tuple[str, str, Slot]]) -> dict[str, float]:
    n = len(items)
    single = [i for i, (_, _, g) in enumerate(items) if g["single"]]
    attr = [preds[i]["attribute"] == g["attribute"] for i, (_, _, g) in enumerate(items)]
    return {
        "attribute": sum(attr) / n,
        "single": sum(attr[i] for i in single) / max(1, len(single)),
        "change": sum(p["change"] == g["change"] for p, (_, _, g) in zip(preds, items)) / n,
        "subject": sum(subjects_match(p["subject"], g["subject"])
                       for p, (_, _, g) in zip(preds, items)) / n,
    }


def _mistakes(preds: list[Slot], items: list[tuple[str, str, Slot]], limit: int) -> None:
    shown = 0
    for p, (text, _, g) in zip(preds, items):
        if p["attribute"] != g["attribute"] and shown < limit:
            print(f"  {text!r}: gold {g['attribute']!r}, got {p['attribute']!r}")
            shown += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a GGUF file for the model namer")
    parser.add_argument("--namers", default="rules,model",
                        help="any of rules, knn (rules without the classifier), model, fill "
                             "(the model only where the rules name none)")
    parser.add_argument("--no-context", action="store_true", help="do not show the message")
    parser.add_argument("--limit", type=int, default=0, help="only the first N facts")
    parser.add_argument("--mistakes", type=int, default=0, help="list N attribute mistakes each")
    parser.add_argument("--save", help="write every namer's slots to this JSON file")
    parser.add_argument("--pipeline", action="store_true",
                        help="play the split through the rules-led pipeline instead, the model "
                             "naming only the slots nothing else named (without --model: none)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.pipeline:
        print(f"[tune, rules, slots by {args.model or 'nobody'}] "
              f"{pipeline_scores(args.model).line()}")
        return
    items = gold_items("tune")[: args.limit or None]
    print(f"{len(items)} gold facts of the tuning split, "
          f"{sum(g['single'] for *_, g in items)} single-valued")
    namers = args.namers.split(",")
    results: dict[str, tuple[list[Slot], float]] = {}
    from localmem.backends.embeddings import make_embedder
    from localmem.config import EmbedderConfig

    embedder = make_embedder(EmbedderConfig())
    rules = rules_namer(embedder)
    if "knn" in namers:
        results["knn"] = run(rules_namer(embedder, classifier=False), items)
    if "rules" in namers:
        results["rules"] = run(rules, items)
    if {"model", "fill"} & set(namers):
        from localmem.backends.llama_cpp import LlamaCppLLM

        llm = LlamaCppLLM(Path(args.model))
        context = not args.no_context
        if "model" in namers:
            results["model"] = run(model_namer(llm, context, rules), items)
        if "fill" in namers:
            results["rules, model where none"] = run(fill_namer(llm, context, rules), items)
    if "rules" in results and "model" in results:
        by_rules, by_model = results["rules"][0], results["model"][0]
        pattern_first = [{**m, "attribute": r["pattern"] or m["attribute"]}
                         for r, m in zip(by_rules, by_model)]
        results["rules pattern, else model"] = (pattern_first, 0.0)
        results["model, else rules"] = (combine(by_model, by_rules), 0.0)
        results["rules, else model"] = (combine(by_rules, by_model), 0.0)
    table(results, items, args.mistakes)
    if args.save:
        Path(args.save).write_text(json.dumps({k: v[0] for k, v in results.items()}, indent=1))


def table(results: dict[str, tuple[list[Slot], float]], items: list[tuple[str, str, Slot]],
          mistakes: int) -> None:
    print(f"{'namer':<28} {'attribute':>9} {'single':>7} {'change':>7} {'subject':>8} "
          f"{'ms/fact':>8}")
    for name, (preds, seconds) in results.items():
        s = score(preds, items)
        ms = f"{1000 * seconds / len(items):8.0f}" if seconds else f"{'-':>8}"
        print(f"{name:<28} {s['attribute']:9.3f} {s['single']:7.3f} {s['change']:7.3f} "
              f"{s['subject']:8.3f} {ms}")
        if mistakes:
            _mistakes(preds, items, mistakes)

if __name__ == "__main__":
    main()
