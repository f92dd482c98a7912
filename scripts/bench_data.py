"""What the bench scripts share: synthetic memories and queries, timing helpers, the table.

Synthetic rows: template texts, and for each row the MiniLM embedding of one of a pool of
distinct template sentences plus a little noise (renormalised), written straight through the
storage's ``Store``: the index sees real embedding geometry without embedding a million texts.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from localmem.backends.embeddings import Embedder
from localmem.engine.textutil import text_hash
from localmem.storage.connection import Connection
from localmem.storage.faiss_index import VectorIndex
from localmem.storage.store import MEMORIES, Store
from localmem.validate import now_iso

USERS = 1000
ALL_ROWS_AGENT = "assistant"  # every synthetic row has this agent_id: one scope owning all rows

# --- synthetic but realistic memories -----------------------------------------------------------

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
         "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vik"]
CITIES = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Austin", "Porto", "Oslo",
          "Seoul", "Denver", "Madrid", "Dublin", "Hanoi", "Krakow", "Quito", "Perth", "Milan"]
FOODS = ["sushi", "ramen", "tacos", "lasagna", "falafel", "pho", "curry", "dumplings", "paella",
         "pizza", "bibimbap", "croissants", "oatmeal", "burritos", "shakshuka", "gnocchi"]
HOBBIES = ["hiking", "bouldering", "chess", "pottery", "sailing", "birdwatching", "running",
           "painting", "knitting", "photography", "cycling", "gardening", "salsa dancing", "baking"]
JOBS = ["nurse", "data engineer", "teacher", "architect", "chef", "pilot", "pharmacist", "lawyer",
        "carpenter", "designer", "researcher", "accountant", "firefighter", "translator"]
PETS = ["a dog", "two cats", "a parrot", "a rabbit", "a tortoise", "three goldfish", "a hamster"]
LANGS = ["Portuguese", "Japanese", "German", "Spanish", "Korean", "Swahili", "Italian", "Polish"]
DAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "weekends"]
TEMPLATES = [
    "Likes {food} and eats it on {day}", "Lives in {city} with {pet}",
    "Works as a {job} in {city}", "Is allergic to {food}", "Goes {hobby} on {day}",
    "Is learning {lang} before a trip to {city}", "Sister {name} lives in {city}",
    "Prefers {food} over {food2} for dinner", "Has {pet} named {name}",
    "Used to work as a {job} before moving to {city}", "Wants to try {hobby} this year",
    "Meets {name} for {hobby} on {day}", "Birthday dinner is always {food} in {city}",
    "Is vegetarian but still eats {food} sometimes", "Plans to move from {city} to {city2}",
]
QUERIES = [
    "What food does the user like?", "Where does the user live?", "What is the user's job?",
    "Does the user have any pets?", "Which languages is the user learning?",
    "What does the user do on weekends?", "Is the user allergic to anything?",
    "Who is the user's sister?", "Where is the user planning to travel?",
    "What hobbies does the user have?", "What should I cook for the user tonight?",
    "When does the user go running?", "Has the user ever worked as a nurse?",
    "Which city is the user moving to?", "What is the name of the user's dog?",
]


def template_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct memory sentences from the templates."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < count:
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
        out[template.format(food=pick(FOODS), food2=pick(FOODS), city=pick(CITIES),
                            city2=pick(CITIES), job=pick(JOBS), pet=pick(PETS), hobby=pick(HOBBIES),
                            lang=pick(LANGS), day=pick(DAYS), name=pick(NAMES))] = None
    return list(out)


class SyntheticRows:
    """Rows for a synthetic store: template texts, noisy MiniLM vectors, 1,000 users."""

    def __init__(self, embedder: Embedder, pool: int, noise: float = 0.04, seed: int = 0) -> None:
        self.texts = template_sentences(pool, seed)
        self.vectors = embedder.embed_many(self.texts)
        self.noise = noise
        self.rng = np.random.default_rng(seed + 1)

    def vectors_for(self, picks: np.ndarray) -> np.ndarray:
        base = self.vectors[picks]
        noisy = base + self.rng.standard_normal(base.shape, dtype=np.float32) * self.noise
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)

    def insert(self, store: Store, start: int, count: int, chunk: int = 20_000) -> None:
        """Write rows ``start .. start+count`` straight into SQLite (FTS triggers included)."""
        ts = now_iso()
        for first in range(start, start + count, chunk):
            n = min(chunk, start + count - first)
            picks = self.rng.integers(len(self.texts), size=n)
            vectors = self.vectors_for(picks)
            rows = []
            for j in range(n):
                text = f"{self.texts[picks[j]]} (note {first + j})"
                rows.append({"text": text, "hash": text_hash(text),
                             "user_id": f"user-{(first + j) % USERS:04d}",
                             "agent_id": ALL_ROWS_AGENT, "run_id": None, "metadata": "{}",
                             "embedding": vectors[j].tobytes(), "created_at": ts,
                             "updated_at": ts, "observed_at": None})
            with store.changing():  # rows it does not name: the indexes rebuild on open
                store.insert_rows(MEMORIES, rows)


# --- timing helpers -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


@contextmanager
def stopwatch(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into.append(time.perf_counter() - start)


@contextmanager
def cpu_clock(into: list[float]) -> Iterator[None]:
    """Like ``stopwatch``, in this thread's CPU time: what a single-threaded call costs, near
    its wall time on an idle machine and much less moved by other processes' load."""
    start = time.thread_time()
    try:
        yield
    finally:
        into.append(time.thread_time() - start)


