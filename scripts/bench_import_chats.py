"""How fast `localmem import-chats` brings a chat history in: messages per second.

    python scripts/bench_import_chats.py                  # 10,000 messages --no-infer, 200 infer
    python scripts/bench_import_chats.py --messages 2000 --infer-messages 40
    python scripts/bench_import_chats.py --fakes          # the test backends (hash, fake model)

It writes a ChatGPT-shaped export (tests/chat_exports.py: user messages, each answered, so half
of the messages are the user's), runs the real command in a fresh home for each figure, and
prints, per run: the export's messages, the user messages stored, the import loop's time (the
progress bar's rate; the model loads inside it) and the whole command's time (start-up, reading
and checking the file, opening the models). By default the bundled models run: MiniLM for
--no-infer, MiniLM and SmolLM2 for infer.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from chat_exports import generated_chatgpt, write_zip  # noqa: E402

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi"]
CITIES = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Austin", "Porto", "Oslo"]
HOBBIES = ["hiking", "chess", "pottery", "sailing", "running", "painting", "cycling", "baking"]
FOODS = ["sushi", "ramen", "tacos", "lasagna", "falafel", "pho", "curry", "dumplings", "paella"]
TEMPLATES = [
    "My friend {name} lives in {city}, loves {hobby} and cooks {food}.",
    "I tried {food} in {city} with {name} and took up {hobby}.",
    "{name} and I go {hobby} in {city}; we always eat {food} after.",
    "I moved to {city} last year, and {name} taught me {hobby} over {food}.",
]


def sentences(count: int) -> list[str]:
    """``count`` distinct, plausible user messages (distinct, so no add is a same-text no-op)."""
    combos = list(itertools.product(TEMPLATES, NAMES, CITIES, HOBBIES, FOODS))
    random.Random(7).shuffle(combos)
    if count > len(combos):
        raise SystemExit(f"at most {len(combos)} distinct user messages")
    return [t.format(name=n, city=c, hobby=h, food=f) for t, n, c, h, f in combos[:count]]


def export_of(folder: Path, messages: int) -> Path:
    """A zip of ``messages`` messages: conversations of 50 (25 user turns, 25 replies)."""
    turns = max(messages // 2, 1)
    per = min(25, turns)
    return write_zip(folder / f"export-{messages}.zip",
                     generated_chatgpt(turns // per, per, sentences(turns)))


def run_import(export: Path, home: Path, infer: bool, fakes: bool) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(ROOT)}
    if fakes:
        env |= {"LOCALMEM_LLM": "fake", "LOCALMEM_EMBEDDER": "hash"}
    command = [sys.executable, "-m", "localmem.frontends.cli", "--home", str(home), "--json",
               "import-chats", str(export), "--format", "chatgpt",
               "--infer" if infer else "--no-infer"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
    return {**json.loads(done.stdout), "wall": wall}


def report(label: str, messages: int, result: dict) -> None:
    users, loop, wall = result["added"], result["seconds"], result["wall"]
    print(f"{label}: {messages:,} messages ({users:,} user messages stored) | "
          f"import loop {loop:.1f} s = {users / loop:.2f} user messages/s "
          f"({loop / users:.3f} s each), {messages / loop:.2f} export messages/s | "
          f"whole command {wall:.1f} s = {users / wall:.2f} user messages/s | "
          f"events {result['events']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="export size for --no-infer")
    parser.add_argument("--infer-messages", type=int, default=200, help="export size for infer")
    parser.add_argument("--fakes", action="store_true", help="hashing embedder and fake model")
    args = parser.parse_args()
    backends = "fakes (HashEmbedder, FakeLLM)" if args.fakes else "bundled models"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"localmem import-chats, ChatGPT export, {backends}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for infer, size in ((False, args.messages), (True, args.infer_messages)):
            if size <= 0:
                continue
            export = export_of(folder, size)
            result = run_import(export, folder / f"home-{infer}", infer, args.fakes)
            report("infer" if infer else "--no-infer", size, result)


if __name__ == "__main__":
    main()
