"""The anchor contract: compiled from the Vyper source beside this module, offline.

``Anchor.vy`` is the source of truth. :func:`build_from_source` compiles it
with the ``vyper`` package (no solc, no download); ``Anchor.json`` holds that
build's ABI and bytecode, which is what profitpool deploys and recognises at
run time (so running it needs no compiler). A test compiles the source again
and checks that it gives ``Anchor.json`` byte for byte; after editing the
source, ``python -m profitpool.anchor.contract`` writes the new artifact.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

ARTIFACT: Final = "Anchor.json"
SOURCE: Final = "Anchor.vy"


@dataclass(frozen=True)
class Compiled:
    abi: list[dict[str, Any]]
    bytecode: bytes
    """Deployment (constructor) code."""
    runtime: bytes
    """The code a deployed contract holds: how :func:`is_ours` recognises one."""
    compiler: str


def source() -> str:
    return resources.files(__package__).joinpath(SOURCE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def compiled() -> Compiled:
    """The build in ``Anchor.json`` (read once per process)."""
    stored = json.loads(stored_artifact())
    return Compiled(
        abi=stored["abi"], bytecode=bytes.fromhex(stored["bytecode"][2:]),
        runtime=bytes.fromhex(stored["bytecode_runtime"][2:]),
        compiler=stored["compiler"].removeprefix("vyper "),
    )


def build_from_source() -> Compiled:
    """Compile ``Anchor.vy`` with the installed vyper (about 0.2 s)."""
    import vyper
    from vyper import compile_code

    output = compile_code(source(), output_formats=["abi", "bytecode", "bytecode_runtime"])
    return Compiled(
        abi=output["abi"], bytecode=bytes.fromhex(output["bytecode"][2:]),
        runtime=bytes.fromhex(output["bytecode_runtime"][2:]), compiler=vyper.__version__,
    )


def artifact_json(build: Compiled) -> str:
    """The text of ``Anchor.json`` for a build (sorted keys, one trailing newline)."""
    return json.dumps({
        "compiler": f"vyper {build.compiler}",
        "abi": build.abi,
        "bytecode": "0x" + build.bytecode.hex(),
        "bytecode_runtime": "0x" + build.runtime.hex(),
        "source_sha256": hashlib.sha256(source().encode("utf-8")).hexdigest(),
    }, indent=1, sort_keys=True) + "\n"


def stored_artifact() -> str:
    return resources.files(__package__).joinpath(ARTIFACT).read_text(encoding="utf-8")


def program_id(verifier_key: str) -> bytes:
    """The contract's id of a log: SHA-256 of its published verifier key string.

    The key string names the log's origin and holds its public key, so two logs
    never share an id, and anyone holding the published key can find its anchors.
    """
    return hashlib.sha256(verifier_key.encode("utf-8")).digest()


if __name__ == "__main__":
    path = resources.files(__package__).joinpath(ARTIFACT)
    with resources.as_file(path) as target:
        target.write_text(artifact_json(build_from_source()), encoding="utf-8")
