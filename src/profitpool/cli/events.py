"""``profitpool events tail``: the events as they happen, from the service or the database."""

from __future__ import annotations

import sys

import click
import orjson

from ..events.domain import EVENT_TYPES
from .common import clean_errors


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
@clean_errors
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
    from ..events.feed import DatabaseFeed, Feed, ServiceFeed, follow

    start = 0 if from_start else after
    feed: Feed = (ServiceFeed(url, api_key, types, party, start) if url is not None
                  else DatabaseFeed(db or "", types, party, start))
    try:
        for seq, body in follow(feed.fetch, once):
            click.echo(body.decode() if as_json else _line(seq, body))
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        feed.close()


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
