"""Hostile bytes in, and bad values out.

Decoders (every method, the basic properties, the frame parser) get random, truncated and
mutated input; they may only raise AmqpProtocolError subclasses, and must answer promptly.
Encoders refuse bad values with aioamqp's own exceptions, before any byte is produced.
"""

import struct
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).parents[2]
if str(REPO) not in sys.path:  # codegen is a development tool, not an installed package
    sys.path.insert(0, str(REPO))

from aioamqp._generated.channel_methods import ChannelMethods  # noqa: E402
from aioamqp._generated import methods as generated  # noqa: E402
from aioamqp._generated.methods import METHODS, BasicAck, BasicQos, QueueDeclare  # noqa: E402
from aioamqp._generated.properties import (  # noqa: E402
    BasicProperties,
    decode_basic_header,
    decode_basic_properties,
    encode_basic_properties,
)
from aioamqp.exceptions import (  # noqa: E402
    AmqpDecodeError,
    AmqpProtocolError,
    CommandInvalid,
    FieldEncodeError,
    FrameError,
    IntegerOutOfRange,
    ShortStrTooLong,
    UnknownProperty,
    UnsupportedFieldType,
)
from aioamqp.frames import FrameParser, method_frame  # noqa: E402
from support import read_frames  # noqa: E402
from codegen.model import load  # noqa: E402

SPEC = load(REPO / "spec" / "amqp0-9-1.xml")
SPEC_METHODS = {m.index: m for m in SPEC.methods}
(BASIC,) = [c for c in SPEC.classes if c.name == "basic"]
INDEXES = sorted(METHODS)
UTC = timezone.utc

FUZZ = settings(
    max_examples=60,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
method_ids = pytest.mark.parametrize("index", INDEXES, ids=lambda i: METHODS[i].NAME)


def head(index: int) -> bytes:
    return struct.pack(">I", index)  # class id and method id


# Valid values, over the whole range we accept

BITS = {"octet": 8, "short": 16, "long": 32, "longlong": 64}
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.builds(
        lambda unscaled, scale: Decimal(f"{unscaled}E-{scale}"),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(0, 255),
    ),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.datetimes(min_value=datetime(1970, 1, 2), timezones=st.none() | st.just(UTC)).map(
        lambda dt: dt.replace(microsecond=0)
    ),
    st.none(),
)
tables = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    ),
    max_size=4,
)
shortstrs = st.text(max_size=20) | st.text(alphabet="x", min_size=255, max_size=255)
VALUES = {
    "bit": st.booleans(),
    "shortstr": shortstrs,
    "longstr": st.binary(max_size=64),
    "table": st.none() | tables,
    "timestamp": st.datetimes(min_value=datetime(1970, 1, 2), timezones=st.just(UTC)).map(
        lambda dt: dt.replace(microsecond=0)
    ),
    **{wire: st.integers(0, 2**bits - 1) for wire, bits in BITS.items()},
}


def valid_methods(index: int):
    args = {f.name: VALUES[f.wire] for f in SPEC_METHODS[index].arguments}
    return st.fixed_dictionaries(args).map(lambda kwargs: METHODS[index](**kwargs))


valid_properties = st.fixed_dictionaries(
    {}, optional={f.name: VALUES[f.wire] for f in BASIC.properties}
).map(lambda kwargs: BasicProperties(**kwargs))


