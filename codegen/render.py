"""Render the model through the templates, format with black, write the package."""

from __future__ import annotations

from pathlib import Path

import black
import jinja2

from .model import Spec, load

HEADER = "# generated from spec/amqp0-9-1.xml by codegen; do not edit\n"
TEMPLATES = ["__init__.py", "constants.py", "methods.py", "properties.py", "channel_methods.py"]
CHANNEL_LEVEL_EXCLUDED = {"connection"}  # connection methods belong to the protocol, not a channel


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).parent / "templates")
    env = jinja2.Environment(
        loader=loader,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["py"] = repr
    return env


def _constant_name(name: str) -> str:
    return name.upper().replace("-", "_")


def _stub_methods(spec: Spec) -> list:
    """Channel-level requests a client sends, without content in them or in their reply.

    Replies the client sends (close-ok, flow-ok, ...) are the channel's business, not the API's.
    """
    replies = {r.full_name for m in spec.methods for r in m.responses}
    return [
        m
        for c in spec.classes
        if c.name not in CHANNEL_LEVEL_EXCLUDED
        for m in c.methods
        if m.client_sent
        and m.full_name not in replies
        and not m.content
        and not any(r.content for r in m.responses)
    ]


def render(spec: Spec) -> dict[str, str]:
    env = _environment()
    method_structs, method_imports = spec.method_imports()
    property_structs, property_imports = spec.property_imports()
    context = {
        "method_imports": method_imports,
        "method_structs": method_structs,
        "property_imports": property_imports,
        "property_structs": property_structs,
        "spec": spec,
        "constant_name": _constant_name,
        "methods": spec.methods,
        "properties": [c for c in spec.classes if c.properties],
        "stubs": _stub_methods(spec),
    }
    mode = black.Mode(line_length=100, target_versions={black.TargetVersion.PY311})
    return {
        name: black.format_str(HEADER + env.get_template(name + ".j2").render(context), mode=mode)
        for name in TEMPLATES
    }


def write(spec_path: Path, out: Path) -> list[Path]:
    files = render(load(spec_path))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text)
        written.append(path)
    return written
