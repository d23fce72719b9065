"""``profitpool witness``: create a witness key, and run a witness.

The key file holds one line, the cosigner key string
``PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)`` (chain/cosign.py),
readable by its owner only: created with mode 0600, never overwritten, and
refused if group or others may read it (as the operator's key, log/keys.py).

Heavy imports (Starlette, uvicorn) happen inside ``serve``, so the rest of the
``profitpool`` command starts as fast as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ..chain.cosign import CosignerKey
from ..chain.note import NoteError
from ..errors import ProfitpoolError
from ..log.keys import read_secret_file, write_secret_file

if TYPE_CHECKING:
    from .server import Witness

DEFAULT_KEY_PATH: Final = "witness.key"
DEFAULT_STATE_PATH: Final = "witness.db"
DEFAULT_PORT: Final = 8686


class WitnessKeyError(ProfitpoolError):
    """The witness key file is missing, unreadable, too open, or not a key."""


def create_witness_key(path: Path, name: str) -> CosignerKey:
    """Generate a witness key named ``name`` and write it to ``path`` with mode 0600.

    Raises:
        WitnessKeyError: the file exists already, or ``name`` cannot name a key.
    """
    try:
        key = CosignerKey.generate(name)
    except NoteError as error:
        raise WitnessKeyError(f"{name!r} cannot name a witness: {error}") from None
    write_secret_file(path, key.key_string(), WitnessKeyError)
    return key


def load_witness_key(path: Path) -> CosignerKey:
    """Read the witness key.

    Raises:
        WitnessKeyError: missing, readable by others, or not a cosigner key.
    """
    text = read_secret_file(path, WitnessKeyError,
                            "create one with `profitpool witness init`")
    try:
        return CosignerKey.parse(text)
    except NoteError as error:
        raise WitnessKeyError(f"{path} holds no valid witness key: {error}") from None


def build_witness(key_path: Path, log_keys: Sequence[str], state_path: Path) -> Witness:
    """The witness ``serve`` runs: its key, the logs it follows, its state file.

    Raises:
        ProfitpoolError: a bad key file, log key or state file, in one line.
    """
    from ..chain.cosign import Cosigner
    from .server import Witness
    from .state import WitnessState

    cosigner = Cosigner(load_witness_key(key_path))
    if not log_keys:
        raise ProfitpoolError("give the verifier key of at least one log with --log")
    try:
        return Witness(cosigner, log_keys, WitnessState(state_path))
    except NoteError as error:
        raise ProfitpoolError(f"bad --log key: {error}") from None


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
    except WitnessKeyError as error:
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
    from .server import create_app

    click.echo(f"witness {witness.cosigner.name}")
    click.echo(f"vkey: {witness.cosigner.verifier.key_string()}")
    for origin in witness.logs:
        click.echo(f"witnessing {origin}")
    click.echo(f"serving on http://{host}:{port}/  (POST /add-checkpoint)")
    configure_logging()
    uvicorn.run(create_app(witness), host=host, port=port, log_config=None, access_log=False)
