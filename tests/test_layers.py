"""Layers point one way (docs/design.md, "The shape of the code").

Every import in src/profitpool is read with ``ast``: relative imports are
resolved, and imports inside functions (lazy ones) or under ``TYPE_CHECKING``
count like any other. Each module belongs to the layer :data:`LAYERS` gives
its package. An import may point down; sideways (within one layer) only where
:data:`SIDEWAYS` allows it; up, never. And no two packages may import each
other, nor any ring of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "profitpool"

CORE, ENGINE, CHAIN, STORE, LOG, APPLICATIONS, SERVICE, WEB, CLI = range(9)

LAYERS: dict[str, int] = {
    # units, time, the rule set, errors, small pure utilities; "profitpool" is the
    # package's own __init__ (__version__)
    "profitpool": CORE, "money": CORE, "times": CORE, "rules": CORE, "errors": CORE,
    "gcpause": CORE, "texts": CORE, "jsontext": CORE,
    "engine": ENGINE,
    "chain": CHAIN,
    "store": STORE,
    "log": LOG,
    "batch": APPLICATIONS, "events": APPLICATIONS, "anchor": APPLICATIONS,
    "witness": APPLICATIONS, "disclosure": APPLICATIONS, "sim": APPLICATIONS,
    "demo": APPLICATIONS, "background": APPLICATIONS, "workload": APPLICATIONS,
    "members": APPLICATIONS,
    "cash": APPLICATIONS,  # bank files: pain.001 out, camt.053/054 and CSV back
    "bootstrap": APPLICATIONS,  # the composition root: opens the log writer, wired
    "service": SERVICE,
    # The pages are built on the service's context, read model and sequencer, so
    # they sit above it; web.create_app puts the API and the pages together.
    "web": WEB,
    "cli": CLI, "__main__": CLI,
}
"""The layer of each package (or top-level module) of src/profitpool, bottom up."""

SIDEWAYS: frozenset[tuple[str, str]] = frozenset({
    ("money", "errors"), ("times", "errors"), ("rules", "errors"), ("rules", "money"),
    ("jsontext", "errors"),
    ("anchor", "background"), ("disclosure", "background"), ("witness", "background"),
    ("anchor", "events"),  # the anchor's checkpoint.anchored event, stored with it
    ("demo", "workload"),
    # The composition root (bootstrap.py) hands the writer events' block_events; the
    # demo and the monthly disclosure open their writers through it.
    ("bootstrap", "events"), ("demo", "bootstrap"), ("disclosure", "bootstrap"),
    # ... and the member directory that maps ids to pseudonyms before the engine sees them.
    ("bootstrap", "members"),
    # The monthly proof of liabilities names each member by their pseudonym.
    ("disclosure", "members"),
    # The demo binds its member key to the member's pseudonym; a merchant's webhooks carry
    # its own ids for the members beside their pseudonyms (events/localise.py).
    ("demo", "members"), ("events", "members"),
    # Payout destinations are sealed with the directory's data key, checked against the
    # database's.
    ("cash", "members"),
    ("__main__", "cli"),
})
"""Imports allowed between packages of one layer (from, to)."""

class Import(NamedTuple):
    """One import of a profitpool module by another, where it is written."""

    source: str
    """The importing module, dotted."""
    target: str
    """The module imported (the package itself for a name it defines)."""
    where: str
    """``path:line`` of the import statement."""


def module_name(path: Path) -> str:
    """``profitpool.store.repository`` for src/profitpool/store/repository.py."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_in(source: str, module: str, is_package: bool, modules: Iterable[str],
               where: str = "<source>") -> Iterator[Import]:
    """Every import of a profitpool module in the code ``source`` of ``module``.

    ``from X import name`` imports the module ``X.name`` if there is one, else ``X``.
    A literal ``importlib.import_module("profitpool.…")`` counts too.
    """
    known = set(modules)
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin
                       for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
            targets = [node.args[0].value]
        for target in targets:
            if target == "profitpool" or target.startswith("profitpool."):
                yield Import(module, target, f"{where}:{getattr(node, 'lineno', 0)}")


