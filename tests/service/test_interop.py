"""The Go reference implementation of the log's formats follows the running service.

``interop/main.go`` is built against golang.org/x/mod/sumdb/note and
golang.org/x/mod/sumdb/tlog (Debian: ``golang-go golang-golang-x-mod-dev``, in
GOPATH mode, offline). It verifies ``/checkpoint`` with the published key,
reads every tile through tlog.TileHashReader, re-hashes every entry of every
bundle, rebuilds the tree from the entries and requires the checkpoint's root
and every tile's hashes, and checks inclusion and consistency proofs, both its
own and the service's ``/v1/proofs/…``. Without Go or the x/mod sources the
tests skip.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from servicehelpers import Service

from profitpool.chain.note import (
    Checkpoint,
    Signer,
    Verifier,
    generate_signer,
    open_checkpoint,
    sign_checkpoint,
)

INTEROP_SOURCE = Path(__file__).parent / "interop"
DEBIAN_GOPATH = "/usr/share/gocode"
_OK = re.compile(r"OK: origin (\S+), tree size (\d+), root \S+, (\d+) tiles, (\d+) entry "
                 r"bundles, (\d+) entries, (\d+) inclusion proofs(.*)")


def _gopath() -> str | None:
    """A GOPATH holding golang.org/x/mod's sources: $GOPATH's or Debian's."""
    candidates = [*os.environ.get("GOPATH", "").split(os.pathsep), DEBIAN_GOPATH]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "src/golang.org/x/mod/sumdb/tlog/tlog.go").is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def interop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go program, built offline in GOPATH mode (once per module)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed (apt-get install golang-go golang-golang-x-mod-dev)")
    gopath = _gopath()
    if gopath is None:
        pytest.skip("the Go sources of golang.org/x/mod are not installed "
                    "(apt-get install golang-golang-x-mod-dev)")
    out = tmp_path_factory.mktemp("interop")
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": gopath, "GOFLAGS": "",
           "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    if "GOCACHE" not in env and "HOME" not in env:
        env["GOCACHE"] = str(out / "gocache")
    binary = out / "interop"
    built = subprocess.run([go, "build", "-o", str(binary), "main.go"], cwd=INTEROP_SOURCE,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, f"go build failed:\n{built.stderr}"
    return binary


def _follow(binary: Path, url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), "-url", url, "-key", key, *args],
                          capture_output=True, text=True, timeout=120, check=False)


def _write_orders(shop: httpx.Client, first: int, count: int) -> None:
    orders = [{"id": f"o{i}", "member": f"u{i % 37}", "amount": "100.00", "profit": "20.00"}
              for i in range(first, first + count)]
    response = shop.post("/v1/orders:batch", json={"orders": orders})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == count, response.text


def _public_key(service: Service) -> tuple[str, str]:
    body = service.client().get("/v1/public-key").json()
    return str(body["origin"]), str(body["verifier_key"])


def _checkpoint(service: Service, key: str) -> tuple[str, Checkpoint]:
    response = service.client().get("/checkpoint")
    assert response.status_code == 200, response.text
    return response.text, open_checkpoint(response.text, Verifier.parse(key))


