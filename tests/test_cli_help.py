"""Every command and option of `localmem` has help text."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from localmem.frontends.cli import cli


def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


COMMANDS = list(walk(cli))


def test_the_expected_commands_exist():
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {"add", "search", "list", "get", "update", "delete", "delete-all", "history",
                "export", "import", "stats", "chat", "models"}
    assert expected <= names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "localmem" for p, _ in COMMANDS])
def test_command_and_options_have_help(path, command):
    assert (command.help or "").strip(), f"`localmem {' '.join(path)}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), (
                f"option {'/'.join(param.opts)} of `localmem {' '.join(path)}` has no help text"
            )


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "localmem" for p, _ in COMMANDS])
def test_help_runs(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert command.help.strip().splitlines()[0][:30] in " ".join(result.output.split())
