"""Payout destinations: sealed outside the log, refused when malformed, verified only by
the operator, deleted with the member; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from databases import BACKENDS, fresh_database
from profitpool.cash import destinations as cash
from profitpool.cash.destinations import (
    add_destination,
    add_destinations,
    check_destination,
    delete_party,
    get_destination,
    list_destinations,
    luhn_ok,
    masked_account,
    open_many,
    set_status,
    verified_destinations,
)
from profitpool.errors import Rejected
from profitpool.log.datakey import DataKey, DataKeyError
from profitpool.members.directory import Directory
from profitpool.members.erasure import forget_member
from profitpool.members.profiles import get_profile, put_profile
from profitpool.store import destinations as store_module
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect, migrate
from profitpool.store.destinations import DestinationStore
from profitpool.store.schema import payout_destinations

CARD = "6222 0212 3456 7894"
"""A UnionPay card number with a correct Luhn check digit."""
CARD_DIGITS = CARD.replace(" ", "")
NAME = "王小明"
ACCOUNT = {"account": CARD, "name": NAME, "bank": "中国工商银行",
           "bank_code": "102100099996"}
MEMBER = "member:p-0123456789abcdef0123456789abcdef"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """(an engine on a migrated database, the SQLite file or "")."""
    with fresh_database(request.param, tmp_path) as url:
        engine = connect(url, create=True)
        try:
            migrate(engine)
            yield engine, str(tmp_path / "log.db") if request.param == "sqlite" else ""
        finally:
            engine.dispose()


@pytest.fixture
def directory(database: tuple[Engine, str]) -> Directory:
    return Directory(database[0], DataKey.from_bytes(os.urandom(32)))


def stored(directory: Directory) -> int:
    return DestinationStore(directory.store.engine).count()


def raw_bytes(engine: Engine, sqlite_file: str) -> bytes:
    """Everything the database holds of the table: on SQLite the file and its write-ahead
    log byte for byte, on PostgreSQL every row as text (bytea in hex, and as raw bytes)."""
    if sqlite_file:
        return b"".join(Path(path).read_bytes() for path in (sqlite_file, sqlite_file + "-wal")
                        if Path(path).exists())
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT t::text AS row, sealed FROM "
                                       "payout_destinations t")).all()
    return b"".join(row.row.encode() + bytes(row.sealed) for row in rows)


# round trip and sealing ----------------------------------------------------
def test_a_destination_round_trips_normalised_and_unverified(directory: Directory) -> None:
    destination_id = add_destination(directory, "merchant:m1", {
        "account": " 6222 0212 3456 7894 ", "name": "  王小明 ", "bank": "中国工商银行",
        "bank_code": "icbk cn bj"})
    assert destination_id.startswith("dst_") and len(destination_id) == 30
    found = get_destination(directory, destination_id)
    assert found.id == destination_id and found.party == "merchant:m1"
    assert (found.status, found.reason) == ("unverified", "")
    assert found.fields == {"account": CARD_DIGITS, "name": NAME, "bank": "中国工商银行",
                            "bank_code": "ICBKCNBJ"}
    assert found.created_us == found.updated_us > 0
    only_required = add_destination(directory, "lender:l1", {"account": "GB33BUKB20201555555555",
                                                             "name": "Lender Ltd", "bank": ""})
    assert get_destination(directory, only_required).fields == {
        "account": "GB33BUKB20201555555555", "name": "Lender Ltd"}


def test_the_database_holds_no_account_number_or_name_in_clear(
        database: tuple[Engine, str], directory: Directory) -> None:
    engine, sqlite_file = database
    add_destination(directory, MEMBER, ACCOUNT)
    held = raw_bytes(engine, sqlite_file)
    assert b"payout_destinations" in held or not sqlite_file  # the table is in what we read
    assert len(held) > 0
    for secret in (CARD_DIGITS, CARD_DIGITS[-8:], NAME, "中国工商银行", "102100099996"):
        assert secret.encode() not in held, secret
        assert secret.encode().hex() not in held.decode("latin-1"), secret


def test_a_sealed_value_moved_to_another_row_does_not_open(directory: Directory) -> None:
    engine = directory.store.engine
    mine = add_destination(directory, MEMBER, ACCOUNT)
    other_party = add_destination(directory, "merchant:m1", {"account": "123456",
                                                             "name": "Shop"})
    same_party = add_destination(directory, MEMBER, {"account": "654321", "name": "Me"})
    with engine.begin() as connection:
        sealed = connection.execute(payout_destinations.select().where(
            payout_destinations.c.id == mine)).one().sealed
        connection.execute(update(payout_destinations).where(
            payout_destinations.c.id.in_([other_party, same_party])).values(sealed=sealed))
    for moved in (other_party, same_party):
        with pytest.raises(DataKeyError, match="does not open"):
            get_destination(directory, moved)
        with pytest.raises(DataKeyError):
            open_many(directory, [mine, moved])
    # moving the row's party (a destination claimed for someone else) breaks it too
    with engine.begin() as connection:
        connection.execute(update(payout_destinations).where(
            payout_destinations.c.id == mine).values(party="merchant:m1"))
    with pytest.raises(DataKeyError):
        get_destination(directory, mine)


def test_another_data_key_opens_nothing(database: tuple[Engine, str],
                                        directory: Directory) -> None:
    destination_id = add_destination(directory, MEMBER, ACCOUNT)
    stranger = Directory(database[0], DataKey.from_bytes(os.urandom(32)))
    with pytest.raises(DataKeyError, match="not the one"):
        get_destination(stranger, destination_id)


# refusals ------------------------------------------------------------------
BAD: list[tuple[dict[str, Any], str]] = [
    ({"account": CARD, "name": NAME, "iban": "x"}, "unknown destination field(s): iban"),
    ({"name": NAME}, "needs account"),
    ({"account": CARD}, "needs name"),
    ({"account": "   ", "name": "  "}, "needs account and name"),
    ({"account": 6222021234567894, "name": NAME}, "account must be text"),
    ({"account": CARD, "name": ["王"]}, "name must be text"),
    ({"account": "12345", "name": NAME}, "6-34 digits or letters"),
    ({"account": "1" * 35, "name": NAME}, "6-34 digits or letters"),
    ({"account": "6222-0212-3456-7894", "name": NAME}, "6-34 digits or letters"),
    ({"account": "６２２２０２１２３４５６７８９４", "name": NAME}, "6-34 digits or letters"),
    ({"account": "6222 0212 3456 7895", "name": NAME}, "check digit is wrong"),
    ({"account": CARD, "name": "x" * 141}, "name must be at most 140"),
    ({"account": CARD, "name": "王小明\nbank,6222"}, "control characters"),
    ({"account": CARD, "name": NAME, "bank": "b" * 141}, "bank must be at most 140"),
    ({"account": CARD, "name": NAME, "bank_code": "10210009999"}, "12-digit CNAPS"),
    ({"account": CARD, "name": NAME, "bank_code": "ICBKCNB"}, "12-digit CNAPS"),
    ({"account": CARD, "name": NAME, "bank_code": "1CBKCNBJ"}, "12-digit CNAPS"),
    ({"account": CARD, "name": NAME, "bank_code": "ICBKCNBJ00"}, "12-digit CNAPS"),
]


@pytest.mark.parametrize(("fields", "says"), BAD)
def test_a_malformed_destination_is_refused_and_nothing_is_stored(
        directory: Directory, fields: dict[str, Any], says: str) -> None:
    add_destination(directory, MEMBER, ACCOUNT)
    with pytest.raises(Rejected) as refused:
        add_destination(directory, MEMBER, fields)
    assert refused.value.code == "invalid_command"
    assert says in refused.value.message
    assert stored(directory) == 1


@pytest.mark.parametrize("party", ["m1", "shop:m1", "merchant:", "member:a b", "rules", 7])
def test_a_destination_for_no_kind_of_party_is_refused(directory: Directory,
                                                       party: Any) -> None:
    with pytest.raises(Rejected) as refused:
        add_destination(directory, party, ACCOUNT)
    assert refused.value.code == "invalid_id"
    assert stored(directory) == 0


def test_one_bad_destination_in_an_import_stores_none(directory: Directory) -> None:
    with pytest.raises(Rejected, match="destination 1: .*check digit"):
        add_destinations(directory, [(MEMBER, ACCOUNT), ("merchant:m1", {
            "account": "6222021234567895", "name": "Shop"})])
    assert stored(directory) == 0


def test_luhn_holds_union_pay_cards_to_their_check_digit_and_no_other_account() -> None:
    for card in ("6222021234567894", "6228480012345678903", "6212261202000000001",
                 "4111111111111111", "79927398713"):
        assert luhn_ok(card), card
    for wrong in ("6222021234567895", "6228480012345678904", "79927398710"):
        assert not luhn_ok(wrong), wrong
    # a 19-digit company account (no check digit) is no card: not held to Luhn
    assert check_destination({"account": "1202 0210 0990 0000 123", "name": "Shop Ltd"}
                             )["account"] == "1202021009900000123"
    # a 15-digit number starting 62 is no UnionPay card length: not held to it either
    assert check_destination({"account": "622202123456789", "name": "A"})
    with pytest.raises(Rejected, match="check digit"):
        check_destination({"account": "6228480012345678904", "name": "A"})


def test_masked_account_shows_only_the_ends() -> None:
    assert masked_account("6222021234567894") == "6222 **** **** 7894"
    assert masked_account("6228 4800 1234 5678 903") == "6228 **** **** 8903"
    assert masked_account("123456") == "**** 56"


# status ----------------------------------------------------------------------
def test_status_moves_only_unverified_to_verified_or_failed_and_verified_to_failed(
        directory: Directory) -> None:
    first = add_destination(directory, MEMBER, ACCOUNT)
    second = add_destination(directory, MEMBER, {"account": "123456", "name": "Me"})

    def refused(destination_id: str, status: str, reason: str = "") -> Rejected:
        before = list_destinations(directory)
        with pytest.raises(Rejected) as caught:
            set_status(directory, destination_id, status, reason)
        assert list_destinations(directory) == before
        return caught.value

    assert "needs the reason" in refused(first, "failed").message
    assert "only a failed" in refused(first, "verified", "ok").message
    assert "one of verified, failed" in refused(first, "unverified").message
    assert "one of" in refused(first, "VERIFIED").message
    assert "printable" in refused(first, "failed", "closed\r\n").message
    gone = refused("dst_nothere", "verified")
    assert gone.code == "unknown_destination" and "'dst_nothere'" in gone.message

    set_status(directory, first, "verified")
    assert get_destination(directory, first).status == "verified"
    assert "is verified: only a destination that is unverified can become verified" in (
        refused(first, "verified").message)
    set_status(directory, first, "failed", "account closed (bank return code AC04)")
    after = get_destination(directory, first)
    assert (after.status, after.reason) == ("failed", "account closed (bank return code AC04)")
    assert after.updated_us >= after.created_us
    assert "is failed" in refused(first, "verified").message
    assert "is failed" in refused(first, "failed", "again").message

    set_status(directory, second, "failed", "name does not match the account")
    assert [(row.id, row.status) for row in list_destinations(directory, MEMBER)] == [
        (first, "failed"), (second, "failed")]
    assert list_destinations(directory, MEMBER, "verified") == []
    assert list_destinations(directory, "merchant:m1") == []
    with pytest.raises(Rejected, match="status must be one of"):
        list_destinations(directory, status="bogus")


# choosing where to pay -----------------------------------------------------
@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each destination made or changed a microsecond after the last (no ties)."""
    ticks = iter(range(1_000_000, 10_000_000))
    monkeypatch.setattr(cash, "_now_us", lambda: next(ticks))


