"""The deploy's key and option handling, checked before any work: encrypted keys (passphrase from
EDGEACCEL_KEY_PASSPHRASE or a terminal prompt, else exit 4 with the ssh-agent hint), keys others can
read (a warning, as OpenSSH gives), a public key given as --key (exit 2), and deploy options that
must be refused (an empty --workdir, timeouts that are not finite positive numbers)."""

import os
import pty
import subprocess
import sys
import time

import pytest

from conftest import EDGEACCEL, REPO, error_line, run_cli
from edgeaccel.deploy.keys import load_key
from edgeaccel.errors import ConfigError, DeployError

PASSPHRASE = "correct horse battery staple"


def _deploy_cli(*args, env=None) -> subprocess.CompletedProcess:
    """The CLI with no terminal on stdin (so it never prompts)."""
    return subprocess.run([*EDGEACCEL, "deploy", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=(env or os.environ) | {"PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def encrypted_keys(loopback_board, tmp_path_factory):
    """An OpenSSH-format ed25519 key and a PEM RSA key, both encrypted and both accepted by the board."""
    directory = tmp_path_factory.mktemp("keys")
    keys = {"ed25519": directory / "id_ed25519", "rsa": directory / "id_rsa"}
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", str(keys["ed25519"])], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", PASSPHRASE, "-f", str(keys["rsa"])],
                   check=True)
    with open(loopback_board.directory / "authorized_keys", "a") as authorized:
        for key in keys.values():
            authorized.write(key.with_suffix(".pub").read_text())
    return keys


def _options(board, workdir, key):
    options = board.options(workdir)
    options[options.index("--key") + 1] = str(key)
    return options


def test_an_encrypted_key_takes_its_passphrase_from_the_environment_or_stops_with_a_hint(
        digits_build, loopback_board, encrypted_keys, tmp_path):
    key, workdir = encrypted_keys["ed25519"], tmp_path / "board"
    result = _deploy_cli(digits_build / "tflite", *_options(loopback_board, workdir, key), "--quiet",
                         env={k: v for k, v in os.environ.items() if k != "EDGEACCEL_KEY_PASSPHRASE"})
    line = error_line(result)
    assert result.returncode == 4 and f"--key {key}: expected an unencrypted private key or its passphrase" in line
    assert "EDGEACCEL_KEY_PASSPHRASE is unset and there is no terminal to ask on" in line
    assert f"load it into ssh-agent (ssh-add {key})" in line and not workdir.exists()

    wrong = _deploy_cli(digits_build / "tflite", *_options(loopback_board, workdir, key), "--quiet",
                        env=os.environ | {"EDGEACCEL_KEY_PASSPHRASE": "not it"})
    assert wrong.returncode == 4 and "received one from EDGEACCEL_KEY_PASSPHRASE that does not" in error_line(wrong)
    assert not workdir.exists()

    right = _deploy_cli(digits_build / "tflite", *_options(loopback_board, workdir, key), "--samples", "10", "--quiet",
                        env=os.environ | {"EDGEACCEL_KEY_PASSPHRASE": PASSPHRASE})
    assert right.returncode == 0, right.stderr
    assert (workdir / "current" / "results.json").is_file()


def test_an_encrypted_key_is_asked_for_on_a_terminal_without_echo(loopback_board, encrypted_keys, tmp_path):
    """`deploy --rollback` on an empty workdir: it connects (so the key worked), then finds no release."""
    key, workdir = encrypted_keys["rsa"], tmp_path / "board"
    env = {k: v for k, v in os.environ.items() if k != "EDGEACCEL_KEY_PASSPHRASE"} | {"PYTHONPATH": str(REPO)}
    pid, terminal = pty.fork()
    if pid == 0:
        os.chdir(REPO)
        os.execve(sys.executable, [*EDGEACCEL, "deploy", "--rollback", *_options(loopback_board, workdir, key), "--quiet"],
                  env)
    output, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Enter passphrase for key" in output:
            os.write(terminal, (PASSPHRASE + "\n").encode())
            answered = True
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert answered and f"Enter passphrase for key '{key}': " in text
    assert PASSPHRASE not in text, "the passphrase is not echoed"
    assert "rollback: expected" in text and "to point to a release, received no such link" in text
    assert os.waitstatus_to_exitcode(status) == 4


def test_both_key_formats_decrypt_and_a_wrong_passphrase_is_named(encrypted_keys, monkeypatch):
    monkeypatch.delenv("EDGEACCEL_KEY_PASSPHRASE", raising=False)
    for name, key in encrypted_keys.items():
        assert load_key(key, lambda path: PASSPHRASE).get_name() == f"ssh-{name}"
        with pytest.raises(DeployError, match="received one from the prompt that does not"):
            load_key(key, lambda path: "wrong")
        with pytest.raises(DeployError, match="no passphrase"):
            load_key(key)


def test_a_key_others_can_read_is_used_with_openssh_s_warning(loopback_board, tmp_path):
    key = tmp_path / "readable_key"
    key.write_bytes(loopback_board.key.read_bytes())
    key.chmod(0o644)
    workdir = tmp_path / "board"
    result = _deploy_cli("--rollback", *_options(loopback_board, workdir, key), "--quiet")
    warning, error = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"--key {key}: permissions 0644 let others read this private key (OpenSSH refuses such a key)" in warning
    assert f"chmod 600 {key}" in warning
    assert "received no such link" in error and result.returncode == 4, "it connected with the key"

    key.chmod(0o600)
    quiet = _deploy_cli("--rollback", *_options(loopback_board, workdir, key), "--quiet")
    assert "permissions" not in quiet.stderr and quiet.returncode == 4


def test_a_public_key_or_a_directory_as_key_is_bad_input(loopback_board, tmp_path):
    public = loopback_board.key.with_suffix(".pub")
    result = _deploy_cli("--rollback", *_options(loopback_board, tmp_path / "board", public), "--quiet")
    assert result.returncode == 2
    assert error_line(result) == (f"edgeaccel: error: --key {public}: expected the private key, received a public key "
                                  f"(the private key is {loopback_board.key}, without .pub)")
    directory = _deploy_cli("--rollback", *_options(loopback_board, tmp_path / "board", tmp_path), "--quiet")
    assert directory.returncode == 2 and "--key: expected a private key file, received a directory" in error_line(directory)
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key\n")
    with pytest.raises(ConfigError, match="expected an OpenSSH or PEM private key"):
        load_key(garbage)
    assert not (tmp_path / "board").exists()


@pytest.mark.parametrize("option, value, expected", [
    ("--workdir", "", "--workdir: expected a directory path, received ''"),
    ("--connect-timeout", "nan", "--connect-timeout: expected a finite number of seconds above 0, received nan"),
    ("--connect-timeout", "inf", "--connect-timeout: expected a finite number of seconds above 0, received inf"),
    ("--connect-timeout", "-1", "--connect-timeout: expected a finite number of seconds above 0, received -1.0"),
    ("--connect-timeout", "0", "--connect-timeout: expected a finite number of seconds above 0, received 0.0"),
    ("--lock-timeout", "nan", "--lock-timeout: expected a finite number of seconds, 0 or more, received nan"),
    ("--user", "", "--user: expected a user name, received ''"),
])
def test_deploy_options_that_cannot_be_right_are_refused_before_connecting(loopback_board, tmp_path, option, value,
                                                                           expected):
    options = loopback_board.options(tmp_path / "board")
    if option in options:
        options[options.index(option) + 1] = value
    else:
        options += [option, value]
    result = run_cli("deploy", "--rollback", *options, "--quiet")
    assert error_line(result) == f"edgeaccel: error: {expected}" and result.returncode == 2
    assert not (tmp_path / "board").exists()
