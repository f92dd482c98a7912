"""Child processes for tests/test_encryption*.py (run as a script; the key comes in LOCALMEM_KEY).

    python encryption_child.py write HOME START STOP KILL_AFTER
        add memories START..STOP with canary strings; SIGKILL itself after KILL_AFTER of them
    python encryption_child.py convert HOME NEW_KEY_FILE KILL_AT
        encrypt (LOCALMEM_KEY unset) or re-key (LOCALMEM_KEY = old key) HOME with the key in
        NEW_KEY_FILE; SIGKILL itself right after the step named KILL_AT ("never": not at all)

Kills come at named points, never after a sleep, so each run stops at the same place.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from localmem import FakeLLM, Memory
from localmem.backends.embeddings import Embedder

DIMS = 64


class DenseEmbedder(Embedder):
    """Dense pseudo-random unit vectors per text: every byte run of a vector is distinctive."""

    dims = DIMS

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMS), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(DIMS)
            out[row] = vector / np.linalg.norm(vector)
        return out


def canary(number: int) -> str:
    return f"canary-{number:04d}-zq"


def note(number: int) -> str:
    return f"My private health note {canary(number)}"


def open_memory(home: Path, **kwargs: object) -> Memory:
    return Memory(path=home, llm=FakeLLM(), embedder=DenseEmbedder(), **kwargs)


def write(home: Path, start: int, stop: int, kill_after: int) -> None:
    memory = open_memory(home)
    for number in range(start, stop):
        memory.add(note(number), user_id="u", infer=False)
        if number + 1 - start == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    memory.close()


def convert_home(home: Path, new_key_file: Path, kill_at: str) -> None:
    from localmem.crypto import derive, new_kdf
    from localmem.storage.crypt_convert import convert
    from localmem.storage.crypt_home import home_key, read_key_file

    def step(name: str) -> None:
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    old = home_key(home)
    convert(home, old, derive(read_key_file(new_key_file), new_kdf()), step)


if __name__ == "__main__":
    command, home_arg, *rest = sys.argv[1:]
    if command == "write":
        write(Path(home_arg), *map(int, rest))
    else:
        convert_home(Path(home_arg), Path(rest[0]), rest[1])