@pytest.mark.parametrize("scan_all", [False, True])
def test_verified_destinations_picks_each_party_s_newest_verified_one(
        directory: Directory, clock: None, monkeypatch: pytest.MonkeyPatch,
        scan_all: bool) -> None:
    if scan_all:  # the path a million parties take: one scan, filtered in memory
        monkeypatch.setattr(store_module, "PARTIES_IN_QUERY", 0)

    def made(party: str, status: str) -> str:
        destination_id = add_destination(directory, party, {"account": "123456", "name": "N"})
        if status != "unverified":
            set_status(directory, destination_id, status, "bounced" if status == "failed"
                       else "")
        return destination_id

    made("merchant:a", "verified")
    newest_a = made("merchant:a", "verified")
    made("merchant:a", "unverified")
    made("merchant:a", "failed")
    made("merchant:b", "unverified")
    verified_then_failed = made("merchant:c", "verified")
    set_status(directory, verified_then_failed, "failed", "account closed")
    only_d = made(MEMBER, "verified")

    assert verified_destinations(directory) == {"merchant:a": newest_a, MEMBER: only_d}
    assert verified_destinations(directory, ["merchant:a", "merchant:b", "merchant:c",
                                             "merchant:zz"]) == {"merchant:a": newest_a}
    assert verified_destinations(directory, []) == {}


