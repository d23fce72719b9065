"""``profitpool verify``: replay the log and check every byte, its anchors and its witnesses."""

from __future__ import annotations

import sys
from time import perf_counter
from typing import IO

import click

from ..chain.note import NoteError, Verifier
from ..log.verify import verify_log
from ..store.repository import LogStore
from .common import clean_errors, count, db_option, open_store


@click.command("verify")
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
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Replay the log in up to N segments in parallel, each starting at a "
              "stored snapshot, on N local processes [default: 1, one process]. Every "
              "seam is checked in full: same verdict as one process.")
@click.option("--cluster", default=None, metavar="tcp://HOST:PORT",
              help="Replay the segments on this Dask scheduler's workers (as many "
              "segments as it has workers, or --jobs); they must reach the --db too.")
@clean_errors
def verify_command(db: str, public_key: str | None, checkpoints: tuple[IO[str], ...],
                   rpc: str | None, contract: str | None, chain_id: int | None,
                   no_replay: bool, witness_keys: tuple[str, ...],
                   min_witnesses: int | None, jobs: int | None, cluster: str | None) -> None:
    """Replay the whole log from genesis and check every byte of it.

    Every entry's command is executed again with the same engine and its
    effects compared with the stored ones; every leaf, Merkle root, state
    digest, header hash, block signature and checkpoint is recomputed.
    Prints one line, OK with counts, or the first divergence (block, entry,
    field); exit status 1 on any divergence.

    A checkpoint FILE holds the note exactly as the `checkpoint` field of
    `profitpool log show` prints it (origin, size, root, signature line).

    With --jobs N or --cluster the log is cut at stored snapshots (data only,
    never unpickled) into segments replayed in parallel; the state each
    segment ends with must equal, in full, the one the next starts from, and
    a snapshot that does not is set aside (noted) and its segment replayed
    from the one before. Verdict and first divergence are those of one process.
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
        if jobs is None and cluster is None:
            report = verify_log(store, trusted, notes)
        else:
            from ..log.segments import verify_segments

            try:
                report = verify_segments(db, trusted, notes, jobs=jobs or 1, cluster=cluster)
            except ConnectionError as error:
                raise click.ClickException(str(error)) from None
        seconds = perf_counter() - start
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.divergence is not None:
        click.echo(f"DIVERGENCE at {report.divergence}", err=True)
        click.echo(f"(the {count(report.blocks, 'block')} and "
                   f"{count(report.entries, 'entry', 'entries')} before it verified)", err=True)
        sys.exit(1)
    rate = f", {report.entries / seconds:,.0f} entries/s" if seconds > 0 and report.entries else ""
    click.echo(
        f"OK: {count(report.blocks, 'block')}, {count(report.entries, 'entry', 'entries')}, root "
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
    from ..chain.cosign import CosignatureVerifier
    from ..witness.quorum import Quorum, check_quorum, newest_quorum

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
    from ..anchor.chain import AnchorError, Chain
    from ..anchor.verify import check_anchors

    start = perf_counter()
    try:
        report = check_anchors(store, Chain.connect(rpc, chain_id), contract, public_key)
    except AnchorError as error:
        raise click.ClickException(str(error)) from None
    seconds = perf_counter() - start
    if not report.ok:
        for problem in report.problems:
            click.echo(f"ANCHOR MISMATCH: {problem}", err=True)
        click.echo(f"(the {count(report.checked, 'anchor')} before it verified)", err=True)
        sys.exit(1)
    if not report.anchors:
        click.echo(f"note: no checkpoint of this log is anchored on chain {report.chain_id} "
                   f"at {report.contract}", err=True)
    click.echo(f"OK: the log extends all {count(report.checked, 'anchor')} on chain "
               f"{report.chain_id} at {report.contract} ({seconds:.2f} s)")
