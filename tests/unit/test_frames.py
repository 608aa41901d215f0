"""Frame parser and writers: splits, coalescing, large frames, limits, interop with pamqp."""

import ctypes
import struct
from array import array
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pamqp import commands as pamqp_commands
from pamqp import frame as pamqp_frame
from pamqp import header as pamqp_header
from pamqp import heartbeat as pamqp_heartbeat

from aioamqp import frames
from aioamqp._generated import methods as m
from aioamqp.exceptions import AmqpProtocolError, FrameError
from aioamqp.frames import (
    HEARTBEAT_FRAME,
    PROTOCOL_HEADER,
    FrameParser,
    byte_view,
    message_frames,
    method_frame,
    publish_frame_parts,
    publish_frames,
    retag_ack_frame,
)

from support import body_frames, header_frame

FUZZ = settings(max_examples=300, deadline=timedelta(seconds=1))
FRAME_MAX = 4096
BASIC = 60


def publish_method_payload() -> bytes:
    method = pamqp_commands.Basic.Publish(exchange="ex", routing_key="rk")
    return struct.pack(">I", method.index) + method.marshal()


def properties_payload() -> bytes:
    return pamqp_commands.Basic.Properties(content_type="text/plain").marshal()


def feed(parser: FrameParser, data: bytes) -> list[tuple[int, int, bytes]]:
    """The parser's frames with each payload cut out of the buffer, for comparing."""
    frames = parser.feed(data)
    for _, _, buf, start, end in frames:
        assert type(buf) is bytes and 0 <= start <= end < len(buf) and buf[end] == 0xCE
    return [
        (frame_type, channel, buf[start:end]) for frame_type, channel, buf, start, end in frames
    ]


def sample_stream() -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """Wire bytes of a delivery and a heartbeat, with the frames the parser must return."""
    method = publish_method_payload()
    header = struct.pack(">HHQ", BASIC, 0, 5) + properties_payload()
    frames = [(1, 3, method), (2, 3, header), (3, 3, b"hello"), (8, 0, b"")]
    data = b"".join(struct.pack(">BHI", t, c, len(p)) + p + b"\xce" for t, c, p in frames)
    return data, frames


def test_constants():
    assert PROTOCOL_HEADER == pamqp_header.ProtocolHeader().marshal() == b"AMQP\x00\x00\x09\x01"
    assert HEARTBEAT_FRAME == pamqp_frame.marshal(pamqp_heartbeat.Heartbeat(), 0)


def test_writers_exact_bytes():
    assert (
        method_frame(1, b"\x00\x0a\x00\x0b") == b"\x01\x00\x01\x00\x00\x00\x04\x00\x0a\x00\x0b\xce"
    )
    assert header_frame(2, BASIC, 5, b"\x00\x00") == (
        b"\x02\x00\x02\x00\x00\x00\x0e\x00\x3c\x00\x00" + struct.pack(">Q", 5) + b"\x00\x00\xce"
    )
    assert body_frames(7, b"ab", FRAME_MAX) == b"\x03\x00\x07\x00\x00\x00\x02ab\xce"
    assert body_frames(7, b"", FRAME_MAX) == b""


def test_writers_match_pamqp():
    method = pamqp_commands.Basic.Publish(exchange="ex", routing_key="rk")
    assert method_frame(5, publish_method_payload()) == pamqp_frame.marshal(method, 5)
    content_header = pamqp_header.ContentHeader(
        body_size=11, properties=pamqp_commands.Basic.Properties(content_type="text/plain")
    )
    assert header_frame(5, BASIC, 11, properties_payload()) == pamqp_frame.marshal(
        content_header, 5
    )


def test_publish_frames_is_method_header_and_body_frames():
    method, properties, body = publish_method_payload(), properties_payload(), b"x" * 10_000
    expected = (
        method_frame(9, method)
        + header_frame(9, BASIC, len(body), properties)
        + body_frames(9, body, FRAME_MAX)
    )
    assert publish_frames(9, method, properties, body, FRAME_MAX) == expected