def timed(totals: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that adds its run time to ``totals[name]`` (instrumentation for breakdowns)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - start

    return wrapper


@contextmanager
def storage_timed(totals: dict[str, float]) -> Iterator[None]:
    """Time every SQLite statement ("sqlite") and FAISS call ("index"), in every instance.

    A statement runs in ``Connection.execute``, ``Connection._insert`` (one row) or inside
    ``Connection._guard`` (bulk inserts).
    """
    guard, execute, insert = Connection._guard, Connection.execute, Connection._insert

    @contextmanager
    def timed_guard(self: Connection) -> Iterator[None]:
        start = time.perf_counter()
        try:
            with guard(self):
                yield
        finally:
            totals["sqlite"] = totals.get("sqlite", 0.0) + time.perf_counter() - start

    names = ("add", "remove", "search", "save")
    saved = {name: getattr(VectorIndex, name) for name in names}
    Connection._guard = timed_guard  # type: ignore[method-assign]
    Connection.execute = timed(totals, "sqlite", execute)  # type: ignore[method-assign]
    Connection._insert = timed(totals, "sqlite", insert)  # type: ignore[method-assign]
    for name in names:
        setattr(VectorIndex, name, timed(totals, "index", saved[name]))
    try:
        yield
    finally:
        Connection._guard, Connection.execute = guard, execute  # type: ignore[method-assign]
        Connection._insert = insert  # type: ignore[method-assign]
        for name in names:
            setattr(VectorIndex, name, saved[name])


def median_of_runs(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure: the median over runs."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


class QueryVectors(Embedder):
    """An embedder that remembers its vectors: inside ``recalled()`` it hands them back."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner, self.dims = embedder, embedder.dims
        self.seen: dict[Any, np.ndarray] = {}
        self.recalling = False

    @property
    def name(self) -> str:
        return self.inner.name

    def embed_batch(self, texts: Any) -> np.ndarray:
        if self.recalling and all(t in self.seen for t in texts):
            return np.vstack([self.seen[t] for t in texts])
        vectors = self.inner.embed_batch(texts)
        self.seen.update(zip(texts, vectors))
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        """The inner embedder's query vector (what search uses), remembered like the others."""
        key = ("query", text)
        if not (self.recalling and key in self.seen):
            self.seen[key] = self.inner.embed_query(text)
        return self.seen[key]

    @contextmanager
    def recalled(self) -> Iterator[None]:
        self.recalling = True
        try:
            yield
        finally:
            self.recalling = False


def in_subprocess(code: str) -> tuple[dict[str, float], float]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object. Returns it and the wall."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"subprocess failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


# --- the table ----------------------------------------------------------------------------------


class Table:
    """Rows of (figure, value, target, verdict), printed aligned."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, figure: str, value: float, unit: str, target: float | None = None,
            higher_is_better: bool = False) -> None:
        shown = f"{value:,.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
        if target is None:
            self.rows.append((figure, shown, "", ""))
            return
        sign = ">=" if higher_is_better else "<="
        met = value >= target if higher_is_better else value <= target
        ratio = value / target if not higher_is_better else target / max(value, 1e-9)
        verdict = "ok" if met else f"MISSED ({ratio:.1f}x)"
        self.rows.append((figure, shown, f"{sign} {target:g} {unit}", verdict))

    def note(self, text: str) -> None:
        self.rows.append((text, "", "", ""))

    def print(self) -> None:
        widths = [max(len(r[i]) for r in self.rows) for i in range(4)]
        head = ("figure", "median", "target", "")
        widths = [max(w, len(h)) for w, h in zip(widths, head)]
        for row in [head, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
