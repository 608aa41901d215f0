"""Render the model through the templates, format with black, write the package."""

from __future__ import annotations

from pathlib import Path

import black
import jinja2

from . import emit
from .model import FIXED, Field, Spec, load, segments

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


def _property_codec(props: list[Field], structs: emit.StructNames) -> list[dict]:
    """Per content property: its flag bit, how to encode `value`, how to decode into `props`."""
    if len(props) > 15:
        raise ValueError("more than 15 content properties need flag continuation words")
    codec = []
    for i, f in enumerate(props):
        if f.wire in FIXED:
            value = "encode_timestamp(value)" if f.wire == "timestamp" else "value"
            encode = f"{structs('>' + FIXED[f.wire])}.pack({value})"
        elif f.wire in ("shortstr", "longstr", "table"):
            encode = f"encode_{f.wire}(value)"
        else:
            raise ValueError(f"content property {f.spec_name} has unsupported type {f.wire}")
        decode, _ = emit.decode_lines(segments([f]), structs, target="props", settle=True)
        codec.append({"field": f, "flag": 1 << (15 - i), "encode": encode, "decode": decode})
    return codec


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
    method_structs = emit.StructNames()
    methods = []
    for m in spec.methods:
        parts, packs = emit.encode_parts(m, method_structs)
        encode = emit.encode_expression(parts)
        lines, end = emit.decode_lines(m.segments, method_structs, skip=4)  # after the ids
        methods.append({"m": m, "encode": encode, "packs": packs, "decode": lines, "end": end})
    property_structs = emit.StructNames()
    properties = [
        {"cls": c, "codec": _property_codec(c.properties, property_structs)}
        for c in spec.classes
        if c.properties
    ]
    wire_names = sorted(
        [
            f"{verb}_{wire}"
            for verb in ("encode", "decode")
            for wire in ("shortstr", "longstr", "table", "timestamp")
        ]
        + ["read_table_entries", "OCTETS"]
    )
    used = lambda texts: [  # noqa: E731
        n for n in wire_names if any(n + "(" in t or n + "[" in t for t in texts)
    ]
    method_texts = [t for item in methods for t in [item["encode"], *item["decode"]]]
    property_texts = [
        t for p in properties for c in p["codec"] for t in [c["encode"], *c["decode"]]
    ]
    context = {
        "method_imports": used(method_texts),
        "property_imports": used(property_texts),
        "spec": spec,
        "constant_name": _constant_name,
        "methods": methods,
        "method_structs": method_structs.declarations(),
        "properties": properties,
        "property_structs": property_structs.declarations(),
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
