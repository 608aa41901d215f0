"""A small model of the spec XML: domains resolved to wire types, and the byte layout of every
method's arguments and every content property, which the templates turn into code."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Iterable

from lxml import etree

from . import naming

# Wire types of fixed width, as struct format codes.
FIXED = {"octet": "B", "short": "H", "long": "I", "longlong": "Q", "timestamp": "Q"}
VARIABLE = {"shortstr", "longstr", "table"}
# Struct codes of the other values a run holds: an octet of up to 8 flags, a class or method id.
CODES = {**FIXED, "bit": "B", "id": "H"}
# The length prefix of each variable-width type, as a struct code.
PREFIX = {"shortstr": "B", "longstr": "I", "table": "I"}
# A reserved variable-width field as an encoder writes it: empty.
EMPTY = {wire: bytes(struct.calcsize(">" + code)) for wire, code in PREFIX.items()}
# What the generated code calls in aioamqp.wire, per wire type of a field that is not reserved.
DECODE_HELPERS = {"table": "read_table_entries", "timestamp": "decode_timestamp"}
ENCODE_HELPERS = {
    "shortstr": "encode_shortstr",
    "longstr": "encode_longstr",
    "table": "encode_table",
    "timestamp": "encode_timestamp",
}
ZERO = {
    "bit": False,
    "octet": 0,
    "short": 0,
    "long": 0,
    "longlong": 0,
    "timestamp": 0,
    "shortstr": "",
    "longstr": b"",
    "table": None,
}
# How a docstring describes each wire type.
DESCRIPTION = {
    "bit": "a flag",
    "octet": "an integer 0..255",
    "short": "an integer 0..65535",
    "long": "an integer 0..4294967295",
    "longlong": "an integer 0..2**64-1",
    "timestamp": "a UTC datetime or POSIX seconds",
    "shortstr": "a string of up to 255 UTF-8 bytes",
    "longstr": "bytes or a string",
    "table": "a field table (dict)",
}
ANNOTATION = {
    "bit": "bool",
    "octet": "int",
    "short": "int",
    "long": "int",
    "longlong": "int",
    "timestamp": "int | datetime.datetime",
    "shortstr": "str",
    "longstr": "bytes | str",
    "table": "Mapping[str, Any] | None",
}


@dataclass
class Field:
    spec_name: str
    name: str  # the API name
    domain: str
    wire: str
    reserved: bool
    default: object
    keyword_only: bool

    @property
    def annotation(self) -> str:
        return ANNOTATION[self.wire]

    @property
    def description(self) -> str:
        """One line for a docstring: the spec's name and domain, and what values it takes."""
        domain = "" if self.domain == self.wire else f", domain ``{self.domain}``"
        return f"spec field ``{self.spec_name}``{domain}: {DESCRIPTION[self.wire]}"

    @property
    def optional_annotation(self) -> str:
        annotation = ANNOTATION[self.wire]
        return annotation if annotation.endswith("| None") else annotation + " | None"


@dataclass
class Item:
    """A fixed-width value in a run: one field, the flags sharing an octet (wire "bit"), a class
    or method id ("id"), or the length prefix of the variable-width field after the run
    ("length")."""

    wire: str
    fields: list[Field]  # the flags, in bit order; the field whose length it is; none for ids
    number: int = 0  # its place in the run
    value: int | None = None  # an id's value
    at: int = 0  # bytes from `offset`

    @property
    def field(self) -> Field:
        return self.fields[0]

    @property
    def code(self) -> str:
        return PREFIX[self.field.wire] if self.wire == "length" else CODES[self.wire]

    @property
    def reserved(self) -> bool:
        return self.wire != "length" and bool(self.fields) and all(f.reserved for f in self.fields)

    @property
    def const(self) -> int | None:
        """The value when it is known at generation time: an id, or zero for reserved fields."""
        return 0 if self.reserved else self.value

    @property
    def flags(self) -> list[tuple[Field, int]]:
        """Flags that are not reserved, with their masks."""
        return [(f, 1 << i) for i, f in enumerate(self.fields) if not f.reserved]


@dataclass
class Run:
    """Consecutive fixed-width values, read or written by one struct, `at` bytes from `offset`."""

    kind: ClassVar[str] = "run"
    items: list[Item]
    at: int = 0

    @property
    def fmt(self) -> str:
        return ">" + "".join(item.code for item in self.items)

    @property
    def size(self) -> int:
        return struct.calcsize(self.fmt)

    @property
    def skipped(self) -> bool:
        """Only reserved fields: a decoder reads nothing (the final length check covers them)."""
        return all(item.reserved for item in self.items)

    @property
    def const(self) -> bool:
        return all(item.const is not None for item in self.items)

    @property
    def lone_flags(self) -> bool:
        """One octet of flags: an encoder takes it from a table of the 256 octets, unchecked."""
        return len(self.items) == 1 and self.items[0].wire == "bit"

    @property
    def uses_struct(self) -> bool:
        """Whether a decoder reads it with a struct (an octet alone is indexed instead)."""
        return not self.skipped and self.fmt != ">B"


