"""The packages import downwards only: nothing below the command line imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "profitpool"


def imported_modules(source: str, package: str) -> set[str]:
    """Every module the code ``source`` of a module in ``package`` imports, as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                name = ".".join([*parts, node.module] if node.module else parts)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def imports_the_cli(source: str, package: str) -> bool:
    return any(name == "profitpool.cli" or name.startswith("profitpool.cli.")
               for name in imported_modules(source, package))


def test_no_module_outside_the_cli_package_imports_it() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "cli" or relative == Path("__main__.py"):
            continue  # the command line itself, and `python -m profitpool`, which runs it
        package = ".".join(("profitpool", *relative.parent.parts))
        if imports_the_cli(path.read_text(encoding="utf-8"), package):
            offenders.append(str(relative))
    assert offenders == []


def test_the_check_sees_absolute_relative_and_lazy_imports_of_the_cli() -> None:
    lazy = "def deploy() -> None:\n    from ..cli import open_store\n"
    assert imports_the_cli(lazy, "profitpool.anchor")
    assert imports_the_cli("from . import cli\n", "profitpool")
    assert imports_the_cli("import profitpool.cli.common\n", "profitpool.web")
    assert not imports_the_cli("from ..store.repository import open_store\n",
                               "profitpool.anchor")
    assert not imports_the_cli("from .client import request_cosignature\n",
                               "profitpool.witness")
