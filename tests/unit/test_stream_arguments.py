"""aioamqp.streams: the x-stream-offset values and stream queue arguments, as the bytes a
consumer's or a declaration's field table carries, and what is refused before sending."""

import struct
from datetime import datetime, timedelta, timezone
from enum import IntEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioamqp import streams
from aioamqp._generated import methods as m
from aioamqp.exceptions import FieldEncodeError, IntegerOutOfRange, UnsupportedFieldType
from aioamqp.wire import decode_table, encode_table

UTC = timezone.utc
KEY = b"\x0fx-stream-offset"  # shortstr: length 15, then the name


def offset_entry(value):
    """The table entry (key, type letter, value) basic.consume sends for streams.offset(value)."""
    table = encode_table({"x-stream-offset": streams.offset(value)})
    (size,) = struct.unpack(">I", table[:4])
    assert size == len(table) - 4 and table[4:20] == KEY
    return table[20:]


# Exact bytes of each kind of offset


@pytest.mark.parametrize("position", ["first", "last", "next"])
def test_positions_are_long_strings(position):
    assert offset_entry(position) == b"S" + struct.pack(">I", len(position)) + position.encode()


@pytest.mark.parametrize(
    "number, entry",
    [
        (0, b"I\x00\x00\x00\x00"),
        (127, b"I\x00\x00\x00\x7f"),
        (128, b"I\x00\x00\x00\x80"),
        (255, b"I\x00\x00\x00\xff"),
        (256, b"I\x00\x00\x01\x00"),
        (299, b"I\x00\x00\x01\x2b"),
        (2**31 - 1, b"I\x7f\xff\xff\xff"),
        (2**31, b"l\x00\x00\x00\x00\x80\x00\x00\x00"),
        (2**32, b"l\x00\x00\x00\x01\x00\x00\x00\x00"),
        (2**63 - 1, b"l\x7f\xff\xff\xff\xff\xff\xff\xff"),
    ],
)
def test_numbers_are_signed_integers(number, entry):
    assert offset_entry(number) == entry


def test_128_to_255_are_never_sent_as_one_octet():
    """The bug of another codec (aio-pika issue 487): 128..255 packed into one octet that the
    broker read as signed, so -128..-1, which RabbitMQ treats as "first". Here each of them is
    an int32 whose signed value is the number itself."""
    for number in range(128, 256):
        entry = offset_entry(number)
        assert entry[:1] == b"I" and struct.unpack(">i", entry[1:]) == (number,)


@given(st.integers(0, 2**63 - 1))
def test_every_number_reads_back_as_itself(number):
    entry = offset_entry(number)
    letter, fmt = (b"I", ">i") if number < 2**31 else (b"l", ">q")
    assert entry[:1] == letter and struct.unpack(fmt, entry[1:]) == (number,)
    table = encode_table({"x-stream-offset": streams.offset(number)})
    assert decode_table(table, 0) == ({"x-stream-offset": number}, len(table))


def test_datetime_is_a_timestamp_in_whole_seconds():
    moment = datetime(2024, 5, 1, 12, 0, 30, 999_999, tzinfo=UTC)
    assert streams.offset(moment) == datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    assert offset_entry(moment) == b"T" + struct.pack(">Q", 1714564830)


def test_datetime_in_another_zone_is_the_same_instant():
    paris = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 14, 0, 30, tzinfo=paris)
    assert streams.offset(moment) == datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    assert streams.offset(moment).tzinfo is UTC
    assert offset_entry(moment) == b"T" + struct.pack(">Q", 1714564830)


@pytest.mark.parametrize(
    "value, text",
    [
        ("7D", "7D"),
        ("90s", "90s"),
        ("1Y", "1Y"),
        ("12M", "12M"),
        ("15m", "15m"),
        ("2h", "2h"),
        ("01h", "01h"),
        (timedelta(hours=1), "3600s"),
        (timedelta(seconds=90, microseconds=900_000), "90s"),
    ],
)
def test_intervals_are_long_strings(value, text):
    assert streams.offset(value) == text
    assert offset_entry(value) == b"S" + struct.pack(">I", len(text)) + text.encode()


def test_int_subclasses_are_numbers():
    class Mark(IntEnum):
        START = 128

    assert offset_entry(Mark.START) == b"I\x00\x00\x00\x80"


