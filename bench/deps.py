"""Print the benchmarks' requirements from pyproject.toml, one a line, for pip: the `bench`
extra and the baselines of [tool.aioamqp-bench] (older aioamqp releases, which cannot be in an
extra of this package).

    python bench/deps.py              # all of them
    python bench/deps.py aiormq       # only those for the named distributions

The Makefile installs aiormq's venv for `make bench`, aioamqp 0.15's venv, and matplotlib for
`make bench-report` from these lines, so pyproject.toml is the one place their versions are
pinned.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def distribution(requirement: str) -> str:
    """'aiormq>=7,<8' -> 'aiormq'."""
    return re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower()


def requirements(names: list[str]) -> list[str]:
    pyproject = tomllib.loads(PYPROJECT.read_text())
    listed = pyproject["project"]["optional-dependencies"]["bench"]
    listed += pyproject["tool"]["aioamqp-bench"]["baselines"]
    wanted = {name.lower() for name in names}
    out = [r for r in listed if not wanted or distribution(r) in wanted]
    missing = wanted - {distribution(r) for r in out}
    if missing:
        raise SystemExit(
            f"not among the bench requirements of {PYPROJECT}: {', '.join(sorted(missing))}"
        )
    return out


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
