"""RFC 9162 (RFC 6962) Merkle tree hashing, proofs and their verification.

SHA-256 throughout; a leaf hashes as ``SHA-256(0x00 || entry)`` and a node as
``SHA-256(0x01 || left || right)``. Pure functions, no I/O.

Proofs and roots are computed from a :data:`SubtreeHash` provider, which
returns the hash of any *aligned complete* subtree: height ``h``, index ``k``
covers leaves ``[k * 2**h, (k + 1) * 2**h)``. Every incomplete subtree the
RFC asks for is rebuilt from the O(log n) complete subtrees it is made of,
so the same code runs over a dict, the tiles of :mod:`.tiles` or a database.

:class:`Frontier` keeps the right edge of a growing tree (one hash per set
bit of the size), which is all that is needed to append and to compute the
root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

HASH_BYTES: Final = 32
"""Length of every hash, in bytes."""

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string."""

SubtreeHash = Callable[[int, int], bytes]
"""``get(height, index)``: hash of the complete subtree over leaves
``[index * 2**height, (index + 1) * 2**height)``."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one log entry: ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(count: int) -> int:
    """The largest power of two strictly less than ``count`` (``count`` >= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine right-edge subtree hashes, largest first, into one root (right to left)."""
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, straight from the RFC's recursive definition.

    Meant for tests and small trees: it touches every leaf.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    split = _split(len(leaf_hashes))
    return node_hash(root_of(leaf_hashes[:split]), root_of(leaf_hashes[split:]))


def _range_hash(start: int, end: int, get: SubtreeHash) -> bytes:
    """MTH(D[start:end]) for a range that is a node of the RFC tree (``start < end``).

    Such a range starts at a multiple of a power of two at least its length, so
    its greedy split into aligned complete subtrees (largest first) is exactly
    the RFC's split; at most log2(end - start) + 1 calls to ``get``.
    """
    pieces: list[bytes] = []
    while start < end:
        height = (end - start).bit_length() - 1
        if start:
            # Never let a piece straddle a boundary it is not aligned to.
            height = min(height, (start & -start).bit_length() - 1)
        pieces.append(get(height, start >> height))
        start += 1 << height
    return _fold(pieces)


def tree_root(size: int, get: SubtreeHash) -> bytes:
    """The root of the tree of the first ``size`` leaves, from O(log size) subtrees.

    Raises:
        ValueError: if ``size`` is negative.
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    return _range_hash(0, size, get) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get: SubtreeHash) -> list[bytes]:
    """The RFC 9162 audit path PATH(index, D[0:size]) (section 2.1.3.1), leaf end first.

    Raises:
        ValueError: unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []  # built root end first, reversed at the end
    start, end = 0, size
    while end - start > 1:
        split = start + _split(end - start)
        if index < split:
            path.append(_range_hash(split, end, get))
            end = split
        else:
            path.append(_range_hash(start, split, get))
            start = split
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, get: SubtreeHash) -> list[bytes]:
    """The RFC 9162 consistency proof PROOF(old_size, D[0:new_size]) (section 2.1.4.1).

    Empty when ``old_size`` is 0 or equal to ``new_size``: nothing is left to prove.

    Raises:
        ValueError: unless ``0 <= old_size <= new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"cannot prove size {old_size} consistent with size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []  # built root end first, reversed at the end
    start, end = 0, new_size
    old_root_is_known = True  # the RFC's flag b: still on the old tree's left spine
    while end != old_size:
        split = start + _split(end - start)
        if old_size <= split:
            proof.append(_range_hash(split, end, get))
            end = split
        else:
            proof.append(_range_hash(start, split, get))
            start = split
            old_root_is_known = False
    if not old_root_is_known:
        proof.append(_range_hash(start, end, get))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``root`` of ``size``.

    RFC 9162 section 2.1.3.2, step by step; any malformed input gives False.
    """
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            # Skip the levels where this node is the lone right-edge child.
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` is a prefix of the tree ``new_root``.

    RFC 9162 section 2.1.4.2 for ``0 < old_size < new_size``. The edges: equal
    sizes need an empty proof and equal roots; ``old_size == 0`` needs an empty
    proof and ``old_root == EMPTY_ROOT``; anything else malformed gives False.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)  # the old root is a node of the new tree: not sent
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            new_computed = node_hash(new_computed, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_computed == old_root and new_computed == new_root


class Frontier:
    """The compact range of a growing tree: one hash per set bit of its size.

    ``hashes`` are the complete subtrees along the right edge, largest first;
    together with ``size`` they are the whole persistent state.
    """

    __slots__ = ("_size", "_hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Restore a frontier saved as ``(size, hashes)``; the default is the empty tree.

        Raises:
            ValueError: if the hashes do not fit a tree of ``size`` leaves.
        """
        saved = list(hashes)
        if size < 0:
            raise ValueError(f"tree size must not be negative, got {size}")
        if len(saved) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} edge hashes, "
                             f"got {len(saved)}")
        if any(len(edge_hash) != HASH_BYTES for edge_hash in saved):
            raise ValueError(f"every edge hash must be {HASH_BYTES} bytes")
        self._size = size
        self._hashes = saved

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """A copy of the right-edge subtree hashes, largest subtree first."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash; amortised one node hash per leaf.

        Raises:
            ValueError: if ``leaf_hash`` is not 32 bytes.
        """
        if len(leaf_hash) != HASH_BYTES:
            raise ValueError(f"a leaf hash is {HASH_BYTES} bytes, got {len(leaf_hash)}")
        hashes = self._hashes
        merged = leaf_hash
        # Each trailing 1 bit of the old size is a same-height subtree to merge with.
        pending = self._size
        while pending & 1:
            merged = node_hash(hashes.pop(), merged)
            pending >>= 1
        hashes.append(merged)
        self._size += 1

    def root(self) -> bytes:
        """The current tree root (O(log size) hashes)."""
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT
