"""The `profitpool` command."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import IO, Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from . import __version__
from .anchor.command import anchor_group
from .batch import BatchResult, apply_lines, write_json
from .chain.block import BlockHeader
from .chain.note import NoteError, Verifier
from .disclosure.command import custody_group, report_group
from .disclosure.pol_command import pol_group
from .engine import view
from .errors import ProfitpoolError
from .events.command import events_group
from .log.keys import default_key_path
from .log.reader import LogReader
from .log.setup import DEFAULT_ORIGIN, Initialised, initialise
from .log.verify import verify_log
from .log.writer import DEFAULT_BLOCK_SIZE, DEFAULT_SNAPSHOT_EVERY, LogWriter
from .sim.command import simulate_command
from .store.database import (
    connect,
    default_url,
    describe_error,
    require_schema,
)
from .store.repository import LogStore, open_store
from .witness.command import witness_group

_F = TypeVar("_F", bound=Callable[..., Any])

BURN_NOTE = "A burn raises the price per point but does not change any holding's value."

_KEEP_UNTIL_EXIT: list[object] = []
"""Large results stay referenced until :func:`run` exits the process, so millions
of objects are not freed one by one just before the process ends anyway."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="profitpool")
def main() -> None:
    """profitpool: run a consumption-appreciation (消费增值) points program honestly.

    Members earn points by buying; 30% of each order's profit goes into a cash
    pool; a point's price is pool / points. Every figure is exact and can be
    replayed and checked by anyone.
    """


