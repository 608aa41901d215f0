"""aioamqp 0.15.0 from PyPI, the release this client replaces, running bench/client_aioamqp.py's
workloads unchanged (they use only 0.15's documented API).

Both are imported as `aioamqp`, so this runs in a venv of its own (.bench-venvs/aioamqp015, made
by `make bench`), and this checkout, which `python -m` puts first on sys.path, is taken off it
before the import: its aioamqp/ would shadow the installed 0.15.

    .bench-venvs/aioamqp015/bin/python -m bench.client_aioamqp015 --workload publish [--n N]

prints one JSON result line (see bench/common.py). publish_confirm does not work on 0.15 (see
common.UNSUPPORTED): the runner leaves it out.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != CHECKOUT]

import aioamqp  # noqa: E402  (after the path change, on purpose)

if not aioamqp.__version__.startswith("0.15."):
    raise SystemExit(
        f"bench.client_aioamqp015 wants aioamqp 0.15, found {aioamqp.__version__} in"
        f" {aioamqp.__file__}: run it with .bench-venvs/aioamqp015/bin/python (`make bench`)"
    )

from . import client_aioamqp  # noqa: E402  (imports the aioamqp above)

if __name__ == "__main__":
    client_aioamqp.main("aioamqp015")