def test_go_reference_follows_the_log(interop: Path, service: Service, tmp_path: Path) -> None:
    origin, key = _public_key(service)
    shop = service.merchant("m1")
    _write_orders(shop, 0, 300)
    old_note, old = _checkpoint(service, key)
    assert old.size > 256 and old.size % 256, "want a full level-0 tile and a partial one"
    (tmp_path / "old.checkpoint").write_text(old_note)
    _write_orders(shop, 300, 300)
    _, new = _checkpoint(service, key)

    result = _follow(interop, service.url, key, "-origin", origin,
                     "-old", str(tmp_path / "old.checkpoint"), "-api")

    assert result.returncode == 0, result.stdout + result.stderr
    match = _OK.fullmatch(result.stdout.strip())
    assert match is not None, result.stdout
    assert match[1] == origin
    assert int(match[2]) == new.size == int(match[5])  # tree size, entries re-hashed
    assert int(match[4]) == -(-new.size // 256)  # every entry bundle
    # Level 0: every tile; level 1: one partial tile.
    assert int(match[3]) == -(-new.size // 256) + 1
    assert match[7] == f", consistent with size {old.size}, service proofs checked"


def test_go_reference_follows_the_log_without_an_old_checkpoint(
        interop: Path, sqlite_service: Service) -> None:
    _, key = _public_key(sqlite_service)
    _write_orders(sqlite_service.merchant("m1"), 0, 5)
    result = _follow(interop, sqlite_service.url, key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: origin ") and ", tree size 6, " in result.stdout


@pytest.mark.parametrize("case", ["other key", "old note by other key", "forged old root",
                                  "old larger", "wrong origin", "malformed key"])
def test_go_reference_refuses(interop: Path, sqlite_service: Service, tmp_path: Path,
                              case: str) -> None:
    origin, key = _public_key(sqlite_service)
    shop = sqlite_service.merchant("m1")
    _write_orders(shop, 0, 3)
    _, old = _checkpoint(sqlite_service, key)
    _write_orders(shop, 3, 3)
    _, new = _checkpoint(sqlite_service, key)
    operator = Signer.parse(sqlite_service.key_path.read_text().strip())
    other_secret, other_key = generate_signer(origin)  # same name, another key
    old_file = tmp_path / "old.checkpoint"
    args: list[str] = []
    expected = {
        "other key": "FAIL: /checkpoint: signature: ",
        "old note by other key": "FAIL: old checkpoint ",
        "forged old root": f"FAIL: consistency proof {old.size} -> {new.size}: ",
        "old larger": "is larger than the newest",
        "wrong origin": f'FAIL: /checkpoint: origin "{origin}", want "another/log"',
        "malformed key": "FAIL: verifier key: ",
    }[case]
    if case == "other key":
        key = other_key
    elif case == "old note by other key":
        old_file.write_text(sign_checkpoint(old, Signer.parse(other_secret)))
        args = ["-old", str(old_file)]
    elif case == "forged old root":
        forged = Checkpoint(old.origin, old.size, bytes(32))
        old_file.write_text(sign_checkpoint(forged, operator))
        args = ["-old", str(old_file)]
    elif case == "old larger":
        larger = Checkpoint(old.origin, new.size + 1, new.root)
        old_file.write_text(sign_checkpoint(larger, operator))
        args = ["-old", str(old_file)]
    elif case == "wrong origin":
        args = ["-origin", "another/log"]
    else:
        name, key_id, encoded = key.split("+", 2)
        key = f"{name}+{key_id}+{encoded[:-4]}AAA="  # the key id no longer matches

    result = _follow(interop, sqlite_service.url, key, *args)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert expected in result.stderr, result.stderr


class _TamperingProxy(http.server.ThreadingHTTPServer):
    """Forwards GETs to the service, flipping the last byte of one path's body."""

    def __init__(self, upstream: str, tampered: str) -> None:
        super().__init__(("127.0.0.1", 0), _TamperingHandler)
        self.upstream, self.tampered = upstream, tampered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _TamperingHandler(http.server.BaseHTTPRequestHandler):
    server: _TamperingProxy

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        answer = httpx.get(self.server.upstream + self.path, timeout=30)
        body = answer.content
        if self.path == "/" + self.server.tampered:
            body = body[:-1] + bytes([body[-1] ^ 1])
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def _tampering(upstream: str, tampered: str) -> Iterator[_TamperingProxy]:
    proxy = _TamperingProxy(upstream, tampered)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(10)


@pytest.mark.parametrize(("tampered", "expected"), [
    # A full tile under a tree-hash tile: x/mod 0.7.0's TileHashReader lets it
    # through, the rebuild from the entries catches it.
    ("tile/0/000", "FAIL: /tile/0/000: hash 255 is not the one the entries give"),
    ("tile/0/001.p/44", "FAIL: tiles of level 0 from 0: downloaded inconsistent tile"),
    ("tile/1/000.p/1", "FAIL: tiles of level 0 from 0: downloaded inconsistent tile"),
    ("tile/entries/000", "FAIL: /tile/entries/000: entry 255 does not hash to its leaf"),
    ("tile/entries/001.p/44", "FAIL: /tile/entries/001.p/44: entry 299 does not hash to its leaf"),
])
def test_go_reference_detects_a_tampered_tile(interop: Path, sqlite_service: Service,
                                              tampered: str, expected: str) -> None:
    """The checks are not vacuous: one flipped bit in any tile or bundle is caught."""
    _, key = _public_key(sqlite_service)
    _write_orders(sqlite_service.merchant("m1"), 0, 299)  # 300 entries: 256 + 44
    assert _follow(interop, sqlite_service.url, key).returncode == 0
    with _tampering(sqlite_service.url, tampered) as proxy:
        result = _follow(interop, proxy.url, key)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr, result.stderr
