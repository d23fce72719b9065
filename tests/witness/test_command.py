"""``profitpool witness init`` and ``serve``: key files, one-line errors, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from witnesshelpers import TreeLog

from profitpool.chain.cosign import CosignatureVerifier, CosignerKey, note_text
from profitpool.cli.witness import witness_group
from profitpool.witness.client import add_cosignatures, request_cosignature

SERVE_SCRIPT = "from profitpool.cli.witness import witness_group; witness_group()"


def _init(key_path: Path, name: str = "witness.example/w1") -> str:
    """Run `witness init`; the vkey it printed."""
    result = CliRunner().invoke(witness_group, ["init", "--name", name, "--key", str(key_path)])
    assert result.exit_code == 0, result.output
    [vkey_line] = [line for line in result.output.splitlines() if line.startswith("vkey: ")]
    return vkey_line.removeprefix("vkey: ")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_init_creates_a_private_key_file_and_prints_its_vkey(tmp_path: Path) -> None:
    key_path = tmp_path / "witness.key"
    vkey = _init(key_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    key = CosignerKey.parse(key_path.read_text().strip())
    assert key.name == "witness.example/w1"
    assert CosignatureVerifier.parse(vkey) == key.verifier()


def test_init_never_overwrites_a_key(tmp_path: Path) -> None:
    key_path = tmp_path / "witness.key"
    _init(key_path)
    before = key_path.read_text()
    result = CliRunner().invoke(witness_group, ["init", "--name", "w2", "--key", str(key_path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {key_path} exists already; not overwriting a key"
    assert key_path.read_text() == before


def test_init_refuses_a_name_that_cannot_name_a_key(tmp_path: Path) -> None:
    for name in ("has space", "a+b", ""):
        result = CliRunner().invoke(witness_group, ["init", "--name", name,
                                                    "--key", str(tmp_path / "k")])
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / "k").exists()


def test_serve_refuses_bad_setups_in_one_line(tmp_path: Path) -> None:
    key_path = tmp_path / "witness.key"
    log_key = TreeLog().verifier_key
    state = ["--state", str(tmp_path / "w.db")]

    def serve(*args: str) -> str:
        result = CliRunner().invoke(witness_group, ["serve", *args])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        return result.output

    assert "no key at" in serve("--key", str(key_path), "--log", log_key, *state)
    _init(key_path)
    assert "at least one log" in serve("--key", str(key_path), *state)
    assert "bad --log key" in serve("--key", str(key_path), "--log", "nonsense", *state)
    witness_vkey = CosignerKey.parse(key_path.read_text().strip()).verifier().key_string()
    assert "bad --log key" in serve("--key", str(key_path), "--log", witness_vkey, *state)
    not_a_state = tmp_path / "notes.txt"
    not_a_state.write_text("not a database, not at all, definitely not" * 20)
    assert "not a witness state" in serve("--key", str(key_path), "--log", log_key,
                                          "--state", str(not_a_state))
    key_path.chmod(0o644)
    assert "can be read by others" in serve("--key", str(key_path), "--log", log_key, *state)


def test_serve_runs_a_witness_that_cosigns_and_stops_cleanly(tmp_path: Path) -> None:
    key_path = tmp_path / "witness.key"
    vkey = _init(key_path)
    log = TreeLog().append(9)
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PROFITPOOL_")}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT, "serve", "--key", str(key_path), "--log",
         log.verifier_key, "--state", str(tmp_path / "w.db"), "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("serving on"):
            line = process.stdout.readline()
            assert line, f"serve ended early: {lines}"
            lines.append(line.strip())
        assert lines == ["witness witness.example/w1", f"vkey: {vkey}", f"witnessing {log.origin}",
                         f"serving on http://127.0.0.1:{port}/  (POST /add-checkpoint)"]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(url + "/", timeout=1).text.startswith("name witness.example/w1")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        note = log.note(9)
        cosigned = add_cosignatures(note, request_cosignature(url, note, 0, []),
                                    CosignatureVerifier.parse(vkey))
        assert note_text(cosigned) == note_text(note)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(30) == 0
        finally:
            process.stdout.close()