@st.composite
def mutations(draw, valid: bytes) -> bytes:
    """valid with 1 to 4 bytes flipped, overwritten, inserted or deleted."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete"]))
        if op == "insert" or not data:
            data.insert(draw(st.integers(0, len(data))), draw(st.integers(0, 255)))
            continue
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xCE, 0xFF]))
        else:
            del data[at]
    return bytes(data)


# Contract checks


# Bytes that follow a frame's payload in a read, as the parser hands decoders the whole read.
NEXT_FRAME = b"\xce" + b"\x01\x00\x01\x00\x00\x00\xff" + bytes(range(256))


CONTENT_HEADER_START = struct.pack(">HHQ", 60, 0, 5)  # class id, weight, body size


def decode_all_ways(decode, payload: bytes):
    """Decode as bytes, as a memoryview and in place inside a longer read: the same value,
    or AmqpDecodeError from all three."""
    results = []
    read = b"\x02\x00\x01" + payload + NEXT_FRAME
    for args in ((payload,), (memoryview(payload),), (read, 3, 3 + len(payload))):
        try:
            results.append(decode(*args))
        except AmqpProtocolError as exc:
            assert isinstance(exc, AmqpDecodeError), repr(exc)
            results.append(type(exc))
    assert results[0] == results[1] == results[2]
    return results[0]


def decode_method(index: int, payload: bytes):
    """Through the entry point, as the frame reader decodes, and through the class's decode:
    the same method of that class, or AmqpDecodeError from both."""
    result = decode_all_ways(generated.decode_method, payload)
    assert decode_all_ways(METHODS[index].decode, payload) == result
    assert result is AmqpDecodeError or type(result) is METHODS[index], result
    return result


def decode_properties(payload: bytes):
    """As a content header (all three ways), and alone: the same properties either way."""
    header = decode_all_ways(decode_basic_header, CONTENT_HEADER_START + payload)
    try:
        alone = decode_basic_properties(payload)
    except AmqpProtocolError as exc:
        assert isinstance(exc, AmqpDecodeError), repr(exc)
        alone = type(exc)
    assert header == (alone if isinstance(alone, type) else (5, alone))
    return alone


def feed_all(parser: FrameParser, chunks) -> list:
    """Feed until done or a FrameError; every frame returned is well formed."""
    frames = []
    try:
        for chunk in chunks:
            frames += parser.feed(chunk)
    except AmqpProtocolError as exc:
        assert isinstance(exc, FrameError), repr(exc)
    for frame_type, channel_id, buf, start, end in frames:
        assert 0 <= frame_type <= 255 and 0 <= channel_id <= 0xFFFF
        assert type(buf) is bytes and 0 <= start <= end < len(buf) and buf[end] == 0xCE
        if parser.frame_max:
            assert end - start + 8 <= parser.frame_max
    return [
        (frame_type, channel_id, buf[start:end])
        for frame_type, channel_id, buf, start, end in frames
    ]
    return frames


# Method decoders


@method_ids
@FUZZ
@given(args=st.binary(max_size=300))
def test_method_decoder_random_bytes(index, args):
    decode_method(index, head(index) + args)


@method_ids
@FUZZ
@given(data=st.data())
def test_method_decoder_every_truncation(index, data):
    method = data.draw(valid_methods(index))
    payload = method.encode()
    assert decode_method(index, payload).encode() == payload
    for size in range(len(payload)):
        result = decode_method(index, payload[:size])
        if METHODS[index].__slots__:  # a method with fields notices missing bytes
            assert result is AmqpDecodeError, (size, result)


@method_ids
@FUZZ
@given(data=st.data())
def test_method_decoder_mutations(index, data):
    args = data.draw(valid_methods(index)).encode()[4:]
    decode_method(index, head(index) + data.draw(mutations(args)))


# The entry point: ids and dispatch


@pytest.mark.parametrize(
    "ids",
    [struct.pack(">HH", 50, 99), struct.pack(">HH", 99, 10), b"\xff\xff\xff\xff"],
    ids=["unknown-method-of-queue", "unknown-class", "all-ones"],
)
def test_unknown_ids_are_command_invalid(ids):
    for args in ((ids,), (memoryview(ids + b"\x00" * 8),), (b"\x01" + ids + b"\xce", 1, 5)):
        with pytest.raises(CommandInvalid) as info:
            generated.decode_method(*args)
        assert info.value.reply_code == 503


@pytest.mark.parametrize("size", range(4))
def test_payload_too_short_for_its_ids(size):
    """Checked against the frame's end, not the buffer's: in place inside a longer read, the
    bytes after the frame must not be taken for the rest of the ids."""
    payload = head(BasicAck.INDEX)[:size]
    for args in ((payload,), (payload + NEXT_FRAME, 0, size)):
        with pytest.raises(AmqpDecodeError):
            generated.decode_method(*args)


def test_class_decode_refuses_another_methods_payload():
    payload = BasicAck(delivery_tag=5).encode()
    assert generated.decode_method(payload) == BasicAck(delivery_tag=5)
    with pytest.raises(AmqpDecodeError, match="basic.qos expected"):
        BasicQos.decode(payload)


@FUZZ
@given(payload=st.binary(max_size=64))
def test_entry_point_random_ids_and_arguments(payload):
    try:
        method = generated.decode_method(payload)
    except AmqpProtocolError as exc:
        assert isinstance(exc, (AmqpDecodeError, CommandInvalid)), repr(exc)
    else:
        assert method.INDEX == struct.unpack_from(">I", payload)[0]


# Properties decoder


@FUZZ
@given(payload=st.binary(max_size=400))
def test_properties_random_bytes(payload):
    decode_properties(payload)


@FUZZ
@given(flags=st.integers(0, 0xFFFF), rest=st.binary(max_size=300))
def test_properties_random_values_behind_every_flag_word(flags, rest):
    decode_properties(struct.pack(">H", flags) + rest)


@FUZZ
@given(props=valid_properties)
def test_properties_every_truncation(props):
    payload = encode_basic_properties(props)
    assert encode_basic_properties(decode_properties(payload)) == payload
    for size in range(len(payload)):
        assert decode_properties(payload[:size]) is AmqpDecodeError, size


@FUZZ
@given(data=st.data())
def test_properties_mutations(data):
    payload = encode_basic_properties(data.draw(valid_properties))
    decode_properties(data.draw(mutations(payload)))


# Hostile tables: nesting, lengths, bad text


def nested(depth: int, kind: bytes) -> bytes:
    """A table holding depth levels of nested tables (F) or arrays (A)."""
    inner = b""
    for _ in range(depth):
        if kind == b"F":
            inner = b"\x01k" + b"F" + struct.pack(">I", len(inner)) + inner
        else:
            inner = b"A" + struct.pack(">I", len(inner)) + inner
    if kind == b"A":
        inner = b"\x01k" + inner
    return struct.pack(">I", len(inner)) + inner


@pytest.mark.parametrize("kind", [b"F", b"A"])
@pytest.mark.parametrize("depth", [200, 5000, 50000])
def test_deep_nesting_is_refused_not_recursed(kind, depth):
    queue_declare = head(QueueDeclare.INDEX) + b"\x00\x00\x00" + b"\x00" + nested(depth, kind)
    assert decode_method(QueueDeclare.INDEX, queue_declare) is AmqpDecodeError
    properties = b"\x20\x00" + nested(depth, kind)  # headers only
    assert decode_properties(properties) is AmqpDecodeError


@pytest.mark.parametrize(
    "table",
    [
        b"\xff\xff\xff\xff",  # 4 GiB claimed
        b"\x00\x00\x00\x05\x01k",  # entry cut short
        b"\x00\x00\x00\x03\x01kZ",  # unknown field type
        b"\x00\x00\x00\x07\x01kS\xff\xff\xff\xff",  # 4 GiB string
        b"\x00\x00\x00\x03\x01\xffV",  # key not UTF-8
        b"\x00\x00\x00\x03\x05kV",  # key runs past the table
        b"\x00\x00\x00\x0a\x01kT\xff\xff\xff\xff\xff\xff\xff",  # timestamp truncated
        b"\x00\x00\x00\x08\x01kA\xff\xff\xff\xf0",  # array longer than the table
    ],
)
def test_hostile_tables(table):
    payload = head(QueueDeclare.INDEX) + b"\x00\x00\x00" + b"\x00" + table
    assert decode_method(QueueDeclare.INDEX, payload) is AmqpDecodeError
    assert decode_properties(b"\x20\x00" + table) is AmqpDecodeError


def test_bad_utf8_shortstr():
    bad_name = head(QueueDeclare.INDEX) + b"\x00\x00" + b"\x01\xff" + b"\x00" + b"\x00" * 4
    assert decode_method(QueueDeclare.INDEX, bad_name) is AmqpDecodeError
    assert decode_properties(b"\x80\x00\x02\xc3\x28") is AmqpDecodeError  # content_type


def test_timestamp_beyond_datetime_stays_a_number():
    """A publisher that wrote milliseconds must not break the consumer's connection."""
    assert decode_properties(b"\x00\x40" + b"\xff" * 8).timestamp == 2**64 - 1
    table = b"\x00\x00\x00\x0b\x01kT" + b"\xff" * 8
    assert decode_properties(b"\x20\x00" + table).headers == {"k": 2**64 - 1}