def clean_errors(function: _F) -> _F:
    """Turn the errors a user can cause into one line and exit status 1, never a traceback."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ProfitpoolError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            raise click.ClickException(f"database error: {describe_error(error)}") from None
    return wrapper  # type: ignore[return-value]


def db_option(default: Callable[[], str] | None = default_url) -> Callable[[_F], _F]:
    return click.option(
        "--db", default=default, metavar="URL",
        show_default="$PROFITPOOL_DB or sqlite:///profitpool.db" if default else None,
        help="The log's database: sqlite:///FILE or postgresql://USER@HOST/DB."
        if default else "Persist through the signed log in this database "
        "(sqlite:///FILE or postgresql://…). Without it the ledger lives in memory only.",
    )


def key_option() -> Callable[[_F], _F]:
    return click.option(
        "--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
        default=default_key_path, show_default="$PROFITPOOL_KEY or ./profitpool.key",
        help="The operator's signing key file (created by `profitpool init`, mode 0600).",
    )


@main.command("init")
@db_option()
@key_option()
@click.option("--origin", default=None, metavar="NAME",
              help=f"The log's name in its checkpoints, e.g. shop.example/points "
              f"(default {DEFAULT_ORIGIN}, or the name of an existing key).")
@clean_errors
def init_command(db: str, key_path: Path, origin: str | None) -> None:
    """Create (or upgrade) the log's database and the operator's signing key.

    Creates the schema in DB (or upgrades it), creates an Ed25519 key at KEY
    with mode 0600 unless one is there already, records the key's public half
    in the database and prints it. Publish that line: verifiers check the log
    against it with `profitpool verify --public-key`. Running init again on an
    initialised log changes nothing but a schema upgrade.
    """
    report_initialised(initialise(db, key_path, origin), db, key_path)


def report_initialised(done: Initialised, db: str, key_path: Path,
                       quiet_if_done: bool = False) -> None:
    """Print what :func:`~profitpool.log.setup.initialise` did (``serve`` and ``demo`` say
    nothing about a log that was there already)."""
    if not done.created_log:
        if not quiet_if_done:
            click.echo(f"already initialised: {db}")
            click.echo(f"public key: {done.public_key}")
        return
    made = "created the key" if done.created_key else "using the key"
    click.echo(f"initialised the log in {db}")
    click.echo(f"{made} {key_path} (keep it secret; mode 0600)")
    click.echo(f"public key: {done.public_key}")
    click.echo("publish the public key: `profitpool verify --public-key '…'` checks the log "
               "against it")


@main.command("apply")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--json", "as_json", is_flag=True,
    help="Print the final state as JSON (RULES.md section 8).",
)
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=0),
    help="Rows per table in the readable summary (ignored with --json).",
)
@db_option(default=None)
@key_option()
@click.option("--block-size", default=DEFAULT_BLOCK_SIZE, show_default=True,
              type=click.IntRange(1, 1_000_000), help="Entries per block (with --db).")
@click.option("--snapshot-every", default=DEFAULT_SNAPSHOT_EVERY, show_default=True,
              type=click.IntRange(min=1),
              help="Store a signed snapshot of the ledger every N entries (with --db).")
@click.option("--progress", is_flag=True,
              help="Print a line to stderr after each block is committed (with --db).")
@clean_errors
def apply_command(
    file: IO[bytes], as_json: bool, limit: int, db: str | None, key_path: Path,
    block_size: int, snapshot_every: int, progress: bool,
) -> None:
    """Apply FILE, one JSON command per line.

    Without --db the ledger starts empty and lives in memory. With --db the
    ledger is the one in that database's log (see `profitpool init`): each
    accepted command becomes a log entry, and entries are committed in
    signed blocks of --block-size; a rejected command or an idempotent retry
    is not an entry. If the run stops half way, every block committed before
    is kept whole and nothing after it: apply the remaining lines again.

    FILE may be '-' for standard input. The file is streamed, so it can be
    any length. Lines that are not JSON or that the rules refuse are listed
    with their line number and error code and change nothing; the run still
    succeeds (exit status 0).
    """
    if db is None:
        result = apply_lines(file)
    else:
        on_commit = _report_block if progress else None
        writer = LogWriter.open(db, key_path, block_size=block_size,
                                snapshot_every=snapshot_every, on_commit=on_commit)
        start_size, start_height = writer.size, writer.height
        try:
            result = apply_lines(file, writer.ledger, writer.submit)
        except BaseException:
            writer.discard()  # only whole blocks: the pending entries are not kept
            raise
        writer.close()
        click.echo(
            f"log {db}: {_count(writer.size, 'entry', 'entries')} in "
            f"{_count(writer.height, 'block')} (+{writer.size - start_size:,} entries, "
            f"+{writer.height - start_height:,} blocks); root {writer.tiles.root().hex()}",
            err=as_json,
        )
    _KEEP_UNTIL_EXIT.append(result)
    if as_json:
        write_json(result, sys.stdout)
    else:
        _print_summary(result, limit)


def _report_block(header: BlockHeader) -> None:
    sys.stderr.write(f"block {header.height} committed: tree size {header.tree_size}\n")
    sys.stderr.flush()


@main.command("verify")
@db_option()
@click.option("--public-key", metavar="KEY",
              help="The log's published public key (printed by `profitpool init`). Without "
              "it the key stored in the database is used, which proves the log is "
              "consistent but not that its operator's published key signed it.")
@click.option("--checkpoint", "checkpoints", multiple=True,
              type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="A signed checkpoint seen earlier (e.g. saved from `profitpool log show`); "
              "the log must still contain it. Catches a log cut back or rewritten. "
              "Repeatable.")
@click.option("--rpc", default=None, metavar="URL",
              help="Also read every checkpoint anchored on this chain and prove, with "
              "consistency proofs, that the log extends each of them.")
@click.option("--contract", default=None, metavar="ADDRESS",
              help="The anchor contract [default: the one `anchor deploy` recorded].")
@click.option("--chain-id", type=int, default=None,
              help="With --rpc: refuse an endpoint serving another chain.")
@click.option("--no-replay", is_flag=True,
              help="With --rpc: check the anchors only, not every entry again.")
@click.option("--witness-key", "witness_keys", multiple=True, metavar="VKEY",
              help="A witness you trust (its c2sp vkey); repeatable. The newest cosigned "
              "checkpoint (and each --checkpoint) must carry --min-witnesses of their "
              "cosignatures, and the log must contain it.")
@click.option("--min-witnesses", type=click.IntRange(min=1), default=None,
              help="How many of the --witness-key witnesses must have cosigned "
              "[default: all of them].")
@clean_errors
def verify_command(db: str, public_key: str | None, checkpoints: tuple[IO[str], ...],
                   rpc: str | None, contract: str | None, chain_id: int | None,
                   no_replay: bool, witness_keys: tuple[str, ...],
                   min_witnesses: int | None) -> None:
    """Replay the whole log from genesis and check every byte of it.

    Every entry's command is executed again with the same engine and its
    effects compared with the stored ones; every leaf, Merkle root, state
    digest, header hash, block signature and checkpoint is recomputed.
    Prints one line, OK with counts, or the first divergence (block, entry,
    field); exit status 1 on any divergence.

    A checkpoint FILE holds the note exactly as the `checkpoint` field of
    `profitpool log show` prints it (origin, size, root, signature line).
    """
    trusted = None
    if public_key is not None:
        try:
            trusted = Verifier.parse(public_key)
        except NoteError as error:
            raise click.ClickException(f"--public-key is not a verifier key: {error}") from None
    notes = [file.read() for file in checkpoints]
    if no_replay and rpc is None:
        raise click.UsageError("--no-replay needs --rpc")
    if min_witnesses is not None and not witness_keys:
        raise click.UsageError("--min-witnesses needs --witness-key")
    with open_store(db) as store:
        if witness_keys:
            notes += _witnessed(store, notes, witness_keys, min_witnesses)
        if rpc is not None:
            _verify_anchors(store, rpc, contract, chain_id,
                            public_key if trusted is not None else None)
            if no_replay:
                return
        start = perf_counter()
        report = verify_log(store, trusted, notes)
        seconds = perf_counter() - start
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.divergence is not None:
        click.echo(f"DIVERGENCE at {report.divergence}", err=True)
        click.echo(f"(the {_count(report.blocks, 'block')} and "
                   f"{_count(report.entries, 'entry', 'entries')} before it verified)", err=True)
        sys.exit(1)
    rate = f", {report.entries / seconds:,.0f} entries/s" if seconds > 0 and report.entries else ""
    click.echo(
        f"OK: {_count(report.blocks, 'block')}, {_count(report.entries, 'entry', 'entries')}, root "
        f"{report.root.hex() or '-'}, state {report.state_digest.hex() or '-'}, "
        f"key {report.key} ({seconds:.2f} s{rate})"
    )
    if trusted is None:
        click.echo("note: checked with the key stored in the database; pass --public-key "
                   "with the published key to rule out a log re-signed by another key",
                   err=True)

def _witnessed(store: LogStore, notes: list[str], witness_keys: tuple[str, ...],
               required: int | None) -> list[str]:
    """Check that ``required`` of the trusted witnesses cosigned each --checkpoint and some
    checkpoint stored with this log (the newest such one is returned, for the replay to
    check the log contains it)."""
    from .chain.cosign import CosignatureVerifier
    from .witness.quorum import Quorum, check_quorum, newest_quorum

    try:
        verifiers = [CosignatureVerifier.parse(key) for key in witness_keys]
    except NoteError as error:
        raise click.ClickException(f"--witness-key is not a witness vkey: {error}") from None
    need = required if required is not None else len(verifiers)
    if need > len(verifiers):
        raise click.UsageError(f"--min-witnesses {need} but only {len(verifiers)} "
                               "--witness-key given")

    def report(quorum: Quorum) -> None:
        click.echo(f"witnessed: tree size {quorum.tree_size} cosigned by "
                   f"{len(quorum.witnesses)} of {quorum.trusted} trusted witnesses "
                   f"({', '.join(quorum.witnesses)})", err=True)

    for note in notes:  # checkpoints the user brought: each must carry enough cosignatures
        report(check_quorum(note, verifiers, need))
    stored = newest_quorum(store, verifiers, need, required=not notes)
    if stored is None:
        return []
    report(stored)
    return [stored.note]


def _verify_anchors(store: LogStore, rpc: str, contract: str | None, chain_id: int | None,
                    public_key: str | None) -> None:
    from .anchor.chain import AnchorError, Chain
    from .anchor.verify import check_anchors

    start = perf_counter()
    try:
        report = check_anchors(store, Chain.connect(rpc, chain_id), contract, public_key)
    except AnchorError as error:
        raise click.ClickException(str(error)) from None
    seconds = perf_counter() - start
    if not report.ok:
        for problem in report.problems:
            click.echo(f"ANCHOR MISMATCH: {problem}", err=True)
        click.echo(f"(the {_count(report.checked, 'anchor')} before it verified)", err=True)
        sys.exit(1)
    if not report.anchors:
        click.echo(f"note: no checkpoint of this log is anchored on chain {report.chain_id} "
                   f"at {report.contract}", err=True)
    click.echo(f"OK: the log extends all {_count(report.checked, 'anchor')} on chain "
               f"{report.chain_id} at {report.contract} ({seconds:.2f} s)")


@main.command("serve")
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
    from .service import Settings
    from .store.apikeys import KeyStore
    from .witness.collector import WitnessEndpoint

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
    engine = connect(db)
    try:
        require_schema(engine)
        keys = KeyStore(engine)
        if not keys.any_admin():
            key, record = keys.create("admin", label="created by the first serve")
            click.echo(f"admin key (shown once, keep it): {key}")
    finally:
        engine.dispose()
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

    from .service import create_app
    from .service.logs import configure_logging

    host, port = settings.host, settings.port
    base = f"http://{host}:{port}"
    click.echo(f"  explorer {base}/   wallet {base}/wallet   merchants {base}/merchant   "
               f"console {base}/console")
    click.echo(f"serving on {base}/v1  (API docs: {base}/docs)")
    configure_logging()
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                access_log=False, loop="uvloop", http="httptools")


@main.command("demo")
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
    figures are invented; the rules are RULES.md's defaults. If DB already
    holds a log it is served as it is, with new keys.
    """
    from time import time_ns

    from .demo import build_demo, demo_keys
    from .service import Settings
    from .store.apikeys import KeyStore

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


