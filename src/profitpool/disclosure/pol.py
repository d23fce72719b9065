"""Proof of liabilities: a Merkle-sum tree over what the program owes at a month end.

Version 2 (:func:`build_v2`) counts every party: a member's points' value + what it is
owed + what is in flight to it, and a merchant's or lender's owed + in flight
(docs/rules.md section 10); each leaf commits to the three amounts. Version 1
(:func:`build`) counts members' holdings alone; months published with it keep it, and
every verifier here takes both. What follows describes version 1; version 2 differs only
in the leaf (and the salt and split labels), as the formats below say.

Each node carries a hash and a sum (integer fen); a node's hash commits to both
children's hashes *and both their sums*, so no sum can be moved between
subtrees or made negative unseen. The root and the total are signed in the
month's report; a member checks, with their proof, that their holding is
counted in that total.

Privacy. In a plain Merkle-sum tree a leaf's sibling is another member's leaf,
whose sum is that member's whole holding. Here every holding is split into two
leaves (part 0 and part 1, a keyed pseudo-random split, part 0 uniform in
[0, value]) and all leaves are ordered by their salted leaf hash, so leaf
positions are unlinkable to members and a leaf's sibling is a random part of an
unidentified member. What one proof reveals: the tree's size (leaf count / 2
members), the total, and the sums of 2 x log2(leaves) anonymous subtrees
(single parts or groups of parts). What it does not reveal: who holds what.
Limits, stated precisely in docs/proof-of-liabilities.md: a level-1 sibling
holds exactly another member's two parts with probability about 1/(leaves);
with 2 members the total minus one's own value is the other's holding anyway;
members who pool their proofs learn more subtree sums.

Byte formats (docs/proof-of-liabilities.md has the full specification)::

    salt  = HMAC-SHA256(secret, "pol-salt-v1\\n" || period || "\\n" || member_id)
    r     = HMAC-SHA256(secret, "pol-split-v1\\n" || period || "\\n" || member_id)
    part0 = int(r, big-endian) mod (value + 1);  part1 = value - part0
    leaf  = SHA-256(0x00 "pol-leaf-v1" || u8 len(period) || period
                    || u8 len(pseudonym) || pseudonym || salt || u8 part || u64 value)
    node  = SHA-256(0x01 "pol-node-v1" || left hash || u64 left sum
                    || right hash || u64 right sum),  sum = left sum + right sum
    empty = SHA-256(0x02 "pol-empty-v1"), sum 0
    v2:  salt, r keyed "pol-salt-v2", "pol-split-v2" on the party KIND:ID;
    leaf = SHA-256(0x00 "pol-leaf-v2" || u8 len(period) || period || u8 len(party) || party
                   || salt || u64 points || u64 owed || u64 in flight || u8 part || u64 value)

Tree shape: RFC 6962 (left subtree = the largest power of two below the
size, no padding), built level by level: pair nodes 2i and 2i+1, promote an
odd last node unchanged. Storage: the records (32-byte hash || u64 sum) of
levels 0, 8, 16, ... in tiles of 256 (:func:`tree_rows`); one proof reads
one tile per 8 levels (:func:`proof_from_rows`).

Standard library only; pure functions over bytes, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

MAX_SUM: Final = 1 << 63
"""Values and every sum are below this (they fit a signed 64-bit column)."""

HASH_BYTES: Final = 32
SUM_BYTES: Final = 8
RECORD_BYTES: Final = HASH_BYTES + SUM_BYTES
"""One node as stored: hash || u64 big-endian sum."""

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 1 << TILE_HEIGHT
"""Records in a full tile (256); a row holds at most ``TILE_WIDTH * RECORD_BYTES`` bytes."""

SECRET_BYTES: Final = 32
LEAF_PREFIX: Final = b"\x00pol-leaf-v1"
NODE_PREFIX: Final = b"\x01pol-node-v1"
EMPTY_ROOT: Final = hashlib.sha256(b"\x02pol-empty-v1").digest()
SALT_LABEL: Final = b"pol-salt-v1\n"
SPLIT_LABEL: Final = b"pol-split-v1\n"
PROOF_FORMAT: Final = "profitpool-pol-proof-v1"
"""The ``format`` field of a version 1 proof's JSON (a member's points alone)."""
LEAF_PREFIX_V2: Final = b"\x00pol-leaf-v2"
SALT_LABEL_V2: Final = b"pol-salt-v2\n"
SPLIT_LABEL_V2: Final = b"pol-split-v2\n"
PROOF_FORMAT_V2: Final = "profitpool-pol-proof-v2"
"""The ``format`` field of a version 2 proof's JSON (points, owed and in flight)."""
PARTY_KINDS: Final = ("member", "merchant", "lender")
AMOUNTS_BYTES: Final = 3 * SUM_BYTES
"""A version 2 party's points value, owed and in flight, each a u64."""

Side = Literal["left", "right"]
"""Where a proof step's sibling sits, relative to the node being climbed."""

RowGetter = Callable[[int, int], bytes]
"""``get_row(tile_level, tile_index)``: a row that :func:`tree_rows` yielded."""

_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_HEX32 = re.compile(r"[0-9a-f]{64}")
_FEN = re.compile(r"-?[0-9]{1,20}")
_sha256 = hashlib.sha256
_PART_NAMES: Final = ("part 0", "part 1")


class PolError(ValueError):
    """A proof does not verify, its JSON is malformed, or a tree cannot be built."""