def test_huge_longstr_claim_is_refused():
    """A 4 GiB longstr claim in 64 bytes is refused at once, not allocated."""
    secure = head(0x000A0014) + b"\xff\xff\xff\xff" + b"x" * 60  # connection.secure
    assert decode_method(0x000A0014, secure) is AmqpDecodeError


# Frame parser


frame_maxes = st.sampled_from([0, 8, 9, 4096, 131072]) | st.integers(0, 600)


@FUZZ
@given(chunks=st.lists(st.binary(max_size=80), max_size=12), frame_max=frame_maxes)
def test_frame_parser_random_bytes(chunks, frame_max):
    feed_all(FrameParser(frame_max), chunks)


frames = st.lists(
    st.tuples(st.integers(1, 8), st.integers(0, 0xFFFF), st.binary(max_size=200)), max_size=6
)


def serialize(frame_list) -> bytes:
    return b"".join(struct.pack(">BHI", t, c, len(p)) + p + b"\xce" for t, c, p in frame_list)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@FUZZ
@given(frame_list=frames, cuts=st.lists(st.integers(0, 1500), max_size=10))
def test_frame_parser_any_split_gives_the_frames(frame_list, cuts):
    data = serialize(frame_list)
    got = feed_all(FrameParser(0), split(data, cuts))
    assert got == frame_list


