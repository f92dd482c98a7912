"""The terminal chat: an assistant on the local model that remembers the user across sessions.

Each turn: search the user's memories, show them, put them in the prompt, stream the reply,
then add the exchange to memory. ``ChatSession`` holds the logic (testable without a terminal);
``run_chat`` is the terminal loop around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import click

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
            system = MEMORY_PROMPT.format(facts="\n".join(f"- {item.text}" for item in self.recalled))
        messages = [{"role": "system", "content": system}]
        for said, answered in self.exchanges[-KEEP_TURNS:]:
            messages += [{"role": "user", "content": said}, {"role": "assistant", "content": answered}]
        messages.append({"role": "user", "content": text})
        return messages

    def turn(
        self, text: str, on_recall: Callable[[list[MemoryItem]], None] | None = None
    ) -> Iterator[str]:
        """Answer ``text`` token by token, then remember the exchange.

        ``on_recall`` sees the recalled memories before the model starts. Throwing
        ``KeyboardInterrupt`` into the generator (or pressing Ctrl-C while the model computes)
        stops the reply; what was said so far is still remembered.
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
                pieces.append(piece)
                yield piece
        except KeyboardInterrupt:
            self.notices.append(Notice("(reply stopped)"))
        except LocalmemError as exc:
            self.notices.append(Notice(f"the model failed to answer: {exc}", warning=True))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:  # releases the model for the extraction that follows
                close()
        reply = "".join(pieces).strip()
        self.exchanges.append((text, reply))
        self.remember(text, reply)

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


def _answer(session: ChatSession, text: str, show_memories: bool) -> None:
    def on_recall(items: list[MemoryItem]) -> None:
        if show_memories:
            _show_recalled(items)
        click.echo("assistant> ", nl=False)

    stream = session.turn(text, on_recall)
    started = False
    try:
        for piece in stream:
            if not started:  # models often open with a space or a newline
                piece = piece.lstrip()
                started = bool(piece)
            click.echo(piece, nl=False)
    except KeyboardInterrupt:
        try:  # the session stops the reply and still remembers the turn
            stream.throw(KeyboardInterrupt)
        except (StopIteration, KeyboardInterrupt):
            pass
    except LocalmemError as exc:  # e.g. the embedder failed while recalling
        click.echo()
        click.secho(f"error: {exc}", fg="red", err=True)
        return
    click.echo()
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
