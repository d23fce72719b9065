"""Talking to an EVM chain through web3.py: deploy, register, publish, read back.

Every transaction is signed locally with the publisher's key and sent raw, so
the same code works against any JSON-RPC endpoint (Ethereum, an L2, a
consortium chain such as Hyperledger Besu) and against eth-tester's
in-process chain. Whatever goes wrong becomes one :class:`AnchorError` with a
sentence a person can act on; nothing here touches the local database.

The exception tree::

    ProfitpoolError
     └── AnchorError
           ├── ChainUnreachable     the RPC endpoint does not answer (worth retrying)
           ├── WrongChain           the endpoint serves another chain id than expected
           ├── NotOurContract       the address holds no contract, or not ours
           ├── NoFunds              the publisher cannot pay for the gas
           └── Reverted             the contract refused (the reason is in the message)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProfitpoolError
from .contract import compiled

BATCH = 200
"""Checkpoints read per JSON-RPC batch request."""


class AnchorError(ProfitpoolError):
    """Anchoring failed; nothing was recorded locally."""


class ChainUnreachable(AnchorError):
    """The JSON-RPC endpoint did not answer; retrying later may help."""


class WrongChain(AnchorError):
    pass


class NotOurContract(AnchorError):
    pass


class NoFunds(AnchorError):
    pass


class Reverted(AnchorError):
    pass


@dataclass(frozen=True)
class ChainAnchor:
    """One checkpoint as the chain holds it, with where it was written."""

    number: int
    tree_size: int
    root: bytes
    block_height: int
    tx_hash: str
    """Empty until read from the anchor's event (:meth:`Chain.transaction_of`)."""
    chain_block: int


@dataclass(frozen=True)
class Sent:
    """A transaction the chain accepted and mined successfully."""

    tx_hash: str
    chain_block: int
    gas_used: int
    contract: str | None = None


def load_eth_key(path: Path | None) -> Any:
    """The publisher's account: a hex private key from ``path`` or $PROFITPOOL_ANCHOR_KEY.

    Raises:
        AnchorError: no key, an unreadable or too-open file, or not a key.
    """
    from eth_account import Account

    if path is None:
        text = os.environ.get("PROFITPOOL_ANCHOR_KEY", "")
        if not text:
            raise AnchorError("no publisher key: give --eth-key FILE or set "
                              "PROFITPOOL_ANCHOR_KEY to a hex private key")
    else:
        from ..log.keys import read_secret_file

        text = read_secret_file(path, AnchorError, "write the publisher's hex private key "
                                                   "there, mode 0600")
    try:
        return Account.from_key(text)
    except (ValueError, TypeError):
        raise AnchorError("the publisher key is not a 32-byte hex private key") from None