@dataclass(frozen=True)
class ProofStep:
    """One step up a leaf's path: the sibling's hash and sum, and its side."""

    side: Side
    """``"left"``: the sibling is the left child, ``"right"``: the right one."""
    sibling_hash: str
    """The sibling's hash, 64 lowercase hex digits."""
    sibling_sum_fen: int
    """The sibling's sum in fen."""


@dataclass(frozen=True)
class PartProof:
    """One of a member's two leaves and its path to the root."""

    value_fen: int
    position: int
    """The leaf's index in the tree (leaves ordered by leaf hash)."""
    path: tuple[ProofStep, ...]
    """Leaf end first."""


@dataclass(frozen=True)
class MemberProof:
    """Everything a party needs to check that what it is owed is in the month's tree.

    Version 1 (a member's points alone) and version 2 (what the party is owed in all:
    the value of its points, what it is owed and what is in flight to it; members,
    merchants and lenders) differ only in the leaf hash and the JSON's fields.
    """

    period: str
    """The month, ``YYYY-MM``."""
    pseudonym: str
    """The party's public name: a member's pseudonym, a merchant's or lender's id."""
    salt: str
    """The party's salt for this month, 64 lowercase hex digits."""
    parts: tuple[PartProof, ...]
    """Exactly two: part 0 then part 1; value = the sum of their values."""
    root: str
    """The tree's root hash, 64 lowercase hex digits."""
    total_fen: int
    leaf_count: int
    version: int = 1
    """1: ``profitpool-pol-proof-v1``; 2: ``profitpool-pol-proof-v2``."""
    kind: str = "member"
    """Version 2: ``member``, ``merchant`` or ``lender`` (version 1: always a member)."""
    points_fen: int = 0
    """Version 2: the value of the party's points (0 for a merchant or a lender)."""
    owed_fen: int = 0
    """Version 2: what the party is owed, not yet sent (docs/rules.md section 10)."""
    in_flight_fen: int = 0
    """Version 2: what is on its way to the party's bank."""

    @property
    def value_fen(self) -> int:
        """What the proof claims the tree counts for the party (checked by
        :func:`verify_proof`): the holding (version 1), or points + owed + in flight."""
        return sum(part.value_fen for part in self.parts)

    @property
    def party(self) -> str:
        """``KIND:NAME``, as a version 2 leaf commits to it."""
        return f"{self.kind}:{self.pseudonym}"

    def summary(self) -> str:
        """Who and what the tree counts, for a person: ``alice holds 123.45 CNY`` (version
        1), ``member:alice is owed 3.00 CNY in all (points 1.00, owed 2.00, in flight 0.00)``
        (version 2)."""
        if self.version != 2:
            return f"{self.pseudonym} holds {_cny(self.value_fen)} CNY"
        return (f"{self.party} is owed {_cny(self.value_fen)} CNY in all (points "
                f"{_cny(self.points_fen)}, owed {_cny(self.owed_fen)}, in flight "
                f"{_cny(self.in_flight_fen)})")

    def to_json(self) -> str:
        """The proof as compact JSON, keys in the documented order; fen as digit strings."""
        document: dict[str, Any] = {"format": PROOF_FORMAT, "period": self.period,
                                    "pseudonym": self.pseudonym}
        if self.version == 2:
            document = {"format": PROOF_FORMAT_V2, "period": self.period, "party": self.party}
        document |= {
            "salt": self.salt,
            "root": self.root,
            "total_fen": str(self.total_fen),
            "leaf_count": self.leaf_count,
        }
        if self.version == 2:
            document |= {"points_fen": str(self.points_fen), "owed_fen": str(self.owed_fen),
                         "in_flight_fen": str(self.in_flight_fen)}
        document["parts"] = [
            {
                "value_fen": str(part.value_fen),
                "position": part.position,
                "path": [
                    {"side": step.side, "hash": step.sibling_hash,
                     "sum_fen": str(step.sibling_sum_fen)}
                    for step in part.path
                ],
            }
            for part in self.parts
        ]
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> MemberProof:
        """Parse :meth:`to_json`'s format (either version); only shapes and types are
        checked here.

        Raises:
            PolError: not JSON, a field missing, unknown or of the wrong type.
        """
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise PolError(f"the proof is not JSON: {error}") from None
        form = document.get("format") if isinstance(document, dict) else None
        if form == PROOF_FORMAT_V2:
            root = _fields(document, "the proof", (
                "format", "period", "party", "salt", "root", "total_fen", "leaf_count",
                "points_fen", "owed_fen", "in_flight_fen", "parts"))
            kind, colon, name = _string(root, "party", "the proof").partition(":")
            if not colon or kind not in PARTY_KINDS:
                raise PolError(f"the proof's party {root['party']!r} is not member:NAME, "
                               "merchant:ID or lender:ID")
            amounts: dict[str, Any] = {"version": 2, "kind": kind,
                       "points_fen": _fen(root, "points_fen", "the proof"),
                       "owed_fen": _fen(root, "owed_fen", "the proof"),
                       "in_flight_fen": _fen(root, "in_flight_fen", "the proof")}
        else:
            root = _fields(document, "the proof", (
                "format", "period", "pseudonym", "salt", "root", "total_fen", "leaf_count",
                "parts"))
            if root["format"] != PROOF_FORMAT:
                raise PolError(f"the proof's format is {root['format']!r}, expected "
                               f"{PROOF_FORMAT!r} or {PROOF_FORMAT_V2!r}")
            name = _string(root, "pseudonym", "the proof")
            amounts = {}
        parts = root["parts"]
        if not isinstance(parts, list) or len(parts) != 2:
            raise PolError("the proof's parts must be a list of two parts")
        return cls(
            period=_string(root, "period", "the proof"),
            pseudonym=name,
            salt=_string(root, "salt", "the proof"),
            root=_string(root, "root", "the proof"),
            total_fen=_fen(root, "total_fen", "the proof"),
            leaf_count=_integer(root, "leaf_count", "the proof"),
            parts=tuple(_part_from_json(part, part_name)
                        for part, part_name in zip(parts, _PART_NAMES, strict=True)),
            **amounts,
        )


