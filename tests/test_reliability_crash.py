"""Crash safety: a process adding and deleting memories is SIGKILLed at random points, many times.

On reopen: every add the child saw return is there, nothing is half-applied (each memory has its
ADD history and its source messages; no raw message is orphaned; two memories added together are
both there or both gone), and the FAISS indexes agree with SQLite (rebuilt when they did not).
"""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import backend, fake_memory, in_step, sql

ROOT = Path(__file__).resolve().parents[1]
KILLS = 16
EARLY_KILLS = 4  # of those, killed at a random moment while still starting up / opening

CHILD = textwrap.dedent(
    """
    import sys
    from tests.helpers import fake_memory

    home, run = sys.argv[1], int(sys.argv[2])
    memory = fake_memory(home)
    print("ready", flush=True)
    added = []
    n = 0
    while True:
        pair = [{"role": "user", "content": f"run {run} note {n} first token r{run}n{n}a"},
                {"role": "user", "content": f"run {run} note {n} second token r{run}n{n}b"}]
        events = memory.add(pair, user_id="crash", infer=False)
        print("A " + " ".join(str(e.id) for e in events), flush=True)
        added += [e.id for e in events]
        if n % 6 == 5:
            victim = added.pop(len(added) // 2)
            print(f"d {victim}", flush=True)
            memory.delete(victim)
            print(f"D {victim}", flush=True)
        n += 1
    """
)


def _run_child(home: Path, run: int, log: Path, rng: random.Random, early: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOCALMEM_HOME": str(home)}
    with log.open("w") as out:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(run)],
                                 stdout=out, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    if early:
        time.sleep(rng.uniform(0.05, 1.5))
    else:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read().decode()
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
    assert child.poll() is None, f"child died by itself: {child.stderr.read().decode()[-2000:]}"
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stderr.close()
    return log.read_text()


def test_no_committed_memory_is_lost_and_nothing_is_half_applied(tmp_path):
    home = tmp_path / "home"
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    committed, deleted, in_flight, pairs = set(), set(), set(), []
    killed_mid_work = 0
    early_runs = set(rng.sample(range(KILLS), EARLY_KILLS))
    for run in range(KILLS):
        output = _run_child(home, run, tmp_path / f"run{run}.log", rng, run in early_runs)
        complete = output.split("\n")[:-1]  # a line cut by the kill has no newline
        killed_mid_work += any(line.startswith("A ") for line in complete)
        for line in complete:
            kind, *ids = line.split()
            if kind == "A":
                committed.update(int(i) for i in ids)
                pairs.append([int(i) for i in ids])
            elif kind == "d":
                in_flight.add(int(ids[0]))
            elif kind == "D":
                deleted.add(int(ids[0]))

    memory = fake_memory(home)
    assert sql(memory, "PRAGMA integrity_check") == [("ok",)]
    present = {int(r[0]) for r in sql(memory, "SELECT id FROM memories")}
    must_exist = committed - in_flight
    lost = must_exist - present
    assert not lost, f"{len(lost)} committed memories lost: {sorted(lost)[:10]}"
    assert not (deleted & present), "a completed delete came back"
    for first, second in (p for p in pairs if not set(p) & in_flight):
        assert (first in present) == (second in present)

    # nothing half-applied: ADD history and sources for every memory, no orphan raw message
    (no_history,), = sql(memory,
        "SELECT count(*) FROM memories m WHERE NOT EXISTS"
        " (SELECT 1 FROM history h WHERE h.memory_id = m.id AND h.event = 'ADD')")
    (no_source,), = sql(memory,
        "SELECT count(*) FROM memories m WHERE NOT EXISTS"
        " (SELECT 1 FROM memory_sources s WHERE s.memory_id = m.id)")
    (orphans,), = sql(memory,
        "SELECT count(*) FROM messages g WHERE NOT EXISTS"
        " (SELECT 1 FROM memory_sources s WHERE s.message_id = g.id)")
    assert (no_history, no_source, orphans) == (0, 0, 0)

    # the indexes agree with SQLite (each stored vector is the one indexed); search finds all
    assert in_step(memory)
    rows = sql(memory, "SELECT id, text FROM memories")
    missed = [mid for mid, text in rows
              if mid not in {i.id for i in memory.search(text, user_id="crash", limit=3)}]
    assert not missed

    print(f"\ncrash: {KILLS} SIGKILLs ({killed_mid_work} after adds had begun, "
          f"{EARLY_KILLS} at random startup points); {len(committed)} committed ids seen, "
          f"{len(deleted)} deletes completed, {len(in_flight - deleted)} deletes cut off; "
          f"{len(present)} memories on reopen, lost 0, half-applied 0, "
          f"index rebuilds on reopen {backend(memory).indexes.rebuilds}")
    assert killed_mid_work >= (KILLS - EARLY_KILLS) // 2  # most kills landed mid-work
    memory.close()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing", "stale"])
def test_a_damaged_or_stale_index_file_is_rebuilt_from_sqlite(tmp_path, damage):
    memory = fake_memory(tmp_path)
    memory.add([{"role": "user", "content": f"fact number {i} token t{i}"} for i in range(20)],
               user_id="u", infer=False)
    memory.close()
    target = tmp_path / "facts.faiss"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "garbage":
        target.write_bytes(os.urandom(4096))
    elif damage == "missing":
        target.unlink()
    else:  # an index saved before the last write
        stale = fake_memory(tmp_path)
        snapshot = target.read_bytes()
        stale.add("fact number 99 token t99", user_id="u", infer=False)
        stale.close()
        target.write_bytes(snapshot)
    reopened = fake_memory(tmp_path)
    assert in_step(reopened)
    assert reopened.search("token t7", user_id="u", limit=1)[0].text == "fact number 7 token t7"
    if damage == "stale":
        assert reopened.search("token t99", user_id="u", limit=1)[0].text.endswith("t99")
