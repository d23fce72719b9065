"""The ``profitpool`` command: one module per command or group, registered on :data:`main`.

    common.py    one-line errors, the --db and --key options, counts and JSON output
    init.py      init
    apply.py     apply
    rekey.py     rekey
    verify.py    verify
    export.py    export-public
    serve.py     serve, demo
    keys.py      keys create | list | revoke
    log.py       log show | proof
    simulate.py  simulate
    anchor.py    anchor deploy | publish | list | devchain
    witness.py   witness init | serve
    report.py    report month | verify, custody record
    pol.py       pol verify
    events.py    events tail
    members.py   members export | erase, verify-member
    payouts.py   payouts account | destinations | run | send | file | import | status

A command parses its options, calls one function of the package below it
and prints what that returns (or the error it raises, in one line); the
logic is in those packages, which never import this one. Heavy imports
(uvicorn, numpy, web3, …) happen inside the commands that need them, so
``profitpool --help`` starts fast.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from .anchor import anchor_group
from .apply import apply_command
from .events import events_group
from .export import export_public_command
from .init import init_command
from .keys import keys_group
from .log import log_group
from .members import members_group, verify_member_command
from .payouts import payouts_group
from .pol import pol_group
from .rekey import rekey_command
from .report import custody_group, report_group
from .serve import demo_command, serve_command
from .simulate import simulate_command
from .verify import verify_command
from .witness import witness_group

__all__ = ["main", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="profitpool")
def main() -> None:
    """profitpool: run a consumption-appreciation (消费增值) points program honestly.

    Members earn points by buying; 30% of each order's profit goes into a cash
    pool; a point's price is pool / points. Every figure is exact and can be
    replayed and checked by anyone.
    """


for _command in (init_command, apply_command, rekey_command, verify_command,
                 export_public_command, serve_command, demo_command, keys_group, log_group,
                 simulate_command, anchor_group, witness_group, report_group, custody_group,
                 pol_group, events_group, members_group, verify_member_command,
                 payouts_group):
    main.add_command(_command)


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
