"""The chat: recall, prompt, stream and remember; slash commands; a real terminal with the real model."""

from __future__ import annotations

import ctypes
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator, Sequence

import pytest

from localmem import ConfigError, FakeLLM, HashEmbedder, Memory
from localmem.frontends.chat import ChatSession
from tests.helpers import sql
from localmem.backends.llama_cpp import plain_chat_prompt as plain_prompt


def facts_of(prompt, schema):
    """Extraction that finds 'Name is X' in 'my name is X'; other decisions default to ADD."""
    if schema.__name__ == "ExtractedFacts":
        message = prompt.rsplit("Message:", 1)[1]
        if "name is" in message.lower():
            name = message.lower().split("name is", 1)[1].split()[0].strip(".!").title()
            return {"facts": [f"Name is {name}"]}
        return {"facts": []}
    return {"event": "ADD"}


def memory_with(tmp_path, llm) -> Memory:
    return Memory(path=tmp_path / "home", llm=llm, embedder=HashEmbedder())


def test_a_turn_streams_the_reply_and_remembers_the_exchange(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(facts_of, chat_reply="Nice to meet you, Dave."))
    session = ChatSession(memory, "u1")
    pieces = list(session.turn("My name is Dave"))
    assert len(pieces) > 1 and "".join(pieces).strip() == "Nice to meet you, Dave."
    assert [item.text for item in memory.get_all(user_id="u1")] == ["Name is Dave"]
    stored = sql(memory, "SELECT role, content FROM messages ORDER BY id")
    assert stored == [("user", "My name is Dave"), ("assistant", "Nice to meet you, Dave.")]
    assert session.notices == []


def test_the_next_session_recalls_and_prompts_with_the_memory(tmp_path):
    llm = FakeLLM(facts_of)
    memory = memory_with(tmp_path, llm)
    list(ChatSession(memory, "u1").turn("My name is Dave"))
    list(ChatSession(memory, "u2").turn("My name is Eve"))
    later = ChatSession(memory, "u1")
    seen = []
    list(later.turn("What is my name?", on_recall=seen.append))
    assert "Name is Dave" in [item.text for item in seen[0]]
    assert all("Eve" not in item.text for item in seen[0])
    system = later.prompt_messages("What is my name?")[0]
    assert system["role"] == "system" and "- Name is Dave" in system["content"]


def test_recent_exchanges_stay_in_the_prompt(tmp_path):
    session = ChatSession(memory_with(tmp_path, FakeLLM(chat_reply="Sure.")), "u1")
    list(session.turn("first question"))
    messages = session.prompt_messages("second question")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "first question" and messages[2]["content"] == "Sure."


def test_a_model_failure_on_extraction_is_shown_and_the_turn_kept(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(lambda prompt, schema: "not json", chat_reply="Hello"))
    session = ChatSession(memory, "u1")
    list(session.turn("Tell me a joke"))
    assert [n.warning for n in session.notices] == [True]
    assert "the model failed on extraction" in session.notices[0].text
    stored = sql(memory, "SELECT role, content FROM messages ORDER BY id")
    assert stored == [("user", "Tell me a joke"), ("assistant", "Hello")]
    assert [item.text for item in memory.search("joke", user_id="u1")] == ["Tell me a joke"]


class BrokenStoreLLM(FakeLLM):
    """Fails extraction with an error the pipeline does not absorb (only the inferred add fails)."""

    def complete_json(self, prompt, schema):
        raise ConfigError("the extraction prompt cannot be used")


def test_a_failed_add_falls_back_to_storing_the_turn_verbatim(tmp_path):
    memory = memory_with(tmp_path, BrokenStoreLLM(chat_reply="Hello"))
    session = ChatSession(memory, "u1")
    list(session.turn("My name is Dave"))
    assert [n.warning for n in session.notices] == [True]
    assert "extraction failed (the extraction prompt cannot be used)" in session.notices[0].text
    assert sorted(item.text for item in memory.get_all(user_id="u1")) == ["Hello", "My name is Dave"]


class StoppedLLM(FakeLLM):
    """Streams two words, then the user presses Ctrl-C while it computes."""

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        yield "Hello "
        yield "Dave "
        raise KeyboardInterrupt