@dataclass(frozen=True, eq=False)
class PolTree:
    """A built tree: its commitment, and what is needed to serve and store proofs."""

    period: str
    root: bytes
    total_fen: int
    leaf_count: int
    levels: tuple[bytes, ...] = field(repr=False)
    """Every level's records (hash || u64 sum), leaves first, the root's level last."""
    member_ids: Sequence[str] = field(repr=False)
    pseudonyms: Sequence[str] = field(repr=False)
    salts: bytes = field(repr=False)
    """32 bytes per member, in ``member_ids`` order."""
    positions: array[int] = field(repr=False)
    """Leaf positions: member i's part 0 at ``[2i]``, part 1 at ``[2i + 1]``."""
    member_index: dict[str, int] = field(repr=False)
    version: int = 1
    """1: leaves of members' holdings (``pol-leaf-v1``); 2: leaves of every party's
    points, owed and in flight (``pol-leaf-v2``)."""
    kinds: Sequence[str] = field(default=(), repr=False)
    """Version 2: each party's kind, in ``member_ids`` order."""
    amounts: bytes = field(default=b"", repr=False)
    """Version 2: u64 points || u64 owed || u64 in flight per party, in ``member_ids`` order."""

    @property
    def parties_text(self) -> str:
        """Whom the tree counts, for a person: ``1,234 members`` or (version 2, merchants
        and lenders included) ``1,236 parties``."""
        return f"{len(self.member_ids):,} {'parties' if self.version == 2 else 'members'}"


# --- hashing -------------------------------------------------------------------------------


def member_salt(secret: bytes, period: str, member_id: str) -> bytes:
    """The member's 32-byte salt for ``period``: keyed, so nobody else can compute it."""
    message = SALT_LABEL + _period_bytes(period) + b"\n" + member_id.encode()
    return hmac.digest(_secret(secret), message, "sha256")


def split_value(secret: bytes, period: str, member_id: str, value_fen: int) -> tuple[int, int]:
    """The member's two parts ``(part0, part1)``, part0 uniform in [0, value]."""
    message = SPLIT_LABEL + _period_bytes(period) + b"\n" + member_id.encode()
    draw = int.from_bytes(hmac.digest(_secret(secret), message, "sha256"), "big")
    part0 = draw % (_value(value_fen, "the value") + 1)
    return part0, value_fen - part0


def leaf_hash(period: str, pseudonym: str, salt: bytes, part: int, value_fen: int) -> bytes:
    """The hash of one of a member's two leaves (``part`` 0 or 1)."""
    if len(salt) != HASH_BYTES or part not in (0, 1):
        raise PolError("a leaf needs a 32-byte salt and part 0 or 1")
    return _sha256(_leaf_head(_period_bytes(period), _pseudonym_bytes(pseudonym), salt)
                   + bytes((part,)) + _value(value_fen, "the value").to_bytes(8, "big")).digest()


def node_hash(left_hash: bytes, left_sum: int, right_hash: bytes, right_sum: int) -> bytes:
    """The hash of an inner node over its children's hashes and sums."""
    return _sha256(NODE_PREFIX + left_hash + left_sum.to_bytes(8, "big")
                   + right_hash + right_sum.to_bytes(8, "big")).digest()


def _leaf_head(period: bytes, pseudonym: bytes, salt: bytes) -> bytes:
    return (LEAF_PREFIX + bytes((len(period),)) + period
            + bytes((len(pseudonym),)) + pseudonym + salt)


def leaf_hash_v2(period: str, party: str, salt: bytes, amounts: tuple[int, int, int],
                 part: int, value_fen: int) -> bytes:
    """The hash of one of a party's two version 2 leaves; ``amounts`` is (points, owed,
    in flight) in fen, ``party`` is ``KIND:NAME``."""
    if len(salt) != HASH_BYTES or part not in (0, 1):
        raise PolError("a leaf needs a 32-byte salt and part 0 or 1")
    head = _leaf_head_v2(_period_bytes(period), _pseudonym_bytes(party), salt,
                         _amounts_bytes(*amounts, "the party"))
    return _sha256(head + bytes((part,))
                   + _value(value_fen, "the value").to_bytes(8, "big")).digest()


def _leaf_head_v2(period: bytes, party: bytes, salt: bytes, amounts: bytes) -> bytes:
    return (LEAF_PREFIX_V2 + bytes((len(period),)) + period
            + bytes((len(party),)) + party + salt + amounts)


def _amounts_bytes(points_fen: object, owed_fen: object, in_flight_fen: object,
                   what: str) -> bytes:
    """u64 points || u64 owed || u64 in flight, each and their sum in [0, 2^63)."""
    points = _value(points_fen, f"{what}'s points value")
    owed = _value(owed_fen, f"{what}'s owed amount")
    in_flight = _value(in_flight_fen, f"{what}'s amount in flight")
    if points + owed + in_flight >= MAX_SUM:
        raise PolError(f"{what}'s points, owed and in flight reach 2^63 fen together")
    return points.to_bytes(8, "big") + owed.to_bytes(8, "big") + in_flight.to_bytes(8, "big")


