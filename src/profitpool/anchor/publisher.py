"""Publishing the log's newest checkpoint on a chain: one code path for CLI and service.

``profitpool anchor deploy`` deploys the contract (or takes an existing one)
and registers the log's program id with the publisher's address;
``profitpool anchor publish`` and the service's :class:`AnchorLoop` call
:func:`publish_latest`. A record is written locally only after the chain's
receipt says the transaction succeeded; a crash between the two is repaired
by :func:`sync_anchors`, which runs first every time and copies what the chain
holds but the database lacks. So the local table never claims an anchor the
chain does not have.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..background import Job
from ..events.domain import anchor_event
from ..log.reader import LogReader
from ..store.attestations import AnchorRecord, AttestationStore
from ..store.repository import LogStore
from .chain import AnchorError, Chain, WrongChain
from .contract import program_id

log = logging.getLogger("profitpool.anchor")

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class AnchorConfig:
    """Where a log is anchored, as kept in its ``log_meta``."""

    chain_id: int
    contract: str
    from_block: int
    """The chain block the contract was deployed in (events are read from here)."""

    @classmethod
    def load(cls, store: LogStore) -> AnchorConfig | None:
        meta = store.meta()
        if "anchor_contract" not in meta:
            return None
        return cls(int(meta["anchor_chain_id"]), meta["anchor_contract"],
                   int(meta.get("anchor_from_block", "0")))

    def save(self, store: LogStore) -> None:
        store.set_meta({"anchor_chain_id": str(self.chain_id), "anchor_contract": self.contract,
                        "anchor_from_block": str(self.from_block)})


def verifier_key(store: LogStore) -> str:
    key = store.meta().get("verifier_key")
    if not key:
        raise AnchorError("this database holds no log yet: run `profitpool init` first")
    return key


def deploy(store: LogStore, chain: Chain, account: Any, contract: str | None = None
           ) -> tuple[AnchorConfig, list[str]]:
    """Deploy the contract (or use ``contract``) and register this log; the steps taken.

    Raises:
        AnchorError: the chain refused, the contract is not ours, or the log is
            registered to another publisher.
    """
    steps = []
    if contract is None:
        sent = chain.deploy(account)
        assert sent.contract is not None
        contract, from_block = sent.contract, sent.chain_block
        steps.append(f"deployed the anchor contract at {contract} (transaction {sent.tx_hash}, "
                     f"{sent.gas_used:,} gas)")
    else:
        from_block = 0
    anchor = chain.contract(contract)
    program = program_id(verifier_key(store))
    publisher = chain.publisher_of(anchor, program)
    if publisher == ZERO_ADDRESS:
        sent = chain.register(anchor, account, program)
        steps.append(f"registered this log (program {program.hex()}) with publisher "
                     f"{account.address} (transaction {sent.tx_hash})")
    elif publisher.lower() != account.address.lower():
        raise AnchorError(f"this log is registered on {contract} to another publisher, "
                          f"{publisher}")
    else:
        steps.append(f"this log was already registered to {account.address}")
    config = AnchorConfig(chain.chain_id, anchor.address, from_block)
    config.save(store)
    return config, steps


def _configured(store: LogStore, chain: Chain) -> AnchorConfig:
    config = AnchorConfig.load(store)
    if config is None:
        raise AnchorError("this log has no anchor contract yet: run `profitpool anchor deploy`")
    if config.chain_id != chain.chain_id:
        raise WrongChain(f"this log is anchored on chain {config.chain_id}, but {chain.label} "
                         f"serves chain {chain.chain_id}")
    return config


def sync_anchors(store: LogStore, attestations: AttestationStore, chain: Chain) -> int:
    """Copy anchors the chain holds but the database lacks (after a crash); how many.

    Only the anchors numbered past the ones recorded are read, so this costs
    one call when nothing is missing. Each is first checked against the local
    tree: an anchor this log does not match is never recorded, and publishing
    stops there.
    """
    config = _configured(store, chain)
    anchor = chain.contract(config.contract)
    program = program_id(verifier_key(store))
    known = {record.number for record in attestations.anchors()
             if record.chain_id == config.chain_id and record.contract == config.contract}
    count = int(chain.call(lambda: anchor.functions.anchors(program).call()))
    if count == len(known):
        return 0
    added = 0
    last = store.last_block()
    local_size = last.header.tree_size if last is not None else 0
    reader = LogReader(store)
    for found in chain.anchors(anchor, program):
        if found.number in known:
            continue
        found = chain.transaction_of(anchor, program, found)
        if found.tree_size > local_size or reader.root(found.tree_size) != found.root:
            raise AnchorError(
                f"the chain's anchor #{found.number} (transaction {found.tx_hash}) does not "
                f"match this log at tree size {found.tree_size:,}: this is not the log that "
                "was anchored; run `profitpool verify --rpc` to see where it differs")
        receipt = chain.call(lambda tx=found.tx_hash: chain.w3.eth.get_transaction_receipt(tx))
        record = AnchorRecord(
            config.chain_id, config.contract, found.number, found.tree_size, found.root,
            found.block_height, found.tx_hash, found.chain_block, int(receipt.gasUsed),
            time.time_ns() // 1000)
        attestations.add_anchor(record, anchor_event(record))
        added += 1
    return added


def publish_latest(store: LogStore, attestations: AttestationStore, chain: Chain,
                   account: Any) -> AnchorRecord | None:
    """Anchor the newest block's checkpoint; None when the chain already has it.

    Raises:
        AnchorError: whatever went wrong, with nothing written locally.
    """
    config = _configured(store, chain)
    sync_anchors(store, attestations, chain)
    block = store.last_block()
    if block is None:
        return None
    header = block.header
    if header.tree_size <= attestations.anchored_size():
        return None
    anchor = chain.contract(config.contract)
    program = program_id(verifier_key(store))
    sent = chain.publish(anchor, account, program, header.tree_size, header.root, header.height)
    number = int(chain.call(lambda: anchor.functions.anchors(program).call())) - 1
    record = AnchorRecord(config.chain_id, config.contract, number, header.tree_size,
                          header.root, header.height, sent.tx_hash, sent.chain_block,
                          sent.gas_used, time.time_ns() // 1000)
    attestations.add_anchor(record, anchor_event(record))
    return record


class AnchorLoop(Job):
    """The service's anchoring: a :class:`RetryingLoop` that never touches the sequencer.

    Every ``poll_s`` seconds it looks at the newest stored block; when
    ``every_blocks`` blocks or ``every_s`` seconds have passed since the last
    anchor (and there is something new), it publishes through
    :func:`publish_latest`. A failure (chain down, no funds, ...) is logged and
    retried with exponential backoff; orders keep being accepted all along.
    """

    def __init__(self, store: LogStore, connect: Callable[[], Chain], account: Any,
                 every_blocks: int, every_s: float, poll_s: float = 1.0,
                 max_backoff_s: float = 600.0) -> None:
        self.store = store
        self.attestations = AttestationStore(store.engine)
        self.connect = connect
        self.account = account
        self.every_blocks = every_blocks
        self.every_s = every_s
        super().__init__("anchoring", poll_s, max_backoff_s)
        self._chain: Chain | None = None
        self._last_anchor_at = time.monotonic()

    def due(self) -> bool:
        block = self.store.last_block()
        if block is None or block.header.tree_size <= self.attestations.anchored_size():
            return False
        anchored = self.attestations.anchors(limit=1, newest_first=True)
        last_height = anchored[0].block_height if anchored else -1
        return (block.header.height - last_height >= self.every_blocks
                or time.monotonic() - self._last_anchor_at >= self.every_s)

    def run_once(self) -> AnchorRecord | None:
        """One attempt (tests call this directly); raises what publishing raised."""
        if self._chain is None:
            self._chain = self.connect()
        try:
            record = publish_latest(self.store, self.attestations, self._chain, self.account)
        except AnchorError:
            self._chain = None  # reconnect next time: the endpoint may have changed
            raise
        self._last_anchor_at = time.monotonic()
        if record is not None:
            log.info("anchored tree size %d in transaction %s", record.tree_size,
                     record.tx_hash)
        return record
