"""``localmem init``, ``localmem encrypt`` and ``localmem rekey``: encryption at rest.

``cli.py`` adds them to the root group. Where a new key comes from, first to last: a passphrase
asked for (``--passphrase``), the key file named (read when it exists; else a new key is written
there), ``$LOCALMEM_KEY`` (not for ``rekey``: that is the old key), else a new random key kept in
the OS keyring, or shown once where there is none.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from localmem.crypto import HomeKey, Secret, check_passphrase, derive, generate_secret, new_kdf
from localmem.errors import ConfigError, HomeKeyError
from localmem.frontends.cli_common import CliState, LocalmemCommand, home_option, pass_state
from localmem.paths import home_dir, private_file
from localmem.storage import crypt_home
from localmem.storage.crypt_convert import convert
from localmem.storage.sqlite_backend import DB_FILE

__all__ = ["init", "encrypt", "rekey", "crypt_commands"]

_PASSPHRASE = click.option(
    "--passphrase", is_flag=True,
    help="Ask for a passphrase (twice) instead of using a random key; scrypt stretches it.",
)


@click.command(cls=LocalmemCommand)
@click.option("--encrypt", "encrypted", is_flag=True,
              help="Encrypt the new home (SQLCipher database, sealed index files).")
@_PASSPHRASE
@home_option
@pass_state
def init(state: CliState, encrypted: bool, passphrase: bool) -> None:
    """Create the home directory (with --encrypt: an encrypted one, and its key)."""
    from localmem.storage.store import Store

    home = home_dir(state.home)
    if (home / DB_FILE).exists() or crypt_home.is_encrypted(home):
        raise ConfigError(f"{home} already holds a home; `localmem encrypt` encrypts an existing "
                          "plaintext one")
    secret, where = (_new_secret(home, passphrase, crypt_home.configured_key_file(), True)
                     if encrypted else (None, ""))
    Store(home / DB_FILE, secret).close()
    click.echo(f"created {'an encrypted' if encrypted else 'a'} home at {home}")
    if where:
        click.echo(where)


@click.command(cls=LocalmemCommand)
@_PASSPHRASE
@home_option
@pass_state
def encrypt(state: CliState, passphrase: bool) -> None:
    """Encrypt an existing plaintext home in place (crash-safe; stop its server first)."""
    home = home_dir(state.home)
    if crypt_home.is_encrypted(home):
        raise ConfigError(f"{home} is encrypted already; `localmem rekey` changes its key")
    if not (home / DB_FILE).exists():
        raise ConfigError(f"{home} holds no memories; `localmem init --encrypt` creates one")
    secret, where = _new_secret(home, passphrase, crypt_home.configured_key_file(), True)
    convert(home, None, derive(secret, new_kdf()))
    click.echo(f"encrypted the home at {home}")
    click.echo(where)


@click.command(cls=LocalmemCommand)
@_PASSPHRASE
@click.option("--new-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File with the new key (read when it exists; else a new key is written there).")
@home_option
@pass_state
def rekey(state: CliState, passphrase: bool, new_key_file: Path | None) -> None:
    """Give an encrypted home a new key; the old key no longer opens it (stop its server first).

    The old key comes as for every command (--key-file, $LOCALMEM_KEY, keyring, prompt).
    """
    home = home_dir(state.home)
    if not crypt_home.is_encrypted(home):
        raise ConfigError(f"{home} is not encrypted; `localmem encrypt` encrypts it")
    old: HomeKey | None = crypt_home.home_key(home)
    secret, where = _new_secret(home, passphrase, new_key_file, False)
    convert(home, old, derive(secret, new_kdf()))
    click.echo(f"re-keyed the home at {home}; the old key no longer opens it")
    click.echo(where)


def _new_secret(
    home: Path, passphrase: bool, key_file: Path | None, from_env: bool
) -> tuple[Secret, str]:
    """The new key and a line saying where it is (see the module docstring).

    Raises:
        ConfigError: a short passphrase, or a key file inside the home.
    """
    if passphrase:
        typed = click.prompt("passphrase", hide_input=True, confirmation_prompt=True, err=True)
        return check_passphrase(Secret(typed)), "opens with your passphrase (asked for on a terminal)"
    if key_file is not None and key_file.exists():
        return check_passphrase(crypt_home.read_key_file(key_file)), f"opens with the key in {key_file}"
    if from_env and os.environ.get(crypt_home.KEY_ENV):
        return check_passphrase(Secret(os.environ[crypt_home.KEY_ENV])), "opens with $LOCALMEM_KEY"
    secret = generate_secret()
    if key_file is not None:
        _write_key_file(home, key_file, secret)
        return secret, f"key written to {key_file}; open the home with --key-file {key_file}"
    if crypt_home.keyring_set(home, secret):
        return secret, "key stored in the OS keyring; commands find it there"
    return secret, (
        "no OS keyring here: keep this key (shown once), and open the home with "
        f"LOCALMEM_KEY=<key> or --key-file FILE holding it:\n{secret.reveal()}"
    )


def _write_key_file(home: Path, key_file: Path, secret: Secret) -> None:
    """Write a new key to ``key_file`` (0600), which must not be under the home.

    Raises:
        HomeKeyError: the file is inside the home (a copy of the home would carry its key).
    """
    if home.resolve() in key_file.resolve().parents:
        raise HomeKeyError(f"keep the key file outside the home: {key_file} is inside {home}")
    private_file(key_file)
    with key_file.open("w", encoding="utf-8") as out:
        out.write(secret.reveal() + "\n")
        out.flush()
        os.fsync(out.fileno())


crypt_commands = (init, encrypt, rekey)
