"""The monthly disclosures' tables: ``disclosures``, ``pol_tiles`` and ``pol_members``.

A month's report (its JSON twin) is stored with its proof-of-liabilities
tree, as tiles, and where each member's leaves sit, so members' proofs are
served from storage. What goes in is computed by disclosure/ (publish.py,
pol.py); this module only writes it, all of a month in one transaction, and
reads it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import Engine, delete, select

from .database import driver_insert
from .schema import disclosures, pol_members, pol_tiles


class StoredReport(NamedTuple):
    """A month's stored report: the JSON twin whose SHA-256 the log's entry holds."""

    period: str
    report: bytes
    sha256: str
    pol_root: str
    pol_total: int
    pol_leaves: int
    created_us: int


class ReportSummary(NamedTuple):
    period: str
    sha256: str
    pol_root: str
    pol_total: int


class PolTileRow(NamedTuple):
    """One tile of a month's tree (disclosure/pol.py lays them out)."""

    tile_level: int
    tile_index: int
    data: bytes


class PolMemberRow(NamedTuple):
    """Where a member's two leaves sit in a month's tree, and their salt."""

    member: str
    pseudonym: str
    salt: bytes
    position_a: int
    position_b: int


class DisclosureStore:
    """The disclosure tables of one log's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replace(self, report: StoredReport, tiles: Sequence[PolTileRow],
                members: Iterable[tuple[str, str, bytes, int, int]]) -> None:
        """Store a month's report and tree, replacing whatever was stored for that month.

        ``members`` hold :class:`PolMemberRow`'s fields in order; plain tuples will do
        (a month may have a million, and a NamedTuple each costs a second).
        """
        period = report.period
        with self.engine.begin() as connection:
            for table in (disclosures, pol_tiles, pol_members):
                connection.execute(delete(table).where(table.c.period == period))
            connection.execute(disclosures.insert().values(report._asdict()))
            # Straight to the driver: a million member rows through SQLAlchemy's insert()
            # cost 17 s of a 1M-member month; executemany with tuples a fraction of that.
            if tiles:
                connection.exec_driver_sql(
                    driver_insert(self.engine, "pol_tiles", ("period", *PolTileRow._fields)),
                    [(period, *tile) for tile in tiles])
            rows = [(period, *member) for member in members]
            if rows:
                rows.sort(key=lambda row: row[1])  # key order: appends to the B-tree
                connection.exec_driver_sql(
                    driver_insert(self.engine, "pol_members", ("period", *PolMemberRow._fields)),
                    rows)

    def remove(self, period: str) -> None:
        """Forget a month's report and tree."""
        with self.engine.begin() as connection:
            for table in (disclosures, pol_tiles, pol_members):
                connection.execute(delete(table).where(table.c.period == period))

    def report(self, period: str) -> StoredReport | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(disclosures).where(
                disclosures.c.period == period)).first()
        if row is None:
            return None
        return StoredReport(row.period, bytes(row.report), row.sha256, row.pol_root,
                            int(row.pol_total), int(row.pol_leaves), int(row.created_us))

    def periods(self) -> list[ReportSummary]:
        """Every stored month, newest first."""
        with self.engine.connect() as connection:
            return [ReportSummary(row.period, row.sha256, row.pol_root, int(row.pol_total))
                    for row in connection.execute(select(
                        disclosures.c.period, disclosures.c.sha256, disclosures.c.pol_root,
                        disclosures.c.pol_total).order_by(disclosures.c.period.desc()))]

    @contextmanager
    def tree(self, period: str) -> Iterator[TreeReader]:
        """A month's stored tree, read in one connection while the block lasts."""
        with self.engine.connect() as connection:

            def member(member_id: str) -> PolMemberRow | None:
                row = connection.execute(select(pol_members).where(
                    pol_members.c.period == period, pol_members.c.member == member_id)).first()
                return None if row is None else PolMemberRow(
                    row.member, row.pseudonym, bytes(row.salt), int(row.position_a),
                    int(row.position_b))

            def tile(tile_level: int, tile_index: int) -> bytes:
                """The tile's bytes (empty if it is not stored)."""
                found = connection.execute(select(pol_tiles.c.data).where(
                    pol_tiles.c.period == period, pol_tiles.c.tile_level == tile_level,
                    pol_tiles.c.tile_index == tile_index)).scalar()
                return bytes(found) if found is not None else b""

            yield TreeReader(member, tile)


class TreeReader(NamedTuple):
    """Reads of one month's stored tree (:meth:`DisclosureStore.tree`)."""

    member: Callable[[str], PolMemberRow | None]
    tile: Callable[[int, int], bytes]