def test_of_one_party_s_destinations_imported_together_the_last_is_the_newest(
        directory: Directory) -> None:
    ids = add_destinations(directory, [("merchant:a", {"account": f"12345{n}", "name": "A"})
                                       for n in range(5)])
    for destination_id in ids:
        set_status(directory, destination_id, "verified")
    assert verified_destinations(directory) == {"merchant:a": ids[-1]}


@pytest.mark.parametrize("path", ["by id", "whole table"])
def test_bulk_open_opens_every_id_asked_for_and_refuses_an_unknown_one(
        directory: Directory, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    monkeypatch.setattr(store_module, "BULK_IDS", 100)
    monkeypatch.setattr(store_module, "BULK_IDS_POSTGRESQL", 100)
    monkeypatch.setattr(store_module, "STREAM_ROWS", 50)
    monkeypatch.setattr(store_module, "SCAN_SHARE", 0 if path == "by id" else 1000)
    made = [(f"member:p{n:032x}", {"account": f"{n:08d}", "name": f"名{n}"})
            for n in range(1000)]
    ids = add_destinations(directory, made)
    asked = ids[::3]  # 334: four statements' worth by id; a third of the table
    opened = open_many(directory, reversed(asked))
    assert sorted(opened) == sorted(asked)
    for destination_id, (_, fields) in zip(ids, made, strict=True):
        assert opened.get(destination_id, fields) == fields
    assert open_many(directory, []) == {}
    with pytest.raises(Rejected) as refused:
        open_many(directory, [ids[0], "dst_a", "dst_b"])
    assert refused.value.code == "unknown_destination"
    assert "'dst_a', 'dst_b'" in refused.value.message


# erasure ---------------------------------------------------------------------
def test_erasing_a_member_deletes_their_destinations_and_no_one_else_s(
        database: tuple[Engine, str], directory: Directory) -> None:
    engine, sqlite_file = database
    pseudonym = MEMBER.removeprefix("member:")
    put_profile(directory, pseudonym, {"name": NAME})
    theirs = [add_destination(directory, MEMBER, ACCOUNT),
              add_destination(directory, MEMBER, {"account": "99887766", "name": NAME})]
    set_status(directory, theirs[0], "verified")
    shop = add_destination(directory, "merchant:m1", {"account": "123456", "name": "Shop"})
    with engine.connect() as connection:
        sealed = [bytes(row.sealed) for row in connection.execute(
            payout_destinations.select().where(payout_destinations.c.id.in_(theirs)))]

    forgotten = forget_member(directory, KeyStore(engine), pseudonym)
    assert forgotten.links_deleted == 3  # the profile and two destinations
    assert get_profile(directory, pseudonym) == {}
    assert list_destinations(directory, MEMBER) == []
    assert verified_destinations(directory, [MEMBER]) == {}
    with pytest.raises(Rejected, match="unknown_destination"):
        get_destination(directory, theirs[0])
    assert get_destination(directory, shop).fields["name"] == "Shop"
    if sqlite_file:  # overwritten, not only unlinked
        held = raw_bytes(engine, sqlite_file)
        assert all(value not in held for value in sealed)
    assert forget_member(directory, KeyStore(engine), pseudonym).links_deleted == 0


def test_delete_party_in_the_caller_s_transaction(directory: Directory) -> None:
    add_destination(directory, "lender:l1", ACCOUNT)
    add_destination(directory, "lender:l2", ACCOUNT)
    with directory.store.engine.connect() as connection:
        assert delete_party(connection, "lender:l1") == 1
        connection.rollback()  # the caller's to commit: rolled back, nothing went
    assert stored(directory) == 2
    assert delete_party(directory, "lender:l1") == 1
    assert [row.party for row in list_destinations(directory)] == ["lender:l2"]
