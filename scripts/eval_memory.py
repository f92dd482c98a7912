"""Measure memory quality: REALTALK retrieval vs the raw-turn baseline, and the hand-written set.

    python scripts/eval_memory.py ../shared/data/realtalk --quick
    python scripts/eval_memory.py ../shared/data/realtalk --model fake --mode both   # rules only
    python scripts/eval_memory.py ../shared/data/realtalk --mode set --model fake --split heldout
    python scripts/eval_memory.py ../shared/data/realtalk --mode both --model fake --chats tune \
        --cache /tmp/realtalk-stores   # iterate on retrieval: ingest once, ask again and again

REALTALK chats are split for good (scripts/realtalk.py): tune rules and weights on ``--chats
tune`` (1 3 5 7 9), only measure on ``heldout`` (2 4 6 8 10); a run over both halves also prints
each half's answer recall.

REALTALK (per category and overall): answer-token recall@k (the gold answer's content words,
speaker names left out, found in the retrieved texts and their observation dates), evidence
recall@k (evidence dia_ids covered by the retrieved items' provenance), context words per
question, the share of model facts dropped by grounding, and add latency p50/p95. ``raw`` is the
baseline (every turn stored verbatim, ``infer=False``); ``facts`` is ``infer=True`` at the same k;
``facts max_words=N`` is ``infer=True`` with a ``search(max_words=N)`` budget, N the largest that
keeps its context words within raw's @k. Two upper bounds come with raw: ``oracle:evidence``
returns exactly each question's evidence turns, ``oracle:evidence+fill`` adds raw's ranked turns
up to raw's words @k. The last line compares the target (raw + 0.15) with both.

The hand-written set (scripts/eval_data/set_tune.json and set_heldout.json, scored by
scripts/eval_set.py, figures per split): precision, recall, updates superseded, repeats unchanged,
invented (must_not facts stored per conversation), unsupported (stored facts not in their source
messages), stale@3 (superseded facts in the top 3 for their probing question), model facts dropped
by grounding, add p50/p95; once with the model, once with a perfect extractor (the gold facts).
Nothing here is sent anywhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realtalk import (  # noqa: E402
    SPLITS as SPLIT_CHATS, Chat, QueryCache, answer_words, date_words, load_chats, parse_evidence, store_key,
    turn_messages,
)
from eval_rerank import RerankLLM  # noqa: E402
from eval_set import (  # noqa: E402  (re-exported: tests load the harness from this file)
    HALVES, SET_PATH, SPLITS, Observed, SetScores, describe, fact_matches, load_set, load_slots,
    must_not_matches, perfect_llm, percentile, run_set, score_conversation, supported, user_text,
)

from localmem import Memory  # noqa: E402
from localmem.backends.embeddings import Embedder  # noqa: E402
from localmem.backends.llm import LLM, make_llm  # noqa: E402
from localmem.config import LLMConfig, MemoryConfig  # noqa: E402
from localmem.engine.textutil import content_words, words  # noqa: E402
from localmem.errors import LocalmemError  # noqa: E402
from localmem.types import MemoryItem  # noqa: E402

__all__ = [
    "SET_PATH", "SPLITS", "load_set", "describe", "fact_matches", "must_not_matches", "supported",
    "user_text", "SetScores", "Observed", "score_conversation", "run_set", "perfect_llm",
    "load_chats", "parse_evidence", "run_realtalk", "chat_store", "ModeResult",
]

@dataclass
class ModeResult:
    add_seconds: list[float] = field(default_factory=list)
    model_facts: int = 0
    dropped: int = 0
    stored: int = 0
    failed: int = 0
    per_cat: dict[str, list[tuple[float, float | None, int]]] = field(default_factory=lambda: defaultdict(list))
    per_chat: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # answers


def _ingest(memory: Memory, chat: Chat, infer: bool, result: ModeResult) -> None:
    for i, turn in enumerate(chat.turns):
        start = time.perf_counter()
        said = turn_messages(chat.turns, i) if infer else turn["text"]  # raw: each turn verbatim
        try:
            memory.add(said, user_id=turn["speaker"], run_id=chat.id, infer=infer,
                       metadata={"dia_id": turn["dia_id"]}, timestamp=turn["when"])
        except LocalmemError as exc:  # counted and shown: the turn is then missing
            result.failed += 1
            print(f"  add of {turn['dia_id']} failed: {exc}", file=sys.stderr)
            continue
        result.add_seconds.append(time.perf_counter() - start)
        if infer:
            report = memory.last_extraction
            result.dropped += len(report.dropped)
            result.model_facts += (len(report.dropped) + len(report.partial)  # all the model said
                               + sum(f.origin == "model" for f in report.facts))
    for speaker in chat.speakers:
        result.stored += len(memory.get_all(user_id=speaker, run_id=chat.id, limit=100000))


def _shown(when: datetime | None, text: str) -> str:
    """What a question's context holds for one item: its observation date, then its text."""
    return f"{date_words(when.strftime('%d.%m.%Y')) if when else ''}: {text}"


