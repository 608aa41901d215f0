"""The generator: same output from RabbitMQ's spec and ours, fresh, deterministic, extensible."""

import ast
import importlib
import importlib.util
import inspect
import itertools
import keyword
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).parents[2]
if str(REPO) not in sys.path:  # codegen is a development tool, not an installed package
    sys.path.insert(0, str(REPO))

import aioamqp._generated  # noqa: E402
from aioamqp._generated.channel_methods import ChannelMethods  # noqa: E402
from codegen import render  # noqa: E402
from codegen.model import load  # noqa: E402

SPEC = REPO / "spec" / "amqp0-9-1.xml"
REFERENCE = REPO / ".." / "shared" / "spec" / "amqp0-9-1.stripped.extended.xml"
COMMITTED = Path(aioamqp._generated.__file__).parent
HEADER = "# generated from spec/amqp0-9-1.xml by codegen; do not edit\n"
EXPECTED_FILES = {name for name in render.TEMPLATES}

_unique = itertools.count()


def generated_files(directory: Path) -> dict[str, bytes]:
    """Every file of a directory, by name (__pycache__ is a directory, so it is left out)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def generate(spec: Path, out: Path) -> dict[str, bytes]:
    written = render.write(spec, out)
    assert {p.name for p in written} == EXPECTED_FILES
    return generated_files(out)


@pytest.fixture(scope="module")
def from_ours(tmp_path_factory) -> dict[str, bytes]:
    return generate(SPEC, tmp_path_factory.mktemp("gen_ours"))


def test_generated_file_set(from_ours):
    assert set(from_ours) == EXPECTED_FILES


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"{REFERENCE} is not available")
def test_rabbitmq_spec_and_ours_generate_identical_files(from_ours, tmp_path):
    from_reference = generate(REFERENCE, tmp_path / "gen_reference")
    assert set(from_reference) == set(from_ours)
    for name in sorted(from_ours):
        assert from_reference[name] == from_ours[name], f"{name} differs"


def test_committed_generated_code_is_fresh(from_ours):
    committed = generated_files(COMMITTED)
    assert set(committed) == set(from_ours), "run `make generate`"
    for name in sorted(from_ours):
        assert committed[name] == from_ours[name], f"aioamqp/_generated/{name} is stale"


def test_two_runs_give_identical_bytes(from_ours, tmp_path):
    assert generate(SPEC, tmp_path / "again") == from_ours


def test_output_does_not_depend_on_hash_seed(from_ours, tmp_path):
    """Set or dict ordering must not leak into the output: run under different hash seeds."""
    for seed in ("1", "4242"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "codegen", "--spec", str(SPEC), "--out", str(out)],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        assert generated_files(out) == from_ours, f"PYTHONHASHSEED={seed}"


def test_every_generated_file_starts_with_the_header(from_ours):
    for name, text in from_ours.items():
        assert text.decode().startswith(HEADER), name
    for name, text in generated_files(COMMITTED).items():
        assert text.decode().startswith(HEADER), name


# Extend by regenerating: a made-up method in the spec becomes a class, a codec and a stub.


def _field(parent, name: str, *, domain: str | None = None, type_: str | None = None, **attrs):
    node = etree.SubElement(parent, "field", name=name)
    if domain:
        node.set("domain", domain)
    if type_:
        node.set("type", type_)
    for key, value in attrs.items():
        node.set(key, value)
    return node


def extended_spec(directory: Path) -> Path:
    """spec/amqp0-9-1.xml plus queue.peek (90) and queue.peek-ok (91)."""
    path = directory / "amqp0-9-1.xml"
    shutil.copy(SPEC, path)
    tree = etree.parse(str(path))
    (queue,) = [c for c in tree.getroot().iter("class") if c.get("name") == "queue"]
    assert queue.get("index") == "50"

    peek = etree.SubElement(queue, "method", name="peek", synchronous="1", index="90")
    etree.SubElement(peek, "chassis", name="server", implement="MAY")
    etree.SubElement(peek, "response", name="peek-ok")
    _field(peek, "reserved-1", type_="short", reserved="1")
    _field(peek, "queue", domain="queue-name")
    _field(peek, "limit", domain="long")
    _field(peek, "verbose", domain="bit")
    _field(peek, "arguments", domain="table")

    peek_ok = etree.SubElement(queue, "method", name="peek-ok", synchronous="1", index="91")
    etree.SubElement(peek_ok, "chassis", name="client", implement="MAY")
    _field(peek_ok, "message-count", domain="message-count")
    _field(peek_ok, "sample", domain="shortstr")

    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    return path


def import_generated(directory: Path):
    """Import a generated directory as a package under a fresh name; return its modules."""
    name = f"_generated_ext_{next(_unique)}"
    spec = importlib.util.spec_from_file_location(
        name, directory / "__init__.py", submodule_search_locations=[str(directory)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return (
        importlib.import_module(f"{name}.methods"),
        importlib.import_module(f"{name}.channel_methods"),
    )


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ext")
    out = directory / "gen_ext"
    render.write(extended_spec(directory), out)
    methods, channel_methods = import_generated(out)
    yield methods, channel_methods
    package = methods.__name__.rpartition(".")[0]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def test_extension_round_trips(extended):
    methods, _ = extended
    peek = methods.QueuePeek(queue_name="q", limit=7, verbose=True, arguments={"x": 1})
    payload = peek.encode()
    assert payload[:4] == b"\x00\x32\x00\x5a"
    decoded = methods.QueuePeek.decode(payload)
    assert decoded == peek
    assert (decoded.queue_name, decoded.limit, decoded.verbose, decoded.arguments) == (
        "q",
        7,
        True,
        {"x": 1},
    )
    assert methods.QueuePeek.decode(memoryview(payload)) == peek

    ok = methods.QueuePeekOk(message_count=3, sample="s")
    assert methods.QueuePeekOk.decode(ok.encode()) == ok


def test_extension_is_registered(extended):
    methods, _ = extended
    index = (50 << 16) | 90
    assert methods.METHODS[index] is methods.QueuePeek
    assert methods.QueuePeek.INDEX == index
    assert methods.QueuePeek.NAME == "queue.peek"
    assert methods.QueuePeek.SYNCHRONOUS is True
    assert methods.QueuePeek.RESPONSES == (methods.QueuePeekOk.INDEX,)
    assert methods.QueuePeekOk.INDEX == (50 << 16) | 91
    assert methods.METHODS[(50 << 16) | 91] is methods.QueuePeekOk
    # The 64 methods of the spec are all still there.
    assert len(methods.METHODS) == len(aioamqp._generated.methods.METHODS) + 2


async def test_extension_stub_drives_rpc(extended):
    methods, channel_methods = extended
    calls = []

    class FakeChannel(channel_methods.ChannelMethods):
        async def _rpc(self, method, *, no_wait=False, timeout=None):
            calls.append((method, no_wait, timeout))
            reply = methods.QueuePeekOk(message_count=3, sample="s")
            return methods.QueuePeekOk.decode(reply.encode())

        async def _write_payload(self, payload, name):  # pragma: no cover - peek is synchronous
            raise AssertionError("queue.peek must wait for its reply")

    sent = methods.QueuePeek(queue_name="q", limit=7, verbose=True, arguments={"x": 1})
    result = await FakeChannel().queue_peek("q", 7, True, {"x": 1}, timeout=2.5)
    assert result == {"message_count": 3, "sample": "s"}
    ((method, no_wait, timeout),) = calls
    assert method == sent
    assert timeout == 2.5
    assert no_wait is False
    params = list(inspect.signature(FakeChannel.queue_peek).parameters)
    assert params == ["self", "queue_name", "limit", "verbose", "arguments", "timeout"]


# aioamqp 0.15's names and argument order.

POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
KEYWORD = inspect.Parameter.KEYWORD_ONLY

SIGNATURES = {
    "queue_declare": "queue_name passive durable exclusive auto_delete no_wait arguments timeout",
    "queue_delete": "queue_name if_unused if_empty no_wait timeout",
    "queue_bind": "queue_name exchange_name routing_key no_wait arguments timeout",
    "queue_unbind": "queue_name exchange_name routing_key arguments timeout",
    "queue_purge": "queue_name no_wait timeout",
    "exchange_declare": (
        "exchange_name type_name passive durable auto_delete no_wait arguments timeout *internal"
    ),
    "exchange_delete": "exchange_name if_unused no_wait timeout",
    "exchange_bind": ("exchange_destination exchange_source routing_key no_wait arguments timeout"),
    "exchange_unbind": (
        "exchange_destination exchange_source routing_key no_wait arguments timeout"
    ),
    "basic_qos": "prefetch_size prefetch_count connection_global timeout",
    "basic_client_ack": "delivery_tag multiple",
    "basic_client_nack": "delivery_tag multiple requeue",
    "basic_reject": "delivery_tag requeue",
    "basic_recover": "requeue timeout",
    "basic_recover_async": "requeue",
    "flow": "active timeout",
    "confirm_select": "timeout *no_wait",
}

DEFAULTS = {
    ("exchange_declare", "type_name"): "direct",
    ("basic_client_nack", "requeue"): True,
    ("basic_recover", "requeue"): True,
    ("basic_recover_async", "requeue"): True,
    ("exchange_declare", "internal"): False,
    ("confirm_select", "no_wait"): False,
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_channel_method_signature(name):
    coroutine = getattr(ChannelMethods, name)
    assert inspect.iscoroutinefunction(coroutine)
    params = list(inspect.signature(coroutine).parameters.values())
    assert params[0].name == "self"
    actual = [("*" if p.kind is KEYWORD else "") + p.name for p in params[1:]]
    assert actual == SIGNATURES[name].split()
    for p in params[1:]:
        assert p.kind in (POSITIONAL, KEYWORD)
        assert p.default is not inspect.Parameter.empty, f"{name}({p.name}) has no default"
        if (name, p.name) in DEFAULTS:
            assert p.default == DEFAULTS[name, p.name]
            assert type(p.default) is type(DEFAULTS[name, p.name])


def test_timeout_defaults_to_none():
    for name, params in SIGNATURES.items():
        if "timeout" in params.split():
            default = inspect.signature(getattr(ChannelMethods, name)).parameters["timeout"]
            assert default.default is None, name


# Every stub: arguments land in the same-named fields, replies come back as documented.

STUBS = {m.api_name: m for m in render._stub_methods(load(SPEC))}


def test_stubs_are_the_client_requests():
    names = {
        name
        for name, value in vars(ChannelMethods).items()
        if inspect.iscoroutinefunction(value) and not name.startswith("_")
    }
    assert names == set(STUBS)
    assert set(SIGNATURES) <= names


@pytest.mark.parametrize("name", sorted(STUBS))
async def test_stub_passes_arguments_and_returns_reply(name):
    spec = STUBS[name]
    method_cls = aioamqp._generated.methods.METHODS[spec.index]
    calls = []
    reply_values = {}

    class FakeChannel(ChannelMethods):
        async def _rpc(self, method, *, no_wait=False, timeout=None):
            calls.append(("rpc", method, no_wait, timeout))
            reply = spec.responses[0]
            reply_cls = aioamqp._generated.methods.METHODS[reply.index]
            reply_values.update({f.name: object() for f in reply.arguments})
            return reply_cls(**reply_values)

        async def _write_payload(self, payload, method_name):
            assert method_name == spec.full_name
            calls.append(("write", method_cls.decode(payload), None, None))

    params = list(inspect.signature(getattr(ChannelMethods, name)).parameters)[1:]
    if spec.synchronous and spec.responses:  # the method object is handed over as built
        args = {p: object() for p in params if p != "no_wait"}
    else:  # only the encoded payload is: values it can carry, compared after decoding
        samples = {"bit": True, "shortstr": "s", "longstr": b"l", "table": {"k": 1}}
        args = {f.name: samples.get(f.wire, 7) for f in spec.arguments}
    if "no_wait" in params:
        args["no_wait"] = False
    result = await getattr(FakeChannel(), name)(**args)

    ((kind, method, no_wait, timeout),) = calls
    assert type(method) is method_cls
    for field in spec.arguments:
        assert getattr(method, field.name) == args[field.name], field.name
    assert set(params) == {f.name for f in spec.arguments} | (
        {"timeout"} if kind == "rpc" else set()
    )
    if spec.synchronous and spec.responses:
        assert kind == "rpc"
        assert timeout is args["timeout"]
        assert no_wait is False
        reply = spec.responses[0]
        if reply.arguments:
            expected = {
                f.spec_name.replace("-", "_"): reply_values[f.name] for f in reply.arguments
            }
            assert result == expected
        else:
            assert result is True
    else:
        assert kind == "write"
        assert result is None


@pytest.mark.parametrize("name", sorted(n for n, m in STUBS.items() if m.has_no_wait))
async def test_stub_forwards_no_wait(name):
    seen = []

    class FakeChannel(ChannelMethods):
        async def _rpc(self, method, *, no_wait=False, timeout=None):
            seen.append((method, no_wait))
            return None

    result = await getattr(FakeChannel(), name)(no_wait=True)
    ((method, no_wait),) = seen
    assert no_wait is True and method.no_wait is True
    # No reply comes, so there is nothing to return (aioamqp 0.15 returned None too).
    assert result is None


def test_extension_field_named_like_a_python_keyword(tmp_path):
    path = tmp_path / "amqp0-9-1.xml"
    shutil.copy(SPEC, path)
    tree = etree.parse(str(path))
    (queue,) = [c for c in tree.getroot().iter("class") if c.get("name") == "queue"]
    peek = etree.SubElement(queue, "method", name="peek", index="90")
    etree.SubElement(peek, "chassis", name="server", implement="MAY")
    _field(peek, "from", domain="shortstr")
    tree.write(str(path), xml_declaration=True, encoding="utf-8")

    render.write(path, tmp_path / "gen_kw")
    methods, _ = import_generated(tmp_path / "gen_kw")
    (name,) = methods.QueuePeek.__slots__
    assert name.isidentifier() and not keyword.iskeyword(name)
    peek = methods.QueuePeek(**{name: "x"})
    assert methods.QueuePeek.decode(peek.encode()) == peek


# The layout the model computes, and what the templates make of it.

MODEL = load(SPEC)
BY_NAME = {m.full_name: m for m in MODEL.methods}


def test_layout_folds_offsets_and_reads_lengths_early():
    layout = BY_NAME["basic.deliver"].layout
    tag, run, exchange, routing_key = layout.steps
    # consumer_tag's length octet right after the 4 id bytes, its text after that
    assert (tag.kind, tag.field.name, tag.at, tag.start, tag.length_read) == (
        "var",
        "consumer_tag",
        4,
        5,
        False,
    )
    # one struct: delivery tag, the redelivered flag, and exchange_name's length octet
    assert run.fmt == ">QBB"
    assert [(item.wire, item.at) for item in run.items] == [
        ("longlong", 0),
        ("bit", 8),
        ("length", 9),
    ]
    assert run.items[2].field.name == "exchange_name"
    assert (exchange.at, exchange.start, exchange.length_read) == (9, 10, True)
    assert (routing_key.at, routing_key.length_read, layout.end) == (0, False, 0)


def test_layout_of_fixed_fields_only_ends_at_their_size():
    layout = BY_NAME["connection.tune"].layout
    (run,) = layout.steps
    assert run.fmt == ">HIH" and [item.at for item in run.items] == [4, 6, 10]
    assert layout.end == 12


def test_long_prefixes_are_read_early_too():
    run, table = BY_NAME["queue.declare"].layout.steps[2:]
    assert run.fmt == ">BI" and run.items[1].wire == "length"
    assert [f.name for f, _ in run.items[0].flags] == [
        "passive",
        "durable",
        "exclusive",
        "auto_delete",
        "no_wait",
    ]
    assert (table.at, table.start, table.length_read) == (1, 5, True)


def test_encoding_folds_constants():
    kinds = [part.kind for part in BY_NAME["queue.declare"].encoding]
    assert kinds == ["literal", "var", "run", "var"]
    ids_and_reserved, queue, flags, arguments = BY_NAME["queue.declare"].encoding
    assert ids_and_reserved.data == b"\x00\x32\x00\x0a\x00\x00"
    assert flags.lone_flags
    ids, queue_name, tail = BY_NAME["connection.open"].encoding  # reserved string and bit
    assert (ids.data, queue_name.field.name, tail.data) == (
        b"\x00\x0a\x00\x28",
        "virtual_host",
        b"\x00\x00",
    )


def test_generated_readers_name_folded_fields():
    source = inspect.getsource(aioamqp._generated.methods.BasicDeliver._read)
    assert "# delivery_tag at +0, redelivered at +8, length of exchange_name at +9" in source
    assert "# exchange_name at +10, its length read with the struct above" in source


@pytest.mark.parametrize("name", ["methods.py", "properties.py"])
def test_imports_and_structs_come_out_exactly_as_used(from_ours, name):
    """The model lists what the macros call: nothing imported or declared is left unused
    (mypy --strict on the package catches the opposite)."""
    tree = ast.parse(from_ours[name])
    (wire_import,) = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "aioamqp.wire"
    ]
    imported = {alias.name for alias in wire_import.names}
    declared = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.startswith("_S_")
    }
    used = Counter(
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    )
    assert imported and declared
    assert [n for n in sorted(imported) if not used[n]] == []
    assert [n for n in sorted(declared) if not used[n]] == []
