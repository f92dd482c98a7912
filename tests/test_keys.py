"""API keys: shown once, stored only as a salted hash, bound to a user, revocable; and their CLI."""

import json
import sqlite3

import click
import pytest
from click.testing import CliRunner

from localmem import InvalidInputError
from localmem.frontends.cli_server import keys, mcp, serve
from localmem.storage.keys import KEYS_FILE, KeyStore, create_key, list_keys, revoke, verify


def test_a_created_key_verifies_and_carries_its_user(tmp_path):
    store = KeyStore(tmp_path)
    key = store.create("alice", label="laptop")
    record = store.verify(key)
    assert record is not None and record.user_id == "alice" and record.label == "laptop"
    assert key.startswith("lm_") and record.key_id in key
    admin = store.verify(store.create(admin=True))
    assert admin is not None and admin.user_id is None and admin.admin and not record.admin


def test_only_a_salted_hash_is_stored(tmp_path):
    key_a, key_b = create_key("ana", home=tmp_path), create_key(admin=True, home=tmp_path)
    secret = key_a[len("lm_"):].partition("_")[2]  # the secret itself may contain "_"
    raw = (tmp_path / KEYS_FILE).read_bytes()
    assert secret.encode() not in raw and key_a.encode() not in raw
    rows = sqlite3.connect(tmp_path / KEYS_FILE).execute("SELECT salt, digest FROM api_keys").fetchall()
    assert len(rows) == 2 and rows[0][0] != rows[1][0] and rows[0][1] != rows[1][1]
    assert verify(key_b, home=tmp_path) is not None


@pytest.mark.parametrize(
    "bad", [None, "", "lm_", "lm_abc", "nope", "lm_000000000000_wrong", "x" * 10_000, "lm_\ud800_\x00"]
)
def test_wrong_or_malformed_keys_do_not_verify(tmp_path, bad):
    store = KeyStore(tmp_path)
    good = store.create("ana")
    assert store.verify(bad) is None
    key_id, secret = good[3:].split("_", 1)
    assert store.verify(f"lm_{key_id}_{secret[:-1]}") is None  # right id, wrong secret


def test_a_revoked_key_stops_working_and_is_listed_only_with_all(tmp_path):
    key = create_key("bob", home=tmp_path)
    record = verify(key, home=tmp_path)
    assert revoke(record.key_id, home=tmp_path) is True
    assert verify(key, home=tmp_path) is None
    assert revoke(record.key_id, home=tmp_path) is False
    assert list_keys(home=tmp_path) == []
    assert [r.key_id for r in list_keys(home=tmp_path, include_revoked=True)] == [record.key_id]


def test_a_key_cannot_be_bound_to_a_bad_user_id(tmp_path):
    with pytest.raises(InvalidInputError):
        create_key("a\x00b", home=tmp_path)
    with pytest.raises(InvalidInputError):
        create_key(" ", home=tmp_path)
    assert list_keys(home=tmp_path, include_revoked=True) == []


@pytest.mark.parametrize("user_id, admin, fix", [
    (None, False, "neither"), ("alice", True, "both"), (None, "yes", "True or False"),
    (None, 1, "True or False"),
])
def test_a_key_needs_a_user_or_an_explicit_admin(tmp_path, user_id, admin, fix):
    """No key reaches every user's memories by omission: the library asks as the CLI does."""
    for make in (lambda: create_key(user_id, home=tmp_path, admin=admin),
                 lambda: KeyStore(tmp_path).create(user_id, admin=admin)):
        with pytest.raises(InvalidInputError) as caught:
            make()
        message = str(caught.value)
        assert fix in message
        if fix != "True or False":
            assert "admin=True" in message and "user_id=" in message and "--admin" in message
    assert list_keys(home=tmp_path, include_revoked=True) == []


def test_a_refused_create_key_does_not_create_the_key_database(tmp_path):
    with pytest.raises(InvalidInputError):
        create_key(home=tmp_path / "home")
    assert not (tmp_path / "home" / KEYS_FILE).exists()