def _pack(items: list[MemoryItem], budget: int) -> list[MemoryItem]:
    """``Memory.search``'s ``max_words`` rule over both speakers' results merged by score."""
    out = []
    for item in items:
        size = len(item.text.split())
        if size <= budget:
            out.append(item)
            budget -= size
    return out


def _hits(memory: Memory, chat: Chat, question: str, k: int,
          max_words: int | None = None, rerank: bool = False) -> list[MemoryItem]:
    """Both speakers' results merged by score: the top ``k``, or packed into ``max_words``.

    With ``rerank`` each speaker's search is reranked by the model (a reranked item takes the
    score of its new place, so the merge keeps each speaker's new order)."""
    limit = k if max_words is None else 200
    hits = sorted(
        (item for speaker in chat.speakers
         for item in memory.search(question, user_id=speaker, run_id=chat.id, limit=limit,
                                   max_words=max_words, rerank=rerank)),
        key=lambda i: -(i.score or 0.0),
    )
    return hits[:k] if max_words is None else _pack(hits, max_words)


def _score(q: dict[str, Any], chat: Chat, texts: list[str], provenance: set[str],
           result: ModeResult) -> None:
    found = set(content_words(" ".join(texts)))
    gold = answer_words(q["answer"], chat.speakers)
    answer_recall = len(gold & found) / len(gold) if gold else 1.0
    evidence = set(q["evidence"])
    evidence_recall = len(evidence & provenance) / len(evidence) if evidence else None
    context = sum(len(words(t)) for t in texts)
    result.per_cat[str(q["category"])].append((answer_recall, evidence_recall, context))
    result.per_chat[chat.id].append(answer_recall)


def _ask(memory: Memory, chat: Chat, k: int, result: ModeResult,
         max_words: int | None = None, rerank: bool = False) -> None:
    """Ask every question of the chat: the top ``k`` items, or the ``max_words`` budget."""
    dia: dict[int, str] = {}

    def dia_of(message_id: int) -> str:
        if message_id not in dia:
            dia[message_id] = memory.get(-message_id).metadata.get("dia_id", "")
        return dia[message_id]

    for q in chat.qa:
        hits = _hits(memory, chat, q["question"], k, max_words, rerank)
        texts = [_shown(i.observed_at, i.text) for i in hits]
        provenance = {dia_of(m) for i in hits for m in i.source_message_ids}
        _score(q, chat, texts, provenance, result)


def _ask_oracle(memory: Memory, chat: Chat, k: int, evidence_only: ModeResult,
                filled: ModeResult) -> None:
    """Upper bounds: a retriever that returns exactly the evidence turns, and one that returns
    them first and then fills up to the raw baseline's words @k with its ranked turns."""
    by_dia = {t["dia_id"]: t for t in chat.turns}
    for q in chat.qa:
        gold = [by_dia[e] for e in q["evidence"] if e in by_dia]
        texts = [_shown(t["when"], t["text"]) for t in gold]
        _score(q, chat, texts, {t["dia_id"] for t in gold}, evidence_only)
        hits = _hits(memory, chat, q["question"], k)
        budget = sum(len(words(_shown(i.observed_at, i.text))) for i in hits)
        used = sum(len(words(t)) for t in texts)
        provenance = {t["dia_id"] for t in gold}
        for item in hits:
            text = _shown(item.observed_at, item.text)
            if text not in texts and used + len(words(text)) <= budget:
                texts.append(text)
                used += len(words(text))
                provenance.add(item.metadata.get("dia_id", ""))
        _score(q, chat, texts, provenance, filled)