# --- building ------------------------------------------------------------------------------


def build(period: str, secret: bytes,
          holdings: Iterable[tuple[str, str, int]]) -> PolTree:
    """The tree of ``period`` over ``(member_id, pseudonym, value_fen)`` holdings.

    Two leaves per member, ordered by leaf hash; then every level is hashed in
    one pass over a bytes blob (no object per node).

    Raises:
        PolError: a bad period or secret, a value outside [0, 2^63), a member id
            or pseudonym given twice, or a total of 2^63 fen or more.
    """
    period_bytes = _period_bytes(period)
    secret = _secret(secret)
    salt_prefix = SALT_LABEL + period_bytes + b"\n"
    split_prefix = SPLIT_LABEL + period_bytes + b"\n"
    member_ids: list[str] = []
    pseudonyms: list[str] = []
    member_index: dict[str, int] = {}
    seen_pseudonyms: set[str] = set()
    salts = bytearray()
    leaf_records: list[bytes] = []  # member i's parts at 2i, 2i + 1
    leaf_sums: list[int] = []
    total_fen = 0
    digest = hmac.digest
    for member_id, pseudonym, value_fen in holdings:
        if type(member_id) is not str:
            raise PolError(f"member id {member_id!r} is not a string")
        if member_id in member_index:
            raise PolError(f"member id {member_id!r} is given twice")
        pseudonym_key = _pseudonym_bytes(pseudonym)
        if pseudonym in seen_pseudonyms:
            raise PolError(f"pseudonym {pseudonym!r} is given twice")
        value_fen = _value(value_fen, f"member {member_id!r}'s value")
        member_key = member_id.encode()
        salt = digest(secret, salt_prefix + member_key, "sha256")
        part0 = int.from_bytes(digest(secret, split_prefix + member_key, "sha256"),
                               "big") % (value_fen + 1)
        part1 = value_fen - part0
        head = _leaf_head(period_bytes, pseudonym_key, salt)
        sum0, sum1 = part0.to_bytes(8, "big"), part1.to_bytes(8, "big")
        leaf_records.append(_sha256(head + b"\x00" + sum0).digest() + sum0)
        leaf_records.append(_sha256(head + b"\x01" + sum1).digest() + sum1)
        leaf_sums += (part0, part1)
        member_index[member_id] = len(member_ids)
        member_ids.append(member_id)
        pseudonyms.append(pseudonym)
        seen_pseudonyms.add(pseudonym)
        salts += salt
        total_fen += value_fen
    return _finish(period, total_fen, leaf_records, leaf_sums, member_ids, pseudonyms,
                   bytes(salts), member_index)


def _finish(period: str, total_fen: int, leaf_records: list[bytes], leaf_sums: list[int],
            member_ids: list[str], pseudonyms: list[str], salts: bytes,
            member_index: dict[str, int], **version: Any) -> PolTree:
    """Order the leaves by hash and hash every level above them."""
    if total_fen >= MAX_SUM:
        raise PolError(f"the total {total_fen} fen reaches 2^63: it cannot be committed")
    # A record starts with its leaf hash, so sorting records sorts by hash.
    order = sorted(range(len(leaf_records)), key=leaf_records.__getitem__)
    positions = array("q", bytes(8 * len(order)))
    for position, leaf in enumerate(order):
        positions[leaf] = position
    level = b"".join([leaf_records[leaf] for leaf in order])
    sums = [leaf_sums[leaf] for leaf in order]
    del leaf_records, leaf_sums, order
    levels = [level] if sums else []
    while len(sums) > 1:
        level, sums = _parent_level(level, sums)
        levels.append(level)
    root = levels[-1][:HASH_BYTES] if levels else EMPTY_ROOT
    return PolTree(period, root, total_fen, len(positions), tuple(levels), member_ids,
                   pseudonyms, salts, positions, member_index, **version)


class PartyLiability(NamedTuple):
    """What the program owes one party at a month's end, as a version 2 tree takes it."""

    key: str
    """Never published: the salt and split are keyed on it (``member:ID`` with the
    member's id in the log, ``merchant:ID``, ``lender:ID``)."""
    kind: str
    """``member``, ``merchant`` or ``lender``."""
    name: str
    """The public name: a member's pseudonym, a merchant's or lender's id."""
    points_fen: int
    owed_fen: int
    in_flight_fen: int


