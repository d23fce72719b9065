"""Cash: what the program owes, paid out through the bank (docs/rules.md section 10).

``destinations`` keeps parties' bank accounts sealed outside the log; ``runs`` turns
what is owed into payouts and a payment file; ``reconcile`` reads the bank's answers
back. The bank files themselves have no dependency on the rest of profitpool but
``errors`` and ``money`` (docs/bank-files.md):

- :func:`write_pain001`: an ISO 20022 pain.001.001.09 credit transfer initiation,
  one payment instruction of many transfers, each carrying our payout id as its
  EndToEndId;
- :func:`parse_statement`: a camt.053 statement or camt.054 notification, any
  version, into :class:`BankStatement` of :class:`StatementLine`;
- :func:`parse_bank_csv`: the same lines from a bank that only gives CSV, in the
  one CSV format docs/bank-files.md defines.

Anything that cannot be read with certainty raises :class:`BankFileError`.
"""

from __future__ import annotations

from .bankcsv import CSV_COLUMNS, parse_bank_csv
from .camt import parse_statement
from .pain001 import PAIN001_NAMESPACE, Debtor, Transfer, write_pain001
from .statement import Balance, BankFileError, BankStatement, StatementLine

__all__ = [
    "CSV_COLUMNS",
    "PAIN001_NAMESPACE",
    "Balance",
    "BankFileError",
    "BankStatement",
    "Debtor",
    "StatementLine",
    "Transfer",
    "parse_bank_csv",
    "parse_statement",
    "write_pain001",
]
