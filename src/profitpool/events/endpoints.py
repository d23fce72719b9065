"""Webhook endpoints: who hears which events, where, and every attempt to tell them.

An endpoint belongs to an owner: ``admin`` (hears every event) or a party,
``merchant:<id>`` or ``lender:<id>`` (hears only events about itself and the
public ones, events/domain.py). It has a URL, a type filter (exact types or
patterns like ``order.*``; empty: everything the owner may hear) and a
secret (``whsec_…``) shown once, when it is created or rotated.

Each endpoint keeps a cursor: the last event ``seq`` it was told of (or that
its filter passed over). Events go out in ``seq`` order, one at a time per
endpoint; a failing event is retried (events/webhooks.py) and the ones after
it wait, so a receiver never sees them out of order. A new endpoint hears what
happens from its creation on; :meth:`EndpointStore.replay` sends any range again.

The tables are store/webhooks.py's; :class:`EndpointStore` checks what goes
into them. URLs are checked when registered and again before every delivery
(:class:`UrlPolicy`): http or https only, no user or password in them, never
the service itself, and never an address that is not public (loopback,
private, link-local, carrier-grade NAT, multicast, reserved, unspecified, and
IPv6 forms of these), whatever the name resolves to, unless the operator
allows private targets. Otherwise any merchant key could make the events
process a port scanner of the operator's own network, reading the answers off
its delivery log.
"""

from __future__ import annotations

import builtins
import ipaddress
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import Engine

from ..errors import ProfitpoolError
from ..store.outbox import OutboxStore
from ..store.webhooks import Endpoint, WebhookStore
from .domain import ADMIN, check_patterns
from .signing import new_secret

MAX_URL: Final = 2000
MAX_DESCRIPTION: Final = 500
OWNER_ROLES: Final = ("merchant", "lender")


