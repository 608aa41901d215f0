"""Field primitives: exact bytes, round trips, interop with pamqp, bad input and fuzzing."""

import math
import struct
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pamqp import decode as pamqp_decode
from pamqp import encode as pamqp_encode

from aioamqp import wire
from aioamqp.exceptions import (
    AmqpDecodeError,
    FieldEncodeError,
    IntegerOutOfRange,
    ShortStrTooLong,
    UnsupportedFieldType,
)
from aioamqp.wire import (
    decode_longstr,
    decode_shortstr,
    decode_table,
    decode_timestamp,
    encode_longstr,
    encode_shortstr,
    encode_table,
    encode_timestamp,
)

FUZZ = settings(max_examples=500, deadline=timedelta(seconds=1))
UTC = timezone.utc


def table_bytes(entries: bytes) -> bytes:
    return struct.pack(">I", len(entries)) + entries


def plain(value):
    """What a decoder gives back for an encoded value: lists, bytes, aware UTC whole seconds."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0)
    return value


# Values pamqp and aioamqp both carry unchanged. pamqp 3.3 packs -128..-1 as an unsigned octet,
# sends floats as float32, reads a decimal's value as unsigned (Java and pika, like us, use a
# signed int32), builds decimals from str() and reads timestamps past 2**32 as milliseconds.
int64s = st.integers(-(2**63), 2**63 - 1)
pamqp_ints = int64s.filter(lambda n: not -128 <= n < 0)
float32s = st.floats(width=32, allow_nan=False)
plain_decimals = st.builds(
    lambda unscaled, scale: Decimal(unscaled).scaleb(-scale),
    st.integers(0, 2**31 - 1),
    st.integers(0, 6),
).filter(lambda d: "E" not in str(d))
timestamps = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2106, 1, 1),
    timezones=st.just(UTC),
).map(lambda dt: dt.replace(microsecond=0))
keys = st.text(max_size=40)
shared_scalars = st.one_of(
    st.booleans(),
    pamqp_ints,
    float32s,
    plain_decimals,
    st.text(),
    st.binary(),
    timestamps,
    st.none(),
)


def tables(scalars, with_tuples=False):
    def containers(inner):
        arrays = st.lists(inner, max_size=4)
        if with_tuples:
            arrays |= arrays.map(tuple)
        return arrays | st.dictionaries(keys, inner, max_size=4)

    return st.dictionaries(keys, st.recursive(scalars, containers, max_leaves=20), max_size=6)


shared_tables = tables(shared_scalars)

# Everything aioamqp itself round-trips.
any_decimals = st.builds(
    lambda unscaled, scale: Decimal(unscaled).scaleb(-scale),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 255),
)
any_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.none() | st.just(UTC) | st.timezones(),
)
own_scalars = st.one_of(
    st.booleans(),
    int64s,
    st.floats(allow_nan=False),
    any_decimals,
    st.text(),
    st.binary(),
    st.binary().map(bytearray),
    any_datetimes,
    st.none(),
)
own_tables = tables(own_scalars, with_tuples=True)


# Exact bytes


def test_shortstr_bytes():
    assert encode_shortstr("abc") == b"\x03abc"
    assert encode_shortstr("é") == b"\x02\xc3\xa9"
    assert encode_shortstr(b"\xff") == b"\x01\xff"
    assert encode_shortstr("") == b"\x00"


def test_longstr_bytes():
    assert encode_longstr("ab") == b"\x00\x00\x00\x02ab"
    assert encode_longstr(b"\x00\xff") == b"\x00\x00\x00\x02\x00\xff"
    assert encode_longstr(bytearray(b"z")) == b"\x00\x00\x00\x01z"


@pytest.mark.parametrize(
    "value, entry",
    [
        (True, b"t\x01"),
        (False, b"t\x00"),
        (1, b"I\x00\x00\x00\x01"),
        (-1, b"I\xff\xff\xff\xff"),
        (2**31, b"l\x00\x00\x00\x00\x80\x00\x00\x00"),
        (-(2**63), b"l\x80\x00\x00\x00\x00\x00\x00\x00"),
        (1.5, b"d\x3f\xf8\x00\x00\x00\x00\x00\x00"),
        (Decimal("1.50"), b"D\x02\x00\x00\x00\x96"),
        (Decimal("-3"), b"D\x00\xff\xff\xff\xfd"),
        (Decimal("1E+3"), b"D\x00\x00\x00\x03\xe8"),
        ("hé", b"S\x00\x00\x00\x03h\xc3\xa9"),
        (b"\x00\xff", b"x\x00\x00\x00\x02\x00\xff"),
        ([1, None], b"A\x00\x00\x00\x06I\x00\x00\x00\x01V"),
        ((), b"A\x00\x00\x00\x00"),
        ({"k": None}, b"F\x00\x00\x00\x03\x01kV"),
        (None, b"V"),
        (datetime(2020, 1, 1), b"T\x00\x00\x00\x00\x5e\x0b\xe1\x00"),
    ],
)
def test_field_value_bytes(value, entry):
    assert encode_table({"a": value}) == table_bytes(b"\x01a" + entry)


def test_empty_table():
    assert encode_table(None) == b"\x00\x00\x00\x00"
    assert encode_table({}) == b"\x00\x00\x00\x00"
    assert decode_table(b"\x00\x00\x00\x00", 0) == ({}, 4)


@pytest.mark.parametrize(
    "entry, value",
    [
        (b"t\x02", True),
        (b"b\xff", -1),
        (b"B\xff", 255),
        (b"s\xff\xfe", -2),
        (b"u\xff\xfe", 65534),
        (b"I\xff\xff\xff\xfe", -2),
        (b"i\xff\xff\xff\xfe", 2**32 - 2),
        (b"l\xff\xff\xff\xff\xff\xff\xff\xfe", -2),
        (b"f\x3f\xc0\x00\x00", 1.5),
        (b"d\x3f\xf8\x00\x00\x00\x00\x00\x00", 1.5),
        (b"D\x03\xff\xff\xff\xfe", Decimal("-0.002")),
        (b"S\x00\x00\x00\x01\xff", b"\xff"),
        (b"S\x00\x00\x00\x02\xc3\xa9", "é"),
        (b"x\x00\x00\x00\x01a", b"a"),
        (b"T\x00\x00\x00\x00\x00\x00\x00\x3c", datetime(1970, 1, 1, 0, 1, tzinfo=UTC)),
        (b"V", None),
        (b"A\x00\x00\x00\x02b\x01", [1]),
        (b"F\x00\x00\x00\x03\x01kV", {"k": None}),
    ],
)
def test_decode_every_type_letter(entry, value):
    decoded, offset = decode_table(table_bytes(b"\x01a" + entry), 0)
    assert decoded == {"a": value} and type(decoded["a"]) is type(value)
    assert offset == 4 + 2 + len(entry)


@pytest.mark.parametrize("letter, fmt", [(b"t", ">?"), (b"b", ">b"), (b"B", ">B")])
def test_one_octet_values_decode_as_struct_does(letter, fmt):
    """Tables look one-octet values up instead of unpacking them: every octet, same value."""
    entries = b"".join(
        b"\x02" + bytes([octet >> 4, octet & 15]) + letter + bytes([octet]) for octet in range(256)
    )
    decoded, _ = decode_table(table_bytes(entries), 0)
    for octet, value in zip(range(256), decoded.values()):
        (expected,) = struct.unpack(fmt, bytes([octet]))
        assert value == expected and type(value) is type(expected)


def test_decimal_keeps_its_scale():
    decoded = decode_table(encode_table({"a": Decimal("1.50")}), 0)[0]["a"]
    assert decoded.as_tuple() == Decimal("1.50").as_tuple()


@pytest.mark.parametrize(
    "value, scale, unscaled",
    [
        (Decimal("0E-300"), 255, 0),
        (Decimal("1." + "0" * 300), 9, 10**9),
        (Decimal("21474836470E-1"), 0, 2**31 - 1),
        (Decimal("-2147483648"), 0, -(2**31)),
        (Decimal("1E-255"), 255, 1),
        (Decimal("0E+1000000000"), 0, 0),
        (Decimal("-5E+2"), 0, -500),
    ],
)
def test_decimal_drops_trailing_zeros_only_when_needed(value, scale, unscaled):
    assert encode_table({"a": value}) == table_bytes(
        b"\x01aD" + struct.pack(">Bi", scale, unscaled)
    )


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "2147483648", "1E-256", "1E+10", "1E+1000000000"]
)
def test_unrepresentable_decimal(value):
    with pytest.raises(FieldEncodeError):
        encode_table({"a": Decimal(value)})


def test_timestamps():
    assert encode_timestamp(datetime(1970, 1, 1, 0, 1)) == 60
    assert encode_timestamp(datetime(1970, 1, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == 60
    assert encode_timestamp(60) == 60
    assert encode_timestamp(60.9) == 60
    assert decode_timestamp(60) == datetime(1970, 1, 1, 0, 1, tzinfo=UTC)
    assert decode_timestamp(60).tzinfo is UTC


def test_subclasses_encode_as_their_base():
    class Level(IntEnum):
        HIGH = 7

    table = OrderedDict(level=Level.HIGH, nested=OrderedDict(a=1))
    assert encode_table(table) == encode_table({"level": 7, "nested": {"a": 1}})


# Decoding at an offset, over bytes and memoryview


@pytest.mark.parametrize("wrap", [bytes, memoryview])
def test_decoders_read_at_offset(wrap):
    data = wrap(b"junk" + encode_shortstr("hé") + encode_longstr(b"xy") + encode_table({"a": 1}))
    value, offset = decode_shortstr(data, 4)
    assert (value, offset) == ("hé", 8)
    value, offset = decode_longstr(data, offset)
    assert (value, offset) == (b"xy", 14) and type(value) is bytes
    assert decode_table(data, offset) == ({"a": 1}, len(data))


# Round trips and pamqp interop


@given(own_tables)
def test_table_round_trip(table):
    encoded = encode_table(table)
    assert decode_table(encoded, 0) == (plain(table), len(encoded))
    assert decode_table(memoryview(b"\x00" + encoded), 1) == (plain(table), len(encoded) + 1)


@given(st.text().filter(lambda s: len(s.encode()) <= 255))
def test_shortstr_round_trip(value):
    encoded = encode_shortstr(value)
    assert encoded == pamqp_encode.short_string(value)
    assert decode_shortstr(encoded, 0) == (value, len(encoded))


@given(st.text() | st.binary())
def test_longstr_round_trip(value):
    encoded = encode_longstr(value)
    raw = value.encode() if isinstance(value, str) else value
    assert decode_longstr(encoded, 0) == (raw, len(encoded))
    if isinstance(value, str):
        assert encoded == pamqp_encode.long_string(value)


@given(shared_tables)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_pamqp_decodes_our_tables(table):
    encoded = encode_table(table)
    consumed, decoded = pamqp_decode.field_table(encoded)
    assert consumed == len(encoded)
    assert plain(decoded) == plain(table)


def for_pamqp(value):
    """pamqp sends bytearray, not bytes, as a byte array."""
    if isinstance(value, dict):
        return {key: for_pamqp(item) for key, item in value.items()}
    if isinstance(value, list):
        return [for_pamqp(item) for item in value]
    if isinstance(value, bytes):
        return bytearray(value)
    return value


@given(shared_tables)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_we_decode_pamqp_tables(table):
    encoded = pamqp_encode.field_table(for_pamqp(table))
    decoded, offset = decode_table(encoded, 0)
    assert offset == len(encoded)
    assert decoded == plain(table)


@given(pamqp_ints)
def test_we_decode_every_pamqp_integer_width(value):
    encoded = table_bytes(b"\x01k" + pamqp_encode.table_integer(value))
    assert decode_table(encoded, 0) == ({"k": value}, len(encoded))


@given(float32s)
def test_we_decode_pamqp_float32(value):
    encoded = pamqp_encode.field_table({"k": value})
    assert encoded[6:7] == b"f"
    assert decode_table(encoded, 0)[0]["k"] == value


def test_same_bytes_as_pamqp_where_type_choices_agree():
    table = {
        "a": "text",
        "b": True,
        "c": None,
        "d": Decimal("12.34"),
        "e": datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC),
        "f": {"g": ["x", False]},
    }
    assert encode_table(table) == pamqp_encode.field_table(table)
    assert encode_table({"x": b"\x01"}) == pamqp_encode.field_table({"x": bytearray(b"\x01")})


@given(timestamps)
def test_timestamp_matches_pamqp(value):
    assert struct.pack(">Q", encode_timestamp(value)) == pamqp_encode.timestamp(value)


# Bad input to encoders


def test_shortstr_too_long():
    encode_shortstr("a" * 255)
    with pytest.raises(ShortStrTooLong):
        encode_shortstr("a" * 256)
    with pytest.raises(ShortStrTooLong):
        encode_shortstr("é" * 128)
    with pytest.raises(ShortStrTooLong):
        encode_table({"k" * 256: 1})


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**100])
def test_integer_out_of_range(value):
    with pytest.raises(IntegerOutOfRange) as info:
        encode_table({"k": value})
    assert isinstance(info.value, TypeError)
    with pytest.raises(TypeError):
        encode_table({"k": [{"n": value}]})


@pytest.mark.parametrize("value", [object(), {1, 2}, 1j, datetime.now().date(), memoryview(b"")])
def test_unsupported_value(value):
    with pytest.raises(UnsupportedFieldType) as info:
        encode_table({"k": value})
    assert isinstance(info.value, TypeError)


def test_bad_keys_and_tables():
    with pytest.raises(UnsupportedFieldType):
        encode_table({1: "x"})
    with pytest.raises(UnsupportedFieldType):
        encode_table([("k", 1)])
    with pytest.raises(UnsupportedFieldType):
        encode_shortstr(5)
    with pytest.raises(UnsupportedFieldType):
        encode_longstr(None)


def test_unencodable_text():
    with pytest.raises(FieldEncodeError):
        encode_shortstr("\ud800")
    with pytest.raises(FieldEncodeError):
        encode_table({"k": "\ud800"})


@pytest.mark.parametrize("value", [-1, datetime(1969, 12, 31), 2**64])
def test_timestamp_out_of_range(value):
    with pytest.raises(IntegerOutOfRange):
        encode_timestamp(value)


@pytest.mark.parametrize("value", ["2020", None, True])
def test_timestamp_wrong_type(value):
    with pytest.raises(UnsupportedFieldType):
        encode_timestamp(value)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_timestamp_not_finite(value):
    with pytest.raises(FieldEncodeError):
        encode_timestamp(value)


def test_encoding_nesting_limit():
    value = None
    for _ in range(wire.MAX_NESTING):
        value = [value]
    encode_table({"k": value})
    with pytest.raises(FieldEncodeError):
        encode_table({"k": [value]})
    loop = []
    loop.append(loop)
    with pytest.raises(FieldEncodeError):
        encode_table({"k": loop})


# Bad input to decoders


def nested_arrays(depth: int) -> bytes:
    entry = b"V"
    for _ in range(depth):
        entry = b"A" + table_bytes(entry)
    return table_bytes(b"\x01k" + entry)


def test_decoding_nesting_limit():
    decode_table(nested_arrays(wire.MAX_NESTING), 0)
    with pytest.raises(AmqpDecodeError):
        decode_table(nested_arrays(wire.MAX_NESTING + 1), 0)
    with pytest.raises(AmqpDecodeError):
        decode_table(nested_arrays(10_000), 0)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00",
        b"\x00\x00\x00\x05\x01k",  # declared longer than the data
        table_bytes(b"\x01kZ"),  # unknown type letter
        table_bytes(b"\x01kL\x00\x00\x00\x00\x00\x00\x00\x00"),  # not a RabbitMQ letter
        table_bytes(b"\x01kI\x00"),  # value cut short inside the table
        table_bytes(b"\x01k"),  # key without value
        table_bytes(b"\x05k"),  # key longer than the table
        table_bytes(b"\x02\xff\xfeV"),  # key is not UTF-8
        table_bytes(b"\x01kS\xff\xff\xff\xff"),  # string longer than the data
        table_bytes(b"\x01kA\x00\x00\x00\x01"),  # array longer than the data
        table_bytes(b"\x01kF\x00\x00\x00\x02") + b"\x00\x00",  # inner table overruns outer
    ],
)
def test_corrupt_tables(data):
    with pytest.raises(AmqpDecodeError):
        decode_table(data, 0)


def test_corrupt_strings():
    for data in [b"", b"\x02a", b"\x02\xff\xfe"]:
        with pytest.raises(AmqpDecodeError):
            decode_shortstr(data, 0)
    for data in [b"", b"\x00\x00\x00", b"\x00\x00\x00\x02a"]:
        with pytest.raises(AmqpDecodeError):
            decode_longstr(data, 0)
    with pytest.raises(AmqpDecodeError):
        decode_shortstr(b"\x01a", 2)


def test_timestamp_beyond_datetime_stays_a_number():
    assert decode_timestamp(2**64 - 1) == 2**64 - 1


def decode_or_protocol_error(decoder, data, offset=0):
    try:
        decoder(data, offset)
    except AmqpDecodeError:
        pass


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 8))
def test_fuzz_random_bytes(data, offset):
    for buf in (data, memoryview(data)):
        for decoder in (decode_table, decode_shortstr, decode_longstr):
            decode_or_protocol_error(decoder, buf, offset)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_random_table_body(entries):
    decode_or_protocol_error(decode_table, table_bytes(entries))


@FUZZ
@given(own_tables, st.data())
def test_fuzz_truncated_table(table, data):
    encoded = encode_table(table)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(AmqpDecodeError):
        decode_table(encoded[:cut], 0)


@FUZZ
@given(own_tables.filter(bool), st.data())
def test_fuzz_mutated_table(table, data):
    encoded = bytearray(encode_table(table))
    for _ in range(data.draw(st.integers(1, 4))):
        encoded[data.draw(st.integers(0, len(encoded) - 1))] = data.draw(st.integers(0, 255))
    decode_or_protocol_error(decode_table, bytes(encoded))
    decode_or_protocol_error(decode_table, memoryview(encoded))