def build_v2(period: str, secret: bytes, parties: Iterable[PartyLiability]) -> PolTree:
    """The version 2 tree of ``period``: two leaves per party, splitting points + owed +
    in flight, each leaf committing to all three amounts.

    Raises:
        PolError: as :func:`build`, and for an unknown kind or a key given twice.
    """
    period_bytes = _period_bytes(period)
    secret = _secret(secret)
    salt_prefix = SALT_LABEL_V2 + period_bytes + b"\n"
    split_prefix = SPLIT_LABEL_V2 + period_bytes + b"\n"
    keys: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    index_of: dict[str, int] = {}
    seen: set[str] = set()
    salts = bytearray()
    amounts = bytearray()
    leaf_records: list[bytes] = []
    leaf_sums: list[int] = []
    total_fen = 0
    digest = hmac.digest
    for key, kind, name, points_fen, owed_fen, in_flight_fen in parties:
        if type(key) is not str or key in index_of:
            raise PolError(f"party key {key!r} is not a string or is given twice")
        if kind not in PARTY_KINDS:
            raise PolError(f"party kind {kind!r} is not one of {PARTY_KINDS}")
        party = f"{kind}:{name}"
        party_bytes = _pseudonym_bytes(party)
        if party in seen:
            raise PolError(f"party {party!r} is given twice")
        figures = _amounts_bytes(points_fen, owed_fen, in_flight_fen, f"party {key!r}")
        value_fen = points_fen + owed_fen + in_flight_fen
        salt = digest(secret, salt_prefix + key.encode(), "sha256")
        part0 = int.from_bytes(digest(secret, split_prefix + key.encode(), "sha256"),
                               "big") % (value_fen + 1)
        part1 = value_fen - part0
        head = _leaf_head_v2(period_bytes, party_bytes, salt, figures)
        sum0, sum1 = part0.to_bytes(8, "big"), part1.to_bytes(8, "big")
        leaf_records.append(_sha256(head + b"\x00" + sum0).digest() + sum0)
        leaf_records.append(_sha256(head + b"\x01" + sum1).digest() + sum1)
        leaf_sums += (part0, part1)
        index_of[key] = len(keys)
        keys.append(key)
        names.append(name)
        kinds.append(kind)
        seen.add(party)
        salts += salt
        amounts += figures
        total_fen += value_fen
    return _finish(period, total_fen, leaf_records, leaf_sums, keys, names, bytes(salts),
                   index_of, version=2, kinds=tuple(kinds), amounts=bytes(amounts))


def _parent_level(level: bytes, sums: list[int]) -> tuple[bytes, list[int]]:
    """The level above: node i over records 2i, 2i + 1 (adjacent: one 80-byte slice)."""
    sha256, prefix, pair_bytes = _sha256, NODE_PREFIX, 2 * RECORD_BYTES
    pairs = len(sums) // 2
    hashes = [sha256(prefix + level[start:start + pair_bytes]).digest()
              for start in range(0, pairs * pair_bytes, pair_bytes)]
    parent_sums = [left + right
                   for left, right in zip(sums[0:2 * pairs:2], sums[1::2], strict=True)]
    parent = b"".join([node + total.to_bytes(8, "big")
                       for node, total in zip(hashes, parent_sums, strict=True)])
    if len(sums) % 2:  # an odd last node is promoted unchanged (RFC 6962 shape)
        parent += level[-RECORD_BYTES:]
        parent_sums.append(sums[-1])
    return parent, parent_sums


# --- serving proofs ------------------------------------------------------------------------


def leaf_positions(tree: PolTree) -> dict[str, tuple[int, int]]:
    """Each member's two leaf positions ``(part 0, part 1)``."""
    positions = tree.positions
    return {member_id: (positions[2 * index], positions[2 * index + 1])
            for index, member_id in enumerate(tree.member_ids)}


def member_rows(tree: PolTree) -> Iterator[tuple[str, str, bytes, int, int]]:
    """``(member, pseudonym, salt, position 0, position 1)`` for each party, to store.

    Version 1: ``member`` is the member's id, ``salt`` its 32 bytes. Version 2: ``member``
    is a member's id, or ``merchant:ID`` / ``lender:ID``; ``pseudonym`` a member's
    pseudonym, or empty for a merchant or lender (the id is its public name); ``salt`` is
    the salt followed by the party's three amounts (56 bytes: :func:`stored_party`).
    """
    positions, salts = tree.positions, tree.salts
    for index, member_id in enumerate(tree.member_ids):
        salt = salts[32 * index:32 * index + 32]
        name = tree.pseudonyms[index]
        if tree.version == 2:
            start = AMOUNTS_BYTES * index
            salt += tree.amounts[start:start + AMOUNTS_BYTES]
            if tree.kinds[index] == "member":
                member_id = member_id.removeprefix("member:")
            else:
                name = ""
        yield (member_id, name, salt, positions[2 * index], positions[2 * index + 1])


class StoredParty(NamedTuple):
    """A stored member row read back: the tree's version follows from the salt's length."""

    version: int
    kind: str
    name: str
    salt: bytes
    amounts: tuple[int, int, int]


def stored_party(member: str, pseudonym: str, salt: bytes) -> StoredParty:
    """Read a row :func:`member_rows` made (version 1: a 32-byte salt; version 2: 56 bytes).

    Raises:
        PolError: the salt column has another length.
    """
    if len(salt) == HASH_BYTES:
        return StoredParty(1, "member", pseudonym, salt, (0, 0, 0))
    if len(salt) != HASH_BYTES + AMOUNTS_BYTES:
        raise PolError(f"a stored salt of {len(salt)} bytes: the stored tree is damaged")
    figures = salt[HASH_BYTES:]
    amounts = (int.from_bytes(figures[:8], "big"), int.from_bytes(figures[8:16], "big"),
               int.from_bytes(figures[16:], "big"))
    if pseudonym:
        return StoredParty(2, "member", pseudonym, salt[:HASH_BYTES], amounts)
    kind, _, name = member.partition(":")
    return StoredParty(2, kind, name, salt[:HASH_BYTES], amounts)


