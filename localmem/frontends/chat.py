"""The terminal chat: an assistant on the local model that remembers the user across sessions.

Each turn: search the user's memories, show them, put them in the prompt, stream the reply,
then add the exchange to memory. ``ChatSession`` holds the logic (testable without a terminal);
``run_chat`` is the terminal loop around it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

import click

from localmem.engine.context import context_lines
from localmem.errors import LocalmemError, MemoryNotFoundError
from localmem.backends.llm import LLM
from localmem.memory import Memory
from localmem.types import MemoryItem

__all__ = ["ChatSession", "Notice", "run_chat", "SYSTEM_PROMPT", "MEMORY_PROMPT", "HELP"]

# Facts first, then the instruction: on both bundled models this recalled name, city and job as
# often as longer wordings did, with fewer tokens to evaluate.
SYSTEM_PROMPT = "You are a helpful assistant. Answer the user's question briefly."
MEMORY_PROMPT = (
    "Facts about the user:\n{facts}\n"
    "You are a helpful assistant. Answer the user's question briefly using these facts."
)
STOPPED = "(reply stopped)"
KEEP_TURNS = 3  # earlier exchanges of this session kept in the prompt, besides the memories
HELP = """\
/memories        list what I remember about you
/forget <id>     erase one memory for good (/forget all erases everything, after you confirm)
/history <id>    show how a memory changed
/help            show this help
/exit            leave the chat (Ctrl-D works too; Ctrl-C stops a reply)"""


@dataclass
class Notice:
    """Something the terminal should show the user after a turn (a warning or a note)."""

    text: str
    warning: bool = False


class ChatSession:
    """One user's conversation: recall, prompt, stream, remember; plus the slash commands."""

    def __init__(
        self,
        memory: Memory,
        user_id: str,
        *,
        limit: int = 5,
        max_tokens: int = 256,
        llm: LLM | None = None,
    ) -> None:
        self.memory = memory
        self.user_id = user_id
        self.limit = limit
        self.max_tokens = max_tokens
        self._llm = llm
        self.recalled: list[MemoryItem] = []
        self.notices: list[Notice] = []
        self.exchanges: list[tuple[str, str]] = []
        self.finished = False

    @property
    def llm(self) -> LLM:
        return self._llm if self._llm is not None else self.memory.llm

    # -- a turn --

    def recall(self, text: str) -> list[MemoryItem]:
        """The user's memories most relevant to ``text`` (also kept in ``recalled``)."""
        self.recalled = list(self.memory.search(text, user_id=self.user_id, limit=self.limit))
        return self.recalled

    def prompt_messages(self, text: str) -> list[dict[str, str]]:
        """The chat messages sent to the model: system (with memories), recent turns, the new one."""
        system = SYSTEM_PROMPT
        if self.recalled:
            system = MEMORY_PROMPT.format(facts="\n".join(context_lines(self.recalled, text)))
        messages = [{"role": "system", "content": system}]
        for said, answered in self.exchanges[-KEEP_TURNS:]:
            messages += [{"role": "user", "content": said}, {"role": "assistant", "content": answered}]
        messages.append({"role": "user", "content": text})
        return messages

    def turn(
        self,
        text: str,
        on_recall: Callable[[list[MemoryItem]], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Generator[str, None, None]:
        """Answer ``text`` token by token (see ``reply``), then remember the exchange."""
        said = yield from self.reply(text, on_recall, stop)
        self.remember(text, said)

    def reply(
        self,
        text: str,
        on_recall: Callable[[list[MemoryItem]], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Generator[str, None, str]:
        """Stream the answer to ``text``; returns it (what was said so far, if stopped).

        ``on_recall`` sees the recalled memories before the model starts. The reply stops,
        with a "(reply stopped)" notice, when ``stop()`` turns true (checked before each
        token), or when ``KeyboardInterrupt`` is thrown into the generator or raised by the
        model. The exchange joins ``exchanges``; ``remember`` stores it.

        Raises:
            LocalmemError: the memories could not be recalled (nothing was said).
        """
        self.notices = []
        self.recall(text)
        if on_recall is not None:
            on_recall(self.recalled)
        pieces: list[str] = []
        stream: Iterator[str] = iter(())
        try:
            stream = self._stream(self.prompt_messages(text))
            for piece in stream:
                if stop is not None and stop():
                    self.notices.append(Notice(STOPPED))
                    break
                pieces.append(piece)
                yield piece
        except KeyboardInterrupt:
            self.notices.append(Notice(STOPPED))
        except LocalmemError as exc:
            self.notices.append(Notice(f"the model failed to answer: {exc}", warning=True))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:  # releases the model for the extraction that follows
                close()
        said = "".join(pieces).strip()
        self.exchanges.append((text, said))
        return said

    def _stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        return iter(self.llm.chat(messages, max_tokens=self.max_tokens))

    def remember(self, text: str, reply: str) -> None:
        """Add the exchange to memory; if extraction fails, store it verbatim and warn."""
        messages = [{"role": "user", "content": text}]
        if reply:
            messages.append({"role": "assistant", "content": reply})
        try:
            self.memory.add(messages, user_id=self.user_id)
        except LocalmemError as exc:
            first = str(exc)
        except KeyboardInterrupt:  # the add rolled back; keep the turn verbatim instead
            first = "interrupted"
        else:
            # The pipeline survives a model failure (raw messages are kept); still tell the user.
            report = getattr(self.memory, "last_extraction", None)
            if report is not None and report.model_error:
                self.notices.append(Notice(
                    f"the model failed on extraction ({report.model_error}); "
                    "the exchange is stored as said", warning=True))
            return
        try:
            self.memory.add(messages, user_id=self.user_id, infer=False)
        except LocalmemError as exc:
            self.notices.append(Notice(f"this turn could not be saved: {exc}", warning=True))
            return
        self.notices.append(
            Notice(f"memory extraction failed ({first}); the exchange was stored as said", warning=True)
        )

    # -- slash commands --

    def command(self, line: str, confirm: Callable[[str], bool] = lambda _q: False) -> str:
        """Run a slash command; returns the text to show. ``confirm`` asks a yes/no question."""
        name, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        try:
            if name in ("/exit", "/quit"):
                self.finished = True
                return "bye"
            if name == "/help":
                return HELP
            if name == "/memories":
                return self._list_memories()
            if name == "/forget":
                return self._forget(arg, confirm)
            if name == "/history":
                return self._history(arg)
        except LocalmemError as exc:
            return f"error: {exc}"
        return f"unknown command {name!r}; /help lists the commands"

    def _list_memories(self) -> str:
        items = self.memory.get_all(user_id=self.user_id, limit=1000)
        if not items:
            return "I remember nothing about you yet."
        return "\n".join(f"#{item.id}  {item.text}" for item in items)

    def _forget(self, arg: str, confirm: Callable[[str], bool]) -> str:
        if not arg:
            return "usage: /forget <id> or /forget all"
        if arg == "all":
            if not confirm(f"Erase every memory of {self.user_id}? This cannot be undone."):
                return "kept everything"
            count = self.memory.delete_all(user_id=self.user_id)
            self.exchanges.clear()
            return f"erased {count} memories and every stored message of {self.user_id}"
        item = self._own(arg)
        self.memory.delete(item.id)
        return f"erased #{item.id}: {item.text}"

    def _history(self, arg: str) -> str:
        if not arg:
            return "usage: /history <id>"
        item = self._own(arg)
        rows = self.memory.history(item.id)
        return "\n".join(
            f"{row.created_at:%Y-%m-%d %H:%M}  {row.event.value:<6} {row.old_text or ''!s:.60}"
            f"{' -> ' if row.old_text and row.new_text else ''}{row.new_text or ''}  ({row.actor})"
            for row in rows
        )

    def _own(self, arg: str) -> MemoryItem:
        """The memory ``arg`` names, if it belongs to this user.

        Raises:
            InvalidInputError: not an id.
            MemoryNotFoundError: no such memory for this user.
        """
        item = self.memory.get(arg)
        if item.user_id != self.user_id:
            raise MemoryNotFoundError(f"{self.user_id} has no memory #{item.id}; /memories lists them")
        return item


# --- the terminal -----------------------------------------------------------------------------


def run_chat(session: ChatSession, show_memories: bool = True) -> None:
    """Read lines from the terminal until /exit or Ctrl-D."""
    click.secho(f"localmem chat as {session.user_id}. /help for commands, Ctrl-D to leave.", dim=True)
    while not session.finished:
        try:
            text = input("you> ").strip()
        except EOFError:
            click.echo()
            break
        except KeyboardInterrupt:
            click.echo("\n(Ctrl-D or /exit to leave)")
            continue
        if not text:
            continue
        if text.startswith("/"):
            click.echo(session.command(text, confirm=_confirm))
            continue
        _answer(session, text, show_memories)


class _CtrlC:
    """While a reply streams, the first Ctrl-C only sets a flag; a second one interrupts.

    Python runs a signal handler in the main thread wherever it happens to be. The default
    handler raises ``KeyboardInterrupt`` there, and raised inside a ctypes callback (llama.cpp
    calls its log callback some 2,000 times while it loads a model) or a finaliser, the
    exception is dropped ("Exception ignored ...") and the reply goes on. A flag the session
    checks between tokens cannot be dropped.
    """

    def __init__(self) -> None:
        self.pressed = threading.Event()
        self._previous: Any = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed.is_set():
            raise KeyboardInterrupt
        self.pressed.set()

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _answer(session: ChatSession, text: str, show_memories: bool) -> None:
    def on_recall(items: list[MemoryItem]) -> None:
        if show_memories:
            _show_recalled(items)
        click.echo("assistant> ", nl=False)

    started = replied = False
    with _CtrlC() as ctrl_c:
        stream = session.reply(text, on_recall, stop=ctrl_c.pressed.is_set)
        try:
            for piece in stream:
                if not started:  # models often open with a space or a newline
                    piece = piece.lstrip()
                    started = bool(piece)
                click.echo(piece, nl=False)
            replied = True
        except KeyboardInterrupt:  # a second Ctrl-C, outside the model: the session stops
            try:
                stream.throw(KeyboardInterrupt)
            except StopIteration:
                replied = True
            except KeyboardInterrupt:
                pass
        except LocalmemError as exc:  # e.g. the embedder failed while recalling
            click.echo()
            click.secho(f"error: {exc}", fg="red", err=True)
            return
    click.echo()
    if replied:  # outside _CtrlC: Ctrl-C during extraction stores the turn verbatim
        session.remember(*session.exchanges[-1])
    for notice in session.notices:
        if notice.warning:
            click.secho(f"warning: {notice.text}", fg="yellow", err=True)
        else:
            click.secho(notice.text, dim=True)


def _show_recalled(items: Sequence[MemoryItem]) -> None:
    if not items:
        click.secho("  (no memories recalled)", dim=True)
    for item in items:
        click.secho(f"  memory #{item.id}  {item.score or 0:.2f}  {item.text}", dim=True)


def _confirm(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):
        click.echo()
        return False
