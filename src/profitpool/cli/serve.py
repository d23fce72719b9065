"""``profitpool serve`` and ``profitpool demo``: the REST API, the explorer and the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..log.setup import initialise
from .common import clean_errors, db_option, key_option, open_store
from .init import report_initialised


@click.command("serve")
@db_option()
@key_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--block-entries", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Group commit: seal a block at this many entries ...")
@click.option("--block-wait-ms", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="... or this long after its first request arrived.")
@click.option("--rate", default=200.0, show_default=True, type=click.FloatRange(min=0),
              help="Requests per second per API key (0: unlimited) ...")
@click.option("--burst", default=400.0, show_default=True, type=click.FloatRange(min=1),
              help="... with bursts of up to this many.")
@click.option("--auto-burn/--no-auto-burn", default=True, show_default=True,
              help="Burn at 00:00 Asia/Shanghai on the 1st for the month that ended.")
@click.option("--anchor-rpc", default=None, metavar="URL",
              help="Publish checkpoints on this chain (run `profitpool anchor deploy` first).")
@click.option("--anchor-eth-key", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="The publisher's key file [default: $PROFITPOOL_ANCHOR_KEY].")
@click.option("--anchor-chain-id", type=int, default=None,
              help="Refuse an endpoint serving another chain.")
@click.option("--anchor-every-blocks", default=100, show_default=True,
              type=click.IntRange(min=1), help="Anchor after this many blocks ...")
@click.option("--anchor-every-minutes", default=60.0, show_default=True,
              type=click.FloatRange(min=0), help="... or this long since the last anchor.")
@click.option("--disclose/--no-disclose", default=True, show_default=True,
              help="Report each month once it is over, and record it in the log.")
@click.option("--witness", "witnesses", multiple=True, metavar="'URL VKEY'",
              help="Ask this witness (c2sp.org/tlog-witness) to cosign each new checkpoint; "
              "repeatable.")
@click.option("--webhooks/--no-webhooks", default=True, show_default=True,
              help="Deliver events to the registered webhook endpoints (a process of its own).")
@click.option("--events", "events_url", default=None, metavar="nats://HOST:PORT",
              help="Also publish every event to NATS JetStream there ...")
@click.option("--events-stream", default="PROFITPOOL", show_default=True, metavar="NAME",
              help="... to this stream, subjects NAME.<event type> in lower case (one "
              "stream per log).")
@click.option("--production", is_flag=True,
              help="Production mode: webhooks may go only to public addresses.")
@click.option("--webhook-timeout", default=10.0, show_default=True,
              type=click.FloatRange(min=0.1), help="Seconds a receiver has to answer.")
@click.option("--webhook-retry-hours", default=72.0, show_default=True,
              type=click.FloatRange(min=0), help="Retry a failing event this long, then "
              "disable its endpoint (and tell the admin).")
@clean_errors
def serve_command(db: str, key_path: Path, host: str, port: int, block_entries: int,
                  block_wait_ms: float, rate: float, burst: float, auto_burn: bool,
                  anchor_rpc: str | None, anchor_eth_key: Path | None,
                  anchor_chain_id: int | None, anchor_every_blocks: int,
                  anchor_every_minutes: float, disclose: bool,
                  witnesses: tuple[str, ...], webhooks: bool, events_url: str | None,
                  events_stream: str, production: bool, webhook_timeout: float,
                  webhook_retry_hours: float) -> None:
    """Serve the REST API (and the log as C2SP tlog-tiles) over HTTP.

    On a fresh machine this creates the log (as `init` does) and a first admin
    key, which it prints once: keep it. The API's documentation is at /docs.
    """
    from ..service import Settings
    from ..store.apikeys import KeyStore
    from ..witness.collector import WitnessEndpoint

    for witness in witnesses:
        WitnessEndpoint.parse(witness)  # a bad one is one line, before anything starts
    if events_url is not None and not events_url.startswith(("nats://", "tls://")):
        raise click.BadParameter(f"{events_url!r} is not a NATS URL (nats://host:port)",
                                 param_hint="--events")
    if not events_stream or not all(c.isascii() and (c.isalnum() or c in "_-")
                                    for c in events_stream):
        raise click.BadParameter(f"{events_stream!r} is not a stream name (letters, digits, "
                                 "_ and - only)", param_hint="--events-stream")
    report_initialised(initialise(db, key_path, None), db, key_path, quiet_if_done=True)
    with open_store(db) as store:
        keys = KeyStore(store.engine)
        if not keys.any_admin():
            key, record = keys.create("admin", label="created by the first serve")
            click.echo(f"admin key (shown once, keep it): {key}")
    _serve(Settings(db=db, key=key_path, host=host, port=port, block_entries=block_entries,
                     block_wait_ms=block_wait_ms, rate=rate, burst=burst, auto_burn=auto_burn,
                     anchor_rpc=anchor_rpc, anchor_eth_key=anchor_eth_key,
                     anchor_chain_id=anchor_chain_id, anchor_every_blocks=anchor_every_blocks,
                     anchor_every_minutes=anchor_every_minutes, witnesses=list(witnesses),
                     disclose=disclose, webhooks=webhooks, events=events_url,
                     events_stream=events_stream,
                     production=production, webhook_timeout_seconds=webhook_timeout,
                     webhook_retry_hours=webhook_retry_hours))


def _serve(settings: Any) -> None:
    """Print where the service is, then serve until interrupted."""
    import uvicorn

    from ..service import create_app
    from ..service.logs import configure_logging

    host, port = settings.host, settings.port
    base = f"http://{host}:{port}"
    click.echo(f"  explorer {base}/   wallet {base}/wallet   merchants {base}/merchant   "
               f"console {base}/console")
    click.echo(f"serving on {base}/v1  (API docs: {base}/docs)")
    configure_logging()
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                access_log=False, loop="uvloop", http="httptools")


@click.command("demo")
@click.option("--db", default="sqlite:///profitpool-demo.db", show_default=True, metavar="URL",
              help="Where the demonstration's log goes (created if it is not there).")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("profitpool-demo.key"), show_default=True,
              help="The demonstration operator's signing key (created if absent).")
@click.option("--members", default=3000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the demonstration once it is built.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@clean_errors
def demo_command(db: str, key_path: Path, members: int, months: int, seed: int, serve: bool,
                 host: str, port: int) -> None:
    """Build a demonstration program and serve it.

    The origin document's four industries (fresh food, clothing with a
    double-points clearance, a hotpot chain, a scenic area), MEMBERS members
    over MONTHS months of orders, withdrawals, payments with points, monthly
    burns and a pledge to a bank, ending now; then a key for each role. The
    figures are invented; the rules are docs/rules.md's defaults. If DB already
    holds a log it is served as it is, with new keys.
    """
    from time import time_ns

    from ..demo import build_demo, demo_keys
    from ..service import Settings
    from ..store.apikeys import KeyStore

    report_initialised(initialise(db, key_path, "profitpool.demo/log"), db, key_path,
                       quiet_if_done=True)
    with open_store(db) as store:
        empty = store.last_block() is None
    if empty:
        click.echo(f"building the demonstration: {members:,} members over {months} months …")
        accepted, refused = build_demo(db, key_path, end=time_ns() // 1000, months=months,
                                       members=members, seed=seed)
        click.echo(f"{accepted:,} commands in the log ({refused:,} refused by the rules, "
                   "as a live program would refuse them: not in the log)")
    else:
        click.echo(f"{db} already holds a log: serving it as it is")
    with open_store(db) as store:
        keys = demo_keys(KeyStore(store.engine))
    for role, key in keys.items():
        click.echo(f"{role:>16} key: {key}")
    if serve:
        _serve(Settings(db=db, key=key_path, host=host, port=port))
