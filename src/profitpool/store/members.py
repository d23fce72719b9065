"""Who a pseudonym is, and members' personal data: the tables outside the log.

The log names members by pseudonyms only (docs/privacy.md). ``member_links``
maps an id a merchant or the operator uses to its pseudonym: ``scope`` says
whose id it is ("" for the operator's own id of a member, ``merchant:<id>``
for the id a merchant sent), ``id_hash`` is a keyed hash of the id (to find
it without storing it) and ``sealed_id`` the id encrypted with the program's
data key (to show it to those allowed to see it); the members/ package makes
both. ``member_profiles`` holds a member's personal data, sealed likewise.

New links are written in the transaction of the block whose entry first
names the pseudonym (``LogStore.append_block``): a link exists exactly when
the member it names does, and no sooner. Erasure deletes a member's rows;
on SQLite with ``secure_delete`` (store/database.py), the bytes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .database import driver_insert, driver_marker
from .schema import member_links, member_profiles

LOOKUP_KEYS: Final = 500
"""(scope, id) pairs :meth:`MemberStore.find` asks for in one statement."""


class LinkRow(NamedTuple):
    """One id of a member, as stored."""

    scope: str
    """"" (the operator's id for the member) or ``merchant:<id>`` (the id it sent)."""
    id_hash: bytes
    pseudonym: str
    sealed_id: bytes
    created_us: int


class MemberStore:
    """The SQL of ``member_links`` and ``member_profiles``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._marker = driver_marker(engine)
        self._insert_links = driver_insert(engine, "member_links", LinkRow._fields,
                                           skip_existing=True)

    # links ---------------------------------------------------------------
    def insert_links(self, connection: Connection, rows: Sequence[LinkRow]) -> None:
        """Store new links in the caller's transaction (a block's); one already stored
        for the same scope and id is left as it is."""
        if not rows:
            return
        # In the driver's own terms, as a block's entries are: SQLAlchemy's per-row
        # parameter processing cost more than the rest of storing a new member.
        connection.exec_driver_sql(self._insert_links, [tuple(row) for row in rows])

    def find(self, keys: Iterable[tuple[str, bytes]]) -> dict[tuple[str, bytes], str]:
        """{(scope, id_hash): pseudonym} of those of ``keys`` that are linked.

        One statement per :data:`LOOKUP_KEYS` pairs, in the driver's own placeholders:
        built by SQLAlchemy, the statement cost three times the query (300 us for one
        id); an order through the API looks its member up, with the other requests in
        flight (service/lookups.py)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, bytes], str] = {}
        if not wanted:
            return found
        asked = set(wanted)
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), LOOKUP_KEYS):
                chunk = wanted[start:start + LOOKUP_KEYS]
                scopes = sorted({scope for scope, _ in chunk})
                hashes = [id_hash for _, id_hash in chunk]
                rows = connection.exec_driver_sql(
                    "SELECT scope, id_hash, pseudonym FROM member_links WHERE scope IN "
                    f"({', '.join([self._marker] * len(scopes))}) AND id_hash IN "
                    f"({', '.join([self._marker] * len(hashes))})", (*scopes, *hashes))
                for scope, id_hash, pseudonym in rows:
                    if (scope, bytes(id_hash)) in asked:
                        found[(scope, bytes(id_hash))] = pseudonym
        return found

    def links_of(self, pseudonyms: Iterable[str], scope: str | None = None
                 ) -> list[LinkRow]:
        """Every link of these pseudonyms (in ``scope`` only, if given)."""
        names = list(dict.fromkeys(pseudonyms))
        rows: list[LinkRow] = []
        with self.engine.connect() as connection:
            for start in range(0, len(names), 500):
                query = select(member_links).where(
                    member_links.c.pseudonym.in_(names[start:start + 500]))
                if scope is not None:
                    query = query.where(member_links.c.scope == scope)
                rows.extend(_link(row) for row in connection.execute(query))
        return rows

    def count_links(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(member_links)).scalar_one())

    # profiles ------------------------------------------------------------
    def put_profile(self, pseudonym: str, sealed: bytes, updated_us: int) -> None:
        statement = self._insert(member_profiles).values(
            pseudonym=pseudonym, sealed=sealed, updated_us=updated_us)
        statement = statement.on_conflict_do_update(
            index_elements=[member_profiles.c.pseudonym],
            set_={"sealed": statement.excluded.sealed,
                  "updated_us": statement.excluded.updated_us})
        with self.engine.begin() as connection:
            connection.execute(statement)

    def profile(self, pseudonym: str) -> bytes | None:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(member_profiles.c.sealed).where(
                    member_profiles.c.pseudonym == pseudonym)).scalar_one_or_none()
        return None if value is None else bytes(value)

    # erasure ---------------------------------------------------------------
    def forget(self, pseudonym: str) -> int:
        """Delete every link and the profile of a pseudonym; how many rows went.

        On SQLite the deleted bytes are overwritten too (``secure_delete``) and the
        write-ahead log is folded into the file and emptied, so no copy of them stays in
        either file. On PostgreSQL the rows stay on disk until ``VACUUM`` (docs/privacy.md):
        they are sealed with the data key, which is not in the database.
        """
        sqlite_file = self.engine.dialect.name == "sqlite"
        with self.engine.begin() as connection:
            if sqlite_file:
                connection.exec_driver_sql("PRAGMA secure_delete = ON")
            gone = connection.execute(
                delete(member_links).where(member_links.c.pseudonym == pseudonym)).rowcount
            gone += connection.execute(
                delete(member_profiles).where(member_profiles.c.pseudonym == pseudonym)
            ).rowcount
        if sqlite_file:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(gone)


def _link(row: Any) -> LinkRow:
    return LinkRow(row.scope, bytes(row.id_hash), row.pseudonym, bytes(row.sealed_id),
                   row.created_us)
