"""Every third-party module the project imports is declared in pyproject.toml.

A module that is installed only because something else pulls it in (or because
the machine's Python happens to have it) works on CI and fails on a newcomer's
fresh virtual environment, at import or at test collection. This walks the
imports of src/, tests/ and benchmarks/ and names each top-level module that no
distribution declared in ``dependencies`` or the ``dev`` extra provides.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALKED = ("src", "tests", "benchmarks")
HELPERS = ("tests", "benchmarks")
"""Folders whose modules import each other by bare name (``from databases import ...``,
``from common import ...``): their files' and folders' names are first-party."""


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, requirement
        names.add(normalized(match.group(1)))
    return names


def first_party_modules() -> set[str]:
    names = {"profitpool"}
    for folder in HELPERS:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix == ".py":
                names.add(path.stem)
            elif path.is_dir():
                names.add(path.name)
    return names


def imported_modules() -> dict[str, set[str]]:
    """Each top-level module imported (absolutely) anywhere, with the files importing it."""
    imports: dict[str, set[str]] = {}
    for folder in WALKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.partition(".")[0]
                    imports.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return imports


def undeclared_imports() -> dict[str, str]:
    """Each third-party module no declared distribution provides, with why and where."""
    declared = declared_distributions()
    provided_by = importlib.metadata.packages_distributions()
    first_party = first_party_modules()
    missing = {}
    for module, files in sorted(imported_modules().items()):
        if module in sys.stdlib_module_names or module in first_party:
            continue
        distributions = {normalized(name) for name in provided_by.get(module, [])}
        if distributions & declared:
            continue
        where = ", ".join(sorted(files)[:3])
        if distributions:
            missing[module] = f"installed by {', '.join(sorted(distributions))}, " \
                              f"which pyproject.toml does not declare (imported in {where})"
        else:
            missing[module] = f"not installed and not declared (imported in {where})"
    return missing


def test_every_third_party_import_is_declared_in_pyproject() -> None:
    missing = undeclared_imports()
    assert not missing, "declare in pyproject.toml:\n" + "\n".join(
        f"  {module}: {why}" for module, why in missing.items())


def test_the_walk_finds_third_party_imports_and_skips_stdlib_and_first_party() -> None:
    """The check above passes for the right reason: it sees the imports it must judge."""
    imports = imported_modules()
    assert {"fastapi", "schemathesis", "pytest"} <= imports.keys()
    assert {"json", "profitpool", "databases", "servicehelpers", "common"} <= imports.keys()
    assert {"databases", "servicehelpers", "common", "profitpool"} <= first_party_modules()
    assert "json" in sys.stdlib_module_names
    assert "fastapi" in declared_distributions()
    assert "nats-py" in declared_distributions()