def test_consume_method_carries_the_offset():
    """The whole basic.consume payload, decoded back: the argument arrives as sent."""
    arguments = {"x-stream-offset": streams.offset(200)}
    payload = m.BasicConsume("events", "ctag", False, False, False, False, arguments).encode()
    assert payload.endswith(b"\x00" + struct.pack(">I", 21) + KEY + b"I\x00\x00\x00\xc8")
    assert m.BasicConsume.decode(payload).arguments == {"x-stream-offset": 200}


@pytest.mark.parametrize("number", [0, 127, 128, 200, 255, 256, 2**31, 2**63 - 1])
def test_delivery_header_reads_positive(number):
    """RabbitMQ puts each delivery's offset in its headers as a signed 64-bit 'l'."""
    header = struct.pack(">I", 25) + KEY + b"l" + struct.pack(">q", number)
    assert decode_table(header, 0) == ({"x-stream-offset": number}, len(header))


# Refused before anything is sent


@pytest.mark.parametrize(
    "value, error",
    [
        (-1, IntegerOutOfRange),
        (2**63, IntegerOutOfRange),
        (True, UnsupportedFieldType),
        (1.5, UnsupportedFieldType),
        (None, UnsupportedFieldType),
        (b"first", UnsupportedFieldType),
        ("bogus", FieldEncodeError),
        ("First", FieldEncodeError),
        ("", FieldEncodeError),
        ("0h", FieldEncodeError),
        ("h", FieldEncodeError),
        ("1.5h", FieldEncodeError),
        ("1 h", FieldEncodeError),
        ("1d", FieldEncodeError),
        ("\uff11h", FieldEncodeError),  # a fullwidth digit: RabbitMQ reads ASCII only
        (datetime(2024, 5, 1), FieldEncodeError),  # naive
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), IntegerOutOfRange),
        (timedelta(milliseconds=999), FieldEncodeError),
        (timedelta(hours=-1), FieldEncodeError),
    ],
)
def test_refused_offsets(value, error):
    with pytest.raises(error):
        streams.offset(value)


def test_refusals_are_value_or_type_errors():
    with pytest.raises(ValueError):
        streams.offset("bogus")
    with pytest.raises(TypeError):
        streams.offset(-1)
    with pytest.raises(TypeError):
        streams.offset(1.5)


# Declaring a stream


def test_stream_arguments_alone_name_the_queue_type():
    assert streams.stream_arguments() == {"x-queue-type": "stream"}
    assert encode_table(streams.stream_arguments()) == (
        struct.pack(">I", 24) + b"\x0cx-queue-type" + b"S\x00\x00\x00\x06stream"
    )


def test_stream_arguments_with_every_option():
    arguments = streams.stream_arguments(
        max_length_bytes=20_000_000_000,
        max_age=timedelta(days=7),
        max_segment_size_bytes=100_000_000,
        initial_cluster_size=3,
    )
    assert arguments == {
        "x-queue-type": "stream",
        "x-max-length-bytes": 20_000_000_000,
        "x-max-age": "604800s",
        "x-stream-max-segment-size-bytes": 100_000_000,
        "x-initial-cluster-size": 3,
    }
    assert streams.stream_arguments(max_age="7D")["x-max-age"] == "7D"
    decoded, _ = decode_table(encode_table(arguments), 0)
    assert decoded == arguments


@pytest.mark.parametrize(
    "options, error",
    [
        ({"max_length_bytes": -1}, IntegerOutOfRange),
        ({"max_length_bytes": 1.0e9}, UnsupportedFieldType),
        ({"max_length_bytes": True}, UnsupportedFieldType),
        ({"max_age": "7 days"}, FieldEncodeError),
        ({"max_age": timedelta(0)}, FieldEncodeError),
        ({"max_age": 3600}, FieldEncodeError),
        ({"max_segment_size_bytes": 0}, IntegerOutOfRange),
        ({"initial_cluster_size": 0}, IntegerOutOfRange),
        ({"initial_cluster_size": 2**63}, IntegerOutOfRange),
    ],
)
def test_refused_stream_arguments(options, error):
    with pytest.raises(error):
        streams.stream_arguments(**options)
