"""``profitpool anchor deploy | publish | list``: the command line of anchoring."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

_F = TypeVar("_F", bound=Callable[..., Any])


def chain_options(function: _F) -> _F:
    """--rpc, --chain-id and --eth-key, shared by the commands that send transactions."""
    function = click.option(
        "--eth-key", "eth_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="File holding the publisher's hex private key (mode 0600) "
             "[default: $PROFITPOOL_ANCHOR_KEY].")(function)
    function = click.option(
        "--chain-id", type=int, default=None,
        help="Refuse to talk to an endpoint serving another chain.")(function)
    function = click.option(
        "--rpc", required=True, metavar="URL",
        help="JSON-RPC endpoint of the chain (Ethereum, an L2, Besu, ...).")(function)
    return function


@click.group("anchor")
def anchor_group() -> None:
    """Publish the log's checkpoints on an EVM chain (docs/anchoring.md)."""


def _db_option(function: _F) -> _F:
    from ..store.database import default_url

    return click.option("--db", default=default_url, metavar="URL",
                        help="The log's database [default: $PROFITPOOL_DB or "
                             "sqlite:///profitpool.db].")(function)


@anchor_group.command("deploy")
@_db_option
@chain_options
@click.option("--contract", default=None, metavar="ADDRESS",
              help="Register on this already deployed anchor contract instead of deploying.")
def deploy_command(db: str, rpc: str, chain_id: int | None, eth_key: Path | None,
                   contract: str | None) -> None:
    """Deploy the anchor contract (or use --contract) and register this log."""
    from ..anchor.chain import AnchorError, Chain, load_eth_key
    from ..anchor.publisher import deploy
    from ..store.repository import open_store

    try:
        account = load_eth_key(eth_key)
        chain = Chain.connect(rpc, chain_id)
        with open_store(db) as store:
            config, steps = deploy(store, chain, account, contract)
    except AnchorError as error:
        raise click.ClickException(str(error)) from None
    for step in steps:
        click.echo(step)
    click.echo(f"anchor: chain {config.chain_id}, contract {config.contract}")


@anchor_group.command("publish")
@_db_option
@chain_options
def publish_command(db: str, rpc: str, chain_id: int | None, eth_key: Path | None) -> None:
    """Anchor the newest signed checkpoint (nothing if the chain already has it)."""
    from ..anchor.chain import AnchorError, Chain, load_eth_key
    from ..anchor.publisher import publish_latest
    from ..store.attestations import AttestationStore
    from ..store.repository import open_store

    try:
        account = load_eth_key(eth_key)
        chain = Chain.connect(rpc, chain_id)
        with open_store(db) as store:
            record = publish_latest(store, AttestationStore(store.engine), chain, account)
    except AnchorError as error:
        raise click.ClickException(str(error)) from None
    if record is None:
        click.echo("nothing new to anchor: the chain already holds the newest checkpoint")
        return
    click.echo(f"anchored tree size {record.tree_size:,} (block {record.block_height}) as "
               f"#{record.number} in transaction {record.tx_hash}, chain {record.chain_id} "
               f"block {record.chain_block}, {record.gas_used:,} gas")


@anchor_group.command("list")
@_db_option
def list_command(db: str) -> None:
    """The anchors this log recorded (newest last)."""
    from ..store.attestations import AttestationStore
    from ..store.repository import open_store

    with open_store(db) as store:
        records = AttestationStore(store.engine).anchors()
    if not records:
        click.echo("no anchors yet")
    for record in records:
        click.echo(f"#{record.number} tree size {record.tree_size:,} block {record.block_height} "
                   f"root {record.root.hex()} chain {record.chain_id} {record.contract} "
                   f"tx {record.tx_hash} gas {record.gas_used:,}")


@anchor_group.command("devchain")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8545, show_default=True, type=click.IntRange(0, 65535))
def devchain_command(host: str, port: int) -> None:
    """Serve an in-memory development chain (eth-tester) to try anchoring on.

    Prints its JSON-RPC URL and a funded publisher key; everything is gone
    when it stops (Ctrl-C). Not a real chain: it proves nothing to anyone else.
    """
    import threading

    from ..anchor.devchain import DevChain

    try:
        chain = DevChain(host, port)
    except (RuntimeError, OSError) as error:
        raise click.ClickException(str(error)) from None
    key, address = chain.funded_key(10**20)
    click.echo(f"development chain {chain.url} (chain id {chain.w3.eth.chain_id})")
    click.echo(f"funded publisher {address}, key (write it to a file, chmod 600): {key}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        chain.close()
