"""README.md's Quick start commands, .ci/run and constraints.txt agree.

CI runs the README's test command verbatim in a virtual environment it creates,
so what a newcomer types is what CI has proven; both install commands use the
pinned set that the suite passed with, and that set pins everything declared.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The lines of README.md's ``sh`` blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def readme_test_command() -> str:
    (command,) = [line for line in readme_commands()
                  if "python3 -m pytest" in line and "-c constraints.txt" in line]
    return command


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    command = readme_test_command()
    assert command == "python3 -m pip install -c constraints.txt -e '.[dev]' && python3 -m pytest"
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_ci_runs_the_test_command_in_a_virtual_environment_it_creates() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    created = next(i for i, line in enumerate(lines) if line.startswith("python3 -m venv "))
    activated = next(i for i, line in enumerate(lines) if line.startswith(". ")
                     and "bin/activate" in line)
    assert created < activated < lines.index(readme_test_command())


def test_both_quick_start_installs_use_the_constraints_file() -> None:
    installs = [line for line in readme_commands()
                if line.startswith("python3 -m pip install -c constraints.txt -e ")]
    assert [line.split(" && ")[1] for line in installs] == ["profitpool demo",
                                                          "python3 -m pytest"]


def test_constraints_pin_every_declared_distribution() -> None:
    """A dependency added to pyproject.toml without writing the lock again fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    declared = {normalized(re.split(r"[\s\[;<>=!~]", requirement)[0])
                for requirement in requirements}
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, separator, version = line.partition("==")
            assert separator and version, line
            pinned[normalized(name)] = version
    assert declared - pinned.keys() == set()
