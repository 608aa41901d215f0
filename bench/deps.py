"""Print the `bench` extra's requirements from pyproject.toml, one a line, for pip.

    python bench/deps.py              # all of them
    python bench/deps.py aiormq       # only those for the named distributions

The Makefile installs aiormq's venv for `make bench` and matplotlib for `make bench-report`
from these lines, so pyproject.toml is the one place their versions are pinned.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(names: list[str]) -> list[str]:
    extra = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["bench"]
    wanted = {name.lower() for name in names}
    out = []
    for requirement in extra:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if not wanted or (name and name.group(0).lower() in wanted):
            out.append(requirement)
    missing = wanted - {re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in out}
    if missing:
        raise SystemExit(f"not in the bench extra of {PYPROJECT}: {', '.join(sorted(missing))}")
    return out


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
