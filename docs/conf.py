"""Sphinx configuration: `make docs` builds docs/_build/html with warnings as errors."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the working tree's aioamqp, even without an install

import aioamqp  # noqa: E402

project = "aioamqp"
author = "aioamqp contributors"
copyright = "aioamqp contributors"
release = aioamqp.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
# channel.py annotates callbacks with its alias `Callback` (Callable[..., Any]), rpc.py handlers
# with `Handler`; keep the names rather than the expansions Sphinx renders.
autodoc_type_aliases = {"Callback": "aioamqp.channel.Callback", "Handler": "aioamqp.rpc.Handler"}

html_theme = "alabaster"
html_title = f"aioamqp {release}"
html_theme_options = {
    "description": "asyncio AMQP 0-9-1 client for RabbitMQ",
    "fixed_sidebar": True,
}

# docs/benchmarks.md is written separately and may not exist yet: list it in the index's
# toctree only when it is there, so that the build never refers to a missing document.
HAS_BENCHMARKS = (HERE / "benchmarks.md").exists()
if not HAS_BENCHMARKS:
    exclude_patterns.append("benchmarks.md")


def _add_benchmarks_to_index(app, docname, source):
    if docname == "index" and HAS_BENCHMARKS:
        source[0] = source[0].replace("   internals\n", "   internals\n   benchmarks\n", 1)


def setup(app):
    app.connect("source-read", _add_benchmarks_to_index)