def _backends(model: str, home: Path) -> tuple[LLM, Embedder]:
    """The model to test ('fake' = rules only) and the default embedder, loaded once."""
    config = MemoryConfig(llm=LLMConfig(provider="fake" if model == "fake" else "llama_cpp",
                                        model=None if model in ("default", "fake") else model))
    probe = Memory(config, path=home / "probe")
    return probe.llm, probe.embedder


def _memory(home: Path, llm: LLM, embedder: Embedder, prompt: str | None,
            leads: bool | None = None) -> Memory:
    """``leads``: whether the model's structured facts lead; None asks the catalog."""
    config = MemoryConfig(fact_extraction_prompt=prompt, llm=LLMConfig(model_leads=leads),
                          keep_chatter=KEEP_CHATTER[0])
    return Memory(config, path=home, llm=llm, embedder=embedder)


def _mean_context(result: ModeResult) -> float:
    return statistics.mean(v[2] for vals in result.per_cat.values() for v in vals)


def run_realtalk(chats: list[Chat], k: int, modes: list[str], llm: LLM, embedder: Embedder,
                 home: Path, prompt: str | None = None, leads: bool | None = None,
                 cache: Path | None = None, sessions: int | None = None) -> dict[str, ModeResult]:
    """Per mode: one store per chat (reused from ``cache`` when there), then every question.

    ``raw`` also gives the oracle rows; with ``raw`` and ``facts`` both, facts are asked a second
    time with a ``max_words`` budget set so that their context words stay within raw's @k.
    """
    results: dict[str, ModeResult] = {}
    embedder = QueryCache(embedder)  # each question is embedded once, however often asked
    for mode in modes:
        result = results.setdefault(mode, ModeResult())
        memories = {chat.id: chat_store(chat, mode, llm, embedder, home, prompt, leads, cache,
                                     sessions, result) for chat in chats}
        rerank = RERANK[0] and mode == "facts"  # raw stays the baseline it is measured against
        for chat in chats:
            _ask(memories[chat.id], chat, k, result, rerank=rerank)
            if mode == "raw":
                _ask_oracle(memories[chat.id], chat, k,
                            results.setdefault("oracle:evidence", ModeResult()),
                            results.setdefault("oracle:evidence+fill", ModeResult()))
        if mode == "facts" and "raw" in results:
            results.update(_ask_within(memories, chats, k, _mean_context(results["raw"]), rerank))
        for memory in memories.values():
            memory.close()
    return results


# How a facts store is fed (part of its cache key): each turn after the other speaker's turn.
_FEED = "turn after the other speaker's"
KEEP_CHATTER = [False]  # --keep-chatter: MemoryConfig.keep_chatter for every store made here
RERANK = [False]  # --rerank: facts searches reranked by the model (RerankLLM)
_INGEST_FIELDS = ("add_seconds", "model_facts", "dropped", "stored", "failed")


