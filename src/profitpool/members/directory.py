"""The directory: the ids merchants and the operator use, mapped to pseudonyms and back.

The log names members only by pseudonyms (pseudonyms.py). Everything that
takes a member id from outside (an order through the API, ``apply --db``,
the demo) passes its commands through :meth:`Directory.map_command` before
the engine sees them:

1. a pseudonym stays as it is;
2. an id the sender used before is its pseudonym (``scope``: the merchant that
   sent it, ``merchant:<id>``, or "" for the operator's own ids);
3. an id the operator (or another merchant) used for a member is that member:
   ids are the program's, the same person at every merchant, and the sender's
   use of it is linked too, so that it may be shown back to the sender;
4. an id a log written before pseudonyms holds as it was sent stays so (that
   member's records are under it already: docs/privacy.md, "Existing logs");
5. otherwise an order (or a transfer's receiver) is a new member: a new
   pseudonym, linked from the id; any other command names nobody (the engine
   refuses it with ``unknown_member``).

New links go into the block of the entry that first names the pseudonym
(:class:`~profitpool.store.members.LinkRow` in ``BlockExtras``): until that
block is stored they are *pending* here, so a second command for the same new
id, in the same block or the next, gets the same pseudonym. After the block is
stored they are :meth:`settled`; if it fails they are :meth:`dropped`.

Reads that need a link in the writer's thread come from a cache the HTTP
workers fill beforehand (:meth:`prefetch`), so the writer does not wait on the
database for them. Showing an id (:meth:`member_id`) opens its sealed copy.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import Engine

from ..errors import Rejected
from ..log.datakey import DataKey, DataKeyError, data_key_path
from ..store.members import LinkRow, MemberStore
from ..store.secrets import DATA_DEK, DATA_KEY_CHECK, SecretStore
from .pseudonyms import is_pseudonym, new_pseudonym

OPERATOR: Final = ""
"""The scope of the operator's own ids for members (what ``apply --db``, member keys
and the console use)."""
CACHE_SIZE: Final = 200_000
"""Ids (and ids known to be unlinked) kept in memory, most recently used."""
_ABSENT: Final = ""

MEMBER_FIELDS: Final[dict[str, tuple[tuple[str, bool], ...]]] = {
    "order": (("member", True),),
    "withdraw": (("member", False),),
    "pay": (("member", False),),
    "pledge": (("member", False),),
    "transfer": (("from", False), ("to", True)),
    "erase": (("member", False),),
}
"""For each op, its fields naming a member, and whether a new id there makes a new member
(an order, a transfer's receiver)."""


def merchant_scope(merchant_id: str) -> str:
    return f"merchant:{merchant_id}"


def _context(scope: str, pseudonym: str) -> bytes:
    return f"member id\x00{scope}\x00{pseudonym}".encode()


class Directory:
    """See the module docstring. Thread-safe; writes happen only through blocks."""

    def __init__(self, engine: Engine, key: DataKey | None) -> None:
        self.store = MemberStore(engine)
        self._secrets = SecretStore(engine)
        self.key = key
        self._checked = False
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self.on_settled: Callable[[list[LinkRow]], None] | None = None
        """Told the links of each stored block (the writer process's hub, workers.py)."""
        self._pending: dict[tuple[str, bytes], str] = {}
        self._names: OrderedDict[tuple[str, str], str] = OrderedDict()
        """(pseudonym, scope) -> the id shown for it (opened), most recently used."""

    # the key -------------------------------------------------------------------
    def data_key(self) -> DataKey:
        """The data key, checked once against the one the links were sealed with.

        Raises:
            DataKeyError: none was given, or it is not the key of this database.
        """
        key = self.key
        if key is None:
            raise DataKeyError("no data key: members' ids cannot be linked or read "
                               "(run `profitpool init`, or give --data-key)")
        if not self._checked:
            if self._secrets.settle(DATA_KEY_CHECK, key.check) != key.check:
                raise DataKeyError("this data key is not the one this database's member "
                                   "links were sealed with: restore the right key file")
            # The database's data encryption key, made by the first process that needs
            # it (the same one in every process), stored only wrapped by the file's key.
            key = self.key = key.with_dek(self._secrets.settle(DATA_DEK, key.new_dek()))
            self._checked = True
        return key

    # ids in ------------------------------------------------------------------
    def prefetch(self, scope: str, member_ids: Iterable[str]) -> None:
        """Read into the cache what :meth:`map_command` will need for these ids (in the
        caller's thread: an HTTP worker, so the writer need not)."""
        key = self.data_key()
        wanted = []
        for member_id in member_ids:
            if is_pseudonym(member_id):
                continue
            for where in {scope, OPERATOR}:
                wanted.append((where, key.id_hash(where, member_id)))
        with self._lock:
            wanted = [item for item in wanted
                      if item not in self._cache and item not in self._pending]
        if wanted:
            found = self.store.find(wanted)
            with self._lock:
                for item in wanted:
                    self._remember(item, found.get(item, _ABSENT))

    def cached(self, scope: str, member_ids: Iterable[str]) -> bool:
        """Whether :meth:`prefetch` has nothing to read for these ids (a repeat customer's
        next order needs no worker thread)."""
        key = self.data_key()
        with self._lock:
            for member_id in member_ids:
                if is_pseudonym(member_id):
                    continue
                for where in {scope, OPERATOR}:
                    item = (where, key.id_hash(where, member_id))
                    if item not in self._cache and item not in self._pending:
                        return False
        return True

    def map_known(self, command: dict[str, Any], scope: str) -> dict[str, Any]:
        """``command`` with the ids ``scope`` has a stored link for replaced by their
        pseudonyms, from the cache (after :meth:`prefetch`); the others stay for
        :meth:`map_command` in the writer, which alone makes new members and links. Done
        in the HTTP worker, so a repeat customer's order costs the writer nothing here."""
        op = command.get("op")
        fields = MEMBER_FIELDS.get(op) if type(op) is str else None
        if not fields:
            return command
        key = self.data_key()
        mapped = command
        for field, _ in fields:
            member_id = command.get(field)
            if type(member_id) is not str or not member_id or is_pseudonym(member_id):
                continue
            with self._lock:
                found = self._cache.get((scope, key.id_hash(scope, member_id)))
            if found:
                if mapped is command:
                    mapped = dict(command)
                mapped[field] = found
        return mapped

    def prefetch_lines(self, scope: str, lines: Iterable[bytes]) -> None:
        """:meth:`prefetch` for the member ids that JSON command lines name (one query for
        a whole chunk, where looking each new id up alone took a query per member: half
        the time of ``apply --db``). A line that does not parse is left to the engine."""
        ids: list[str] = []
        for line in lines:
            try:
                command = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            op = command.get("op") if type(command) is dict else None
            for field, _ in MEMBER_FIELDS.get(op, ()) if type(op) is str else ():
                value = command.get(field)
                if type(value) is str and value:
                    ids.append(value)
        self.prefetch(scope, ids)

    def map_command(self, command: Mapping[str, Any], scope: str,
                    known: Callable[[str], bool], *, drawn_here: bool = True
                    ) -> tuple[dict[str, Any], list[LinkRow]]:
        """``command`` with every member id replaced by its pseudonym (see the module
        docstring), and the new links that go with it if it is accepted.

        ``known(id)`` says whether the ledger holds a member under that very id (a log
        written before pseudonyms). ``drawn_here`` False lets an order name a new member
        by a pseudonym it brings (the operator's ``apply --db`` replaying another log's
        entries); through the API only the program draws them.

        Raises:
            Rejected(invalid_id): (``drawn_here``) an id of the form reserved for
                pseudonyms that names no member.
            DataKeyError: the data key is missing or wrong.
        """
        op = command.get("op") if isinstance(command, dict) else None
        if op == "payout":  # its party may be member:ID (docs/rules.md section 10)
            return self._map_party(command, scope, known), []
        fields = MEMBER_FIELDS.get(op) if type(op) is str else None
        if not fields:
            return dict(command), []
        mapped = dict(command)
        links: list[LinkRow] = []
        for field, creates in fields:
            member_id = mapped.get(field)
            if type(member_id) is not str or not member_id:
                continue  # the engine says what is wrong with it
            pseudonym, new = self.resolve(scope, member_id, creates=creates, known=known,
                                          drawn_here=drawn_here)
            mapped[field] = pseudonym
            links.extend(new)
        return mapped, links

    def _map_party(self, command: Mapping[str, Any], scope: str,
                   known: Callable[[str], bool]) -> dict[str, Any]:
        """A payout with a ``member:ID`` party named by the member's pseudonym; a payout
        never makes a member, so an id nobody linked stays as it is (unknown_party)."""
        mapped = dict(command)
        party = mapped.get("party")
        if type(party) is str and party.startswith("member:") and len(party) > 7:
            pseudonym, _ = self.resolve(scope, party[7:], creates=False, known=known)
            mapped["party"] = f"member:{pseudonym}"
        return mapped

    def resolve(self, scope: str, member_id: str, *, creates: bool,
                known: Callable[[str], bool], drawn_here: bool = True
                ) -> tuple[str, list[LinkRow]]:
        """The pseudonym ``member_id`` of ``scope`` stands for (steps 1-5 of the module
        docstring), and the links to store with the entry that names it."""
        if is_pseudonym(member_id):
            if drawn_here and creates and not known(member_id):
                raise Rejected("invalid_id", f"{member_id!r} has the form of a pseudonym but "
                               "names no member: pseudonyms are drawn by the program")
            return member_id, []
        key = self.data_key()
        own = operators = (scope, key.id_hash(scope, member_id))
        found = self._lookup(own)
        if found:
            return found, []
        if scope != OPERATOR:
            operators = (OPERATOR, key.id_hash(OPERATOR, member_id))
            found = self._lookup(operators)
            if found:
                return found, [self._link(own, member_id, found)]
        if known(member_id):
            return member_id, []
        if not creates:
            return member_id, []
        pseudonym = new_pseudonym()
        links = [self._link(operators, member_id, pseudonym)]
        if scope != OPERATOR:
            links.append(self._link(own, member_id, pseudonym))
        return pseudonym, links

    def _lookup(self, item: tuple[str, bytes]) -> str:
        """The pseudonym linked from ``item`` (pending or stored), "" if none."""
        with self._lock:
            pending = self._pending.get(item)
            if pending is not None:
                return pending
            cached = self._cache.get(item)
            if cached is not None:
                self._cache.move_to_end(item)
                return cached
        found = self.store.find([item]).get(item, _ABSENT)  # not prefetched: read now
        with self._lock:
            self._remember(item, found)
        return found

    def _link(self, item: tuple[str, bytes], member_id: str, pseudonym: str) -> LinkRow:
        """A new link, pending until its block is stored."""
        scope, id_hash = item
        row = LinkRow(scope, id_hash, pseudonym,
                      self.data_key().seal(member_id.encode(), _context(scope, pseudonym)),
                      time.time_ns() // 1000)
        with self._lock:
            self._pending[item] = pseudonym
        return row

    def settled(self, links: Iterable[LinkRow]) -> None:
        """These links' block is stored: they are links like any other."""
        links = list(links)
        with self._lock:
            for row in links:
                item = (row.scope, row.id_hash)
                self._pending.pop(item, None)
                self._remember(item, row.pseudonym)
        if self.on_settled is not None:
            self.on_settled(links)

    def dropped(self, links: Iterable[LinkRow]) -> None:
        """These links' block was not stored (or their command was refused): forget them."""
        with self._lock:
            for row in links:
                self._pending.pop((row.scope, row.id_hash), None)

    def _remember(self, item: tuple[str, bytes], pseudonym: str) -> None:
        cache = self._cache
        cache[item] = pseudonym
        cache.move_to_end(item)
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    def pseudonym_of(self, scope: str, member_id: str) -> str | None:
        """The pseudonym of ``member_id`` as ``scope`` (or, failing that, the operator)
        knows it; the id itself if it is a pseudonym; None if it names nobody yet."""
        if is_pseudonym(member_id):
            return member_id
        key = self.data_key()
        for where in dict.fromkeys((scope, OPERATOR)):
            found = self._lookup((where, key.id_hash(where, member_id)))
            if found:
                return found
        return None

    def key_party(self, member_id: str) -> str:
        """The party a member key for ``member_id`` is bound to: its pseudonym (given, or
        the operator's id for the member); the id itself if it is linked to nobody (a
        member of a log written before pseudonyms, or no member: the key is then refused
        as ``unknown_member``)."""
        return self.pseudonym_of(OPERATOR, member_id) or member_id

    # ids out -----------------------------------------------------------------
    def member_ids(self, pseudonyms: Iterable[str], scope: str) -> dict[str, str]:
        """{pseudonym: the id ``scope`` uses for it} for those ``scope`` has an id for: a
        merchant sees only the ids it sent itself, the operator its own."""
        names = list(dict.fromkeys(pseudonyms))
        shown: dict[str, str] = {}
        missing = []
        with self._lock:
            for pseudonym in names:
                cached = self._names.get((pseudonym, scope))
                if cached is None:
                    missing.append(pseudonym)
                elif cached:
                    shown[pseudonym] = cached
        if missing:
            key = self.data_key()
            opened: dict[str, str] = {}
            for row in self.store.links_of(missing, scope):
                opened[row.pseudonym] = key.open(
                    row.sealed_id, _context(row.scope, row.pseudonym)).decode()
            with self._lock:
                for pseudonym in missing:
                    text = opened.get(pseudonym, _ABSENT)
                    self._names[(pseudonym, scope)] = text
                    if len(self._names) > CACHE_SIZE:
                        self._names.popitem(last=False)
            shown.update(opened)
        return shown

    def every_id(self, pseudonym: str) -> list[tuple[str, str]]:
        """Every (scope, id) linked to ``pseudonym``: what the operator and the member
        see of it (an export, the console)."""
        key = self.data_key()
        return sorted((row.scope, key.open(row.sealed_id, _context(row.scope, row.pseudonym))
                       .decode()) for row in self.store.links_of([pseudonym]))

    def forget(self, pseudonym: str) -> int:
        """Delete every link and the profile of ``pseudonym`` (erasure); rows deleted."""
        gone = self.store.forget(pseudonym)
        self.uncache({pseudonym})
        return gone

    # several processes (serve --workers N) ----------------------------------------
    def absent(self, scope: str, member_ids: Iterable[str]) -> list[tuple[str, bytes]]:
        """The links :meth:`map_command` would look for these ids that this process's
        cache knows are not stored (an HTTP worker tells the writer, which then need not
        read them again: :meth:`absent_hint`)."""
        key = self.data_key()
        found = []
        with self._lock:
            for member_id in member_ids:
                if not member_id or is_pseudonym(member_id):
                    continue
                for where in {scope, OPERATOR}:
                    item = (where, key.id_hash(where, member_id))
                    if self._cache.get(item) == _ABSENT and item not in self._pending:
                        found.append(item)
        return found

    def absent_hint(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Another process read that these links are not stored, and no block since
        made them (the writer checked): remember that, where nothing is known of them
        here. A link known here, pending or stored, always wins."""
        with self._lock:
            for item in items:
                if item not in self._cache and item not in self._pending:
                    self._remember(item, _ABSENT)

    def learn(self, links: Iterable[tuple[str, bytes, str]]) -> None:
        """Links a stored block made, told by the writer process: remembered as the
        writer's own directory remembers what it settles, so a new member's next order
        needs no lookup here either."""
        with self._lock:
            for scope, id_hash, pseudonym in links:
                self._remember((scope, id_hash), pseudonym)

    def uncache(self, pseudonyms: set[str]) -> None:
        """Drop what this process remembers of ``pseudonyms`` (their ids, both ways): an
        erasure made by another process (``serve --workers N``)."""
        if not pseudonyms:
            return
        with self._lock:
            for item in [item for item, name in self._cache.items() if name in pseudonyms]:
                del self._cache[item]
            for shown in [shown for shown in self._names if shown[0] in pseudonyms]:
                del self._names[shown]


def member_key_party(engine: Engine, member_id: str, data_key: Path | None,
                     key_path: Path) -> str:
    """:meth:`Directory.key_party` from the command line: ``data_key`` is the file, else
    the one beside ``key_path``; a pseudonym needs no key."""
    if is_pseudonym(member_id):
        return member_id
    from ..engine.commands import check_id

    check_id(member_id, "party")
    key = DataKey.load(data_key if data_key is not None else data_key_path(key_path))
    return Directory(engine, key).key_party(member_id)


__all__ = ["DataKeyError", "Directory", "MEMBER_FIELDS", "OPERATOR", "member_key_party",
           "merchant_scope"]
