"""pamqp 3.3 as an oracle: every method and the basic properties, in both directions.

Our encoding decoded by pamqp gives the values we encoded; pamqp's encoding decoded by us gives
the values pamqp encoded. Values are drawn per field from its wire type in the spec model.

Where pamqp 3.3 cannot carry a value, the strategies keep to what it can:
- it packs method `longlong` fields signed, so delivery tags stay below 2**63;
- it encodes long strings only from `str`, and validates queue and exchange names (a regex and
  at most 127 characters) and `virtual_host` (at most 127 characters) before it marshals;
- in field tables it decodes a decimal's value as unsigned (so -1 comes back as 4294967295),
  encodes floats as float32, cannot encode -128..-1 (it packs them as an
  unsigned octet), builds decimals from str(), sends bytearray (not bytes) as a byte array, and
  reads timestamps past 2**32 seconds as milliseconds;
- it leaves out empty-string properties when it marshals, and defaults cluster_id to "".
"""

import struct
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pamqp.commands
import pamqp.frame
import pamqp.header
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).parents[2]
if str(REPO) not in sys.path:  # codegen is a development tool, not an installed package
    sys.path.insert(0, str(REPO))

from aioamqp._generated.methods import METHODS  # noqa: E402
from aioamqp._generated.properties import (  # noqa: E402
    BasicProperties,
    decode_basic_header,
    decode_basic_properties,
    encode_basic_properties,
)
from aioamqp.frames import FrameParser, method_frame  # noqa: E402
from support import header_frame  # noqa: E402
from codegen.model import load  # noqa: E402

SPEC = load(REPO / "spec" / "amqp0-9-1.xml")
SPEC_METHODS = {m.index: m for m in SPEC.methods}
(BASIC,) = [c for c in SPEC.classes if c.name == "basic"]
UTC = timezone.utc
CHANNEL = 7
pytestmark = pytest.mark.filterwarnings("ignore:This command is deprecated:DeprecationWarning")

ORACLE = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# pamqp's attribute names are snake_case spec names, except these.
PAMQP_NAMES = {"global": "global_", "type": "exchange_type", "no-wait": "nowait"}
PAMQP_NAME_CHECKED = {"queue", "exchange", "destination", "source"}  # regex and <= 127 chars
PAMQP_LENGTH_CHECKED = {"virtual_host"}  # <= 127 chars


def pamqp_name(spec_name: str) -> str:
    return PAMQP_NAMES.get(spec_name) or spec_name.replace("-", "_")


def field_map(spec_fields, pamqp_cls):
    """[(our field, pamqp attribute)] by position, reserved fields included."""
    slots = list(pamqp_cls.__slots__)
    assert len(slots) == len(spec_fields), f"{pamqp_cls.name}: {slots}"
    return list(zip(spec_fields, slots))


# Strategies

int64s = st.integers(-(2**63), 2**63 - 1)
shortstrs = st.one_of(
    st.text(max_size=63),  # at most 252 UTF-8 bytes
    st.text(alphabet=st.characters(max_codepoint=127), min_size=250, max_size=255),
    st.text(alphabet="é", min_size=127, max_size=127),  # 254 bytes of 2-byte characters
).filter(lambda s: len(s.encode()) <= 255)
pamqp_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@#,/ ",
    max_size=127,
)
keys = st.text(max_size=16)

# Timestamps pamqp reads back as seconds: 1970 .. 2**32 seconds.
whole_second_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2106, 2, 5),
    timezones=st.none() | st.just(UTC) | st.timezones(),
).map(lambda dt: dt.replace(microsecond=0))


def decimal_from(unscaled: int, scale: int) -> Decimal:
    return Decimal(f"{unscaled}E-{scale}")


