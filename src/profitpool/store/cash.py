"""The SQL of paying out and reading back: the custody account, payout runs, bank files
read and the statement lines nothing explains (cash/runs.py, cash/reconcile.py).

None of it is in the log: the log holds the payouts and their outcomes; these tables
hold what the operator needs to send and check them. ``payout_runs.sealed_file`` is a
pain.001 file sealed with the data key (it names accounts and holders).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Engine, func, insert, select, update

from .schema import bank_exceptions, bank_imports, custody_accounts, payout_runs


class CustodyAccount(NamedTuple):
    """The program's custody account: payouts are paid from it, its statements read back."""

    holder: str
    account: str
    currency: str
    agent_bic: str
    """"" when the bank is named by its CNAPS code only."""
    agent_member_id: str
    """The bank's CNAPS code (12 digits), "" when named by BIC only."""


class RunRow(NamedTuple):
    id: str
    created_us: int
    minimum: int
    payouts: int
    total: int
    summary: str
    """JSON: what the run left out, and why."""


class ImportRow(NamedTuple):
    sha256: str
    kind: str
    message_id: str
    imported_us: int
    summary: str
    """JSON: what the file did (settled, returned, custody) and what it listed."""


class ExceptionRow(NamedTuple):
    """A statement line listed for the operator, never applied."""

    id: int
    import_sha256: str
    line: int
    kind: str
    end_to_end_id: str
    bank_reference: str
    amount: int
    credit: bool
    detail: str
    resolved_us: int | None
    resolution: str


class CashStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # the custody account ----------------------------------------------------
    def account(self) -> CustodyAccount | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(custody_accounts.c.holder, custody_accounts.c.account,
                       custody_accounts.c.currency, custody_accounts.c.agent_bic,
                       custody_accounts.c.agent_member_id)
                .where(custody_accounts.c.name == "default")).first()
        return None if row is None else CustodyAccount(*row)

    def set_account(self, account: CustodyAccount, now_us: int) -> None:
        values = {**account._asdict(), "updated_us": now_us}
        with self.engine.begin() as connection:
            done = connection.execute(update(custody_accounts)
                                      .where(custody_accounts.c.name == "default")
                                      .values(**values))
            if done.rowcount == 0:
                connection.execute(insert(custody_accounts).values(name="default", **values))

    # payout runs ------------------------------------------------------------
    def add_run(self, row: RunRow, sealed_file: bytes) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(payout_runs).values(**row._asdict(),
                                                          sealed_file=sealed_file))

    def runs(self, limit: int = 50) -> list[RunRow]:
        columns = [payout_runs.c[name] for name in RunRow._fields]
        with self.engine.connect() as connection:
            rows = connection.execute(select(*columns)
                                      .order_by(payout_runs.c.created_us.desc(),
                                                payout_runs.c.id.desc())
                                      .limit(limit)).all()
        return [RunRow(*row) for row in rows]

    def run_file(self, run_id: str) -> bytes | None:
        """The run's sealed pain.001, or None if there is no such run."""
        with self.engine.connect() as connection:
            found = connection.execute(select(payout_runs.c.sealed_file)
                                       .where(payout_runs.c.id == run_id)).scalar()
        return None if found is None else bytes(found)

    # bank files read back ---------------------------------------------------
    def imported(self, sha256: str) -> ImportRow | None:
        columns = [bank_imports.c[name] for name in ImportRow._fields]
        with self.engine.connect() as connection:
            row = connection.execute(select(*columns)
                                     .where(bank_imports.c.sha256 == sha256)).first()
        return None if row is None else ImportRow(*row)

    def add_import(self, row: ImportRow,
                   exceptions: Sequence[tuple[int, str, str, str, int, bool, str]]) -> bool:
        """Record a file read and the lines it listed, in one transaction; False (and
        nothing written) if the same file was recorded already."""
        with self.engine.begin() as connection:
            if connection.execute(select(func.count()).select_from(bank_imports)
                                  .where(bank_imports.c.sha256 == row.sha256)).scalar():
                return False
            connection.execute(insert(bank_imports).values(**row._asdict()))
            if exceptions:
                connection.execute(insert(bank_exceptions), [
                    {"import_sha256": row.sha256, "line": line, "kind": kind,
                     "end_to_end_id": end_to_end_id, "bank_reference": reference,
                     "amount": amount, "credit": int(credit), "detail": detail,
                     "resolved_us": None, "resolution": ""}
                    for line, kind, end_to_end_id, reference, amount, credit, detail
                    in exceptions])
        return True

    def imports(self, limit: int = 50) -> list[ImportRow]:
        columns = [bank_imports.c[name] for name in ImportRow._fields]
        with self.engine.connect() as connection:
            rows = connection.execute(select(*columns)
                                      .order_by(bank_imports.c.imported_us.desc())
                                      .limit(limit)).all()
        return [ImportRow(*row) for row in rows]

    def exceptions(self, *, open_only: bool = True, limit: int = 500) -> list[ExceptionRow]:
        columns = [bank_exceptions.c[name] for name in ExceptionRow._fields]
        query = select(*columns).order_by(bank_exceptions.c.id).limit(limit)
        if open_only:
            query = query.where(bank_exceptions.c.resolved_us.is_(None))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [ExceptionRow._make((*row[:7], bool(row[7]), *row[8:])) for row in rows]

    def resolve(self, exception_id: int, resolution: str, now_us: int) -> bool:
        """Mark an open line resolved, saying how; False if there is no such open line."""
        with self.engine.begin() as connection:
            done = connection.execute(
                update(bank_exceptions)
                .where(bank_exceptions.c.id == exception_id,
                       bank_exceptions.c.resolved_us.is_(None))
                .values(resolved_us=now_us, resolution=resolution))
        return bool(done.rowcount)