@main.group("keys")
def keys_group() -> None:
    """Create, list and revoke API keys (stored as hashes; a key is shown once)."""


@keys_group.command("create")
@db_option()
@click.option("--role", required=True,
              type=click.Choice(["admin", "auditor", "merchant", "member", "lender"]))
@click.option("--party", default=None, metavar="ID",
              help="The merchant, member or lender a merchant, member or lender key acts for.")
@click.option("--label", default="", help="A note to recognise the key by.")
@clean_errors
def keys_create(db: str, role: str, party: str | None, label: str) -> None:
    """Create a key and print it (once)."""
    from .store.apikeys import KeyStore

    with open_store(db) as store:
        key, record = KeyStore(store.engine).create(role, party, label)
    click.echo(key)
    click.echo(f"id {record.key_id}: {role}{' for ' + party if party else ''}", err=True)


@keys_group.command("list")
@db_option()
@clean_errors
def keys_list(db: str) -> None:
    """List keys: id, role, party, label, revoked or not (never the keys themselves)."""
    from .store.apikeys import KeyStore

    with open_store(db) as store:
        records = KeyStore(store.engine).list()
    for record in records:
        click.echo(orjson.dumps(record.public()).decode())


@keys_group.command("revoke")
@db_option()
@click.argument("key_id")
@clean_errors
def keys_revoke(db: str, key_id: str) -> None:
    """Revoke a key by its id (a running service stops accepting it within a second)."""
    from .store.apikeys import KeyStore

    with open_store(db) as store:
        KeyStore(store.engine).revoke(key_id)
    click.echo(f"revoked {key_id}")