# Table values our encoder takes and pamqp decodes back to the same value.
our_scalars = st.one_of(
    st.booleans(),
    int64s,
    st.floats(allow_nan=False),
    st.builds(decimal_from, st.integers(0, 2**31 - 1), st.integers(0, 255)),
    st.text(max_size=40),
    st.binary(max_size=40),
    whole_second_datetimes,
    st.none(),
)
# Table values pamqp encodes and we decode back to the same value.
pamqp_scalars = st.one_of(
    st.booleans(),
    int64s.filter(lambda n: not -128 <= n < 0),
    st.floats(width=32, allow_nan=False),
    st.builds(decimal_from, st.integers(-(2**31), 2**31 - 1), st.integers(0, 6)).filter(
        lambda d: "E" not in str(d)
    ),
    st.text(max_size=40),
    st.binary(max_size=40).map(bytearray),
    whole_second_datetimes.filter(lambda dt: dt.utcoffset() in (None, timedelta(0))),
    st.none(),
)


def tables(scalars, with_tuples=False):
    def containers(inner):
        arrays = st.lists(inner, max_size=4)
        if with_tuples:
            arrays |= st.lists(inner, max_size=4).map(tuple)
        return arrays | st.dictionaries(keys, inner, max_size=4)

    return st.dictionaries(keys, st.recursive(scalars, containers, max_leaves=12), max_size=5)


our_tables = tables(our_scalars, with_tuples=True)
pamqp_tables = tables(pamqp_scalars)

UINT = {"octet": 8, "short": 16, "long": 32, "longlong": 63}  # pamqp's longlong is signed


def our_values(field, pamqp_attr):
    """Values we encode for a field, all of which pamqp decodes."""
    wire = field.wire
    if wire == "bit":
        return st.booleans()
    if wire in UINT:
        return st.integers(0, 2 ** UINT[wire] - 1)
    if wire == "shortstr":
        return shortstrs
    if wire == "longstr":
        return st.binary(max_size=300) | st.text(max_size=60)
    if wire == "table":
        return st.none() | our_tables
    raise AssertionError(f"no strategy for {wire}")


def pamqp_values(field, pamqp_attr):
    """Values pamqp encodes for a field (it validates some names, longstr must be str)."""
    wire = field.wire
    if wire == "shortstr" and pamqp_attr in PAMQP_NAME_CHECKED:
        return pamqp_names
    if wire == "shortstr" and pamqp_attr in PAMQP_LENGTH_CHECKED:
        return shortstrs.filter(lambda s: len(s) <= 127)
    if wire == "longstr":
        return st.text(max_size=100)
    if wire == "table":
        return pamqp_tables
    return our_values(field, pamqp_attr)


# Comparison: a canonical, type-aware form (True must not pass for 1, nor bytes for str).