def path_sides(position: int, leaf_count: int) -> list[Side]:
    """The side of each sibling on a leaf's path, leaf end first; promoted levels have none.

    Raises:
        PolError: unless ``0 <= position < leaf_count``.
    """
    if type(position) is not int or not 0 <= position < leaf_count:
        raise PolError(f"position {position!r} is not in a tree of {leaf_count} leaves")
    sides: list[Side] = []
    index, count = position, leaf_count
    while count > 1:
        if index & 1:
            sides.append("left")
        elif index + 1 < count:
            sides.append("right")
        index, count = index >> 1, (count + 1) >> 1
    return sides


def leaf_proof(tree: PolTree, position: int) -> list[ProofStep]:
    """The path of the leaf at ``position``, from the tree in memory."""
    path_sides(position, tree.leaf_count)
    steps: list[ProofStep] = []
    index = position
    for level in tree.levels[:-1]:
        sibling = index ^ 1
        if sibling * RECORD_BYTES < len(level):
            steps.append(_step(level, sibling, "left" if index & 1 else "right"))
        index >>= 1
    return steps


def member_proof(tree: PolTree, member_id: str) -> MemberProof:
    """The party's proof, from the tree in memory (a version 2 tree takes a member's id
    or its ``member:ID``, ``merchant:ID``, ``lender:ID``).

    Raises:
        PolError: the party is not in the tree.
    """
    index = tree.member_index.get(member_id)
    if index is None and tree.version == 2:
        index = tree.member_index.get(f"member:{member_id}")
    if index is None:
        raise PolError(f"member {member_id!r} is not in the tree of {tree.period}")
    parts = []
    for part in (0, 1):
        position = tree.positions[2 * index + part]
        parts.append(PartProof(_record_sum(tree.levels[0], position), position,
                               tuple(leaf_proof(tree, position))))
    extra: dict[str, Any] = {}
    if tree.version == 2:
        start = AMOUNTS_BYTES * index
        figures = tree.amounts[start:start + AMOUNTS_BYTES]
        extra = {"version": 2, "kind": tree.kinds[index],
                 "points_fen": int.from_bytes(figures[:8], "big"),
                 "owed_fen": int.from_bytes(figures[8:16], "big"),
                 "in_flight_fen": int.from_bytes(figures[16:], "big")}
    return MemberProof(tree.period, tree.pseudonyms[index],
                       tree.salts[32 * index:32 * index + 32].hex(), tuple(parts),
                       tree.root.hex(), tree.total_fen, tree.leaf_count, **extra)


def tree_rows(tree: PolTree) -> Iterator[tuple[int, int, bytes]]:
    """``(tile_level, tile_index, records)``: the rows to store for :func:`proof_from_rows`.

    Tile level t holds tree level 8t; a row holds up to 256 consecutive records
    (40 bytes each) starting at node ``256 * tile_index``; the last row of a
    level may be shorter. Levels 0, 8, 16, ... are stored as long as they hold
    more than one node (the root is in the report, not in the rows).
    """
    row_bytes = TILE_WIDTH * RECORD_BYTES
    for tile_level in range(_stored_tile_levels(tree.leaf_count)):
        level = tree.levels[TILE_HEIGHT * tile_level]
        for start in range(0, len(level), row_bytes):
            yield tile_level, start // row_bytes, level[start:start + row_bytes]


def proof_from_rows(get_row: RowGetter, leaf_count: int, position: int) -> list[ProofStep]:
    """The path of the leaf at ``position``, reading one stored row per 8 levels.

    The 7 levels between two stored ones are rehashed from the row (at most
    255 hashes a row).

    Raises:
        PolError: the position is outside the tree, or a row has the wrong length.
    """
    path_sides(position, leaf_count)
    steps: list[ProofStep] = []
    index, level = position, 0
    while _node_count(leaf_count, level) > 1:
        tile_index = index >> TILE_HEIGHT
        records = _read_row(get_row, leaf_count, level, tile_index)
        local = index - (tile_index << TILE_HEIGHT)
        for _ in range(TILE_HEIGHT):
            if _node_count(leaf_count, level) == 1:
                break
            sibling = local ^ 1
            if sibling < len(records):
                record = records[sibling]
                steps.append(ProofStep("left" if local & 1 else "right",
                                       record[:HASH_BYTES].hex(),
                                       int.from_bytes(record[HASH_BYTES:], "big")))
            records = _parent_records(records)
            local, index, level = local >> 1, index >> 1, level + 1
    return steps


def member_proof_from_rows(get_row: RowGetter, *, period: str, pseudonym: str, salt: bytes,
                           positions: tuple[int, int], leaf_count: int, root: bytes,
                           total_fen: int, version: int = 1, kind: str = "member",
                           amounts: tuple[int, int, int] = (0, 0, 0)) -> MemberProof:
    """A party's proof from stored rows, checked before it is returned.

    ``root`` and ``total_fen`` are the report's; the parts' values are read
    from the leaf rows. Each row is read once. A version 2 proof also takes the
    party's ``kind`` and ``amounts`` (points, owed, in flight: :func:`stored_party`).

    Raises:
        PolError: the stored rows, salt or positions do not give a proof of
            ``root`` and ``total_fen`` (damaged or mismatched storage).
    """
    rows: dict[tuple[int, int], bytes] = {}

    def read_once(tile_level: int, tile_index: int) -> bytes:
        key = (tile_level, tile_index)
        if key not in rows:
            rows[key] = get_row(tile_level, tile_index)
        return rows[key]

    parts = []
    for position in positions:
        steps = proof_from_rows(read_once, leaf_count, position)
        leaves = _read_row(read_once, leaf_count, 0, position >> TILE_HEIGHT)
        value_fen = int.from_bytes(leaves[position % TILE_WIDTH][HASH_BYTES:], "big")
        parts.append(PartProof(value_fen, position, tuple(steps)))
    extra: dict[str, Any] = {}
    if version == 2:
        extra = {"version": 2, "kind": kind, "points_fen": amounts[0], "owed_fen": amounts[1],
                 "in_flight_fen": amounts[2]}
    made = MemberProof(period, pseudonym, salt.hex(), tuple(parts), root.hex(), total_fen,
                       leaf_count, **extra)
    verify_proof(made, expected_root=root, expected_total=total_fen)
    return made


