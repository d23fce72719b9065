"""The project explains itself: nothing in it points to documents outside the repository.

The economic contract, the design notes and the test vectors all live here
(docs/rules.md, docs/design.md, tests/vectors/); a newcomer who clones the
project has everything every reference names.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./shared|\bshared/(?:vectors|seed)\b|\b(?:RULES|DESIGN|STYLE)\.md\b")
"""A path out of the repository, or a document by the name it has outside it."""


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_file_of_the_project_points_outside_it() -> None:
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary files, and files deleted in the working tree
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []


def test_the_check_sees_each_way_of_pointing_outside() -> None:
    for line in ("see .." "/shared/RULES", "the rules of RULES" ".md section 8",
                 "(DESIGN" ".md)", "shared/" "vectors/rfc6962.json"):
        assert OUTSIDE.search(line), line
    for line in ("docs/rules.md section 8", "docs/design.md", "tests/vectors/rfc6962.json"):
        assert not OUTSIDE.search(line), line
