"""What others attested about the log: chain anchors and witness cosignatures.

These rows are not part of the log and never change what it proves; they
record that a checkpoint was published on a chain (transaction, gas, chain
block) or cosigned by a witness. Each write is one small transaction of its
own, made by the anchoring or witnessing code, never by the sequencer, and
only after the chain's receipt or the witness's answer said it succeeded, so
a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from .outbox import OutboxRow, OutboxStore
from .schema import anchors, cosignatures


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    """One checkpoint published on a chain by this log."""

    chain_id: int
    contract: str
    number: int
    """The contract's count for this program, from 0."""
    tree_size: int
    root: bytes
    block_height: int
    tx_hash: str
    chain_block: int
    gas_used: int
    time_us: int


@dataclass(frozen=True, slots=True)
class CosignatureRecord:
    witness: str
    tree_size: int
    line: str
    """The signature line, ``— <witness name> <base64>``."""
    time_us: int


class AttestationStore:
    """The ``anchors`` and ``cosignatures`` tables of one log's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._outbox = OutboxStore(engine)

    def add_anchor(self, record: AnchorRecord, event: OutboxRow) -> None:
        """Record an anchor and, in the same transaction, its ``checkpoint.anchored`` event
        (``events.domain.anchor_event(record)``)."""
        with self.engine.begin() as connection:
            connection.execute(anchors.insert().values(**_fields(record)))
            self._outbox.insert(connection, [event])

    def anchors(self, limit: int | None = None, newest_first: bool = False) -> list[AnchorRecord]:
        order = anchors.c.tree_size.desc() if newest_first else anchors.c.tree_size
        query = select(anchors).order_by(order)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [AnchorRecord(**row._mapping) for row in connection.execute(query)]

    def anchors_at(self, tree_sizes: Iterable[int]) -> dict[int, AnchorRecord]:
        """The anchor of each of these tree sizes that has one."""
        sizes = list(tree_sizes)
        if not sizes:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(select(anchors).where(anchors.c.tree_size.in_(sizes)))
            return {row.tree_size: AnchorRecord(**row._mapping) for row in rows}

    def anchored_size(self) -> int:
        """The largest tree size anchored so far (0 if none)."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(anchors.c.tree_size))).scalar() or 0)

    def add_cosignature(self, record: CosignatureRecord) -> None:
        with self.engine.begin() as connection:
            connection.execute(cosignatures.insert().values(**_fields(record)))

    def cosignatures_at(self, tree_size: int) -> list[CosignatureRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(cosignatures).where(
                cosignatures.c.tree_size == tree_size).order_by(cosignatures.c.witness))
            return [CosignatureRecord(**row._mapping) for row in rows]

    def witnessed_size(self, witness: str) -> int:
        """The largest tree size ``witness`` cosigned (0 if none)."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(cosignatures.c.tree_size)).where(
                cosignatures.c.witness == witness)).scalar() or 0)

    def cosigned_sizes(self) -> list[int]:
        """Every tree size some witness cosigned, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(cosignatures.c.tree_size).distinct().order_by(
                cosignatures.c.tree_size.desc()))
            return [int(row.tree_size) for row in rows]

    def latest_cosigned_size(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(
                select(func.max(cosignatures.c.tree_size))).scalar() or 0)


def _fields(record: AnchorRecord | CosignatureRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__slots__}
