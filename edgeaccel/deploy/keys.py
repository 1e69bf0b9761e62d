"""Loading the private key given with `--key`, before any work starts.

- A file that is not a private key (a `.pub`, a directory, anything else) is bad input (exit 2).
- A key readable by group or others is used, with a warning, where OpenSSH would refuse it.
- An encrypted key is decrypted with EDGEACCEL_KEY_PASSPHRASE, else with what `ask_passphrase`
  returns (the CLI asks on a terminal); with neither, or with a passphrase that does not decrypt
  it, the deploy stops with exit 4 and the hint to load the key into ssh-agent instead.
"""

import logging
import os
import stat
from pathlib import Path
from typing import Callable

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from edgeaccel.errors import ConfigError, DeployError

log = logging.getLogger(__name__)

PASSPHRASE_VARIABLE = "EDGEACCEL_KEY_PASSPHRASE"
OPENSSH_PRIVATE_KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----"
PUBLIC_KEY_PREFIXES = (b"ssh-", b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-")


def load_key(path: Path, ask_passphrase: Callable[[Path], str] | None = None) -> paramiko.PKey:
    data = _read(path)
    _warn_if_others_can_read(path)
    load = serialization.load_ssh_private_key if data.lstrip().startswith(OPENSSH_PRIVATE_KEY) else serialization.load_pem_private_key
    password = None
    try:
        load(data, None)
    except TypeError:
        password, source = _passphrase(path, ask_passphrase)
        try:
            load(data, password)
        except ValueError as e:
            raise DeployError(f"--key {path}: expected the passphrase that decrypts it, received one from {source} that "
                              f"does not ({e}); load the key into ssh-agent (ssh-add {path}) and leave out --key") from e
    except (ValueError, UnsupportedAlgorithm) as e:
        raise ConfigError(f"--key {path}: expected an OpenSSH or PEM private key (ed25519, ecdsa or rsa), received a "
                          f"file it cannot read as one ({e})") from e
    try:
        return paramiko.PKey.from_path(path, password=password)
    except (paramiko.SSHException, ValueError, TypeError) as e:
        raise ConfigError(f"--key {path}: expected an ed25519, ecdsa or rsa private key, received one paramiko cannot "
                          f"use ({e})") from e


def _read(path: Path) -> bytes:
    if path.is_dir():
        raise ConfigError(f"--key: expected a private key file, received a directory ({path})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"--key: expected an existing private key file, received {str(path)!r} (no such file)") from None
    except OSError as e:
        raise ConfigError(f"--key {path}: expected a private key file this user can read, received {e.strerror}") from e
    if data.lstrip().startswith(PUBLIC_KEY_PREFIXES):
        private = path.with_suffix("") if path.suffix == ".pub" else None
        hint = f" (the private key is {private}, without .pub)" if private is not None and private.is_file() else ""
        raise ConfigError(f"--key {path}: expected the private key, received a public key{hint}")
    return data


def _warn_if_others_can_read(path: Path) -> None:
    """OpenSSH refuses a private key of its user that group or others may access (sshkey_perm_ok)."""
    status = path.stat()
    if status.st_uid == os.getuid() and status.st_mode & 0o077:
        log.warning("--key %s: permissions %04o let others read this private key (OpenSSH refuses such a key); "
                    "chmod 600 %s", path, stat.S_IMODE(status.st_mode), path)


def _passphrase(path: Path, ask: Callable[[Path], str] | None) -> tuple[bytes, str]:
    if PASSPHRASE_VARIABLE in os.environ:
        return os.environ[PASSPHRASE_VARIABLE].encode(), PASSPHRASE_VARIABLE
    if ask is not None:
        return ask(path).encode(), "the prompt"
    raise DeployError(f"--key {path}: expected an unencrypted private key or its passphrase, received an encrypted key "
                      f"and no passphrase ({PASSPHRASE_VARIABLE} is unset and there is no terminal to ask on); load it "
                      f"into ssh-agent (ssh-add {path}) and leave out --key, or set {PASSPHRASE_VARIABLE}")
