"""Source lines for the specialised encoders and decoders, one per method.

Fixed-width runs become one precompiled struct; constant runs become bytes literals; short
strings are decoded inline (they are most of what a delivery carries).
"""

from __future__ import annotations

import struct

from .model import Method, Segment


class StructNames:
    """Precompiled structs of one module, shared by format."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, fmt: str) -> str:
        if fmt not in self.names:
            self.names[fmt] = "_S_" + fmt[1:]
        return self.names[fmt]

    def declarations(self) -> list[str]:
        return [f'{name} = struct.Struct("{fmt}")' for fmt, name in sorted(self.names.items())]


def _bits_expr(group) -> str:
    terms = [
        f"(1 if {f.name} else 0)" if i == 0 else f"({1 << i} if {f.name} else 0)"
        for i, f in enumerate(group)
        if not f.reserved
    ]
    return " | ".join(terms) or "0"


def _fixed_value(group) -> str:
    f = group[0]
    if f.wire == "bit":
        return _bits_expr(group)
    if f.reserved:
        return "0"
    if f.wire == "timestamp":
        return f"encode_timestamp({f.name})"
    return f.name


_RESERVED_VARIABLE = {"shortstr": b"\x00", "longstr": b"\x00" * 4, "table": b"\x00" * 4}


def bytes_literal(data: bytes) -> str:
    """Every octet as a hex escape: wire constants read as bytes, not as accidental text."""
    return 'b"' + "".join(f"\\x{octet:02x}" for octet in data) + '"'


def encode_parts(method: Method, structs: StructNames) -> tuple[list[str], bool]:
    """Expressions over the argument names whose concatenation is the method payload, and
    whether a struct pack (which can fail on a bad integer) is among them."""
    head = [method.class_id, method.method_id]
    parts: list[str] = []
    packs = False
    for index, seg in enumerate(method.segments):
        if seg.variable:
            f = seg.fields[0]
            if f.reserved:
                parts.append(bytes_literal(_RESERVED_VARIABLE[f.wire]))
            else:
                parts.append(f"encode_{f.wire}({f.name})")
            continue
        fmt = seg.fmt
        values = [_fixed_value(g) for g in seg.groups]
        if index == 0:
            fmt, values, head = ">HH" + fmt[1:], [str(v) for v in head] + values, []
        if all(v.isdigit() for v in values):
            parts.append(bytes_literal(struct.pack(fmt, *map(int, values))))
        elif fmt == ">B" and seg.groups[0][0].wire == "bit":  # flags: 0..255 by construction
            parts.append(f"OCTETS[{values[0]}]")
        else:
            parts.append(f"{structs(fmt)}.pack({', '.join(values)})")
            packs = True
    if head:
        parts.insert(0, bytes_literal(struct.pack(">HH", *head)))
    return _merge_literals(parts), packs


def encode_expression(parts: list[str]) -> str:
    """The concatenation of parts; three or more are joined in one allocation."""
    if len(parts) <= 2:
        return " + ".join(parts)
    return 'b"".join((' + ", ".join(parts) + "))"


def _merge_literals(parts: list[str]) -> list[str]:
    """Adjacent bytes literals become one: `b"\\x01" + b"\\x02"` is `b"\\x01\\x02"`."""
    merged: list[str] = []
    for part in parts:
        if merged and part.startswith('b"') and merged[-1].startswith('b"'):
            merged[-1] = merged[-1][:-1] + part[2:]
        else:
            merged.append(part)
    return merged


def decode_lines(
    segments: list[Segment],
    structs: StructNames,
    target: str = "self",
    skip: int = 0,
    settle: bool = False,
) -> tuple[list[str], str]:
    """Statements reading `buf`, assigning each field to `target`, and the expression for the
    offset just past the last field.

    Reading starts `skip` bytes after the variable `offset`. Distances known at generation time
    are folded into the expressions (`buf[offset + 9]`) instead of being added up at run time,
    and a short string's length octet is read by the struct of the fixed run before it. With
    `settle`, the statements end by moving `offset` past the fields.
    """
    lines: list[str] = []
    ahead = skip  # bytes read beyond `offset` so far
    length = None  # the variable holding the next short string's length, if a struct read it
    for index, seg in enumerate(segments):
        if seg.variable:
            f = seg.fields[0]
            dest = None if f.reserved else f"{target}.{f.name}"
            lines += _decode_variable(f.wire, dest, ahead, length, structs)
            ahead, length = 0, None  # `offset` is now past the field
            continue
        names = []
        post = []
        for g, group in enumerate(seg.groups):
            f = group[0]
            if f.wire == "bit":
                names.append(f"_bits{g}")
                post += [
                    f"{target}.{b.name} = _bits{g} & {1 << i} != 0"
                    for i, b in enumerate(group)
                    if not b.reserved
                ]
            elif f.reserved:
                names.append("_")
            elif f.wire == "timestamp":
                names.append(f"_stamp{g}")
                post.append(f"{target}.{f.name} = decode_timestamp(_stamp{g})")
            else:
                names.append(f"{target}.{f.name}")
        fmt = seg.fmt
        following = segments[index + 1] if index + 1 < len(segments) else None
        if following and following.fields[0].wire == "shortstr":
            fmt, length = fmt + "B", "_length"  # the length octet joins this struct
            names.append(length)
        at = _position(ahead)
        if all(name == "_" for name in names):
            pass  # reserved only: skip it; the final length check catches truncation
        elif fmt == ">B":
            lines.append(f"{names[0]} = buf[{at}]")
        elif len(names) == 1:
            lines.append(f"({names[0]},) = {structs(fmt)}.unpack_from(buf, {at})")
        else:
            lines.append(f"{', '.join(names)} = {structs(fmt)}.unpack_from(buf, {at})")
        ahead += struct.calcsize(fmt)
        lines += post
    if settle and ahead:
        lines.append(f"offset += {ahead}")
        ahead = 0
    return lines, _position(ahead)


def _position(ahead: int) -> str:
    return f"offset + {ahead}" if ahead else "offset"


def _decode_variable(
    wire: str, dest: str | None, ahead: int, length: str | None, structs: StructNames
) -> list[str]:
    """Statements reading one variable-width field `ahead` bytes after `offset`, leaving
    `offset` just past it."""
    if wire == "shortstr":
        if length is None:  # the length octet is still to read
            length = f"buf[{_position(ahead)}]"
            ahead += 1
        if dest is None:
            return [f"offset = {_position(ahead)} + {length}"]
        return [
            f"start = {_position(ahead)}",
            f"offset = start + {length}",
            f"{dest} = buf[start:offset].decode()",
        ]
    at = _position(ahead)
    if wire == "table":  # the decoder holds bytes and catches malformed-data errors itself
        size = f"{structs('>I')}.unpack_from(buf, {at})[0]"
        if dest is None:
            return [f"offset = {at} + 4 + {size}"]
        return [
            f"start = {at} + 4",
            f"offset = start + {size}",
            f"{dest} = read_table_entries(buf, start, offset)",
        ]
    return [f"{dest or '_'}, offset = decode_{wire}(buf, {at})"]