def test_an_admin_key_reaches_every_user_and_a_user_key_only_its_own(tmp_path):
    """The REST server's scope policy on keys made through the library's explicit API."""
    from localmem.errors import AccessDeniedError
    from localmem.frontends.rest.auth import scope_for

    admin = verify(create_key(admin=True, home=tmp_path), home=tmp_path)
    alice = verify(create_key("alice", home=tmp_path), home=tmp_path)
    assert scope_for(admin, "bob")["user_id"] == "bob"
    assert scope_for(alice, None)["user_id"] == "alice"
    with pytest.raises(AccessDeniedError):
        scope_for(alice, "bob")


def test_cli_creates_lists_and_revokes_keys_without_showing_secrets(tmp_path):
    runner = CliRunner()
    created = runner.invoke(keys, ["create", "--user", "alice", "--home", str(tmp_path)])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert verify(key, home=tmp_path).user_id == "alice"
    listed = runner.invoke(keys, ["list", "--home", str(tmp_path)])
    key_id = verify(key, home=tmp_path).key_id
    assert key_id in listed.output and "user=alice" in listed.output and "ADMIN" not in listed.output
    assert key[len("lm_"):].partition("_")[2] not in listed.output
    assert runner.invoke(keys, ["revoke", key_id, "--home", str(tmp_path)]).exit_code == 0
    again = runner.invoke(keys, ["revoke", key_id, "--home", str(tmp_path)])
    assert again.exit_code != 0 and "no active key" in again.output
    assert verify(key, home=tmp_path) is None


def test_a_full_access_key_needs_an_explicit_admin_flag(tmp_path):
    runner = CliRunner()
    for args in ([], ["--user", "alice", "--admin"]):
        refused = runner.invoke(keys, ["create", "--home", str(tmp_path), *args])
        assert refused.exit_code == 2 and "give --user USER" in refused.output and "--admin" in refused.output
        assert list_keys(home=tmp_path) == []
    created = runner.invoke(keys, ["create", "--admin", "--home", str(tmp_path)])
    assert created.exit_code == 0, created.output
    admin = verify(created.stdout.strip(), home=tmp_path)
    assert admin is not None and admin.user_id is None and "admin key" in created.stderr
    runner.invoke(keys, ["create", "--user", "bob", "--home", str(tmp_path)])
    table = runner.invoke(keys, ["list", "--home", str(tmp_path)]).output.splitlines()
    rows = {line.split()[0]: line for line in table[1:]}
    assert table[0].split()[:3] == ["KEY", "ID", "ACCESS"] and len(rows) == 2
    assert "ADMIN" in rows.pop(admin.key_id) and "user=bob" in rows.popitem()[1]
    listed = json.loads(runner.invoke(keys, ["list", "--json", "--home", str(tmp_path)]).stdout)
    assert {(r["user_id"], r["admin"]) for r in listed} == {("bob", False), (None, True)}


def test_the_root_home_reaches_the_key_commands(tmp_path, isolated_home):
    """`localmem --home X keys ...` uses X, not $LOCALMEM_HOME."""
    from localmem.frontends.cli import cli

    runner = CliRunner()
    home = tmp_path / "chosen"
    created = runner.invoke(cli, ["--home", str(home), "keys", "create", "--user", "alice"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert verify(key, home=home).user_id == "alice" and not (isolated_home / KEYS_FILE).exists()
    key_id = verify(key, home=home).key_id
    listed = json.loads(runner.invoke(cli, ["--json", "--home", str(home), "keys", "list"]).stdout)
    assert [r["key_id"] for r in listed] == [key_id]
    assert runner.invoke(cli, ["--home", str(home), "keys", "revoke", key_id]).exit_code == 0
    assert verify(key, home=home) is None


def _commands(cmd: click.Command, path: str = ""):
    yield path or cmd.name, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, f"{path or cmd.name} {name}")


def test_every_server_command_and_option_has_help_text():
    for root in (serve, keys, mcp):
        for name, cmd in _commands(root):
            assert cmd.help, f"{name} has no help"
            for param in cmd.params:
                if isinstance(param, click.Option):
                    assert param.help, f"{name} {param.opts} has no help"
