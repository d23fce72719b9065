"""Creating a log: its database schema, the operator's key, and the key's public half.

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

from ..store.database import connect, migrate
from ..store.repository import LogStore
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


def initialise(db: str, key_path: Path, origin: str | None) -> Initialised:
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
            return Initialised(meta["verifier_key"], created_log=False, created_key=False)
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
    finally:
        engine.dispose()
    return Initialised(public_key, created_log=True, created_key=created_key)