def test_pamqp_reads_published_message():
    data = publish_frames(4, publish_method_payload(), properties_payload(), b"hi", FRAME_MAX)
    consumed, channel, method = pamqp_frame.unmarshal(data)
    assert (channel, method.exchange, method.routing_key) == (4, "ex", "rk")
    data = data[consumed:]
    consumed, channel, content_header = pamqp_frame.unmarshal(data)
    assert (channel, content_header.body_size) == (4, 2)
    assert content_header.properties.content_type == "text/plain"
    consumed, channel, content_body = pamqp_frame.unmarshal(data[consumed:])
    assert (channel, content_body.value) == (4, b"hi")


@pytest.mark.parametrize("body_size", range(FRAME_MAX - 9, FRAME_MAX + 10))
def test_body_split_at_frame_max(body_size):
    body = bytes(range(256)) * (body_size // 256) + bytes(body_size % 256)
    data = publish_frames(1, publish_method_payload(), properties_payload(), body, FRAME_MAX)
    frames = feed(FrameParser(FRAME_MAX), data)
    assert [frame_type for frame_type, _, _ in frames[:2]] == [1, 2]
    chunks = [payload for frame_type, _, payload in frames[2:] if frame_type == 3]
    assert len(chunks) == len(frames) - 2
    assert b"".join(chunks) == body
    assert all(len(chunk) == FRAME_MAX - 8 for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) <= FRAME_MAX - 8
    assert len(chunks) == -(-body_size // (FRAME_MAX - 8))


def test_empty_body_has_no_body_frame():
    data = publish_frames(1, publish_method_payload(), properties_payload(), b"", FRAME_MAX)
    assert [frame_type for frame_type, _, _ in feed(FrameParser(FRAME_MAX), data)] == [1, 2]


def test_unlimited_frame_max_sends_one_body_frame():
    body = b"z" * 100_000
    frames = feed(FrameParser(0), body_frames(1, body, 0))
    assert frames == [(3, 1, body)]


def test_body_may_be_bytearray_or_memoryview():
    body = b"q" * 5000
    expected = body_frames(1, body, FRAME_MAX)
    assert body_frames(1, bytearray(body), FRAME_MAX) == expected
    assert body_frames(1, memoryview(body), FRAME_MAX) == expected


# Bodies are measured in bytes whatever their buffer's items: len() of a memoryview counts
# items, so array('i') of 1,000 items (4,000 bytes) once got a header saying 1,000.

WIDE_BUFFERS = [
    pytest.param(lambda: memoryview(array("i", range(1000))), id="memoryview-array-i"),
    pytest.param(lambda: array("d", [0.5] * 700), id="array-d"),
    pytest.param(lambda: memoryview(bytes(range(256)) * 24).cast("I"), id="memoryview-cast-I"),
    pytest.param(lambda: memoryview(bytes(range(240))).cast("B", (12, 20)), id="2-d"),
    pytest.param(lambda: (ctypes.c_uint16 * 3000)(*range(3000)), id="ctypes-array"),
    pytest.param(lambda: memoryview(array("q")), id="empty"),
]


def _message(data, frame_max):
    """(header body size, joined body) of a publish_frames message, parsed back."""
    frames = feed(FrameParser(frame_max), data)
    assert [frame_type for frame_type, _, _ in frames[:2]] == [1, 2]
    (body_size,) = struct.unpack_from(">Q", frames[1][2], 4)
    assert all(frame_type == 3 for frame_type, _, _ in frames[2:])
    return body_size, b"".join(payload for _, _, payload in frames[2:])


@pytest.mark.parametrize("make", WIDE_BUFFERS)
@pytest.mark.parametrize("frame_max", [0, FRAME_MAX, 131072])
def test_publish_frames_measure_any_buffer_in_bytes(make, frame_max):
    body = make()
    raw = memoryview(body).tobytes()
    method, properties = publish_method_payload(), properties_payload()
    expected = publish_frames(1, method, properties, raw, frame_max)
    assert publish_frames(1, method, properties, body, frame_max) == expected
    parts = publish_frame_parts(1, method, properties, body, frame_max)
    assert b"".join(parts) == expected
    assert _message(expected, frame_max) == (len(raw), raw)
    assert body_frames(1, body, frame_max) == body_frames(1, raw, frame_max)


def test_array_i_body_is_4000_bytes():
    body = memoryview(array("i", range(1000)))
    data = publish_frames(1, publish_method_payload(), properties_payload(), body, FRAME_MAX)
    size, received = _message(data, FRAME_MAX)
    assert size == 4000 == len(received)
    assert array("i", received) == array("i", range(1000))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(memoryview(b"abcdef")[::2], id="every-second-byte"),
        pytest.param(memoryview(array("i", range(10)))[::-1], id="reversed"),
        pytest.param(memoryview(bytearray(b"abcdefgh"))[1::3], id="bytearray-strided"),
    ],
)
def test_non_contiguous_body_raises_type_error(body):
    with pytest.raises(TypeError, match="contiguous"):
        byte_view(body)
    method, properties = publish_method_payload(), properties_payload()
    for write in (publish_frames, publish_frame_parts):
        with pytest.raises(TypeError, match="contiguous"):
            write(1, method, properties, body, FRAME_MAX)
    with pytest.raises(TypeError, match="contiguous"):
        body_frames(1, body, FRAME_MAX)


