"""Concurrency: several processes, each with adding and searching threads, on one home directory.

Every distinct add is stored exactly once, texts added by every process at once are stored once
(no duplicate from the check-then-insert race), no raw message is lost, nothing fails with
"database is locked", and the indexes agree with SQLite afterwards.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import fake_memory, in_step, release_and_collect, sql

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = 4
ADDS = 250  # distinct texts per process, split over two adding threads
SHARED = 25  # texts every process adds too (same user): each must be stored once

WORKER = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from tests.helpers import fake_memory

    home, proc, adds, shared, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    memory = fake_memory(home)
    print("ready", flush=True)  # the parent starts everyone at once when all are ready
    while not os.path.exists(go):
        time.sleep(0.005)
    errors, events, searches = [], [], [0]
    adding = [True, True]

    def adder(half):
        try:
            for i in range(half, adds, 2):
                text = f"process {proc} item {i} token p{proc}i{i}"
                events.extend((text, e.event.value) for e in memory.add(text, user_id="u", infer=False))
                if i % 10 == half:
                    j = (i // 10) % shared
                    same = f"shared fact {j} everyone says token s{j}"
                    events.extend((same, e.event.value) for e in memory.add(same, user_id="u", infer=False))
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            adding[half] = False

    def searcher():
        try:
            while any(adding):
                memory.search(f"item {searches[0]} token", user_id="u", limit=5)
                memory.get_all(user_id="u", limit=50)
                searches[0] += 1
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=adder, args=(h,)) for h in (0, 1)]
    threads.append(threading.Thread(target=searcher))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    missing_shared = set(range(shared)) - {(i // 10) % shared for i in range(adds) if i % 10 in (0, 1)}
    print(json.dumps({"events": events, "errors": errors, "searches": searches[0],
                      "missing_shared": sorted(missing_shared)}))
    """
)


def test_processes_and_threads_add_each_text_once(tmp_path):
    home, go = tmp_path / "home", tmp_path / "go"
    fake_memory(home).close()  # create the schema once; the workers race on everything else
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOCALMEM_HOME": str(home)}
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(home), str(p), str(ADDS), str(SHARED), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
        for p in range(PROCESSES)
    ]
    reports = release_and_collect(workers, go)  # a real barrier: each has opened the memory

    errors = [e for r in reports for e in r["errors"]]
    assert not errors, errors[:5]
    assert all(not r["missing_shared"] for r in reports)
    events = [tuple(e) for r in reports for e in r["events"]]
    distinct = [t for t, _ in events if t.startswith("process ")]
    shared_events = [(t, ev) for t, ev in events if t.startswith("shared ")]
    assert len(distinct) == PROCESSES * ADDS and all(ev == "ADD" for t, ev in events if t.startswith("process "))

    memory = fake_memory(home)
    rows = sql(memory, "SELECT text, count(*) FROM memories GROUP BY text")
    duplicates = [(t, n) for t, n in rows if n > 1]
    stored = {t for t, _ in rows}
    assert not duplicates, duplicates[:5]
    assert set(distinct) <= stored
    assert len(stored) == PROCESSES * ADDS + SHARED
    adds_of_shared = sum(1 for _, ev in shared_events if ev == "ADD")
    assert adds_of_shared == SHARED  # one ADD per shared text; every other attempt saw NONE
    assert sql(memory, "SELECT count(*) FROM messages") == [(len(events),)]  # none lost
    assert in_step(memory)
    hit = memory.search("token p3i249", user_id="u", limit=1)
    assert hit and hit[0].text == "process 3 item 249 token p3i249"

    print(f"\nconcurrency: {PROCESSES} processes x (2 adding threads + 1 searching thread); "
          f"{len(distinct)} distinct adds -> {len(stored) - SHARED} stored once each; "
          f"{len(shared_events)} adds of {SHARED} shared texts -> {adds_of_shared} stored, "
          f"{len(shared_events) - adds_of_shared} NONE; duplicates 0; errors 0 "
          f"('database is locked' 0); {sum(r['searches'] for r in reports)} concurrent searches")
    memory.close()
