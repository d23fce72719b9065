"""``profitpool serve`` and ``profitpool demo``: the REST API, the explorer and the pages.

The service's settings come from one place, :class:`~profitpool.service.settings.Settings`:
a flag the user gave, else its ``PROFITPOOL_*`` environment variable, else
the default declared there. So a flag's default is read from Settings (for
``--help`` too), and only the flags given on the command line are passed on.
Settings loads pydantic, so it is imported only when a default or a value
is needed, not by ``profitpool --help``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from ..log.setup import initialise
from .common import clean_errors, data_key_option, db_option, key_option, open_store
from .init import report_initialised

if TYPE_CHECKING:
    from ..service.settings import Settings

_F = TypeVar("_F", bound=Callable[..., Any])

_SHARED_OPTIONS = {"db": "db", "key_path": "key", "data_key": "data_key"}
"""The shared --db, --key and --data-key options (common.py) are those settings."""


class SettingOption(click.Option):
    """An option for a field of Settings: its default is that field's default."""

    def __init__(self, *args: Any, setting: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setting = setting

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        from ..service.settings import Settings

        return Settings.model_fields[self.setting].default


def setting(*decls: str, field: str, **kwargs: Any) -> Callable[[_F], _F]:
    """A click option for the Settings field ``field`` (declare no default: it is Settings')."""
    return click.option(*decls, cls=SettingOption, setting=field, **kwargs)


def _settings(**fixed: Any) -> Settings:
    """The command's Settings: ``fixed``, then the flags given, then the environment, then
    the defaults.

    Raises:
        click.ClickException: an environment variable holds a value the setting refuses.
    """
    from pydantic import ValidationError

    from ..service.settings import Settings

    ctx = click.get_current_context()
    given: dict[str, Any] = {}
    for param in ctx.command.params:
        name = param.name or ""
        field = getattr(param, "setting", None) or _SHARED_OPTIONS.get(name)
        if field is not None and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            value = ctx.params[name]
            given[field] = list(value) if isinstance(value, tuple) else value
    try:
        return Settings(**{**given, **fixed})
    except ValidationError as error:
        problems = "; ".join(
            f"PROFITPOOL_{'_'.join(str(part) for part in problem['loc'][:1]).upper()}="
            f"{problem['input']!r}: {problem['msg']}" for problem in error.errors())
        raise click.ClickException(f"invalid setting in the environment: {problems}") from None


def _hint(name: str) -> str:
    """How the user gave the parameter ``name``: its flag, or its environment variable."""
    ctx = click.get_current_context()
    param = next(param for param in ctx.command.params if param.name == name)
    if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
        return param.opts[0]
    return f"PROFITPOOL_{getattr(param, 'setting', name).upper()}"


@click.command("serve")
@db_option()
@key_option()
@data_key_option()
@setting("--read-db", field="read_db", metavar="postgresql://…",
         help="A PostgreSQL streaming replica of --db: histories, blocks, entries, proofs, "
         "tiles and the pages are read there (read-only); writes, keys and sessions stay "
         "on --db. Something newer than the replica holds is read from --db.")
@setting("--host", field="host", show_default=True, help="Address to listen on.")
@setting("--port", field="port", show_default=True, type=click.IntRange(0, 65535))
@setting("--workers", field="workers", show_default=True, type=click.IntRange(1, 64),
         help="HTTP processes. 1: one process serves and writes. N ≥ 2: N processes serve "
         "HTTP on the same port and the log is written by a process of its own (use "
         "every core).")
@setting("--block-entries", field="block_entries", show_default=True,
         type=click.IntRange(min=1), help="Group commit: seal a block at this many entries ...")
@setting("--block-wait-ms", field="block_wait_ms", show_default=True,
         type=click.FloatRange(min=0), help="... or this long after its first request arrived.")
@setting("--rate", field="rate", show_default=True, type=click.FloatRange(min=0),
         help="Requests per second per API key (0: unlimited) ...")
@setting("--burst", field="burst", show_default=True, type=click.FloatRange(min=1),
         help="... with bursts of up to this many.")
@setting("--source-url", field="source_url", metavar="URL",
         help="Where this program's source is published (a git repository): /verify "
         "tells people to install profitpool from there.")
@setting("--auto-burn/--no-auto-burn", field="auto_burn", show_default=True,
         help="Burn at 00:00 Asia/Shanghai on the 1st for the month that ended.")
@setting("--anchor-rpc", field="anchor_rpc", metavar="URL",
         help="Publish checkpoints on this chain (run `profitpool anchor deploy` first).")
@setting("--anchor-eth-key", field="anchor_eth_key",
         type=click.Path(dir_okay=False, path_type=Path),
         help="The publisher's key file [default: $PROFITPOOL_ANCHOR_KEY].")
@setting("--anchor-chain-id", field="anchor_chain_id", type=int,
         help="Refuse an endpoint serving another chain.")
@setting("--anchor-every-blocks", field="anchor_every_blocks", show_default=True,
         type=click.IntRange(min=1), help="Anchor after this many blocks ...")
@setting("--anchor-every-minutes", field="anchor_every_minutes", show_default=True,
         type=click.FloatRange(min=0), help="... or this long since the last anchor.")
@setting("--disclose/--no-disclose", field="disclose", show_default=True,
         help="Report each month once it is over, and record it in the log.")
@setting("--witness", "witnesses", field="witnesses", multiple=True, metavar="'URL VKEY'",
         help="Ask this witness (c2sp.org/tlog-witness) to cosign each new checkpoint; "
         "repeatable.")
@setting("--webhooks/--no-webhooks", field="webhooks", show_default=True,
         help="Deliver events to the registered webhook endpoints (a process of its own).")
@setting("--events", "events_url", field="events", metavar="nats://HOST:PORT",
         help="Also publish every event to NATS JetStream there ...")
@setting("--events-stream", field="events_stream", show_default=True, metavar="NAME",
         help="... to this stream, subjects NAME.<event type> in lower case (one "
         "stream per log).")
@setting("--allow-private-webhooks", field="webhook_private_targets", is_flag=True,
         help="Let webhooks go to addresses that are not public (loopback, private, "
         "link-local, ...), for receivers on your own network. Without it they are "
         "refused at registration and before every delivery.")
@setting("--webhook-timeout", field="webhook_timeout_seconds", show_default=True,
         type=click.FloatRange(min=0.1), help="Seconds a receiver has to answer.")
@setting("--webhook-retry-hours", field="webhook_retry_hours", show_default=True,
         type=click.FloatRange(min=0), help="Retry a failing event this long, then "
         "disable its endpoint (and tell the admin).")
@clean_errors
def serve_command(**flags: object) -> None:
    """Serve the REST API (and the log as C2SP tlog-tiles) over HTTP.

    On a fresh machine this creates the log (as `init` does) and a first admin
    key, which it prints once: keep it. The API's documentation is at /docs.

    Every setting is also read from its PROFITPOOL_* environment variable
    (PROFITPOOL_PORT, PROFITPOOL_WEBHOOK_TIMEOUT_SECONDS, PROFITPOOL_WITNESSES=
    '["URL VKEY"]', …: see src/profitpool/service/settings.py); a flag given
    overrides it.
    """
    from ..store.apikeys import KeyStore
    from ..witness.collector import WitnessEndpoint

    settings = _settings()
    for witness in settings.witnesses:
        WitnessEndpoint.parse(witness)  # a bad one is one line, before anything starts
    events, stream = settings.events, settings.events_stream
    if events is not None and not events.startswith(("nats://", "tls://")):
        raise click.BadParameter(f"{events!r} is not a NATS URL (nats://host:port)",
                                 param_hint=_hint("events_url"))
    if not stream or not all(c.isascii() and (c.isalnum() or c in "_-") for c in stream):
        raise click.BadParameter(f"{stream!r} is not a stream name (letters, digits, "
                                 "_ and - only)", param_hint=_hint("events_stream"))
    origin = settings.origin if "origin" in settings.model_fields_set else None
    report_initialised(initialise(settings.db, settings.key, origin, settings.data_key),
                       settings.db, settings.key, quiet_if_done=True)
    with open_store(settings.db) as store:
        admin_key = KeyStore(store.engine).first_admin(label="created by the first serve")
    if admin_key is not None:
        click.echo(f"admin key (shown once, keep it): {admin_key}")
    _serve(settings)


def _serve(settings: Settings) -> None:
    """Open the log (its restart checks: a log they refuse is one line naming `profitpool
    verify`, and exit status 1), print where the service is, then serve until interrupted.

    Raises:
        StoreError, OperatorKeyError, LogError: the log cannot be written.
    """
    import uvicorn

    from ..service.app import open_log
    from ..service.logs import configure_logging
    from ..web import create_app

    if settings.read_db is not None:
        _check_replica(settings.db, settings.read_db)
    writer = open_log(settings)
    host, port = settings.host, settings.port
    base = f"http://{host}:{port}"
    click.echo(f"  explorer {base}/   wallet {base}/wallet   merchants {base}/merchant   "
               f"console {base}/console")
    click.echo(f"serving on {base}/v1  (API docs: {base}/docs)")
    configure_logging()
    if settings.workers > 1:
        from ..service.processes import serve_in_processes

        serve_in_processes(settings, writer, create_app)
        return
    uvicorn.run(create_app(settings, writer=writer), host=host, port=port, log_config=None,
                access_log=False, loop="uvloop", http="httptools")


def _check_replica(db: str, read_db: str) -> None:
    """Refuse, in one line, a ``--read-db`` that is not a replica of ``db``'s log.

    Raises:
        StoreError: unreachable, not PostgreSQL, or another log.
    """
    from ..service.app import replica_store
    from ..store.database import connect

    with open_store(db) as store:
        engine = connect(read_db, read_only=True)
        try:
            replica_store(engine, store)
        finally:
            engine.dispose()


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
@setting("--host", field="host", show_default=True)
@setting("--port", field="port", show_default=True, type=click.IntRange(0, 65535))
@clean_errors
def demo_command(db: str, key_path: Path, members: int, months: int, seed: int, serve: bool,
                 host: str, port: int) -> None:
    """Build a demonstration program and serve it.

    The origin document's four industries (fresh food, clothing with a
    double-points clearance, a hotpot chain, a scenic area), MEMBERS members
    over MONTHS months of orders, withdrawals, payments with points, monthly
    burns and a pledge to a bank, ending now; every month that is over is
    disclosed (report and proof of liabilities); then a key for each role.
    The figures are invented; the rules are docs/rules.md's defaults. If DB
    already holds a log it is served as it is, with new keys: the keys of an
    earlier run stop working.
    """
    from time import time_ns

    from ..demo import build_demo, demo_keys
    from ..disclosure.record import disclose_finished_months
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
    disclosed = disclose_finished_months(db, key_path, time_ns() // 1000)
    if disclosed:
        click.echo(f"disclosed {', '.join(disclosed)}: each month's report and proof of "
                   "liabilities, recorded in the log")
    with open_store(db) as store:
        keys = demo_keys(KeyStore(store.engine), key_path)
    for role, key in keys.items():
        click.echo(f"{role:>16} key: {key}")
    if serve:  # the demonstration's own log; the other settings as for serve
        _serve(_settings(db=db, key=key_path))