def chat_store(chat: Chat, mode: str, llm: LLM, embedder: Embedder, home: Path, prompt: str | None,
            leads: bool | None, cache: Path | None, sessions: int | None,
            result: ModeResult) -> Memory:
    """The chat's store for ``mode``: opened from the cache when complete, else ingested."""
    extractor = llm.extractor if isinstance(llm, RerankLLM) else llm  # the store's own model
    key = store_key(chat, sessions, mode,
                    str(getattr(extractor, "model_path", type(extractor).__name__)),
                    embedder.name, prompt, leads, _FEED if mode == "facts" else None,
                    "keep chatter" if KEEP_CHATTER[0] and mode == "facts" else None)
    folder = (cache or home) / key
    done = folder / "ingest.json"
    if cache is not None and done.exists():
        saved = json.loads(done.read_text(encoding="utf-8"))
        result.add_seconds += saved["add_seconds"]
        for name in _INGEST_FIELDS[1:]:
            setattr(result, name, getattr(result, name) + saved[name])
        return _memory(folder, llm, embedder, prompt, leads)
    if folder.exists():  # an ingest that did not finish: start again
        shutil.rmtree(folder)
    memory = _memory(folder, llm, embedder, prompt, leads)
    own = ModeResult()
    started = time.perf_counter()
    _ingest(memory, chat, mode == "facts", own)
    print(f"  [{mode}] {chat.id}: {len(chat.turns)} turns stored, "
          f"{time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    saved = {name: getattr(own, name) for name in _INGEST_FIELDS}
    done.write_text(json.dumps(saved), encoding="utf-8")
    result.add_seconds += own.add_seconds
    for name in _INGEST_FIELDS[1:]:
        setattr(result, name, getattr(result, name) + saved[name])
    return memory


def _ask_within(memories: dict[str, Memory], chats: list[Chat], k: int,
                words_cap: float, rerank: bool = False) -> dict[str, ModeResult]:
    """Facts asked with the largest ``max_words`` whose mean context stays within ``words_cap``."""
    budget = max(1, int(words_cap))
    for _ in range(6):
        result = ModeResult()
        for chat in chats:
            _ask(memories[chat.id], chat, k, result, max_words=budget, rerank=rerank)
        used = _mean_context(result)
        if used <= words_cap:
            return {f"facts max_words={budget}": result}
        budget = max(1, int(budget * words_cap / used) - 1)
    return {f"facts max_words={budget}": result}


def _overall(result: ModeResult) -> float:
    return statistics.mean(v[0] for vals in result.per_cat.values() for v in vals)


def _by_split(result: ModeResult) -> dict[str, float]:
    """Answer recall over the questions of each split's chats (those present)."""
    out = {}
    for name, numbers in SPLIT_CHATS.items():
        vals = [v for chat, vs in result.per_chat.items() if int(chat.split("_")[1]) in numbers
                for v in vs]
        if vals:
            out[name] = statistics.mean(vals)
    return out


def _print_realtalk(results: dict[str, ModeResult], k: int) -> None:
    print(f"\nREALTALK @k={k}  (answer-token recall / evidence recall / context words per question)")
    for mode, r in results.items():
        rows = dict(sorted(r.per_cat.items()))
        rows["all"] = [x for v in r.per_cat.values() for x in v]
        for cat, vals in rows.items():
            if not vals:
                continue
            ans, ev, ctx = (
                statistics.mean(v[i] for v in vals if v[i] is not None) for i in range(3)
            )
            print(f"  {mode:22s} cat {cat:3s} n={len(vals):4d}  answer {ans:.3f}  evidence {ev:.3f}"
                  f"  context {ctx:6.1f}")
        halves = _by_split(r)
        if len(halves) > 1:
            print(f"  {mode:22s} answer by split: "
                  + "  ".join(f"{name} {value:.3f}" for name, value in halves.items()))
        if r.add_seconds:
            drop = r.dropped / r.model_facts if r.model_facts else 0.0
            print(f"  {mode:22s} stored {r.stored}  adds {len(r.add_seconds)}  add p50 "
                  f"{percentile(r.add_seconds, 50):.3f}s p95 {percentile(r.add_seconds, 95):.3f}s  "
                  f"grounding-dropped {drop:.3f} ({r.dropped}/{r.model_facts})  "
                  f"failed adds {r.failed}")
    if "raw" in results:
        raw = results["raw"]
        within = [m for m, r in results.items()
                  if m.startswith("facts") and _mean_context(r) <= _mean_context(raw)]
        best = max(within, key=lambda m: _overall(results[m]), default=None)
        line = f"target (raw + 0.15): {_overall(raw) + 0.15:.3f}"
        if best:
            line += f"; facts within raw's words: {_overall(results[best]):.3f} ({best})"
        if "oracle:evidence+fill" in results:
            line += f"; oracle evidence+fill: {_overall(results['oracle:evidence+fill']):.3f}"
        print(line)


def _print_set(split: str, llm: LLM, embedder: Embedder, home: Path, prompt: str | None,
               failures: bool, leads: bool | None = None) -> None:
    """One split of the hand-written set, with the model and with a perfect extractor (which
    leads with the gold slots where the split has them)."""
    conversations = load_set(split)
    slots = load_slots(split)
    print(f"[{split}] {describe(conversations)}")
    for label, model, lead in [("set", llm, leads),
                               ("set/perfect-model", perfect_llm(conversations, slots),
                                slots is not None)]:
        memory = _memory(home / label.replace("/", "-"), model, embedder, prompt, lead)
        if label == "set":
            print(f"  model leads: {memory.pipeline.model_leads}")
        scores = run_set(memory, conversations)
        print(f"  {label:18s} {scores.line()}", flush=True)
        if failures:
            print("    " + "\n    ".join(scores.failures))
        memory.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the realtalk folder (../shared/data/realtalk)")
    parser.add_argument("--quick", action="store_true", help="1 chat, 5 sessions")
    parser.add_argument("--chats", default=None,
                        help="tune (chats 1 3 5 7 9), heldout (2 4 6 8 10), all, the first N, "
                             "or chat numbers like 1,3 (default: all)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep each chat's ingested stores here and reuse them (retrieval "
                             "changes need no new ingest; the key follows the storing code)")
    parser.add_argument("--sessions", type=int, default=None, help="use the first N sessions")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--model", default="default",
                        help="catalog name or GGUF path; 'fake' = rules only (no model)")
    parser.add_argument("--mode", choices=["facts", "raw", "both", "set", "all"], default="all",
                        help="REALTALK modes to run (both = facts and raw), set = the hand-written set")
    parser.add_argument("--split", choices=["tune", "heldout", "both", *HALVES], default="both",
                        help="which part of the hand-written set to score (figures per split); "
                        "tune-a / tune-b: the tuning split's halves")
    parser.add_argument("--failures", action="store_true", help="list the set's failures")
    parser.add_argument("--prompt", type=Path, help="a file with an extraction prompt to try")
    parser.add_argument("--leads", choices=["catalog", "model", "rules"], default="catalog",
                        help="whether the model's structured facts lead (default: the catalog's)")
    parser.add_argument("--keep-chatter", action="store_true",
                        help="store chatter clauses as memories too (MemoryConfig.keep_chatter)")
    parser.add_argument("--rerank", metavar="MODEL", default=None,
                        help="rerank the facts searches with this model ('default' = SmolLM2, "
                             "or a catalog name or GGUF path); raw stays unreranked")
    args = parser.parse_args(argv)
    KEEP_CHATTER[0] = args.keep_chatter
    RERANK[0] = args.rerank is not None
    leads = {"catalog": None, "model": True, "rules": False}[args.leads]
    chats_n, sessions_n = ("1", 5) if args.quick else (None, None)
    chats_n, sessions_n = args.chats or chats_n, args.sessions or sessions_n
    with tempfile.TemporaryDirectory(prefix="localmem-eval-") as tmp:
        home = Path(tmp)
        llm, embedder = _backends(args.model, home)
        if args.rerank is not None:
            llm = RerankLLM(llm, make_llm(LLMConfig(
                model=None if args.rerank == "default" else args.rerank)))
        prompt = args.prompt.read_text(encoding="utf-8") if args.prompt else None
        print(f"model: {args.model}")
        if args.mode in ("set", "all"):
            splits = list(SPLITS) if args.split == "both" else [args.split]
            for split in splits:
                _print_set(split, llm, embedder, home / split, prompt, args.failures, leads)
        if args.mode != "set":
            modes = {"facts": ["facts"], "raw": ["raw"]}.get(args.mode, ["raw", "facts"])
            chats = load_chats(args.data_dir, chats_n, sessions_n)
            print(f"chats {len(chats)}  turns {sum(len(c.turns) for c in chats)}  "
                  f"questions {sum(len(c.qa) for c in chats)}")
            results = run_realtalk(chats, args.k, modes, llm, embedder, home, prompt, leads,
                                   args.cache, sessions_n)
            _print_realtalk(results, args.k)
        if isinstance(llm, RerankLLM):
            print(llm.summary())


if __name__ == "__main__":
    main()