def test_ctrl_c_stops_the_reply_but_keeps_the_turn(tmp_path):
    memory = memory_with(tmp_path, StoppedLLM(facts_of))
    session = ChatSession(memory, "u1")
    assert list(session.turn("My name is Dave")) == ["Hello ", "Dave "]
    assert [n.text for n in session.notices] == ["(reply stopped)"]
    assert [item.text for item in memory.get_all(user_id="u1")] == ["Name is Dave"]
    assert session.exchanges == [("My name is Dave", "Hello Dave")]


def test_ctrl_c_thrown_by_the_terminal_stops_the_stream(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(facts_of, chat_reply="one two three four"))
    session = ChatSession(memory, "u1")
    stream = session.turn("My name is Dave")
    assert next(stream) == "one "
    with pytest.raises(StopIteration):
        stream.throw(KeyboardInterrupt)
    assert session.exchanges == [("My name is Dave", "one")]
    assert [s.messages for s in memory.stats().scopes] == [2]


class CtrlCInCallbackLLM(FakeLLM):
    """Ctrl-C arrives while C code has called back into Python, as llama.cpp does when it logs
    (about 2,000 calls of its log callback while a model loads)."""

    def chat(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        ctypes.CFUNCTYPE(None)(self._log)()
        yield from ("once ", "upon ", "a ", "time")

    @staticmethod
    def _log() -> None:
        signal.raise_signal(signal.SIGINT)
        for _ in range(3):  # Python runs the SIGINT handler here, inside the callback
            pass


def test_ctrl_c_inside_a_model_callback_stops_the_reply(tmp_path, capsys):
    """The default handler's KeyboardInterrupt is dropped inside a ctypes callback; a flag is not."""
    from localmem.frontends.chat import _answer

    memory = memory_with(tmp_path, FakeLLM(facts_of))
    session = ChatSession(memory, "u1", llm=CtrlCInCallbackLLM())
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN under a shell's background job
    _answer(session, "My name is Dave", show_memories=False)
    shown = capsys.readouterr().out
    assert "(reply stopped)" in shown and "time" not in shown
    assert session.exchanges == [("My name is Dave", "")]
    assert [item.text for item in memory.get_all(user_id="u1")] == ["Name is Dave"]
    assert signal.getsignal(signal.SIGINT) is before  # the reply's handler is put back


def test_stop_is_checked_before_each_token(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(facts_of, chat_reply="one two three four"))
    session = ChatSession(memory, "u1")
    pieces = []
    for piece in session.turn("My name is Dave", stop=lambda: len(pieces) == 2):
        pieces.append(piece)
    assert pieces == ["one ", "two "] and [n.text for n in session.notices] == ["(reply stopped)"]
    assert session.exchanges == [("My name is Dave", "one two")]
    assert [item.text for item in memory.get_all(user_id="u1")] == ["Name is Dave"]


def test_slash_commands(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(facts_of))
    session = ChatSession(memory, "u1")
    assert session.command("/memories") == "I remember nothing about you yet."
    list(session.turn("My name is Dave"))
    mine = memory.get_all(user_id="u1")[0]
    other = memory.add("Secret of u2", user_id="u2", infer=False)[0]
    assert session.command("/memories") == f"#{mine.id}  Name is Dave"
    assert "ADD" in session.command(f"/history {mine.id}")
    assert "u1 has no memory" in session.command(f"/forget {other.id}")
    assert "u1 has no memory" in session.command(f"/history {other.id}")
    assert session.command("/forget abc").startswith("error: memory id must be an integer")
    assert "/forget all" in session.command("/forget")
    assert session.command("/forget all", confirm=lambda q: False) == "kept everything"
    assert len(memory.get_all(user_id="u1")) == 1
    asked = []
    answer = session.command("/forget all", confirm=lambda q: asked.append(q) or True)
    assert "erased 1 memories" in answer and "u1" in asked[0]
    assert memory.get_all(user_id="u1") == []
    assert [s.user_id for s in memory.stats().scopes] == ["u2"]  # u1's raw messages went too
    assert [item.text for item in memory.get_all(user_id="u2")] == ["Secret of u2"]
    assert "/forget" in session.command("/help")
    assert "unknown command" in session.command("/dance")
    assert not session.finished
    session.command("/exit")
    assert session.finished


def test_forget_one_memory(tmp_path):
    memory = memory_with(tmp_path, FakeLLM(facts_of))
    session = ChatSession(memory, "u1")
    list(session.turn("My name is Dave"))
    mine = memory.get_all(user_id="u1")[0]
    assert session.command(f"/forget {mine.id}") == f"erased #{mine.id}: Name is Dave"
    assert memory.get_all(user_id="u1") == []


def test_plain_prompt_for_base_models():
    prompt = plain_prompt([
        {"role": "system", "content": "You remember: Name is Dave"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "What is my name?"},
    ])
    assert prompt == (
        "You remember: Name is Dave\n\nUser: Hi\nAssistant: Hello\nUser: What is my name?\nAssistant:"
    )


def test_chat_command_with_fake_backends(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localmem.frontends.cli import cli

    monkeypatch.setenv("LOCALMEM_LLM", "fake")
    monkeypatch.setenv("LOCALMEM_EMBEDDER", "hash")
    home = str(tmp_path / "h")
    runner = CliRunner()
    first = runner.invoke(cli, ["--home", home, "chat", "--user", "u1"], input="My name is Dave\n")
    assert first.exit_code == 0, first.output
    assert "assistant> I remember." in first.output
    second = runner.invoke(cli, ["--home", home, "chat", "--user", "u1"],
                           input="What is my name?\n/exit\n")
    assert second.exit_code == 0, second.output
    assert any("memory" in line and "Dave" in line for line in second.output.splitlines())
    hidden = runner.invoke(cli, ["--home", home, "chat", "--user", "u1", "--no-memory-display"],
                           input="What is my name?\n")
    assert "Dave" not in hidden.output


# --- a real terminal with the real model ------------------------------------------------------


def spawn_chat(home, *extra):
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALMEM_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TERM="dumb")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "localmem.frontends.cli", "--home", str(home), "chat", "--user", "u1", "--max-tokens", "24", *extra],
        env=env, encoding="utf-8", timeout=180,
    )
    child.expect_exact("you> ")
    return child


