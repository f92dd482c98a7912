"""``localmem import-chats FILE --format chatgpt|claude``: the command, its progress bar, Ctrl-C.

``cli.py`` registers it with ``cli.add_command(import_chats)``; it gets the root command's state
(the home, ``--json``) as the context object, so it does not import ``cli``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from localmem.errors import LocalmemError
from localmem.frontends.chat_import.export import FORMATS, Export, read_export
from localmem.frontends.chat_import.runner import ChatImporter, ImportReport

__all__ = ["import_chats"]

INTERRUPTED_EXIT = 130  # what a shell reports for a program ended by Ctrl-C


@click.command(name="import-chats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="Whose export FILE is: ChatGPT's or Claude's.")
@click.option("--user", "user_id",
              help="Whose memories they become (default: $LOCALMEM_USER or 'default').")
@click.option("--infer/--no-infer", default=True, show_default=True,
              help="Extract facts with the local model, or store each message verbatim (fast).")
@click.pass_obj
def import_chats(state: Any, file: Path, fmt: str, user_id: str | None, infer: bool) -> None:
    """Bring in a chat history: FILE is the export's zip or its conversations.json.

    Each of your messages is remembered as said at its time, tagged with its conversation's
    title. The whole file is checked before anything is stored. Ctrl-C stops after the current
    message; the same command again resumes where it stopped, adding nothing twice.
    """
    export = read_export(file, fmt)
    importer = ChatImporter(state.memory(), export.turns, user_id=user_id, infer=infer)
    report = importer.report
    if report.already:
        click.echo(f"{report.already} of {report.total} messages are stored already; "
                   "resuming", err=True)
    try:
        with _stop_on_ctrl_c(importer), _progress(len(importer.todo)) as advance:
            importer.run(lambda _turn: advance())
    except KeyboardInterrupt:
        report.stopped = True
    except LocalmemError:
        click.echo(f"stopped by an error after {report.added} messages; {report.left} left "
                   "(fix it and run the same command again to resume)", err=True)
        raise
    _summary(state, export, report)
    if report.stopped:
        click.get_current_context().exit(INTERRUPTED_EXIT)


@contextmanager
def _stop_on_ctrl_c(importer: ChatImporter) -> Iterator[None]:
    """The first Ctrl-C stops after the current add; a second abandons (rolls back) that add."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def first(signum: int, frame: Any) -> None:
        importer.stop_requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
        click.echo("\nstopping after the current message (Ctrl-C again abandons it)", err=True)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress(length: int) -> Iterator[Callable[[], None]]:
    """A bar on stderr with the count, the rate and the time left; yields 'one more done'."""
    if not length:
        yield lambda: None
        return
    start, done = time.perf_counter(), 0
    with click.progressbar(length=length, label="importing", file=sys.stderr, show_pos=True,
                           show_eta=True, item_show_func=lambda rate: rate) as bar:

        def advance() -> None:
            nonlocal done
            done += 1
            bar.update(1, f"{done / max(time.perf_counter() - start, 1e-9):.1f} msg/s")

        yield advance


def _summary(state: Any, export: Export, report: ImportReport) -> None:
    if state.as_json:
        click.echo(json.dumps({
            "file": export.name, "conversations": export.conversations, "messages": report.total,
            "added": report.added, "already": report.already, "left": report.left,
            "skipped": export.skipped, "stopped": report.stopped, "events": report.events,
            "seconds": round(report.seconds, 3), "per_second": round(report.rate, 2),
        }))
        return
    events = ", ".join(f"{n} {k}" for k, n in sorted(report.events.items())) or "none"
    click.echo(f"added {report.added} of {report.total} messages from {export.conversations} "
               f"conversations in {report.seconds:.1f} s ({report.rate:.1f} messages/s); "
               f"{report.already} were stored already, {export.skipped} had no text; "
               f"memory events: {events}")
    if report.stopped:
        click.echo(f"stopped with {report.left} messages left; run the same command again to "
                   "resume", err=True)
