"""One key's big adds against another key's reads, through the real server on 127.0.0.1.

    python scripts/bench_server.py                 # the default per-key limits
    python scripts/bench_server.py --no-limits     # no rate or concurrency limit (the old server)
    python scripts/bench_server.py --adds 4 --threads 1 --chars 100 --model-delay 1
                                                   # bob's reads against a 1 s model call

Alice sends ``--adds`` adds of ``--chars`` characters from ``--threads`` threads at once; bob
lists his memories over and over meanwhile. Printed: bob's list latency (median, p95, max), how
many of alice's adds were taken and how many refused with 429, and the wall time. Fake model and
hashing embedder (``tests.helpers.fake_memory``), so what is measured is the server and the
memory's locking, not model speed. Alice retries a refused add after its Retry-After, so every
add is stored in the end.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import string
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localmem import MemClient, RateLimitError  # noqa: E402
from localmem.frontends.rest import ServerOptions, create_app  # noqa: E402
from localmem.storage.keys import KeyStore  # noqa: E402
from tests.helpers import fake_memory  # noqa: E402


def _text(chars: int, seed: int) -> str:
    rnd = random.Random(seed)
    words = (("".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 9)))) for _ in iter(int, 1))
    out, size = [], 0
    for word in words:
        if size >= chars:
            break
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars]


def _slow_model(seconds: float):
    """The fake model's empty answers, each after ``seconds`` (a stand-in for a real model call)."""

    def answer(prompt: str, schema: type) -> dict:
        time.sleep(seconds)
        return {"facts": []} if "facts" in schema.model_fields else {"event": "ADD"}

    return answer


def _start(app) -> tuple[int, object, threading.Thread]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return sock.getsockname()[1], server, thread


def run(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="bench_server_"))
    memory = fake_memory(home, responses=_slow_model(args.model_delay) if args.model_delay else None)
    keys = KeyStore(home)
    options = (ServerOptions(rate=0, max_concurrent=10**6, max_add_chars=10**8) if args.no_limits
               else ServerOptions())
    port, server, thread = _start(create_app(home, memory=memory, keys=keys, options=options))
    host = f"http://127.0.0.1:{port}"
    alice, bob = MemClient(keys.create("alice"), host), MemClient(keys.create("bob"), host)
    bob.add("I play the cello")
    texts = [_text(args.chars, i) for i in range(args.adds)]
    taken = refused = 0
    lock = threading.Lock()

    def one_add(text: str) -> None:
        """Alice as a polite client: on 429 she waits the Retry-After, then sends it again."""
        nonlocal taken, refused
        while True:
            try:
                alice.add(text)
                break
            except RateLimitError as exc:
                with lock:
                    refused += 1
                time.sleep(exc.retry_after or 1.0)
        with lock:
            taken += 1

    latencies: list[float] = []
    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        futures = [pool.submit(one_add, t) for t in texts]
        while not all(f.done() for f in futures):
            t0 = time.perf_counter()
            bob.get_all()
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.05)
    wall = time.perf_counter() - start
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print(f"limits: {'none' if args.no_limits else options.model_dump()}")
    print(f"alice: {args.adds} adds x {args.chars:,} chars from {args.threads} threads: "
          f"all {taken} stored in {wall:.2f} s, {refused} refusals (429) on the way")
    print(f"bob: {len(latencies)} lists, median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    server.should_exit = True
    thread.join(30)
    for client in (alice, bob):
        client.close()
    keys.close()
    memory.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=100)
    parser.add_argument("--chars", type=int, default=30_000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--model-delay", type=float, default=0.0,
                        help="seconds each fake model call takes (default: none)")
    parser.add_argument("--no-limits", action="store_true", help="no per-key rate or concurrency cap")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