def ask(child, text):
    """Send a line; returns what the terminal showed until the next prompt."""
    child.sendline(text)
    child.expect_exact("you> ")
    return child.before


@pytest.mark.integration
def test_two_sessions_in_a_real_terminal_remember_then_forget(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    home = tmp_path / "home"
    first = spawn_chat(home)
    shown = ask(first, "My name is Dave")
    assert "assistant> " in shown and "warning" not in shown
    first.sendeof()  # Ctrl-D leaves cleanly
    first.expect(pexpect.EOF)
    first.wait()
    assert first.exitstatus == 0

    second = spawn_chat(home)
    shown = ask(second, "What is my name?")
    recalled = shown.split("assistant> ")[0]
    assert any("memory" in line and "Dave" in line for line in recalled.splitlines()), shown
    second.sendline("/forget all")
    second.expect_exact("[y/N] ")
    second.sendline("y")
    second.expect_exact("you> ")
    assert "erased" in second.before
    shown = ask(second, "What is my name?")
    assert "(no memories recalled)" in shown and "Dave" not in shown.split("assistant> ")[0]
    second.sendline("/exit")
    second.expect_exact("bye")
    second.wait()
    assert second.exitstatus == 0


@pytest.mark.integration
def test_ctrl_c_stops_a_reply_not_the_chat(tmp_path):
    child = spawn_chat(tmp_path / "home", "--max-tokens", "1500", "--no-memory-display")
    child.sendline("Write a very long story about a dragon, with many chapters.")
    child.expect_exact("assistant> ")
    child.expect(r"\w+ \w+ \w+")  # a few words streamed
    child.sendintr()
    child.expect_exact("you> ")
    assert "(reply stopped)" in child.before and child.isalive()
    child.sendeof()
    child.wait()
    assert child.exitstatus == 0
    with sqlite3.connect(tmp_path / "home" / "memory.db") as db:  # the stopped turn was kept
        stored = db.execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    assert stored[0] == ("user", "Write a very long story about a dragon, with many chapters.")
