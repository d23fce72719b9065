"""Creating a log: its database schema, the operator's key, the key's public half, and the
data key that seals members' links outside the log (datakey.py).

``profitpool init`` calls :func:`initialise`, and so do ``serve`` and
``demo``, so a fresh machine needs no separate init. It is idempotent: on a
log that exists it upgrades the schema and checks the key, and changes
nothing else.

A new log also records, in its ``log_meta`` table, its format and the rules
it starts from (log/genesis.py): written once, with the key, and never added
to a log that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import Engine

from ..store.database import connect, migrate
from ..store.members import MemberStore
from ..store.repository import LogStore
from .datakey import DataKey, DataKeyError, data_key_path
from .genesis import genesis_meta
from .keys import OperatorKeyError, create_key, load_key

DEFAULT_ORIGIN: Final = "profitpool.local/log"
"""The log's name in its checkpoints when neither the caller nor an existing key names it."""


@dataclass(frozen=True)
class Initialised:
    """What :func:`initialise` found or did."""

    public_key: str
    """The verifier key string of the log's operator key (to publish)."""
    created_log: bool
    """True if the log was created now; False if it was there (its schema was upgraded)."""
    created_key: bool
    """True if the key file was created now; False if an existing one was used."""
    created_data_key: Path | None = None
    """The data key file (datakey.py), if it was created now."""


def initialise(db: str, key_path: Path, origin: str | None,
               data_key: Path | None = None) -> Initialised:
    """Create (or upgrade) the log's database and, for a new log, the operator's key.

    A new log takes the key at ``key_path``, created (mode 0600) for ``origin``
    (default :data:`DEFAULT_ORIGIN`) unless a key file is there already, and
    records the key's public half in the database, with its format and
    genesis rules. An existing log keeps its key (the file at ``key_path``,
    if there is one, must be that key) and its meta.

    Raises:
        OperatorKeyError: the key file is not the log's key, is unreadable, or names
            another origin than ``origin``.
        StoreError: the database cannot be reached, created or upgraded.
    """
    engine = connect(db, create=True)
    try:
        migrate(engine)
        store = LogStore(engine)
        meta = store.meta()
        if "verifier_key" in meta:
            if key_path.exists():
                signer = load_key(key_path)
                if signer.verifier.key_string() != meta["verifier_key"]:
                    raise OperatorKeyError(
                        f"{key_path} does not sign the log in this database "
                        f"({meta['verifier_key']})"
                    )
            return Initialised(meta["verifier_key"], created_log=False, created_key=False,
                               created_data_key=_data_key(engine, key_path, data_key))
        if key_path.exists():
            signer = load_key(key_path)
            if origin is not None and origin != signer.name:
                raise OperatorKeyError(
                    f"{key_path} is the key of {signer.name!r}, not {origin!r}"
                )
            created_key = False
        else:
            signer = create_key(key_path, origin or DEFAULT_ORIGIN)
            created_key = True
        public_key = signer.verifier.key_string()
        store.set_meta({"origin": signer.name, "verifier_key": public_key,
                        **genesis_meta()})
        made = _data_key(engine, key_path, data_key)
    finally:
        engine.dispose()
    return Initialised(public_key, created_log=True, created_key=created_key,
                       created_data_key=made)


def _data_key(engine: Engine, key_path: Path, given: Path | None) -> Path | None:
    """Create the data key beside the operator's key if there is none yet (its path), while
    no member link needs an older one; None if there is one.

    Raises:
        DataKeyError: links exist and their key is missing (restore it; a new one would
            make every linked member look new).
    """
    path = given if given is not None else data_key_path(key_path)
    if path.exists():
        return None
    if MemberStore(engine).count_links():
        raise DataKeyError(f"no data key at {path}, and this database holds member links "
                           "sealed with one: restore the key file from your backup")
    DataKey.create(path)
    return path