def test_byte_view_copies_nothing():
    data, mutable = b"abc", bytearray(b"abc")
    assert byte_view(data) is data and byte_view(mutable) is mutable
    flat = memoryview(data)
    assert byte_view(flat) is flat
    ints = array("i", [1, 2])
    view = byte_view(memoryview(ints))
    assert isinstance(view, memoryview) and (view.format, view.nbytes, len(view)) == ("B", 8, 8)
    ints[0] = 7  # a view, not a copy
    assert view.tobytes()[:4] == array("i", [7]).tobytes()


def test_byte_view_rejects_what_is_not_a_buffer():
    with pytest.raises(TypeError):
        byte_view(1000)  # type: ignore[arg-type]


def test_one_read():
    data, frames = sample_stream()
    assert feed(FrameParser(FRAME_MAX), data) == frames


def test_split_at_every_byte():
    data, frames = sample_stream()
    for cut in range(len(data) + 1):
        parser = FrameParser(FRAME_MAX)
        assert feed(parser, data[:cut]) + feed(parser, data[cut:]) == frames


def test_one_byte_at_a_time():
    data, frames = sample_stream()
    parser = FrameParser(FRAME_MAX)
    assert [frame for i in range(len(data)) for frame in feed(parser, data[i : i + 1])] == frames


def test_many_coalesced_frames():
    frames = [(3, n % 5, bytes([n % 256]) * (n % 50)) for n in range(5000)]
    data = b"".join(struct.pack(">BHI", t, c, len(p)) + p + b"\xce" for t, c, p in frames)
    assert feed(FrameParser(FRAME_MAX), data) == frames


def test_large_frame_in_64k_reads():
    body = bytes(range(256)) * (4 * 1024 * 1024 // 256)
    data = body_frames(1, body, 0) + HEARTBEAT_FRAME[:3]
    parser = FrameParser(0)
    reads = [data[start : start + 65536] for start in range(0, len(data), 65536)]
    for read in reads[:-1]:
        assert feed(parser, read) == []
    assert feed(parser, reads[-1]) == [(3, 1, body)]
    assert feed(parser, HEARTBEAT_FRAME[3:]) == [(8, 0, b"")]


def test_frame_exactly_frame_max():
    data = body_frames(1, b"a" * (FRAME_MAX - 8), FRAME_MAX)
    assert feed(FrameParser(FRAME_MAX), data) == [(3, 1, b"a" * (FRAME_MAX - 8))]


def test_frame_over_frame_max_fails_on_its_header():
    oversized = struct.pack(">BHI", 3, 1, FRAME_MAX - 7)
    with pytest.raises(FrameError) as info:
        feed(FrameParser(FRAME_MAX), oversized)
    assert info.value.reply_code == 501


def test_frame_max_changes_after_tuning():
    parser = FrameParser(0)
    assert feed(parser, body_frames(1, b"a" * 5000, 0)) == [(3, 1, b"a" * 5000)]
    parser.frame_max = FRAME_MAX
    with pytest.raises(FrameError):
        feed(parser, body_frames(1, b"a" * 5000, 0))


def test_bad_frame_end():
    with pytest.raises(FrameError):
        feed(FrameParser(FRAME_MAX), HEARTBEAT_FRAME[:-1] + b"\x00")
    parser = FrameParser(FRAME_MAX)
    feed(parser, b"\x03\x00\x01\x00\x00\x00\x02ab")
    with pytest.raises(FrameError):
        feed(parser, b"\xcf")


def parse_or_frame_error(reads, frame_max):
    parser = FrameParser(frame_max)
    try:
        for read in reads:
            feed(parser, read)
    except FrameError:
        pass


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=8), st.sampled_from([0, 9, 64, FRAME_MAX]))
def test_fuzz_random_reads(reads, frame_max):
    parse_or_frame_error(reads, frame_max)


