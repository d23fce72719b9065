# pragma version ~=0.4.3
"""
@title profitpool anchor
@notice Public record of a profitpool log's checkpoints. A program is named by a
        bytes32 id (SHA-256 of the log's verifier key); its first registrant is
        its publisher, the only address that may anchor its checkpoints, and a
        checkpoint is accepted only if the log's tree grew since the last one.
        Anyone can read every anchored checkpoint back and check a copy of the
        log against them with RFC 9162 consistency proofs.
"""

struct Checkpoint:
    tree_size: uint256
    root_hash: bytes32
    block_height: uint256
    chain_block: uint256  # the chain block the checkpoint was anchored in: finds its event

event Registered:
    program: indexed(bytes32)
    publisher: indexed(address)

event PublisherChanged:
    program: indexed(bytes32)
    publisher: indexed(address)

event Anchored:
    program: indexed(bytes32)
    number: uint256
    tree_size: uint256
    root_hash: bytes32
    block_height: uint256

# A fixed tag that says "this is a profitpool anchor, version 1".
ANCHOR_VERSION: public(constant(bytes32)) = keccak256("profitpool.anchor/v1")

publisher: public(HashMap[bytes32, address])
anchors: public(HashMap[bytes32, uint256])
checkpoints: HashMap[bytes32, HashMap[uint256, Checkpoint]]


@external
def register(program: bytes32):
    """
    @notice Claim a program id; the caller becomes its publisher.
    """
    assert self.publisher[program] == empty(address), "program already registered"
    self.publisher[program] = msg.sender
    log Registered(program=program, publisher=msg.sender)


@external
def change_publisher(program: bytes32, new_publisher: address):
    """
    @notice Hand the program to another address (a rotated key).
    """
    assert msg.sender == self.publisher[program], "not the program's publisher"
    assert new_publisher != empty(address), "no publisher"
    self.publisher[program] = new_publisher
    log PublisherChanged(program=program, publisher=new_publisher)


@external
def publish(program: bytes32, tree_size: uint256, root_hash: bytes32, block_height: uint256):
    """
    @notice Anchor one checkpoint: the log's tree size, its RFC 9162 root hash and
            the log's block height at that size.
    """
    assert msg.sender == self.publisher[program], "not the program's publisher"
    count: uint256 = self.anchors[program]
    if count > 0:
        assert tree_size > self.checkpoints[program][count - 1].tree_size, "tree size must grow"
    else:
        assert tree_size > 0, "tree size must grow"
    self.checkpoints[program][count] = Checkpoint(
        tree_size=tree_size, root_hash=root_hash, block_height=block_height,
        chain_block=block.number)
    self.anchors[program] = count + 1
    log Anchored(program=program, number=count, tree_size=tree_size, root_hash=root_hash,
                 block_height=block_height)


@view
@external
def checkpoint(program: bytes32, number: uint256) -> Checkpoint:
    """
    @notice The number-th anchored checkpoint of a program, from 0.
    """
    assert number < self.anchors[program], "no such anchor"
    return self.checkpoints[program][number]


@view
@external
def latest(program: bytes32) -> Checkpoint:
    """
    @notice The newest anchored checkpoint (all zero if none).
    """
    count: uint256 = self.anchors[program]
    if count == 0:
        return empty(Checkpoint)
    return self.checkpoints[program][count - 1]