class Chain:
    """One JSON-RPC endpoint, checked to be the expected chain."""

    def __init__(self, w3: Any, label: str, expected_chain_id: int | None = None) -> None:
        self.w3 = w3
        self.label = label
        try:
            self.chain_id = int(w3.eth.chain_id)
        except Exception as error:  # web3 raises many kinds for a dead endpoint
            raise ChainUnreachable(f"cannot reach the chain at {label}: {_reason(error)}") \
                from None
        if expected_chain_id is not None and self.chain_id != expected_chain_id:
            raise WrongChain(f"{label} serves chain id {self.chain_id}, not the expected "
                             f"{expected_chain_id}")

    @classmethod
    def connect(cls, rpc: str, expected_chain_id: int | None = None,
                timeout_s: float = 10.0) -> Chain:
        """Connect to an http(s) JSON-RPC endpoint."""
        from web3 import HTTPProvider, Web3

        if not rpc.startswith(("http://", "https://")):
            raise AnchorError(f"--rpc must be an http(s) URL, not {rpc!r}")
        provider = HTTPProvider(rpc, request_kwargs={"timeout": timeout_s})
        return cls(Web3(provider), rpc, expected_chain_id)

    # the contract ---------------------------------------------------------------

    def contract(self, address: str) -> Any:
        """The anchor contract at ``address``, after checking its code is ours.

        Raises:
            NotOurContract: no code there, or other code than profitpool's anchor.
        """
        from web3 import Web3

        if not Web3.is_address(address):
            raise NotOurContract(f"{address!r} is not an address")
        address = Web3.to_checksum_address(address)
        code = bytes(self.call(lambda: self.w3.eth.get_code(address)))
        if not code:
            raise NotOurContract(f"there is no contract at {address} on chain {self.chain_id}")
        if code != compiled().runtime:
            raise NotOurContract(f"the contract at {address} on chain {self.chain_id} is not "
                                 "profitpool's anchor contract (its code differs)")
        return self.w3.eth.contract(address=address, abi=compiled().abi)

    def deploy(self, account: Any) -> Sent:
        build = compiled()
        factory = self.w3.eth.contract(abi=build.abi, bytecode=build.bytecode)
        return self.send(account, factory.constructor(), "deploying the anchor contract")

    def publisher_of(self, contract: Any, program: bytes) -> str:
        return str(self.call(lambda: contract.functions.publisher(program).call()))

    def register(self, contract: Any, account: Any, program: bytes) -> Sent:
        return self.send(account, contract.functions.register(program), "registering the log")

    def publish(self, contract: Any, account: Any, program: bytes, tree_size: int, root: bytes,
                block_height: int) -> Sent:
        return self.send(account, contract.functions.publish(
            program, tree_size, root, block_height), f"anchoring tree size {tree_size}")

    def anchors(self, contract: Any, program: bytes,
                with_transactions: bool = False) -> list[ChainAnchor]:
        """Every checkpoint anchored for ``program``, oldest first, read from the contract.

        The checkpoints come from the contract's storage (its count, then each
        checkpoint, in JSON-RPC batches of :data:`BATCH`), not from event logs,
        which some endpoints index slowly or prune. Each checkpoint names the
        chain block it was anchored in; its transaction hash is read from that
        one block's ``Anchored`` event, only when asked (``with_transactions``)
        or later by :meth:`transaction_of`.
        """
        count = int(self.call(lambda: contract.functions.anchors(program).call()))
        rows: list[Any] = []
        for first in range(0, count, BATCH):
            numbers = range(first, min(count, first + BATCH))
            rows += self.call(lambda numbers=numbers: self._checkpoints(contract, program,
                                                                          numbers))
        found = [ChainAnchor(number, int(row[0]), bytes(row[1]), int(row[2]), "", int(row[3]))
                 for number, row in enumerate(rows)]
        if with_transactions:
            found = [self.transaction_of(contract, program, anchor) for anchor in found]
        return found

    def _checkpoints(self, contract: Any, program: bytes, numbers: range) -> list[Any]:
        calls = [contract.functions.checkpoint(program, number) for number in numbers]
        try:
            with self.w3.batch_requests() as batch:
                for call in calls:
                    batch.add(call)
                return list(batch.execute())
        except Exception as error:
            if _is_connection_error(error):
                raise
            return [call.call() for call in calls]  # an endpoint without batches

    def transaction_of(self, contract: Any, program: bytes, anchor: ChainAnchor) -> ChainAnchor:
        """``anchor`` with its transaction hash, from the event in its own chain block."""
        logs = self.call(lambda: contract.events.Anchored().get_logs(
            from_block=anchor.chain_block, to_block=anchor.chain_block,
            argument_filters={"program": program}))
        for log in logs:
            if int(log.args.number) == anchor.number:
                if (int(log.args.tree_size), bytes(log.args.root_hash)) != (
                        anchor.tree_size, anchor.root):
                    raise AnchorError(f"anchor #{anchor.number}'s event differs from the "
                                      "contract's storage")
                return ChainAnchor(anchor.number, anchor.tree_size, anchor.root,
                                   anchor.block_height, "0x" + bytes(log.transactionHash).hex(),
                                   anchor.chain_block)
        raise AnchorError(f"no Anchored event for anchor #{anchor.number} in chain block "
                          f"{anchor.chain_block}: the endpoint is hiding events")

    def balance(self, address: str) -> int:
        return int(self.call(lambda: self.w3.eth.get_balance(address)))

    # plumbing -------------------------------------------------------------------

    def call(self, request: Any) -> Any:
        """Run ``request()`` (one or more JSON-RPC calls); failures become AnchorErrors."""
        try:
            return request()
        except AnchorError:
            raise
        except Exception as error:
            if _is_connection_error(error):
                raise ChainUnreachable(f"cannot reach the chain at {self.label}: "
                                       f"{_reason(error)}") from None
            raise AnchorError(f"the chain at {self.label} answered with an error: "
                              f"{_reason(error)}") from None

    def send(self, account: Any, function: Any, doing: str) -> Sent:
        """Build, check funds, sign, send and wait for one transaction."""
        address = account.address
        try:
            transaction = function.build_transaction({
                "from": address, "chainId": self.chain_id,
                "nonce": self.w3.eth.get_transaction_count(address, "pending"),
            })
        except Exception as error:
            if _is_connection_error(error):
                raise ChainUnreachable(f"cannot reach the chain at {self.label}: "
                                       f"{_reason(error)}") from None
            reason = _reason(error)
            if any(words in reason.lower() for words in _NO_FUNDS):
                raise NoFunds(f"{doing}: the publisher {address} cannot pay for the gas "
                              f"(balance {self.balance(address)} wei)") from None
            raise Reverted(f"{doing}: the chain refused it: {reason}") from None
        price = int(transaction.get("maxFeePerGas", transaction.get("gasPrice", 0)))
        needed = int(transaction["gas"]) * price + int(transaction.get("value", 0))
        balance = self.balance(address)
        if balance < needed:
            raise NoFunds(f"{doing}: the publisher {address} holds {balance} wei but the "
                          f"transaction may cost up to {needed} wei; fund it and retry")
        signed = account.sign_transaction(transaction)
        raw = getattr(signed, "raw_transaction", None) or signed.rawTransaction
        tx_hash = self.call(lambda: self.w3.eth.send_raw_transaction(raw))
        receipt = self.call(lambda: self.w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=120))
        hex_hash = "0x" + bytes(tx_hash).hex()
        if int(receipt.status) != 1:
            raise Reverted(f"{doing}: transaction {hex_hash} was mined but reverted")
        contract = receipt.get("contractAddress")
        return Sent(hex_hash, int(receipt.blockNumber), int(receipt.gasUsed),
                    str(contract) if contract else None)


_NO_FUNDS = ("insufficient funds", "cannot afford")
"""How nodes say the sender cannot pay (geth and Besu, py-evm)."""


def _reason(error: BaseException) -> str:
    message = getattr(error, "message", None)  # web3's ContractLogicError keeps it here
    text = (message if isinstance(message, str) and message else str(error)).strip() \
        or type(error).__name__
    return text.splitlines()[0][:300]


def _is_connection_error(error: BaseException) -> bool:
    import requests

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (requests.ConnectionError, requests.Timeout, ConnectionError,
                             TimeoutError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