def canon(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", struct.pack(">d", value))
    if isinstance(value, Decimal):
        return ("decimal", value.normalize() if value else Decimal(0))
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, (bytes, bytearray)):
        return ("bytes", bytes(value))
    if value is None:
        return ("none",)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        return ("timestamp", int(value.timestamp()))
    if isinstance(value, dict):
        return ("table", {key: canon(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return ("array", [canon(item) for item in value])
    raise AssertionError(f"unexpected {type(value).__name__}: {value!r}")


def canon_field(wire: str, value):
    """A method field's value in canonical form; long strings compare as bytes."""
    if wire == "longstr" and isinstance(value, str):
        value = value.encode()
    if wire == "table" and value is None:
        value = {}
    return canon(value)


def assert_decoded_types(wire: str, value):
    """What our decoders return for each wire type."""
    expected = {
        "bit": bool,
        "octet": int,
        "short": int,
        "long": int,
        "longlong": int,
        "shortstr": str,
        "longstr": bytes,
        "table": dict,
        "timestamp": datetime,
    }[wire]
    assert type(value) is expected, (wire, value)


def assert_aware_utc(value):
    """Every datetime we decode is aware UTC, however deep in a table."""
    if isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0)
    elif isinstance(value, dict):
        for item in value.values():
            assert_aware_utc(item)
    elif isinstance(value, list):
        for item in value:
            assert_aware_utc(item)


def parse_one_frame(data: bytes):
    frames = FrameParser(0).feed(data)
    assert len(frames) == 1
    frame_type, channel_id, buf, start, end = frames[0]
    return frame_type, channel_id, buf[start:end]


# The name map, checked against pamqp's classes

INDEXES = sorted(METHODS)


def test_every_method_is_covered():
    assert len(METHODS) == 64
    assert set(METHODS) == set(SPEC_METHODS) == set(pamqp.commands.INDEX_MAPPING)


@pytest.mark.parametrize("index", INDEXES, ids=lambda i: METHODS[i].NAME)
def test_field_names_and_types_match_pamqp(index):
    ours, spec, theirs = METHODS[index], SPEC_METHODS[index], pamqp.commands.INDEX_MAPPING[index]
    assert theirs.index == index
    if theirs.synchronous:  # pamqp marks requests only; the spec marks their replies too
        assert ours.SYNCHRONOUS
        responses = [pamqp.commands.INDEX_MAPPING[i].name for i in ours.RESPONSES]
        assert sorted(responses) == sorted(theirs.valid_responses)
    for field, attr in field_map(spec.fields, theirs):
        assert theirs.amqp_type(attr) == field.wire, (field.spec_name, attr)
        if not field.reserved:
            assert attr == pamqp_name(field.spec_name)
            assert field.name in ours.__slots__
    assert list(ours.__slots__) == [f.name for f in spec.arguments]


def test_property_names_and_types_match_pamqp():
    theirs = pamqp.commands.Basic.Properties
    assert list(BasicProperties.NAMES) == list(theirs.__slots__)
    for field, attr in field_map(BASIC.properties, theirs):
        assert field.name == attr
        assert theirs.amqp_type(attr) == field.wire
    flags = [1 << (15 - i) for i in range(len(BASIC.properties))]
    assert [theirs.flags[name] for name in theirs.__slots__] == flags


# Methods: ours -> pamqp


@pytest.mark.parametrize("index", INDEXES, ids=lambda i: METHODS[i].NAME)
@ORACLE
@given(data=st.data())
def test_pamqp_decodes_our_method(index, data):
    spec, theirs = SPEC_METHODS[index], pamqp.commands.INDEX_MAPPING[index]
    pairs = [(f, attr) for f, attr in field_map(spec.fields, theirs) if not f.reserved]
    values = {f.name: data.draw(our_values(f, attr), label=f.name) for f, attr in pairs}
    payload = METHODS[index](**values).encode()
    frame = method_frame(CHANNEL, payload)

    consumed, channel_id, decoded = pamqp.frame.unmarshal(frame)
    assert (consumed, channel_id, type(decoded)) == (len(frame), CHANNEL, theirs)
    for f, attr in pairs:
        assert canon_field(f.wire, getattr(decoded, attr)) == canon_field(
            f.wire, values[f.name]
        ), f.name


# Methods: pamqp -> ours


@pytest.mark.parametrize("index", INDEXES, ids=lambda i: METHODS[i].NAME)
@ORACLE
@given(data=st.data())
def test_we_decode_pamqp_method(index, data):
    spec, theirs = SPEC_METHODS[index], pamqp.commands.INDEX_MAPPING[index]
    pairs = [(f, attr) for f, attr in field_map(spec.fields, theirs) if not f.reserved]
    sent = theirs()
    for f, attr in pairs:
        setattr(sent, attr, data.draw(pamqp_values(f, attr), label=attr))
    frame_type, channel_id, payload = parse_one_frame(pamqp.frame.marshal(sent, CHANNEL))
    assert (frame_type, channel_id) == (1, CHANNEL)

    decoded = METHODS[index].decode(payload)
    assert type(decoded) is METHODS[index]
    assert METHODS[index].decode(memoryview(payload)) == decoded
    for f, attr in pairs:
        value = getattr(decoded, f.name)
        assert_decoded_types(f.wire, value)
        assert_aware_utc(value)
        assert canon_field(f.wire, value) == canon_field(f.wire, getattr(sent, attr)), f.name

    # Without tables (where integer widths are a free choice) and without pamqp's non-empty
    # reserved strings, we must produce pamqp's very bytes.
    reserved_text = any(f.reserved and f.wire in ("shortstr", "longstr") for f in spec.fields)
    if not any(f.wire == "table" for f in spec.fields) and not (
        reserved_text and index in (0x0014000A, 0x0014000B)
    ):
        assert decoded.encode() == payload


# Basic properties

PROPERTY_FIELDS = {f.name: f for f in BASIC.properties}


def property_values(pamqp_side: bool):
    def value(f):
        if f.wire == "timestamp":
            if pamqp_side:
                return whole_second_datetimes
            return whole_second_datetimes | st.integers(2**16, 2**32 - 1)
        if f.wire == "table":
            return pamqp_tables if pamqp_side else our_tables
        if f.wire == "octet":
            return st.integers(0, 255)
        assert f.wire == "shortstr"
        return shortstrs

    return st.fixed_dictionaries({}, optional={f.name: value(f) for f in BASIC.properties})


def canon_property(name: str, value):
    if name == "timestamp" and isinstance(value, int):
        value = datetime.fromtimestamp(value, UTC)
    return canon(value)


@ORACLE
@given(props=property_values(pamqp_side=False), body_size=st.integers(0, 2**63 - 1))
def test_pamqp_decodes_our_properties(props, body_size):
    payload = encode_basic_properties(props)
    assert encode_basic_properties(BasicProperties(**props)) == payload
    frame = header_frame(CHANNEL, 60, body_size, payload)

    consumed, channel_id, header = pamqp.frame.unmarshal(frame)
    assert (consumed, channel_id) == (len(frame), CHANNEL)
    assert isinstance(header, pamqp.header.ContentHeader)
    assert (header.class_id, header.weight, header.body_size) == (60, 0, body_size)
    for name in BasicProperties.NAMES:
        theirs = getattr(header.properties, name)
        if name in props:
            assert canon(theirs) == canon_property(name, props[name]), name
        else:
            assert theirs == ("" if name == "cluster_id" else None), name


@ORACLE
@given(props=property_values(pamqp_side=True), body_size=st.integers(0, 2**63 - 1))
def test_we_decode_pamqp_properties(props, body_size):
    sent = pamqp.commands.Basic.Properties()
    for name, value in props.items():
        setattr(sent, name, value)  # after __init__: pamqp validates only there
    header = pamqp.header.ContentHeader(body_size=body_size, properties=sent)
    frame_type, channel_id, payload = parse_one_frame(pamqp.frame.marshal(header, CHANNEL))
    assert (frame_type, channel_id) == (2, CHANNEL)
    assert struct.unpack_from(">HHQ", payload) == (60, 0, body_size)

    decoded = decode_basic_properties(payload, 12)
    assert decode_basic_properties(memoryview(payload), 12) == decoded
    assert decode_basic_header(payload) == (body_size, decoded)
    assert decode_basic_header(memoryview(payload)) == (body_size, decoded)
    for name in BasicProperties.NAMES:
        value = getattr(decoded, name)
        sent_value = props.get(name)
        if sent_value is None or sent_value == "":  # pamqp leaves these out
            assert value is None, name
            continue
        assert_decoded_types(PROPERTY_FIELDS[name].wire, value)
        assert_aware_utc(value)
        assert canon(value) == canon(sent_value), name
    if decoded.headers is None:  # no table: both sides choose the same bytes
        assert encode_basic_properties(decoded) == payload[12:]


def test_exact_property_bytes_match_pamqp():
    stamp = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    props = dict(
        content_type="application/json",
        delivery_mode=2,
        priority=9,
        correlation_id="c-1",
        reply_to="amq.rabbitmq.reply-to",
        expiration="60000",
        message_id="m",
        timestamp=stamp,
        message_type="t",
        user_id="guest",
        app_id="app",
        headers={"k": "v", "n": 2**40},
    )
    theirs = pamqp.commands.Basic.Properties(**props).marshal()
    assert encode_basic_properties(props) == theirs
    assert decode_basic_properties(theirs) == BasicProperties(**props)