@dataclass
class Var:
    """A variable-width field whose length prefix is `at` bytes from `offset`; reading it moves
    `offset` past it."""

    kind: ClassVar[str] = "var"
    field: Field
    at: int = 0
    length_read: bool = False  # the run before read its length prefix, into `_length`

    @property
    def wire(self) -> str:
        return self.field.wire

    @property
    def reserved(self) -> bool:
        return self.field.reserved

    @property
    def prefix(self) -> str:
        """The struct code of its length prefix."""
        return PREFIX[self.wire]

    @property
    def start(self) -> int:
        """Where its bytes start, after the length prefix."""
        return self.at + struct.calcsize(">" + self.prefix)

    @property
    def uses_struct(self) -> bool:
        """Whether a decoder reads its length with a struct (not early, not an octet)."""
        return not self.length_read and self.prefix != "B"


@dataclass
class Literal:
    """Bytes an encoder writes as they are: ids, reserved fields, runs of constants."""

    kind: ClassVar[str] = "literal"
    data: bytes


@dataclass
class Layout:
    """Where fields lie in the bytes, as a decoder reads them: runs and variable-width fields
    in wire order, at offsets known at generation time, then `end`, the distance from `offset`
    to the end of the last field."""

    steps: list[Run | Var]
    end: int


def runs(fields: list[Field]) -> list[Run | Var]:
    """Fields in wire order, consecutive fixed-width ones in runs, up to 8 bits to an octet."""
    steps: list[Run | Var] = []
    for f in fields:
        if f.wire in VARIABLE:
            steps.append(Var(f))
            continue
        if not steps or not isinstance(steps[-1], Run):
            steps.append(Run([]))
        items = steps[-1].items
        if f.wire == "bit" and items and items[-1].wire == "bit" and len(items[-1].fields) < 8:
            items[-1].fields.append(f)
        else:
            items.append(Item(f.wire, [f], number=len(items)))
    return steps


def layout(fields: list[Field], skip: int = 0) -> Layout:
    """The decoder's layout of fields starting `skip` bytes after `offset`.

    Each position counts from `offset`, which only variable-width fields move. The length
    prefix of a string or table joins the struct of the run before it, when there is one.
    """
    steps = runs(fields)
    ahead = skip
    for index, step in enumerate(steps):
        if isinstance(step, Var):
            step.at = ahead - (step.start - step.at if step.length_read else 0)
            ahead = 0
            continue
        following = steps[index + 1] if index + 1 < len(steps) else None
        if isinstance(following, Var):
            step.items.append(Item("length", [following.field], number=len(step.items)))
            following.length_read = True
        step.at = ahead
        for item in step.items:
            item.at = ahead
            ahead += struct.calcsize(">" + item.code)
    return Layout(steps, ahead)


def encoding(method: Method) -> list[Literal | Run | Var]:
    """What an encoder joins into a method's payload: the ids go into the first run (or before
    the first field), constant runs and reserved strings become bytes, adjacent bytes merge."""
    ids = [Item("id", [], value=method.class_id), Item("id", [], value=method.method_id)]
    steps = runs(method.fields)
    if steps and isinstance(steps[0], Run):
        steps[0].items[:0] = ids
    else:
        steps.insert(0, Run(ids))
    parts: list[Literal | Run | Var] = []
    for step in steps:
        part: Literal | Run | Var = step
        if isinstance(step, Var) and step.field.reserved:
            part = Literal(EMPTY[step.wire])
        elif isinstance(step, Run) and step.const:
            part = Literal(struct.pack(step.fmt, *(item.const for item in step.items)))
        if isinstance(part, Literal) and parts and isinstance(parts[-1], Literal):
            parts[-1] = Literal(parts[-1].data + part.data)
        else:
            parts.append(part)
    return parts


def structs(layouts: Iterable[Layout], encodings: Iterable[list[Literal | Run | Var]]) -> list[str]:
    """Formats of the precompiled structs the code uses (one per run, shared by format)."""
    formats = set()
    for lay in layouts:
        for step in lay.steps:
            if step.uses_struct:
                formats.add(step.fmt if isinstance(step, Run) else ">" + step.prefix)
    for parts in encodings:
        formats.update(p.fmt for p in parts if isinstance(p, Run) and not p.lone_flags)
    return sorted(formats)


def wire_names(
    layouts: Iterable[Layout], encodings: Iterable[list[Literal | Run | Var]]
) -> list[str]:
    """The names the code imports from aioamqp.wire."""
    names = set()
    for lay in layouts:
        for step in lay.steps:
            if isinstance(step, Var) and not step.reserved:
                names.add(DECODE_HELPERS.get(step.wire))
            elif isinstance(step, Run):
                names.update(
                    DECODE_HELPERS.get(item.wire) for item in step.items if not item.reserved
                )
    for parts in encodings:
        for p in parts:
            if isinstance(p, Var):
                names.add(ENCODE_HELPERS[p.wire])
            elif isinstance(p, Run):
                names.update(ENCODE_HELPERS.get(i.wire) for i in p.items if i.const is None)
                if p.lone_flags:
                    names.add("OCTETS")
    return sorted(name for name in names if name)