@FUZZ
@given(data=st.data(), frame_list=frames, frame_max=frame_maxes)
def test_frame_parser_mutated_stream(data, frame_list, frame_max):
    stream = data.draw(mutations(serialize(frame_list)))
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    feed_all(FrameParser(frame_max), split(stream, cuts))


@FUZZ
@given(data=st.data(), frame_list=frames, frame_max=frame_maxes)
def test_frame_reader_agrees_with_the_parser_on_mutated_streams(data, frame_list, frame_max):
    """The client's read buffer (FrameReader) against FrameParser, on the same cut stream:
    the same frames, or both refuse it (frames before the refusal may differ by the reads
    that were cut further)."""
    stream = data.draw(mutations(serialize(frame_list)))
    chunks = split(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    parser = FrameParser(frame_max)
    parsed, refused = [], False
    try:
        for chunk in chunks:
            parsed += [(t, c, bytes(buf[a:b])) for t, c, buf, a, b in parser.feed(chunk)]
    except FrameError:
        refused = True
    got, error = read_frames(frame_max, chunks)
    assert error in (None, FrameError), error
    reader_refused = error is not None
    assert reader_refused == refused
    if refused:
        shorter, longer = sorted((parsed, got), key=len)
        assert longer[: len(shorter)] == shorter
    else:
        assert got == parsed


@FUZZ
@given(frame_list=frames, cuts=st.lists(st.integers(0, 1500), max_size=10))
def test_frame_reader_any_split_gives_the_frames(frame_list, cuts):
    data = serialize(frame_list)
    assert read_frames(0, split(data, cuts)) == (frame_list, None)


def test_frame_parser_waits_for_a_huge_claim_without_buffering_it_twice():
    parser = FrameParser(0)
    assert parser.feed(b"\x01\x00\x01\xff\xff\xff\xff") == []
    for _ in range(2000):
        assert parser.feed(b"\x00" * 1024) == []


def test_frame_parser_refuses_huge_claim_over_frame_max():
    with pytest.raises(FrameError):
        FrameParser(131072).feed(b"\x01\x00\x01\xff\xff\xff\xff")


def test_frame_parser_refuses_bad_frame_end():
    with pytest.raises(FrameError) as info:
        FrameParser(0).feed(b"\x01\x00\x01\x00\x00\x00\x00\xcf")
    assert info.value.reply_code == 501


# Bad values on encode


def fields_of(wires):
    return [
        pytest.param(index, f.name, f.wire, id=f"{METHODS[index].NAME}.{f.name}")
        for index in INDEXES
        for f in SPEC_METHODS[index].arguments
        if f.wire in wires
    ]


@pytest.mark.parametrize("index, name, wire", fields_of({"shortstr"}))
@pytest.mark.parametrize("value", ["a" * 256, "é" * 128, b"\x00" * 256])
def test_shortstr_too_long(index, name, wire, value):
    with pytest.raises(ShortStrTooLong):
        METHODS[index](**{name: value}).encode()
    METHODS[index](**{name: value[:255] if isinstance(value, bytes) else "a" * 255}).encode()


@pytest.mark.parametrize("index, name, wire", fields_of(set(BITS)))
def test_integer_out_of_range(index, name, wire):
    top = 2 ** BITS[wire] - 1
    payload = METHODS[index](**{name: top}).encode()
    assert getattr(METHODS[index].decode(payload), name) == top
    for value in (-1, top + 1, 2**64):
        with pytest.raises(IntegerOutOfRange) as info:
            METHODS[index](**{name: value}).encode()
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, FieldEncodeError)


