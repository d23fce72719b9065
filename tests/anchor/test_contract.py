"""The Vyper anchor contract on eth-tester's in-process chain (py-evm)."""

from __future__ import annotations

import hashlib
import json

import pytest
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from profitpool.anchor.chain import Chain, NotOurContract, Reverted
from profitpool.anchor.contract import (
    artifact_json,
    build_from_source,
    compiled,
    program_id,
    source,
    stored_artifact,
)

PROGRAM = program_id("profitpool.test/log+01020304+AAAA")
IMPOSTOR = """# pragma version ~=0.4.3
@external
@view
def anchors(program: bytes32) -> uint256:
    return 0
"""


@pytest.fixture
def chain() -> Chain:
    return Chain(Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend()))), "eth-tester")


def funded(chain: Chain, wei: int = 10**18):
    account = Account.create()
    chain.w3.eth.send_transaction({"from": chain.w3.eth.accounts[0], "to": account.address,
                                   "value": wei})
    return account


def test_abi_and_bytecode_are_reproducible_from_the_source() -> None:
    build = build_from_source()
    again = build_from_source()
    assert again.bytecode == build.bytecode and again.runtime == build.runtime
    assert stored_artifact() == artifact_json(build)  # Anchor.json is this source's build
    assert compiled() == build  # and it is what profitpool deploys and recognises
    stored = json.loads(stored_artifact())
    assert stored["compiler"].startswith("vyper 0.4")
    assert stored["source_sha256"] == hashlib.sha256(source().encode()).hexdigest()


def test_deploy_register_publish_and_read_back(chain: Chain) -> None:
    publisher = funded(chain)
    deployed = chain.deploy(publisher)
    contract = chain.contract(deployed.contract)
    assert chain.w3.eth.get_code(contract.address) == compiled().runtime
    assert contract.functions.ANCHOR_VERSION().call() == Web3.keccak(text="profitpool.anchor/v1")
    chain.register(contract, publisher, PROGRAM)
    assert chain.publisher_of(contract, PROGRAM) == publisher.address
    first = chain.publish(contract, publisher, PROGRAM, 7, b"\x07" * 32, 1)
    second = chain.publish(contract, publisher, PROGRAM, 12, b"\x0c" * 32, 3)
    assert contract.functions.anchors(PROGRAM).call() == 2
    assert contract.functions.checkpoint(PROGRAM, 0).call() == (7, b"\x07" * 32, 1,
                                                                 first.chain_block)
    assert contract.functions.latest(PROGRAM).call() == (12, b"\x0c" * 32, 3,
                                                         second.chain_block)
    found = chain.anchors(contract, PROGRAM, with_transactions=True)
    assert [(a.number, a.tree_size, a.root, a.block_height) for a in found] == [
        (0, 7, b"\x07" * 32, 1), (1, 12, b"\x0c" * 32, 3)]
    assert [a.tx_hash for a in found] == [first.tx_hash, second.tx_hash]
    assert [a.chain_block for a in found] == [first.chain_block, second.chain_block]
    assert chain.anchors(contract, program_id("another log")) == []


def test_only_the_registered_publisher_may_write(chain: Chain) -> None:
    publisher, intruder = funded(chain), funded(chain)
    contract = chain.contract(chain.deploy(publisher).contract)
    chain.register(contract, publisher, PROGRAM)
    with pytest.raises(Reverted, match="not the program's publisher"):
        chain.publish(contract, intruder, PROGRAM, 5, b"\x05" * 32, 1)
    with pytest.raises(Reverted, match="program already registered"):
        chain.register(contract, intruder, PROGRAM)
    with pytest.raises(Reverted, match="not the program's publisher"):
        chain.send(intruder, contract.functions.change_publisher(PROGRAM, intruder.address),
                    "taking the program")
    assert contract.functions.anchors(PROGRAM).call() == 0
    # the publisher may hand the program over (a rotated key), and then only the new one writes
    chain.send(publisher, contract.functions.change_publisher(PROGRAM, intruder.address),
                "rotating")
    chain.publish(contract, intruder, PROGRAM, 5, b"\x05" * 32, 1)
    with pytest.raises(Reverted, match="not the program's publisher"):
        chain.publish(contract, publisher, PROGRAM, 6, b"\x06" * 32, 2)


def test_a_tree_that_does_not_grow_is_refused(chain: Chain) -> None:
    publisher = funded(chain)
    contract = chain.contract(chain.deploy(publisher).contract)
    chain.register(contract, publisher, PROGRAM)
    with pytest.raises(Reverted, match="tree size must grow"):
        chain.publish(contract, publisher, PROGRAM, 0, b"\x00" * 32, 0)
    chain.publish(contract, publisher, PROGRAM, 10, b"\x0a" * 32, 2)
    with pytest.raises(Reverted, match="tree size must grow"):
        chain.publish(contract, publisher, PROGRAM, 10, b"\x0b" * 32, 3)
    with pytest.raises(Reverted, match="tree size must grow"):
        chain.publish(contract, publisher, PROGRAM, 9, b"\x09" * 32, 3)
    assert [a.tree_size for a in chain.anchors(contract, PROGRAM)] == [10]


def test_an_address_without_our_code_is_refused(chain: Chain) -> None:
    publisher = funded(chain)
    with pytest.raises(NotOurContract, match="there is no contract at"):
        chain.contract(publisher.address)
    # a contract with the same interface's look, but other code
    from vyper import compile_code

    impostor = compile_code(IMPOSTOR, output_formats=["abi", "bytecode"])
    other = chain.w3.eth.contract(abi=impostor["abi"], bytecode=impostor["bytecode"])
    sent = chain.send(publisher, other.constructor(), "deploying another contract")
    with pytest.raises(NotOurContract, match="is not profitpool's anchor contract"):
        chain.contract(sent.contract)
    with pytest.raises(NotOurContract, match="is not an address"):
        chain.contract("0x1234")
