"""A small model of the spec XML: domains resolved to wire types, consecutive bits grouped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import naming

# Wire types of fixed width, as struct format codes.
FIXED = {"octet": "B", "short": "H", "long": "I", "longlong": "Q", "timestamp": "Q"}
VARIABLE = {"shortstr", "longstr", "table"}
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
class Segment:
    """Either one variable-width field, or a run of fixed-width fields packed by one struct."""

    fields: list[Field]
    fmt: str = ""  # struct format for a fixed run; bits take one "B" per group of up to 8
    groups: list[list[Field]] = field(default_factory=list)  # one entry per struct item

    @property
    def variable(self) -> bool:
        return not self.fmt


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

    @property
    def segments(self) -> list[Segment]:
        return segments(self.fields)


@dataclass
class AmqpClass:
    name: str
    index: int
    methods: list[Method]
    properties: list[Field]


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


def segments(fields: list[Field]) -> list[Segment]:
    """Group fields: consecutive fixed-width fields share one struct, bits pack 8 to an octet."""
    result: list[Segment] = []
    run: Segment | None = None
    for f in fields:
        if f.wire in VARIABLE:
            run = None
            result.append(Segment([f]))
            continue
        if run is None:
            run = Segment([], fmt=">")
            result.append(run)
        run.fields.append(f)
        last = run.groups[-1] if run.groups else None
        if f.wire == "bit" and last and last[0].wire == "bit" and len(last) < 8:
            last.append(f)
        else:
            run.groups.append([f])
            run.fmt += "B" if f.wire == "bit" else FIXED[f.wire]
    return result


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