@FUZZ
@given(st.data())
def test_fuzz_mutated_stream(data):
    stream = bytearray(sample_stream()[0])
    for _ in range(data.draw(st.integers(1, 4))):
        stream[data.draw(st.integers(0, len(stream) - 1))] = data.draw(st.integers(0, 255))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    reads = [bytes(stream[a:b]) for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    parse_or_frame_error(reads, FRAME_MAX)


def test_frames_of_one_read_share_its_buffer():
    data, _ = sample_stream()
    frames = FrameParser(FRAME_MAX).feed(data)
    assert all(buf is data for _, _, buf, _, _ in frames)
    assert [(start, end) for *_, start, end in frames][0] == (7, 7 + len(publish_method_payload()))


def test_frame_error_is_a_protocol_error():
    assert issubclass(FrameError, AmqpProtocolError)


@given(st.integers(0, 65535), st.integers(0, 2**64 - 1), st.booleans(), st.integers(0, 2**64 - 1))
def test_a_retagged_ack_frame_matches_the_generated_encoder(channel_id, tag, multiple, new_tag):
    frame = bytearray(method_frame(channel_id, m.BasicAck.pack(tag, multiple)))
    retag_ack_frame(frame, new_tag)
    assert bytes(frame) == method_frame(channel_id, m.BasicAck.pack(new_tag, True))


@pytest.mark.parametrize(
    "body_size", [FRAME_MAX - 8, FRAME_MAX - 7, 3 * (FRAME_MAX - 8), 3 * (FRAME_MAX - 8) + 1]
)
def test_a_body_over_several_frames_is_written_one_bytes_per_frame(body_size):
    body = bytes(range(256)) * (body_size // 256) + b"z" * (body_size % 256)
    method, properties = publish_method_payload(), properties_payload()
    expected = publish_frames(1, method, properties, body, FRAME_MAX)
    data = message_frames(1, method, properties, body, FRAME_MAX)
    if body_size <= FRAME_MAX - 8:
        assert data == expected  # one frame: one bytes
        return
    assert isinstance(data, list) and b"".join(data) == expected
    frames = -(-body_size // (FRAME_MAX - 8))
    # method and header frames, then one bytes per body frame, the last with its end octet
    assert len(data) == frames and all(type(part) is bytes for part in data)
    assert all(len(part) > FRAME_MAX // 2 or part is data[-1] for part in data)


def test_a_body_from_large_body_up_is_written_as_views(monkeypatch):
    monkeypatch.setattr(frames, "LARGE_BODY", 3 * FRAME_MAX)
    body = b"b" * (3 * FRAME_MAX)
    method, properties = publish_method_payload(), properties_payload()
    data = message_frames(1, method, properties, body, FRAME_MAX)
    assert b"".join(data) == publish_frames(1, method, properties, body, FRAME_MAX)
    assert any(isinstance(part, memoryview) for part in data)


def test_a_frame_split_across_reads_is_checked_against_the_frame_max_of_its_end():
    frame = method_frame(1, b"x" * 100)
    parser = FrameParser(0)
    assert parser.feed(frame[:50]) == []
    parser.frame_max = 64  # tuning lowered it while the frame was incomplete
    with pytest.raises(FrameError, match="exceeds 64"):
        parser.feed(frame[50:])


def test_a_read_completing_a_frame_is_not_copied_whole():
    first, second = method_frame(1, b"a" * 300), method_frame(2, b"b" * 300)
    parser = FrameParser(0)
    assert parser.feed(first[:100]) == []
    rest = first[100:] + second
    (one, joined, start, end), (two, buf, _, _) = [
        (channel, buf, start, end) for _, channel, buf, start, end in parser.feed(rest)
    ]
    assert (one, joined[start:end], two) == (1, b"a" * 300, 2)
    assert len(joined) == len(first)  # only the split frame was joined
    assert buf is rest  # the rest of the read is read in place
