"""``profitpool witness``: create a witness key, and run a witness.

The key file and the witness built from it are witness/keys.py's. Heavy
imports (Starlette, uvicorn) happen inside ``serve``, so the rest of the
``profitpool`` command starts as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import click

from ..errors import ProfitpoolError
from ..witness.keys import build_witness, create_witness_key

DEFAULT_KEY_PATH: Final = "witness.key"
DEFAULT_STATE_PATH: Final = "witness.db"
DEFAULT_PORT: Final = 8686


@click.group("witness", context_settings={"help_option_names": ["-h", "--help"]})
def witness_group() -> None:
    """Cosign other logs' checkpoints as a C2SP tlog-witness (docs/witness.md).

    A witness remembers, per log, the latest checkpoint it cosigned and
    cosigns a new one only if a consistency proof shows it extends that one:
    it never cosigns a fork or a rollback.
    """


key_option = click.option(
    "--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
    default=Path(DEFAULT_KEY_PATH), show_default=True,
    help="The witness's private key file (mode 0600).")


@witness_group.command("init")
@key_option
@click.option("--name", required=True, metavar="NAME",
              help="The witness's key name, a schema-less URL such as witness.example/w1.")
def init_command(key_path: Path, name: str) -> None:
    """Create a witness key at KEY (mode 0600) and print its public vkey."""
    try:
        key = create_witness_key(key_path, name)
    except ProfitpoolError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created the witness key {key_path} (keep it secret; mode 0600)")
    click.echo(f"vkey: {key.verifier().key_string()}")


@witness_group.command("serve")
@key_option
@click.option("--log", "log_keys", multiple=True, metavar="VKEY",
              help="Verifier key of a log to witness (its name is the log's origin); "
                   "repeat for more logs or more keys.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(DEFAULT_STATE_PATH), show_default=True,
              help="SQLite file of the latest checkpoint cosigned per log.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
def serve_command(key_path: Path, log_keys: tuple[str, ...], state_path: Path, host: str,
                  port: int) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) until interrupted."""
    try:
        witness = build_witness(key_path, log_keys, state_path)
    except ProfitpoolError as error:
        raise click.ClickException(str(error)) from None
    import uvicorn

    from ..service.logs import configure_logging
    from ..witness.server import create_app

    click.echo(f"witness {witness.cosigner.name}")
    click.echo(f"vkey: {witness.cosigner.verifier.key_string()}")
    for origin in witness.logs:
        click.echo(f"witnessing {origin}")
    click.echo(f"serving on http://{host}:{port}/  (POST /add-checkpoint)")
    configure_logging()
    uvicorn.run(create_app(witness), host=host, port=port, log_config=None, access_log=False)