class EndpointError(ProfitpoolError):
    """An endpoint cannot be registered or changed as asked: ``code`` says which kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """``invalid_url``, ``invalid_command`` (a bad filter or field) or ``not_found``."""
        self.message = message


@dataclass(frozen=True)
class UrlPolicy:
    """Where deliveries may go.

    Only public addresses, unless ``private_targets`` (the operator's explicit
    setting, for receivers on their own network) allows the rest; ``own`` are the
    (host, port) pairs the service itself listens on, never a receiver.
    """

    private_targets: bool = False
    own: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def check(self, url: str) -> str:
        """``url`` if deliveries may go there.

        Raises:
            EndpointError(invalid_url): with the reason, in one sentence.
        """
        if not isinstance(url, str) or not url or len(url) > MAX_URL:
            raise EndpointError("invalid_url", f"a webhook URL is 1 to {MAX_URL} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise EndpointError("invalid_url", f"{url!r} is not a URL: {error}") from None
        if parts.scheme not in ("http", "https"):
            raise EndpointError("invalid_url", f"{url!r} is not http(s): webhooks are "
                                "delivered over HTTP only")
        if not parts.hostname:
            raise EndpointError("invalid_url", f"{url!r} names no host")
        if parts.username is not None or parts.password is not None:
            raise EndpointError("invalid_url", "a webhook URL may not hold a user or "
                                "password: receivers check the signature instead")
        if parts.fragment:
            raise EndpointError("invalid_url", "a webhook URL may not hold a #fragment")
        port = port or (443 if parts.scheme == "https" else 80)
        self.check_address(parts.hostname, port)
        return url

    def check_address(self, host: str, port: int,
                      addresses: Sequence[str] | None = None) -> None:
        """Refuse the service itself and, unless private targets are allowed, any address
        that is not public: every one of ``addresses``, what ``host`` resolved to (resolved
        here when not given). A delivery passes the addresses it will connect to.

        Raises:
            EndpointError(invalid_url): nothing was connected to.
        """
        own_ports = {own_port for _, own_port in self.own}
        if self.private_targets and port not in own_ports:
            return
        if addresses is None:
            addresses = resolve(host, port)
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if port in own_ports and self._is_own(ip, port):
                raise EndpointError("invalid_url", f"{host}:{port} is this service itself: "
                                    "a webhook must go to another system")
            if not self.private_targets and not is_public(ip):
                raise EndpointError("invalid_url", f"{host} resolves to {ip}, which is not a "
                                    "public address (private targets are not allowed on "
                                    "this service)")

    def _is_own(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        for own_host, own_port in self.own:
            if own_port != port:
                continue
            try:
                bound = ipaddress.ip_address(own_host)
            except ValueError:
                bound = None
            if ip.is_loopback or ip.is_unspecified or bound is None or bound == ip:
                return True
            if bound.is_unspecified:
                return ip in _local_addresses()
        return False


_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a globally routable unicast address.

    Not: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
    (169.254/16, where cloud metadata lives; fe80::/10), carrier-grade NAT
    (100.64/10), multicast, reserved, unspecified, documentation and benchmark
    ranges, site-local; nor an IPv6 address that carries an IPv4 one that is not
    public (IPv4-mapped ``::ffff:10.0.0.1``, NAT64 ``64:ff9b::/96``, 6to4
    ``2002::/16``, Teredo's ends). Mapped and NAT64 addresses are judged by the IPv4
    address they reach.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
        embedded = [ip.sixtofour, *(ip.teredo or ())]
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
        if ip.is_site_local:
            return False
    return (ip.is_global and not ip.is_multicast and not ip.is_reserved
            and not ip.is_loopback and not ip.is_link_local and not ip.is_unspecified
            and not ip.is_private)


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to.

    Raises:
        EndpointError(invalid_url): it does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise EndpointError("invalid_url", f"{host} does not resolve: {error}") from None
    return sorted({str(info[4][0]) for info in infos})


def _local_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        names = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return set()
    return {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in names}


def check_owner(owner: str) -> str:
    """``admin``, ``merchant:<id>`` or ``lender:<id>``.

    Raises:
        EndpointError(invalid_command)
    """
    if owner == ADMIN:
        return owner
    role, _, party = owner.partition(":")
    if role not in OWNER_ROLES or not party:
        raise EndpointError("invalid_command", f"{owner!r} cannot own an endpoint: the owner "
                            "is 'admin', 'merchant:<id>' or 'lender:<id>'")
    return owner


class EndpointStore:
    """Registering, changing and listing endpoints, checked (store/webhooks.py stores them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows = WebhookStore(engine)
        self.outbox = OutboxStore(engine)

    # registration -------------------------------------------------------------
    def create(self, owner: str, url: str, types: Iterable[str] = (), description: str = "",
               *, policy: UrlPolicy, after: int | None = None) -> tuple[Endpoint, str]:
        """Register an endpoint; returns it and its secret (shown this once).

        It hears events after ``after`` (default: the newest event now).

        Raises:
            EndpointError: a bad owner, URL, filter or description.
        """
        check_owner(owner)
        policy.check(url)
        filters = _filters(types)
        _description(description)
        secret = new_secret()
        endpoint_id = "wh_" + secrets.token_hex(8)
        cursor = self.outbox.last_seq() if after is None else max(0, after)
        self.rows.add(Endpoint(
            id=endpoint_id, owner=owner, url=url, secret=secret, types=tuple(filters),
            description=description, enabled=True, disabled_reason=None, cursor=cursor,
            replay_next=None, replay_end=None, failing_since_us=None, attempts=0,
            next_attempt_us=None, created_us=_now()))
        endpoint = self.get(endpoint_id)
        assert endpoint is not None
        return endpoint, secret

    def get(self, endpoint_id: str) -> Endpoint | None:
        return self.rows.get(endpoint_id)

    def require(self, endpoint_id: str, owner: str | None = None) -> Endpoint:
        """The endpoint, if it exists and (for a party) is the owner's.

        Raises:
            EndpointError(not_found): also for another owner's (its existence is not told).
        """
        endpoint = self.get(endpoint_id)
        if endpoint is None or (owner not in (None, ADMIN) and endpoint.owner != owner):
            raise EndpointError("not_found", f"there is no webhook endpoint {endpoint_id!r}")
        return endpoint

    def list(self, owner: str | None = None) -> list[Endpoint]:
        """Every endpoint, or one owner's (``admin`` lists all)."""
        return self.rows.list(None if owner in (None, ADMIN) else owner)

    def update(self, endpoint_id: str, *, policy: UrlPolicy, owner: str | None = None,
               url: str | None = None, types: Iterable[str] | None = None,
               description: str | None = None, enabled: bool | None = None) -> Endpoint:
        """Change an endpoint. Enabling it again clears its failures and retries at once.

        Raises:
            EndpointError
        """
        self.require(endpoint_id, owner)
        values: dict[str, Any] = {}
        if url is not None:
            values["url"] = policy.check(url)
        if types is not None:
            values["types"] = tuple(_filters(types))
        if description is not None:
            values["description"] = _description(description)
        if enabled is not None:
            values["enabled"] = enabled
            if enabled:
                values.update(disabled_reason=None, failing_since_us=None, attempts=0,
                              next_attempt_us=None)
            else:
                values["disabled_reason"] = "disabled by its owner"
        if values:
            self._set(endpoint_id, values)
        return self.require(endpoint_id)

    def delete(self, endpoint_id: str, owner: str | None = None) -> None:
        self.require(endpoint_id, owner)
        self.rows.delete(endpoint_id)

    def rotate_secret(self, endpoint_id: str, owner: str | None = None) -> str:
        """A new secret for the endpoint (the old one stops signing at once)."""
        self.require(endpoint_id, owner)
        secret = new_secret()
        self._set(endpoint_id, {"secret": secret})
        return secret

    def replay(self, endpoint_id: str, first: int, last: int | None = None,
               owner: str | None = None) -> Endpoint:
        """Send events ``first <= seq <= last`` (default: up to the cursor) again, in order,
        before any newer one; the filter and the owner's view still apply.

        Raises:
            EndpointError(invalid_command): an empty or reversed range.
        """
        endpoint = self.require(endpoint_id, owner)
        end = endpoint.cursor if last is None else min(last, endpoint.cursor)
        if first < 1 or end < first:
            raise EndpointError("invalid_command", f"nothing to replay: events {first} to "
                                f"{end} (this endpoint has been told of events up to "
                                f"{endpoint.cursor})")
        self._set(endpoint_id, {"replay_next": first, "replay_end": end})
        return self.require(endpoint_id)

    def deliveries(self, endpoint_id: str, *, before_us: int | None = None,
                   seq: int | None = None, limit: int = 100) -> builtins.list[dict[str, Any]]:
        """The delivery log, newest attempt first (only event ``seq`` if given)."""
        return [{
            "seq": row.seq, "event_id": row.event_id, "attempt": row.attempt,
            "attempt_us": row.attempt_us, "outcome": row.outcome,
            "http_status": row.http_status, "detail": row.detail,
            "duration_ms": row.duration_ms,
        } for row in self.rows.deliveries(endpoint_id, before_us=before_us, seq=seq,
                                          limit=limit)]

    def _set(self, endpoint_id: str, values: dict[str, Any]) -> None:
        self.rows.change(endpoint_id, **values)


def _filters(types: Iterable[str]) -> list[str]:
    if isinstance(types, str):
        raise EndpointError("invalid_command", "types is a list of event types")
    try:
        return check_patterns(list(types))
    except ValueError as error:
        raise EndpointError("invalid_command", str(error)) from None


def _description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise EndpointError("invalid_command",
                            f"a description is text of at most {MAX_DESCRIPTION} characters")
    return text


def _now() -> int:
    return time.time_ns() // 1000
