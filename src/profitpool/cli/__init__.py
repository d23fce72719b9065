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
logic is in those packages, which never import this one. A command's module
is imported only when that command runs (:data:`COMMANDS` holds the line
``profitpool --help`` lists for it), and heavy imports (SQLAlchemy, uvicorn,
numpy, web3, …) happen inside the commands that need them, so ``profitpool
--help`` imports click and nothing heavy, and ``apply`` without --db no
database library.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__

__all__ = ["main", "run"]

COMMANDS: dict[str, tuple[str, str, str]] = {
    "anchor": ("anchor", "anchor_group",
        "Publish the log's checkpoints on an EVM chain (docs/anchoring.md)."),
    "apply": ("apply", "apply_command", "Apply FILE, one JSON command per line."),
    "custody": ("report", "custody_group",
        "What the pool's bank or custody account holds, recorded in the log."),
    "demo": ("serve", "demo_command", "Build a demonstration program and serve it."),
    "events": ("events", "events_group",
        "Domain events: the feed webhooks and the NATS stream carry."),
    "export-public": ("export", "export_public_command",
        "Write a public copy of the log to the new SQLite file OUT."),
    "init": ("init", "init_command",
        "Create (or upgrade) the log's database and the operator's signing key."),
    "keys": ("keys", "keys_group",
        "Create, list and revoke API keys (stored as hashes; a key is shown once)."),
    "log": ("log", "log_group", "Read the log: blocks, entries and Merkle proofs, as JSON."),
    "members": ("members", "members_group",
        "Members' own data: export everything the program holds about one member, or "
        "erase who they are."),
    "payouts": ("payouts", "payouts_group",
        "Pay out what the program owes through the bank, and reconcile custody."),
    "pol": ("pol", "pol_group",
        "Proof of liabilities: check that a holding is counted in a month's signed total."),
    "rekey": ("rekey", "rekey_command",
        "Copy the log at --db into a new log at --to with members under pseudonyms."),
    "report": ("report", "report_group",
        "Monthly disclosures (公示): report, proof of liabilities, log entry."),
    "serve": ("serve", "serve_command",
        "Serve the REST API (and the log as C2SP tlog-tiles) over HTTP."),
    "simulate": ("simulate", "simulate_command",
        "Simulate a program before launch and write an honest report."),
    "verify": ("verify", "verify_command",
        "Replay the whole log from genesis and check every byte of it."),
    "verify-member": ("members", "verify_member_command",
        "Check a member's export FILE offline: prints OK and what it holds, or FAILED and "
        "why (exit 1)."),
    "witness": ("witness", "witness_group",
        "Cosign other logs' checkpoints as a C2SP tlog-witness (docs/witness.md)."),
}
"""Each command's name: (the module of this package that defines it, its name there, its
one-line help as ``profitpool --help`` lists it). A command's module, and what it imports,
loads only when that command runs or shows its own help, so ``profitpool --help`` imports
no database, web or numeric library (tests/test_cli.py checks each line is the command's)."""


class _LazyGroup(click.Group):
    """A group whose commands are imported from :data:`COMMANDS` when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name, _ = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"{__name__}.{module}"), name),
                             cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their one-line help, none of them imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                text = loaded.get_short_help_str(limit)
            else:
                text = click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="profitpool")
def main() -> None:
    """profitpool: run a consumption-appreciation (消费增值) points program honestly.

    Members earn points by buying; 30% of each order's profit goes into a cash
    pool; a point's price is pool / points. Every figure is exact and can be
    replayed and checked by anyone.
    """


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