def _stored_tile_levels(leaf_count: int) -> int:
    """How many tile levels are stored: level 0, then each 8t with more than one node."""
    if leaf_count == 0:
        return 0
    tile_levels = 1
    while _node_count(leaf_count, TILE_HEIGHT * tile_levels) > 1:
        tile_levels += 1
    return tile_levels


def _node_count(leaf_count: int, level: int) -> int:
    """Nodes at ``level`` (promotion keeps node i covering leaves [i 2^level, ...))."""
    return (leaf_count + (1 << level) - 1) >> level


def _read_row(get_row: RowGetter, leaf_count: int, level: int, tile_index: int) -> list[bytes]:
    width = min(TILE_WIDTH, _node_count(leaf_count, level) - (tile_index << TILE_HEIGHT))
    row = get_row(level // TILE_HEIGHT, tile_index)
    if len(row) != width * RECORD_BYTES:
        raise PolError(f"row ({level // TILE_HEIGHT}, {tile_index}) holds {len(row)} bytes, "
                       f"expected {width * RECORD_BYTES}: the stored tree is damaged")
    return [row[start:start + RECORD_BYTES] for start in range(0, len(row), RECORD_BYTES)]


def _parent_records(records: list[bytes]) -> list[bytes]:
    """The level above, within one row; sums re-checked, since rows come from storage."""
    parents = []
    for start in range(0, len(records) - 1, 2):
        left, right = records[start], records[start + 1]
        total = int.from_bytes(left[HASH_BYTES:], "big") + int.from_bytes(right[HASH_BYTES:],
                                                                          "big")
        if total >= MAX_SUM:
            raise PolError("a stored sum reaches 2^63: the stored tree is damaged")
        parents.append(_sha256(NODE_PREFIX + left + right).digest() + total.to_bytes(8, "big"))
    if len(records) % 2:
        parents.append(records[-1])
    return parents


def _step(level: bytes, index: int, side: Side) -> ProofStep:
    start = index * RECORD_BYTES
    return ProofStep(side, level[start:start + HASH_BYTES].hex(), _record_sum(level, index))


def _record_sum(level: bytes, index: int) -> int:
    start = index * RECORD_BYTES + HASH_BYTES
    return int.from_bytes(level[start:start + SUM_BYTES], "big")


# --- verifying -----------------------------------------------------------------------------


def verify_proof(proof: MemberProof, expected_root: bytes | None = None,
                 expected_total: int | None = None) -> int:
    """Check a party's proof and return what the tree counts for it in fen (part 0 +
    part 1): a version 1 proof's holding, a version 2 proof's points + owed + in flight.

    Both leaves are rehashed from the pseudonym (version 2: the party and its three
    amounts, which the parts must add up to), salt and parts, each path is
    climbed with its sides fixed by the position and leaf count, every sibling
    sum must be in [0, 2^63) and every sum below 2^63, and both paths must end
    at the proof's root and total (and the expected ones, when given).

    Raises:
        PolError: naming the first thing that fails.
    """
    period = _period_bytes(proof.period)
    if proof.version == 2:
        if proof.kind not in PARTY_KINDS:
            raise PolError(f"the party's kind {proof.kind!r} is not one of {PARTY_KINDS}")
        party = _pseudonym_bytes(proof.party)
        amounts = _amounts_bytes(proof.points_fen, proof.owed_fen, proof.in_flight_fen,
                                 "the party")
        head = _leaf_head_v2(period, party, _hex32(proof.salt, "the salt"), amounts)
    elif proof.version == 1:
        head = _leaf_head(period, _pseudonym_bytes(proof.pseudonym),
                          _hex32(proof.salt, "the salt"))
    else:
        raise PolError(f"a proof of version {proof.version!r}: this verifier knows 1 and 2")
    claimed_root = _hex32(proof.root, "the root")
    leaf_count = proof.leaf_count
    if type(leaf_count) is not int or leaf_count < 2:
        raise PolError(f"the leaf count {leaf_count!r} is not a tree with a member's two leaves")
    if len(proof.parts) != 2:
        raise PolError(f"a proof has two parts, this one has {len(proof.parts)}")
    if proof.parts[0].position == proof.parts[1].position:
        raise PolError(f"both parts claim position {proof.parts[0].position}")
    if proof.version == 2:
        owed_in_all = proof.points_fen + proof.owed_fen + proof.in_flight_fen
        parts_fen = proof.parts[0].value_fen + proof.parts[1].value_fen
        if parts_fen != owed_in_all:
            raise PolError(f"the parts add up to {parts_fen!r} fen, but points, owed and in "
                           f"flight are {owed_in_all} fen")
    ends = [_climb(head, number, part, leaf_count) for number, part in enumerate(proof.parts)]
    if ends[0] != ends[1]:
        raise PolError(f"the two parts lead to different roots: {ends[0][0].hex()} "
                       f"(sum {ends[0][1]}) and {ends[1][0].hex()} (sum {ends[1][1]})")
    root, total_fen = ends[0]
    if root != claimed_root:
        raise PolError(f"the recomputed root {root.hex()} differs from the proof's {proof.root}")
    if total_fen != proof.total_fen:
        raise PolError(f"the recomputed total {total_fen} fen differs from the proof's "
                       f"{proof.total_fen!r} fen")
    if expected_root is not None and root != expected_root:
        raise PolError(f"the root {root.hex()} is not the expected {expected_root.hex()}")
    if expected_total is not None and total_fen != expected_total:
        raise PolError(f"the total {total_fen} fen is not the expected {expected_total} fen")
    return proof.parts[0].value_fen + proof.parts[1].value_fen


def _climb(head: bytes, part: int, proof: PartProof, leaf_count: int) -> tuple[bytes, int]:
    """The root and total one part's path leads to."""
    name = _PART_NAMES[part]
    node_sum = _value(proof.value_fen, f"{name}'s value")
    sides = path_sides(proof.position, leaf_count)
    if len(proof.path) != len(sides):
        raise PolError(f"{name}'s path has {len(proof.path)} steps, but position "
                       f"{proof.position} in a tree of {leaf_count} leaves needs {len(sides)}")
    node = _sha256(head + bytes((part,)) + node_sum.to_bytes(8, "big")).digest()
    for number, (step, side) in enumerate(zip(proof.path, sides, strict=True), 1):
        where = f"step {number} of {name}"
        if step.side != side:
            raise PolError(f"{where} puts the sibling on the {step.side!r}, but position "
                           f"{proof.position} of {leaf_count} leaves has it on the {side}")
        sibling = _hex32(step.sibling_hash, f"{where}: the sibling hash")
        sibling_sum = step.sibling_sum_fen
        if type(sibling_sum) is not int:
            raise PolError(f"{where}: the sibling sum {sibling_sum!r} is not an integer")
        if sibling_sum < 0:
            raise PolError(f"{where}: the sibling sum {sibling_sum} fen is negative")
        if sibling_sum >= MAX_SUM or node_sum + sibling_sum >= MAX_SUM:
            raise PolError(f"{where}: a sum reaches 2^63 fen (overflow)")
        if side == "left":
            node = node_hash(sibling, sibling_sum, node, node_sum)
        else:
            node = node_hash(node, node_sum, sibling, sibling_sum)
        node_sum += sibling_sum
    return node, node_sum


def _cny(fen: int) -> str:
    """Fen as CNY text (money.format_fen's form; this module uses the standard library only)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


# --- checks of inputs ----------------------------------------------------------------------


def _period_bytes(period: object) -> bytes:
    if type(period) is not str or not _PERIOD.fullmatch(period):
        raise PolError(f"the period {period!r} is not a month YYYY-MM")
    return period.encode()


def _pseudonym_bytes(pseudonym: object) -> bytes:
    if type(pseudonym) is not str:
        raise PolError(f"the pseudonym {pseudonym!r} is not a string")
    encoded = pseudonym.encode()
    if not 1 <= len(encoded) <= 255:
        raise PolError(f"the pseudonym {pseudonym!r} must be 1 to 255 bytes of UTF-8")
    return encoded


def _secret(secret: object) -> bytes:
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise PolError(f"the operator's secret must be {SECRET_BYTES} bytes")
    return secret


def _value(value: object, what: str) -> int:
    if type(value) is not int:
        raise PolError(f"{what} {value!r} is not an integer number of fen")
    if not 0 <= value < MAX_SUM:
        raise PolError(f"{what} {value} fen is outside [0, 2^63)")
    return value


def _hex32(text: object, what: str) -> bytes:
    if type(text) is not str or not _HEX32.fullmatch(text):
        raise PolError(f"{what} {text!r} is not 64 lowercase hex digits")
    return bytes.fromhex(text)


def _fields(document: object, what: str, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise PolError(f"{what} is not a JSON object")
    missing = [name for name in names if name not in document]
    unknown = sorted(set(document) - set(names))
    if missing or unknown:
        raise PolError(f"{what} lacks {missing} or has unknown fields {unknown}")
    return document


def _string(document: dict[str, Any], name: str, what: str) -> str:
    if type(document[name]) is not str:
        raise PolError(f"{what}'s {name} must be a string")
    return str(document[name])


def _integer(document: dict[str, Any], name: str, what: str) -> int:
    if type(document[name]) is not int:
        raise PolError(f"{what}'s {name} must be an integer")
    return int(document[name])


def _fen(document: dict[str, Any], name: str, what: str) -> int:
    text = document[name]
    if type(text) is not str or not _FEN.fullmatch(text):
        raise PolError(f"{what}'s {name} must be a string of decimal digits (fen)")
    return int(text)


def _part_from_json(document: object, name: str) -> PartProof:
    part = _fields(document, name, ("value_fen", "position", "path"))
    path = part["path"]
    if not isinstance(path, list):
        raise PolError(f"{name}'s path must be a list")
    steps = []
    for number, item in enumerate(path, 1):
        where = f"step {number} of {name}"
        step = _fields(item, where, ("side", "hash", "sum_fen"))
        if step["side"] not in ("left", "right"):
            raise PolError(f"{where}'s side must be \"left\" or \"right\"")
        steps.append(ProofStep("left" if step["side"] == "left" else "right",
                               _string(step, "hash", where), _fen(step, "sum_fen", where)))
    return PartProof(_fen(part, "value_fen", name), _integer(part, "position", name),
                     tuple(steps))
