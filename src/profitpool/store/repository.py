"""Reading and writing the log tables.

A block is written in exactly one place, :meth:`LogStore.append_block`: its
entries, header and signature, the tiles it changed, and what readers need
beside them (who each entry concerns, the pool after it, the first answers to
idempotent requests, the block's domain events), in one transaction. Besides
blocks, only the log's meta values (:meth:`LogStore.set_meta`) and signed
snapshots (:meth:`LogStore.put_snapshot`) are written here. Readers stream
entries in index order without loading the log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Engine, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..chain.block import BlockHeader
from .database import (
    StoreError,
    StoreUnavailable,
    connect,
    describe_error,
    driver_insert,
    is_unavailable,
    require_schema,
)
from .members import LinkRow, MemberStore
from .outbox import OutboxRow, OutboxStore
from .schema import (
    block_stats,
    blocks,
    entries,
    entry_parties,
    idempotency,
    log_meta,
    snapshots,
    tiles,
)

DATA_SNAPSHOT_PREFIX = b"profitpool state v1\n"
"""The first bytes of a snapshot in the data-only format (log/snapshot.py); a public copy
carries only such snapshots (store/public.py)."""

SNAPSHOTS_KEPT = 8
"""Snapshots a log keeps: the newest two for restarts, the rest spread over the log."""


def thinned(places: list[tuple[int, int]], keep: int) -> list[int]:
    """The heights to drop so that at most ``keep`` of ``places`` ((height, tree size),
    oldest first) are left: never the newest two; each time the older one whose
    neighbours are closest together (ties: the oldest)."""
    places = list(places)
    drop = []
    while len(places) > max(keep, 2):
        gaps = [(places[index + 1][1] - (places[index - 1][1] if index else 0), index)
                for index in range(len(places) - 2)]
        _, index = min(gaps)
        drop.append(places.pop(index)[0])
    return drop


@dataclass(frozen=True, slots=True)
class StoredBlock:
    """A block as stored: its header, signature and signed checkpoint note."""

    header: BlockHeader
    signature: bytes
    checkpoint: str


class BlockStats(NamedTuple):
    """The ledger's figures after a block, for the pool's time series (``block_stats``)."""

    pool: int
    """The pool in fen."""
    total_shares: int
    """All members' shares (1e-24 share)."""
    points_per_share: int
    """The ledger's index: points per share, in ``INDEX_SCALE`` units (10^24 per 1.0)."""
    exits: int
    """Lots forced out so far."""


class IdempotentAnswer(NamedTuple):
    """The service's first answer to an idempotent request (``idempotency``)."""

    scope: str
    """Who sent the request (the key's scope)."""
    key: str
    """The request's ``Idempotency-Key``."""
    request_hash: bytes
    """SHA-256 of the request, to tell a retry from another request with the same key."""
    status: int
    """The HTTP status answered."""
    body: bytes
    """The JSON body answered."""


@dataclass(frozen=True, slots=True)
class BlockExtras:
    """Rows stored with a block for readers: not part of what the log proves."""

    parties: list[tuple[str, int]]
    """(party, entry index) for each party each entry concerns (``entry_parties``)."""
    stats: BlockStats
    """The ledger's figures after the block."""
    answers: list[IdempotentAnswer]
    """The service's first answers to the idempotent requests the block answers."""
    events: list[OutboxRow] = field(default_factory=list)
    """The block's domain events, for the outbox (events/)."""
    links: list[LinkRow] = field(default_factory=list)
    """The links of the members the block's entries name for the first time (members.py)."""


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    height: int
    tree_size: int
    signature: bytes
    data: bytes