@main.group("log")
def log_group() -> None:
    """Read the log: blocks, entries and Merkle proofs, as JSON."""


@log_group.command("show")
@db_option()
@click.option("--block", "height", type=click.IntRange(min=1), help="Block height.")
@click.option("--entry", "index", type=click.IntRange(min=0), help="Entry index (from 0).")
@clean_errors
def log_show(db: str, height: int | None, index: int | None) -> None:
    """Print a block header (default: the newest) or an entry as JSON.

    A block shows its header fields, its hash, signature and signed
    checkpoint (a C2SP tlog-checkpoint note); an entry shows its canonical
    JSON and its RFC 9162 leaf hash.
    """
    if height is not None and index is not None:
        raise click.UsageError("give --block or --entry, not both")
    with open_store(db) as store:
        reader = LogReader(store)
        value = reader.entry_json(index) if index is not None else reader.block_json(height)
    _print_json(value)


@log_group.command("proof")
@db_option()
@click.option("--entry", "index", type=click.IntRange(min=0),
              help="Inclusion proof of this entry (index from 0).")
@click.option("--size", type=click.IntRange(min=1),
              help="Tree size for the inclusion proof (default: the newest).")
@click.option("--from", "old_size", type=click.IntRange(min=1),
              help="Consistency proof from this tree size.")