@pytest.mark.parametrize("index, name, wire", fields_of({"table"}))
@pytest.mark.parametrize(
    "table",
    [{"k": object()}, {"k": [1, {"deep": object()}]}, {1: "int key"}, {"k": {1, 2}}, [("k", 1)]],
    ids=["object", "nested-object", "int-key", "set", "not-a-mapping"],
)
def test_unsupported_table_value(index, name, wire, table):
    with pytest.raises(UnsupportedFieldType) as info:
        METHODS[index](**{name: table}).encode()
    assert isinstance(info.value, TypeError)


def test_named_examples():
    with pytest.raises(IntegerOutOfRange) as info:
        BasicQos(prefetch_count=70000).encode()
    assert isinstance(info.value, TypeError)
    with pytest.raises(IntegerOutOfRange) as info:
        BasicAck(delivery_tag=-1).encode()
    assert isinstance(info.value, TypeError)
    with pytest.raises(ShortStrTooLong):
        QueueDeclare(queue_name="q" * 256).encode()
    with pytest.raises(UnsupportedFieldType):
        QueueDeclare(queue_name="q", arguments={"x-thing": object()}).encode()


@pytest.mark.parametrize(
    "props, error",
    [
        ({"bogus": 1}, UnknownProperty),
        ({"content_type": "x", "bogus": None}, UnknownProperty),
        ({"type": "x"}, UnknownProperty),  # the spec name; ours is message_type
        ({"content_type": "a" * 256}, ShortStrTooLong),
        ({"delivery_mode": 256}, IntegerOutOfRange),
        ({"priority": -1}, IntegerOutOfRange),
        ({"timestamp": -1}, IntegerOutOfRange),
        ({"timestamp": datetime(1969, 12, 31, tzinfo=UTC)}, IntegerOutOfRange),
        ({"headers": {"k": object()}}, UnsupportedFieldType),
        ({"message_id": 12}, UnsupportedFieldType),
    ],
)
def test_bad_properties(props, error):
    with pytest.raises(error) as info:
        encode_basic_properties(props)
    assert isinstance(info.value, FieldEncodeError)
    if error is not ShortStrTooLong:
        assert isinstance(info.value, TypeError)


class RecordingChannel(ChannelMethods):
    """Encodes as the real channel does, and records every frame it would write."""

    def __init__(self):
        self.written = []

    async def _rpc(self, method, *, no_wait=False, timeout=None):
        self.written.append(method_frame(1, method.encode()))
        return None

    async def _write_payload(self, payload, name):
        self.written.append(method_frame(1, payload))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda ch: ch.basic_qos(prefetch_count=70000), IntegerOutOfRange),
        (lambda ch: ch.basic_client_ack(delivery_tag=-1), IntegerOutOfRange),
        (lambda ch: ch.queue_declare("q" * 256), ShortStrTooLong),
        (lambda ch: ch.exchange_declare("x", arguments={"a": object()}), UnsupportedFieldType),
    ],
)
async def test_bad_values_raise_before_anything_is_written(call, error):
    channel = RecordingChannel()
    with pytest.raises(error):
        await call(channel)
    assert channel.written == []
