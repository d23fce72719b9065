"""Checking a local log against every checkpoint anchored on the chain.

For each anchored (tree size, root), oldest first: the local log must hold at
least that many entries; its tree of that size must have that root; and an
RFC 9162 consistency proof, built from the local tiles, must show that tree
to be a prefix of the local log's newest tree. A history rewritten and
re-signed after an anchor fails here, whatever keys signed it, with a message
naming the anchor, its transaction and where the rewrite begins.

What the chain cannot say is *which* entry was changed: it holds roots only.
The first differing entry lies after the last anchor the log still matches
and before the first it does not; anchoring often narrows that range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..chain import merkle
from ..log.reader import LogReader
from ..store.repository import LogStore
from .chain import AnchorError, Chain, ChainAnchor
from .contract import program_id
from .publisher import AnchorConfig, verifier_key


@dataclass
class AnchorCheck:
    """The outcome of checking a log against its anchors."""

    chain_id: int
    contract: str
    anchors: list[ChainAnchor] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_anchors(store: LogStore, chain: Chain, contract: str | None = None,
                  verifier: str | None = None) -> AnchorCheck:
    """Read every anchor of this log from the chain and check the local log extends each.

    ``verifier`` is the log's published verifier key (default: the one in the
    database); ``contract`` the anchor contract (default: the one recorded by
    ``anchor deploy``).

    Raises:
        AnchorError: the chain cannot be read, or no contract is known.
    """
    config = AnchorConfig.load(store)
    if contract is None:
        if config is None:
            raise AnchorError("no anchor contract is recorded for this log: pass --contract")
        contract = config.contract
    anchor_contract = chain.contract(contract)
    program = program_id(verifier or verifier_key(store))
    report = AnchorCheck(chain.chain_id, anchor_contract.address)
    report.anchors = chain.anchors(anchor_contract, program)

    def named(anchor: ChainAnchor) -> str:
        anchor = chain.transaction_of(anchor_contract, program, anchor)
        return (f"anchor #{anchor.number} (transaction {anchor.tx_hash}, chain "
                f"{chain.chain_id} block {anchor.chain_block})")

    last = store.last_block()
    local_size = last.header.tree_size if last is not None else 0
    reader = LogReader(store)
    local_root = reader.root(local_size) if local_size else merkle.EMPTY_ROOT
    matched_size, matched_name = 0, "the start of the log"
    for anchor in report.anchors:
        if anchor.tree_size > local_size:
            name = named(anchor)
            report.problems.append(
                f"{name} covers {anchor.tree_size:,} entries but this log holds only "
                f"{local_size:,}: entries {local_size:,} onwards were removed")
            break
        root = reader.root(anchor.tree_size)
        if root != anchor.root:
            name = named(anchor)
            report.problems.append(
                f"{name} holds root {anchor.root.hex()} for tree size {anchor.tree_size:,}, "
                f"but this log's first {anchor.tree_size:,} entries hash to {root.hex()}: "
                f"the history was rewritten after {matched_name}; the first entry that "
                f"differs is one of entries {matched_size:,} to {anchor.tree_size - 1:,}"
                f" (entry {matched_size:,} at the earliest)")
            break
        proof = reader.consistency_hashes(anchor.tree_size, local_size)
        if not merkle.verify_consistency(anchor.tree_size, local_size, anchor.root,
                                         local_root, proof):
            report.problems.append(f"{named(anchor)}: the consistency proof from tree size "
                                   f"{anchor.tree_size:,} to {local_size:,} does not verify")
            break
        report.checked += 1
        matched_size, matched_name = anchor.tree_size, f"anchor #{anchor.number}"
    return report
