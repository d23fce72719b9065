"""What reaches the API before any route: bodies, media types, methods, header values.

A body is read whole and bounded (declared or chunked), must be JSON for the API,
UTF-8, with each name once per object (a gateway reading the first of two
``"amount"``s would see another order than the one logged); a wrong method is
told every method its path takes. Each refusal writes nothing.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import orjson
import pytest
from servicehelpers import Service

ORDER = {"id": "o1", "member": "u1", "amount": "10.00", "profit": "2.00"}


def _log_size(service: Service) -> int:
    return int(service.client().get("/v1/pool").json()["tree_size"])


def test_a_name_given_twice_is_invalid_json_and_nothing_is_stored(
        sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1")
    before = _log_size(sqlite_service)
    body = b'{"id": "o1", "member": "u1", "amount": "10.00", "amount": "999.00", ' \
        b'"profit": "2.00"}'
    response = m1.post("/v1/orders", content=body,
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert "'amount' appears twice" in response.json()["message"]
    assert _log_size(sqlite_service) == before
    assert m1.get("/v1/orders/o1").status_code == 404
    nested = b'{"orders": [{"id": "o2", "member": "u1", "member": "u2", "amount": "1.00", ' \
        b'"profit": "0.00"}]}'
    response = m1.post("/v1/orders:batch", content=nested,
                       headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_json")
    assert _log_size(sqlite_service) == before
    # The same order, each name once, is taken.
    assert m1.post("/v1/orders", json=ORDER).status_code == 201


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", b'{"id": "o1", "member": "u1", "amount": "10.00", "profit": "2.00"}'),
    ("application/x-www-form-urlencoded", b"id=o1&member=u1&amount=10.00&profit=2.00"),
    ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
    ("", b'{"id": "o1", "member": "u1", "amount": "10.00", "profit": "2.00"}'),
])
def test_a_body_that_is_not_json_is_unsupported_media_type(
        sqlite_service: Service, content_type: str, body: bytes) -> None:
    m1 = sqlite_service.merchant("m1")
    before = _log_size(sqlite_service)
    headers = {"Content-Type": content_type} if content_type else {}
    response = m1.post("/v1/orders", content=body, headers=headers)
    assert response.request.headers.get("Content-Type", "") == content_type
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert "application/json" in response.json()["message"]
    assert _log_size(sqlite_service) == before


def test_json_with_a_charset_or_a_json_suffix_is_taken(sqlite_service: Service) -> None:
    m1 = sqlite_service.merchant("m1")
    for number, content_type in enumerate(["application/json; charset=utf-8",
                                           "application/merge-patch+json"]):
        body = orjson.dumps({"id": f"o{number}", "member": "u1", "amount": "10.00",
                             "profit": "2.00"})
        response = m1.post("/v1/orders", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 201, response.text


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"id": "big", "name": "'
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536
    yield b'"}'


def test_a_chunked_body_without_a_length_is_refused_past_the_limit(
        sqlite_service: Service) -> None:
    admin = sqlite_service.admin()
    before = _log_size(sqlite_service)
    response = admin.post("/v1/lenders", content=_chunks(10 * 1024 * 1024),
                          headers={"Content-Type": "application/json"})
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert _log_size(sqlite_service) == before


def test_a_declared_length_past_the_limit_is_refused_before_it_is_read(
        sqlite_service: Service) -> None:
    host, port = sqlite_service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(b"POST /v1/lenders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    b"\r\nContent-Length: 10485760\r\n\r\n{")
        raw.settimeout(10)
        answer = b""
        while b"payload_too_large" not in answer:
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"payload_too_large" in answer


@pytest.mark.parametrize("body, says", [
    (b'{"id": "b\xff1"}', "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "more than 64 levels deep"),
    (b'{"id": {"a": ' * 70 + b"1" + b"}" * 70 + b"}", "more than 64 levels deep"),
    (b'{"id": NaN}', "NaN is not a JSON number"),
    (b'{"id": "b1"', "not valid JSON"),
    (b'\xef\xbb\xbf{"id": "b1"}', "byte order mark"),
])
def test_a_body_that_cannot_be_read_says_why(sqlite_service: Service, body: bytes,
                                             says: str) -> None:
    before = _log_size(sqlite_service)
    response = sqlite_service.admin().post("/v1/lenders", content=body,
                                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert says in response.json()["message"]
    assert _log_size(sqlite_service) == before


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_405_lists_every_method_of_its_path(sqlite_service: Service) -> None:
    """RFC 9110: a 405 carries Allow with the methods the target takes. Paths that several
    routes share (GET and POST /v1/burns, ...) take every one of them."""
    client = sqlite_service.client()
    document = client.get("/openapi.json").json()
    shared = 0
    for path, operations in document["paths"].items():
        declared = {method.upper() for method in operations}
        shared += len(declared) > 1
        wrong = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in declared)
        response = client.request(wrong, _fill(path))
        assert response.status_code == 405, (path, wrong, response.text)
        assert response.json()["error"] == "method_not_allowed"
        assert set(response.headers["Allow"].split(", ")) == declared | {"OPTIONS"}, path
    assert shared >= 5  # the paths that were answered with their first method only


def test_options_answers_the_methods_with_204(sqlite_service: Service) -> None:
    response = sqlite_service.client().options("/v1/burns")
    assert response.status_code == 204
    assert response.headers["Allow"] == "GET, OPTIONS, POST"
    assert response.content == b""


def test_a_non_ascii_idempotency_key_is_refused(sqlite_service: Service) -> None:
    sqlite_service.admin().post("/v1/merchants", json={"id": "m1"})
    before = _log_size(sqlite_service)
    request = sqlite_service.admin().build_request(
        "POST", "/v1/lenders", json={"id": "b1"})
    request.headers["Idempotency-Key"] = "重试-1".encode().decode("latin-1")
    response = sqlite_service.admin().send(request)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_command"
    assert "Idempotency-Key" in response.json()["message"]
    assert _log_size(sqlite_service) == before
    ok = sqlite_service.admin().post("/v1/lenders", json={"id": "b1"},
                                     headers={"Idempotency-Key": "retry-1"})
    assert ok.status_code == 201


def test_the_body_reader_leaves_long_polls_and_empty_posts_alone(
        sqlite_service: Service) -> None:
    """GET and body-less POSTs pass untouched (no Content-Type asked of them)."""
    admin = sqlite_service.admin()
    assert admin.get("/v1/events", params={"wait": 0.2}).status_code == 200
    response = admin.post("/v1/disclosures/2099-01")  # no body: refused by the route
    assert response.status_code == 400 and response.json()["error"] == "invalid_period"
    assert httpx.get(f"{sqlite_service.url}/v1/pool").status_code == 200