def package_of(module: str) -> str:
    """The layer table's name for a module: its package under profitpool, or itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def all_imports() -> list[Import]:
    modules = all_modules()
    found = []
    for module, path in modules.items():
        where = str(path.relative_to(PACKAGE.parents[1]))
        found.extend(imports_in(path.read_text(encoding="utf-8"), module,
                                path.name == "__init__.py", modules, where))
    return found


def wrong_way(imports: Iterable[Import]) -> list[str]:
    """The imports that point up, or sideways where :data:`SIDEWAYS` does not allow it."""
    found = []
    for item in imports:
        source, target = package_of(item.source), package_of(item.target)
        if source == target:
            continue
        if LAYERS[target] > LAYERS[source]:
            found.append(f"{item.where}: {item.source} imports {item.target}, a layer above")
        elif LAYERS[target] == LAYERS[source] and (source, target) not in SIDEWAYS:
            found.append(f"{item.where}: {item.source} imports {item.target} beside it "
                         "(allow it in SIDEWAYS if it belongs there)")
    return found


def package_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for item in imports:
        source, target = package_of(item.source), package_of(item.target)
        if source != target:
            graph.setdefault(source, set()).add(target)
            graph.setdefault(target, set())
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The packages that reach each other, as sorted groups (Tarjan's strongly
    connected components of more than one package)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_every_package_has_a_layer() -> None:
    assert sorted({package_of(module) for module in all_modules()} - set(LAYERS)) == []


def test_no_import_points_up_or_sideways_unless_allowed() -> None:
    assert wrong_way(all_imports()) == []


def test_no_two_packages_import_each_other_nor_form_a_ring() -> None:
    assert cycles(package_graph(all_imports())) == []


def test_the_scan_resolves_relative_lazy_absolute_and_package_imports() -> None:
    modules = {"profitpool", "profitpool.cli", "profitpool.store", "profitpool.store.schema",
               "profitpool.anchor", "profitpool.anchor.chain", "profitpool.anchor.command",
               "profitpool.web"}
    source = "\n".join([
        "from __future__ import annotations",
        "import os",
        "from . import chain",
        "from .. import __version__, cli",
        "from ..store.schema import events",
        "import profitpool.web",
        "def deploy() -> None:",
        "    from ..store import schema",
        "    importlib.import_module('profitpool.web')",
    ]) + "\n"
    found = [(item.target, item.where) for item in imports_in(
        source, "profitpool.anchor.command", False, modules, "command.py")]
    assert sorted(found) == sorted([
        ("profitpool.anchor.chain", "command.py:3"), ("profitpool", "command.py:4"),
        ("profitpool.cli", "command.py:4"), ("profitpool.store.schema", "command.py:5"),
        ("profitpool.web", "command.py:6"), ("profitpool.store.schema", "command.py:8"),
        ("profitpool.web", "command.py:9")])
    [inside] = imports_in("from .repository import LogStore\n", "profitpool.store", True,
                          modules)
    assert inside.target == "profitpool.store.repository"


def test_an_upward_or_unlisted_sideways_import_and_a_ring_are_each_caught() -> None:
    upward = Import("profitpool.store.repository", "profitpool.events.domain", "r.py:1")
    lazy_upward = Import("profitpool.engine.state", "profitpool.cli", "s.py:9")
    sideways = Import("profitpool.sim.model", "profitpool.events.domain", "m.py:2")
    down = Import("profitpool.web.pages", "profitpool.service.deps", "p.py:3")
    assert wrong_way([upward, lazy_upward, sideways, down]) == [
        "r.py:1: profitpool.store.repository imports profitpool.events.domain, a layer above",
        "s.py:9: profitpool.engine.state imports profitpool.cli, a layer above",
        "m.py:2: profitpool.sim.model imports profitpool.events.domain beside it "
        "(allow it in SIDEWAYS if it belongs there)"]
    back = Import("profitpool.service.app", "profitpool.web", "a.py:4")
    assert cycles(package_graph([down, back])) == [["service", "web"]]
    assert cycles(package_graph([down])) == []


def test_only_the_composition_root_opens_the_log_writer() -> None:
    """A writer opened elsewhere would store no domain events with its blocks: the
    outbox would silently miss them (the log itself knows nothing of events)."""
    openers = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
               if "LogWriter.open(" in path.read_text(encoding="utf-8")
               and path.name != "writer.py"]
    assert openers == ["bootstrap.py"]
