"""``profitpool events tail``: the events as they happen, from the service or the database."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import click
import orjson

from .domain import ADMIN, EVENT_TYPES


@click.group("events")
def events_group() -> None:
    """Domain events: the feed webhooks and the NATS stream carry."""


@events_group.command("tail")
@click.option("--url", default=None, metavar="URL",
              help="Read from the service at URL (e.g. http://127.0.0.1:8000) ...")
@click.option("--api-key", envvar="PROFITPOOL_API_KEY", default=None, metavar="KEY",
              help="... with this key [$PROFITPOOL_API_KEY]; it sees what its party may hear.")
@click.option("--db", default=None, metavar="URL",
              help="Or read the log's database directly (sees everything).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only this event type (repeatable), e.g. order.settled.")
@click.option("--party", default=None, metavar="PARTY",
              help="Only what this party may hear: merchant:<id>, lender:<id>, member:<id>.")
@click.option("--after", default=None, type=click.IntRange(min=0),
              help="Start after this seq [default: the newest event, i.e. only new ones].")
@click.option("--from-start", is_flag=True, help="Start from the first event.")
@click.option("--json", "as_json", is_flag=True,
              help="Print each event's body exactly as delivered, one per line.")
@click.option("--once", is_flag=True, help="Print what is there and stop instead of following.")
def tail_command(url: str | None, api_key: str | None, db: str | None,
                 types: tuple[str, ...], party: str | None, after: int | None,
                 from_start: bool, as_json: bool, once: bool) -> None:
    """Print events as they are committed, oldest first, until interrupted.

    Each line: seq, time, type, event id, who it concerns, and the figures
    that matter. With --json, the body itself (what a webhook receives).
    """
    if (url is None) == (db is None):
        raise click.UsageError("give either --url (the service) or --db (the database)")
    for name in types:
        if name not in EVENT_TYPES:
            raise click.BadParameter(f"{name!r} is not an event type (known: "
                                     f"{', '.join(EVENT_TYPES)})", param_hint="--type")
    start = 0 if from_start else after
    closers: list[Callable[[], object]] = []
    try:
        source = (_from_service(url, api_key, types, party, start, closers)
                  if url is not None else _from_database(db or "", types, party, start, closers))
        for seq, body in _follow(source, once):
            click.echo(body.decode() if as_json else _line(seq, body))
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        for close in closers:
            close()


Batch = list[tuple[int, bytes]]


def _follow(fetch: Callable[[bool], Batch], once: bool) -> Iterator[tuple[int, bytes]]:
    first = True
    while True:
        batch = fetch(not first and not once)
        first = False
        yield from batch
        if once and not batch:
            return


def _from_database(db: str, types: tuple[str, ...], party: str | None, after: int | None,
                   closers: list[Callable[[], object]]) -> Callable[[bool], Batch]:
    from ..store.database import StoreError, connect, require_schema
    from .outbox import Outbox

    try:
        engine = connect(db)
        closers.append(engine.dispose)
        require_schema(engine)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    outbox = Outbox(engine)
    cursor = outbox.last_seq() if after is None else after

    def fetch(wait: bool) -> Batch:
        nonlocal cursor
        while True:
            found = outbox.read(cursor, 500, types=types or None, owner=party or ADMIN)
            if found or not wait:
                break
            time.sleep(0.2)
        if found:
            cursor = found[-1].seq
        return [(event.seq, event.body) for event in found]

    return fetch


def _from_service(url: str, api_key: str | None, types: tuple[str, ...], party: str | None,
                  after: int | None,
                  closers: list[Callable[[], object]]) -> Callable[[bool], Batch]:
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60)
    closers.append(client.close)
    cursor = after

    def get(path: str, params: dict[str, Any]) -> Any:
        try:
            response = client.get(path, params=params)
        except httpx.HTTPError as error:
            raise click.ClickException(f"cannot reach {url}: {error}") from None
        if response.status_code != 200:
            try:
                message = response.json()["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise click.ClickException(f"{url} answered {response.status_code}: {message}")
        return response.json()

    def fetch(wait: bool) -> Batch:
        nonlocal cursor
        params: dict[str, Any] = {"limit": 1000, "wait": 20 if wait else 0}
        if types:
            params["type"] = list(types)
        if party:
            params["party"] = party
        if cursor is None:  # only new events: start after the newest one now
            cursor = int(get("/v1/events", {"after": 0, "limit": 1})["newest"])
        params["after"] = cursor
        page = get("/v1/events", params)
        batch = [(item["seq"], orjson.dumps(item["event"], option=orjson.OPT_SORT_KEYS))
                 for item in page["data"]]
        cursor = page["next"]
        return batch

    return fetch


def _line(seq: int, body: bytes) -> str:
    event = orjson.loads(body)
    data = event.get("data", {})
    who = " ".join(f"{key}={data[key]}" for key in (
        "merchant", "member", "lender", "sender", "receiver") if data.get(key))
    figures = " ".join(f"{key}={data[key]}" for key in (
        "amount", "profit", "injection", "points", "value", "paid", "to_lender", "loan",
        "pool_after", "period", "burn_rate", "tree_size", "reason") if key in data)
    return f"{seq:>8}  {event['timestamp']}  {event['type']:<20} {event['id']:<18} " \
           f"{who}  {figures}".rstrip()