@click.option("--to", "new_size", type=click.IntRange(min=1),
              help="... to this tree size (default: the newest).")
@clean_errors
def log_proof(db: str, index: int | None, size: int | None, old_size: int | None,
              new_size: int | None) -> None:
    """Print an RFC 9162 inclusion proof (--entry) or consistency proof (--from) as JSON.

    Hashes are hex. An inclusion proof holds the leaf hash, the audit path
    and the root of that tree size; a consistency proof holds both roots and
    the path between them. Roots of sizes that end a block are also in that
    block's signed checkpoint.
    """
    if (index is None) == (old_size is None):
        raise click.UsageError("give --entry (inclusion) or --from (consistency)")
    if index is not None and new_size is not None:
        raise click.UsageError("--to goes with --from; use --size with --entry")
    if old_size is not None and size is not None:
        raise click.UsageError("--size goes with --entry; use --to with --from")
    with open_store(db) as store:
        reader = LogReader(store)
        if index is not None:
            value = reader.inclusion(index, size)
        else:
            assert old_size is not None
            value = reader.consistency(old_size, new_size)
    _print_json(value)


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else many or one + 's'}"


def _print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _print_summary(result: BatchResult, limit: int) -> None:
    ledger = result.ledger
    console = Console()
    head = view.head(ledger)
    totals = view.totals(ledger)
    console.print(
        f"[bold]{result.lines}[/] commands: [green]{result.accepted} accepted[/]"
        f" ({result.replays} idempotent retries), "
        f"[red]{len(result.rejected)} rejected[/]"
    )
    pool = Table(title="Pool", show_header=False)
    pool.add_column(style="bold")
    pool.add_column(justify="right")
    pool.add_row("pool (CNY)", head["pool"])
    pool.add_row("points in circulation", head["supply"])
    pool.add_row("price (CNY per point)", head["price"])
    pool.add_row("index (points per share)", head["index"])
    pool.add_row("forced exits", str(head["exits"]))
    pool.add_row("injected from profit", totals["injected"])
    pool.add_row("paid to members", totals["paid_members"])
    pool.add_row("paid to merchants", totals["paid_merchants"])
    pool.add_row("paid to lenders", totals["paid_lenders"])
    console.print(pool)
    console.print(f"[dim]{BURN_NOTE}[/]")

    _print_rows(console, "Members", ("member", "points", "value", "paid"),
                view.members(ledger), len(ledger.members), limit)
    _print_rows(console, "Merchants", ("merchant", "contributed", "received"),
                view.merchants(ledger), len(ledger.merchants), limit)
    if ledger.pledges:
        _print_rows(console, "Pledges", ("pledge", "status", "repaid"),
                    view.pledges(ledger), len(ledger.pledges), limit)
    if result.rejected:
        table = Table(title="Rejected lines")
        for column in ("line", "error", "message"):
            table.add_column(column)
        for rejection in result.rejected[:limit]:
            table.add_row(str(rejection.line), rejection.error, rejection.message)
        console.print(table)
        if len(result.rejected) > limit:
            console.print(f"… and {len(result.rejected) - limit} more rejected lines")


def _print_rows(
    console: Console, title: str, columns: tuple[str, ...], rows: object, count: int, limit: int
) -> None:
    table = Table(title=title)
    table.add_column(columns[0])
    for column in columns[1:]:
        table.add_column(column, justify="right")
    shown = 0
    for row_id, row in rows:  # type: ignore[attr-defined]
        if shown == limit:
            break
        table.add_row(row_id, *(row[column] for column in columns[1:]))
        shown += 1
    console.print(table)
    if count > shown:
        console.print(f"… and {count - shown} more {title.lower()} (use --json for all)")


main.add_command(simulate_command)
main.add_command(anchor_group)
main.add_command(witness_group)
main.add_command(report_group)
main.add_command(custody_group)
main.add_command(pol_group)
main.add_command(events_group)


def run() -> None:
    """The console entry point: ``main``, then exit without tearing the interpreter down.

    After a large ``apply`` the process holds millions of objects; a normal exit
    runs one more full garbage collection and frees them one by one, which took
    a third of the wall time of a 300k-line run. The output is flushed first.
    Tests call ``main`` in-process and are unaffected.
    """
    try:
        main()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    run()
