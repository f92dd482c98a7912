"""Child processes of the backend suite (``python -m tests.pg_children KIND LOCATION ...``).

``nodes``: one "node" with two adding threads, started by a file barrier, printing a JSON report.
``crash``: adds pairs forever, printing each committed pair's ids, until the parent kills it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from tests.pg_fixtures import open_memory


def nodes(location: str, node: int, distinct: int, shared: int, shared_adds: int, go: str) -> None:
    memory = open_memory(location)
    print("ready", flush=True)
    while not os.path.exists(go):  # the parent's barrier: every node has opened the store
        time.sleep(0.005)
    events: list[tuple[str, str]] = []
    errors: list[str] = []

    def adder(half: int) -> None:
        try:
            # Shared texts first, in the same order on every node: they collide at once.
            texts = [f"shared fact {i % shared} token s{i % shared}"
                     for i in range(half, shared_adds, 2)]
            texts += [f"node {node} item {i} token n{node}i{i}" for i in range(half, distinct, 2)]
            for text in texts:
                events.extend((text, e.event.value) for e in memory.add(text, user_id="u", infer=False))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=adder, args=(h,)) for h in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    memory.close()
    print(json.dumps({"events": events, "errors": errors}), flush=True)


def crash(location: str, run: int) -> None:
    memory = open_memory(location)
    print("ready", flush=True)
    n = 0
    while True:
        pair = [{"role": "user", "content": f"run {run} note {n} first r{run}n{n}a"},
                {"role": "user", "content": f"run {run} note {n} second r{run}n{n}b"}]
        events = memory.add(pair, user_id="crash", infer=False)
        print("A " + " ".join(str(e.id) for e in events), flush=True)
        n += 1


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    if kind == "nodes":
        nodes(args[0], *(int(a) for a in args[1:5]), args[5])
    else:
        crash(args[0], int(args[1]))
