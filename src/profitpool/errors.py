"""Every way a command can be refused, as data.

The exception tree::

    ProfitpoolError
     └── Rejected                  a command was refused; nothing changed
           .code                   one of CODES (docs/rules.md section 8)
           .message                a sentence for a human

A rejected command leaves the ledger exactly as it was: the engine checks
everything before it changes anything, and undoes the settlements it ran
before the check when the check then fails (see ``engine/journal.py``).

The codes, with what each means:

==========================  =====================================================
``invalid_json``            the line or body is not JSON (not UTF-8, a name
                            twice in one object, nested too deep: jsontext.py)
``invalid_command``         a required field is missing, of the wrong type, or
                            an unknown field is present
``unknown_op``              ``op`` names no command
``invalid_time``            ``at`` (or a campaign's start/end) is not ISO 8601
                            with an offset, is outside 0001-01-01 .. 9899-12-31
                            Asia/Shanghai, or start is not before end
``time_went_backwards``     ``at`` is earlier than the previous command's
``invalid_id``              an id is empty, too long, or has other characters
                            than letters, digits and ``._:@+-``
``duplicate_id``            the id is already used by another party of a kind
                            that shares its namespace (merchants and lenders
                            share one: a lender's id reused for a merchant)
``conflict``                the id was used before with another body
``unknown_member``          no such member
``unknown_merchant``        no such merchant
``unknown_lender``          no such lender
``unknown_order``           no such order
``unknown_campaign``        no such campaign
``unknown_pledge``          no such pledge
``campaign_not_applicable`` the campaign is for another merchant or not running
``invalid_amount``          money that is not a decimal string with at most 2
                            decimals, not positive, or above the maximum
``invalid_profit``          profit below zero, above the amount, or malformed
``invalid_points``          points that are not a positive decimal string with
                            at most 4 decimals (or ``"all"`` where allowed)
``invalid_multiplier``      a campaign multiplier that is not a decimal string
                            in (0, 100]
``invalid_period``          a period that is not ``YYYY-MM``, a burn of a month
                            that has not started, or a disclosure of a month
                            that has not ended
``invalid_rules``           an unknown rule or a value out of its range
``insufficient_points``     not enough points, or not enough *eligible* ones
``daily_cap_reached``       the withdrawal would pay past the day's cap
``not_pending``             a refund for an order that has settled or was
                            refunded already
``already_burned``          the period was burned already
``transfers_disabled``      transfers are off under the current rules
``pledge_closed``           the pledge was released, seized or exited
``cannot_erase``            the member still holds points, has an order that
                            has not settled, or is owed money: they must cash out
                            (and be paid) first
``continues_not_first``     ``continues`` (the checkpoint of the log a re-keyed
                            log continues) anywhere but as a log's first command
``unknown_party``           a payout to no such member, merchant or lender
``unknown_payout``          settling or returning a payout that was never sent
``payout_closed``           settling or returning a payout settled or returned
                            already
``unknown_destination``     no such payout destination (cash/destinations.py)
==========================  =====================================================
"""

from __future__ import annotations

CODES: tuple[str, ...] = (
    "invalid_json",
    "invalid_command",
    "unknown_op",
    "invalid_time",
    "time_went_backwards",
    "invalid_id",
    "duplicate_id",
    "conflict",
    "unknown_member",
    "unknown_merchant",
    "unknown_lender",
    "unknown_order",
    "unknown_campaign",
    "unknown_pledge",
    "campaign_not_applicable",
    "invalid_amount",
    "invalid_profit",
    "invalid_points",
    "invalid_multiplier",
    "invalid_period",
    "invalid_rules",
    "insufficient_points",
    "daily_cap_reached",
    "not_pending",
    "already_burned",
    "transfers_disabled",
    "pledge_closed",
    "cannot_erase",
    "continues_not_first",
    "unknown_party",
    "unknown_payout",
    "payout_closed",
    "unknown_destination",
)

_KNOWN = frozenset(CODES)


class ProfitpoolError(Exception):
    """Base of every error profitpool raises on purpose."""


class Rejected(ProfitpoolError):
    """A command was refused and changed nothing.

    Args:
        code: one of :data:`CODES`.
        message: what was wrong, for a human.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in _KNOWN:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