class LogStore:
    """The tables of one log in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._insert_entries = driver_insert(engine, "entries", ("idx", "data"))
        self._insert_parties = driver_insert(engine, "entry_parties", ("party", "idx"))
        self.outbox = OutboxStore(engine)
        self.members = MemberStore(engine)

    # meta ---------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            return {row.key: row.value for row in connection.execute(select(log_meta))}

    def set_meta(self, values: Mapping[str, str]) -> None:
        statement = self._insert(log_meta)
        statement = statement.on_conflict_do_update(
            index_elements=[log_meta.c.key], set_={"value": statement.excluded.value}
        )
        with self.engine.begin() as connection:
            connection.execute(statement, [{"key": k, "value": v} for k, v in values.items()])

    # writing --------------------------------------------------------------
    def append_block(
        self, block: StoredBlock, entry_data: list[bytes],
        changed_tiles: Mapping[tuple[int, int], bytes], extras: BlockExtras | None = None,
    ) -> None:
        """Store one block, its entries, the tiles it changed and its reader rows, atomically.

        Raises:
            StoreUnavailable: the database could not be used (see
                :func:`~.database.is_unavailable`); the block was not stored, or, if the
                connection was lost while committing, its fate is unknown until the
                database answers again.
            StoreError: the database refused the block; nothing of it was stored.
        """
        header = block.header
        first = header.first_index
        upsert = self._insert(tiles)
        upsert = upsert.on_conflict_do_update(
            index_elements=[tiles.c.level, tiles.c.idx], set_={"hashes": upsert.excluded.hashes}
        )
        committing = False
        try:
            with self.engine.begin() as connection:
                # The bulk of a block: the driver's executemany directly,
                # without SQLAlchemy's per-row parameter processing.
                connection.exec_driver_sql(self._insert_entries, [
                    (first + offset, data) for offset, data in enumerate(entry_data)
                ])
                if changed_tiles:
                    connection.execute(upsert, [
                        {"level": level, "idx": index, "hashes": data}
                        for (level, index), data in changed_tiles.items()
                    ])
                connection.execute(blocks.insert(), [_block_row(block)])
                if extras is not None:
                    self._insert_extras(connection, header, extras)
                committing = True  # what fails from here on fails in the COMMIT
        except SQLAlchemyError as error:
            message = f"block {header.height} was not stored: {describe_error(error)}"
            if not is_unavailable(error):
                raise StoreError(message) from None
            failure = StoreUnavailable(message)
            # A server may have committed before the connection broke; SQLite has not.
            failure.in_doubt = committing and self.engine.dialect.name != "sqlite"
            raise failure from None

    def _insert_extras(self, connection: Any, header: BlockHeader, extras: BlockExtras) -> None:
        if extras.parties:
            connection.exec_driver_sql(self._insert_parties, extras.parties)
        stats = extras.stats
        connection.execute(block_stats.insert(), [{
            "height": header.height, "time_us": header.time, "tree_size": header.tree_size,
            "pool": stats.pool, "total_shares": str(stats.total_shares),
            "index": str(stats.points_per_share), "exits": stats.exits,
        }])
        if extras.answers:
            connection.execute(idempotency.insert(), [
                {"scope": answer.scope, "key": answer.key, "request_hash": answer.request_hash,
                 "status": answer.status, "response": answer.body}
                for answer in extras.answers
            ])
        self.outbox.insert(connection, extras.events)
        if extras.links:
            self.members.insert_links(connection, extras.links)

    def put_snapshot(self, snapshot: StoredSnapshot, keep: int = SNAPSHOTS_KEPT) -> None:
        """Store a snapshot and keep at most ``keep``, spread over the log: the newest two,
        and, of the older ones, those whose removal would leave the widest gap (each one
        starts a segment of ``verify --jobs``)."""
        with self.engine.begin() as connection:
            connection.execute(snapshots.insert(), [{
                "height": snapshot.height, "tree_size": snapshot.tree_size,
                "signature": snapshot.signature, "data": snapshot.data,
            }])
            places = [tuple(row) for row in connection.execute(
                select(snapshots.c.height, snapshots.c.tree_size).order_by(snapshots.c.height))]
            drop = thinned(places, keep)
            if drop:
                connection.execute(delete(snapshots).where(snapshots.c.height.in_(drop)))

    def snapshot_places(self) -> list[tuple[int, int]]:
        """(height, tree size) of every stored snapshot, oldest first."""
        with self.engine.connect() as connection:
            return [(row.height, row.tree_size) for row in connection.execute(
                select(snapshots.c.height, snapshots.c.tree_size).order_by(snapshots.c.height))]

    def snapshot(self, height: int) -> StoredSnapshot | None:
        """The snapshot stored at block ``height``."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(snapshots).where(snapshots.c.height == height)).first()
        if row is None:
            return None
        return StoredSnapshot(row.height, row.tree_size, bytes(row.signature), bytes(row.data))

    # reading --------------------------------------------------------------
    def party_entries(self, party: str, before: int | None, limit: int) -> list[int]:
        """Indexes of the entries that concern ``party``, newest first."""
        query = (select(entry_parties.c.idx).where(entry_parties.c.party == party)
                 .order_by(entry_parties.c.idx.desc()).limit(limit))
        if before is not None:
            query = query.where(entry_parties.c.idx < before)
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def stats(self, after: int, limit: int) -> list[Any]:
        """Rows of ``block_stats`` for blocks after height ``after``, oldest first."""
        query = (select(block_stats).where(block_stats.c.height > after)
                 .order_by(block_stats.c.height).limit(limit))
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def exits_before(self, time_us: int) -> int:
        """Lots forced out by the last block before ``time_us`` (0 if none or unknown)."""
        query = (select(block_stats.c.exits).where(block_stats.c.time_us < time_us)
                 .order_by(block_stats.c.height.desc()).limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return 0 if row is None or row[0] is None else int(row[0])

    def blocks_before(self, before: int | None, limit: int) -> list[StoredBlock]:
        """Up to ``limit`` blocks below height ``before`` (or the newest), newest first."""
        query = select(blocks).order_by(blocks.c.height.desc()).limit(limit)
        if before is not None:
            query = query.where(blocks.c.height < before)
        with self.engine.connect() as connection:
            return [_stored_block(row) for row in connection.execute(query)]

    def answer(self, scope: str, key: str) -> tuple[bytes, int, bytes] | None:
        """The stored first answer to an idempotent request: (request hash, status, body)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(idempotency.c.request_hash, idempotency.c.status, idempotency.c.response)
                .where(idempotency.c.scope == scope, idempotency.c.key == key)
            ).first()
        return None if row is None else (bytes(row[0]), row[1], bytes(row[2]))

    def last_block(self) -> StoredBlock | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(blocks).order_by(blocks.c.height.desc()).limit(1)
            ).first()
        return None if row is None else _stored_block(row)

    def block(self, height: int) -> StoredBlock | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(blocks).where(blocks.c.height == height)).first()
        return None if row is None else _stored_block(row)

    def height_covering(self, tree_size: int) -> int | None:
        """The first block whose tree holds ``tree_size`` entries (None if none yet)."""
        with self.engine.connect() as connection:
            height = connection.execute(select(func.min(blocks.c.height)).where(
                blocks.c.tree_size >= tree_size)).scalar()
        return None if height is None else int(height)

    def block_at_size(self, tree_size: int) -> StoredBlock | None:
        """The block whose tree size is ``tree_size`` (blocks never share one)."""
        with self.engine.connect() as connection:
            row = connection.execute(select(blocks).where(blocks.c.tree_size == tree_size)
                                     .order_by(blocks.c.height).limit(1)).first()
        return None if row is None else _stored_block(row)

    def iter_blocks(self, batch: int = 1000, after: int = 0,
                    through: int | None = None) -> Iterator[StoredBlock]:
        """Every block in height order (those above ``after``, up to ``through``)."""
        while True:
            query = select(blocks).where(blocks.c.height > after)
            if through is not None:
                query = query.where(blocks.c.height <= through)
            with self.engine.connect() as connection:
                rows = connection.execute(query.order_by(blocks.c.height).limit(batch)).all()
            for row in rows:
                yield _stored_block(row)
            if len(rows) < batch:
                return
            after = rows[-1].height

    def block_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(blocks)).scalar_one())

    def iter_entries(self, start: int = 0, stop: int | None = None,
                     batch: int = 10_000) -> Iterator[tuple[int, bytes]]:
        """(index, canonical bytes) for start <= index < stop, in index order.

        Reads in batches, each in its own short transaction (keyset paging), so
        a reader that stops early holds no cursor, lock or snapshot open.
        """
        while stop is None or start < stop:
            query = select(entries.c.idx, entries.c.data).where(entries.c.idx >= start)
            if stop is not None:
                query = query.where(entries.c.idx < stop)
            with self.engine.connect() as connection:
                rows = connection.execute(query.order_by(entries.c.idx).limit(batch)).all()
            for index, data in rows:
                yield index, bytes(data)
            if len(rows) < batch:
                return
            start = rows[-1][0] + 1

    def entry(self, index: int) -> bytes | None:
        with self.engine.connect() as connection:
            data = connection.execute(
                select(entries.c.data).where(entries.c.idx == index)
            ).scalar_one_or_none()
        return None if data is None else bytes(data)

    def entry_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(entries)).scalar_one())

    def entry_end(self) -> int:
        """One past the highest stored entry index (0 when there are none)."""
        with self.engine.connect() as connection:
            top = connection.execute(select(func.max(entries.c.idx))).scalar_one_or_none()
        return 0 if top is None else int(top) + 1

    def tile_widths(self, level: int, first_index: int) -> dict[int, int]:
        """{tile index: hashes stored} for the tiles of ``level`` from ``first_index`` on."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(tiles.c.idx, func.length(tiles.c.hashes))
                .where(tiles.c.level == level, tiles.c.idx >= first_index)
            )
            return {int(index): int(length) // 32 for index, length in rows}

    def tile(self, level: int, index: int) -> bytes | None:
        with self.engine.connect() as connection:
            data = connection.execute(
                select(tiles.c.hashes).where(tiles.c.level == level, tiles.c.idx == index)
            ).scalar_one_or_none()
        return None if data is None else bytes(data)

    def iter_tiles(self, batch: int = 1000) -> Iterator[tuple[int, int, bytes]]:
        """(level, index, hashes) of every stored tile, by level then index."""
        level, after = 0, -1
        while True:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(tiles.c.level, tiles.c.idx, tiles.c.hashes)
                    .where(tuple_(tiles.c.level, tiles.c.idx) > tuple_(level, after))
                    .order_by(tiles.c.level, tiles.c.idx).limit(batch)
                ).all()
            for row_level, index, data in rows:
                yield row_level, index, bytes(data)
            if len(rows) < batch:
                return
            level, after = rows[-1][0], rows[-1][1]

    def latest_snapshot(self) -> StoredSnapshot | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(snapshots).order_by(snapshots.c.height.desc()).limit(1)
            ).first()
        if row is None:
            return None
        return StoredSnapshot(row.height, row.tree_size, bytes(row.signature), bytes(row.data))


@contextmanager
def open_store(url: str) -> Iterator[LogStore]:
    """The store of the log at ``url`` (a URL as ``--db`` takes), its engine disposed of after.

    Raises:
        StoreError: unreachable, or no profitpool schema of this version there.
    """
    engine = connect(url)
    try:
        require_schema(engine)
        yield LogStore(engine)
    finally:
        engine.dispose()


def _block_row(block: StoredBlock) -> dict[str, Any]:
    header = block.header
    return {
        "height": header.height, "prev_hash": header.prev_hash, "time_us": header.time,
        "first_index": header.first_index, "count": header.count,
        "tree_size": header.tree_size, "root": header.root,
        "state_digest": header.state_digest, "signature": block.signature,
        "checkpoint": block.checkpoint,
    }


def _stored_block(row: Any) -> StoredBlock:
    header = BlockHeader(
        height=row.height, prev_hash=bytes(row.prev_hash), time=row.time_us,
        first_index=row.first_index, count=row.count, tree_size=row.tree_size,
        root=bytes(row.root), state_digest=bytes(row.state_digest),
    )
    return StoredBlock(header, bytes(row.signature), row.checkpoint)