@dataclass
class Method:
    class_name: str
    name: str
    class_id: int
    method_id: int
    synchronous: bool
    content: bool
    client_sent: bool
    response_names: list[str]
    fields: list[Field]
    responses: list[Method] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.class_name}.{self.name}"

    @property
    def py_class(self) -> str:
        return naming.camel(self.class_name) + naming.camel(self.name)

    @property
    def index(self) -> int:
        return (self.class_id << 16) | self.method_id

    @property
    def api_name(self) -> str:
        return naming.method_api_name(self.class_name, self.name)

    @property
    def arguments(self) -> list[Field]:
        return [f for f in self.fields if not f.reserved]

    @property
    def has_no_wait(self) -> bool:
        return any(f.name == "no_wait" for f in self.arguments)

    @cached_property
    def layout(self) -> Layout:
        return layout(self.fields, skip=4)  # after the class and method ids

    @cached_property
    def encoding(self) -> list[Literal | Run | Var]:
        return encoding(self)


@dataclass
class AmqpClass:
    name: str
    index: int
    methods: list[Method]
    properties: list[Field]

    @cached_property
    def codec(self) -> list[Property]:
        if len(self.properties) > 15:
            raise ValueError("more than 15 content properties need flag continuation words")
        for f in self.properties:
            if f.wire == "bit":  # each property has a flag of its own; bits would share octets
                raise ValueError(f"content property {f.spec_name} has unsupported type bit")
        return [
            Property(f, 1 << (15 - i), layout([f]), runs([f])[0])
            for i, f in enumerate(self.properties)
        ]


@dataclass
class Property:
    """A content property: its bit in the flag word (the first property's highest), its layout
    (a decoder reads the present ones one after the other) and what an encoder writes."""

    field: Field
    flag: int
    layout: Layout
    encoding: Run | Var


@dataclass
class Constant:
    name: str
    value: int
    error_class: str | None


@dataclass
class Spec:
    constants: list[Constant]
    classes: list[AmqpClass]

    @property
    def methods(self) -> list[Method]:
        return [m for c in self.classes for m in c.methods]

    def method_imports(self) -> tuple[list[str], list[str]]:
        """The methods module's structs and aioamqp.wire names."""
        args = ([m.layout for m in self.methods], [m.encoding for m in self.methods])
        return structs(*args), wire_names(*args)

    def property_imports(self) -> tuple[list[str], list[str]]:
        """The properties module's structs and aioamqp.wire names."""
        props = [p for c in self.classes for p in c.codec]
        args = ([p.layout for p in props], [[p.encoding] for p in props])
        return structs(*args), wire_names(*args)


def load(path: str | Path) -> Spec:
    root = etree.parse(str(path)).getroot()
    domains = {d.get("name"): d.get("type") for d in root.iter("domain")}
    constants = [
        Constant(c.get("name"), int(c.get("value")), c.get("class")) for c in root.iter("constant")
    ]
    classes = []
    for c in root.iter("class"):
        cname = c.get("name")
        props = [_field(f, cname, domains) for f in c.findall("field")]
        methods = []
        for m in c.findall("method"):
            path = f"{cname}.{m.get('name')}"
            methods.append(
                Method(
                    class_name=cname,
                    name=m.get("name"),
                    class_id=int(c.get("index")),
                    method_id=int(m.get("index")),
                    synchronous=m.get("synchronous") == "1",
                    content=m.get("content") == "1",
                    client_sent=any(ch.get("name") == "server" for ch in m.findall("chassis")),
                    response_names=[r.get("name") for r in m.findall("response")],
                    fields=[_field(f, path, domains) for f in m.findall("field")],
                )
            )
        _link_responses(methods)
        classes.append(AmqpClass(cname, int(c.get("index")), methods, props))
    return Spec(constants, classes)


def _field(node, path: str, domains: dict[str, str]) -> Field:
    spec_name = node.get("name")
    domain = node.get("domain") or node.get("type")
    wire = node.get("type") or domains[node.get("domain")]
    while wire in domains and domains[wire] != wire:  # a domain defined by another domain
        wire = domains[wire]
    key = f"{path}.{spec_name}"
    return Field(
        spec_name=spec_name,
        name=naming.field_name(path, spec_name),
        domain=domain,
        wire=wire,
        reserved=node.get("reserved") == "1",
        default=naming.DEFAULTS.get(key, ZERO[wire]),
        keyword_only=key in naming.KEYWORD_ONLY,
    )


def _link_responses(methods: list[Method]) -> None:
    """Resolve response names; a synchronous request listing none answers with its "-ok"."""
    by_name = {m.name: m for m in methods}
    for m in methods:
        names = m.response_names
        if not names and m.synchronous and not m.name.endswith("-ok"):
            names = [m.name + "-ok"] if m.name + "-ok" in by_name else []
        m.responses = [by_name[n] for n in names]
