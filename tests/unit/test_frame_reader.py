"""The read buffer (aioamqp.frames.FrameReader) with content assembly, driven with bytes only:
messages on several channels, their frames interleaved, the stream cut into reads anywhere."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioamqp._generated import methods as m
from aioamqp._generated.properties import encode_basic_properties
from aioamqp.core.content import Content
from aioamqp.exceptions import FrameError
from aioamqp.frames import FrameParser, FrameReader, method_frame, publish_frames


def message_frames(channel_id: int, tag: int, body: bytes, frame_max: int) -> list[bytes]:
    """One delivery's frames, each as its own bytes."""
    method = m.BasicDeliver("ctag", tag, False, "x", "k").encode()
    data = publish_frames(channel_id, method, encode_basic_properties(None), body, frame_max)
    return [bytes(buf[start - 7 : end + 1]) for _, _, buf, start, end in FrameParser(0).feed(data)]


def interleave(per_channel: list[list[bytes]], rng: random.Random) -> bytes:
    """The frames of every channel, each channel's in order, channels mixed at random."""
    queues = [list(frames) for frames in per_channel if frames]
    out = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return b"".join(out)


def read_all(reader: FrameReader, stream: bytes, cuts: list[int]) -> list[tuple[int, int, bytes]]:
    """Feed stream in reads of the given sizes (cycled); (channel, tag, body) per message."""
    contents: dict[int, Content] = {}
    done = []
    offset, turn = 0, 0
    while offset < len(stream):
        with reader.get_buffer() as space:
            count = min(len(space), cuts[turn % len(cuts)], len(stream) - offset)
            space[:count] = stream[offset : offset + count]
        turn += 1
        offset += count
        reader.buffer_updated(count)
        for frame_type, channel_id, buf, start, end in reader.frames():
            content = contents.setdefault(channel_id, Content(channel_id, reader))
            if frame_type == 1:
                content.method(m.decode_method(buf, start, end))
                continue
            if frame_type == 2:
                message = content.header(buf, start, end)
            else:
                message = content.body(buf, start, end)
            if message is not None:
                method, _, body = message
                done.append((channel_id, method.delivery_tag, body))
    return done


def body_of(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(
        st.sampled_from([0, 1, 100, 4095, 4096, 70_000, 131_064, 131_065, 300_000, 1 << 20]),
        min_size=1,
        max_size=8,
    ),
    frame_max=st.sampled_from([4096, 131_072]),
    cuts=st.lists(st.integers(1, 400_000), min_size=1, max_size=6),
    seed=st.integers(0, 2**32),
)
def test_bodies_arrive_whole_whatever_the_reads_and_the_interleaving(sizes, frame_max, cuts, seed):
    rng = random.Random(seed)
    per_channel: list[list[bytes]] = [[], [], []]
    expected: dict[int, list[tuple[int, bytes]]] = {1: [], 2: [], 3: []}
    for tag, size in enumerate(sizes, 1):
        channel_id = rng.randint(1, 3)
        body = body_of(size, seed + tag)
        per_channel[channel_id - 1] += message_frames(channel_id, tag, body, frame_max)
        expected[channel_id].append((tag, body))
    reader = FrameReader(frame_max)
    done = read_all(reader, interleave(per_channel, rng), cuts)
    for channel_id, messages in expected.items():
        got = [(tag, body) for channel, tag, body in done if channel == channel_id]
        assert got == messages  # every body whole, in order on its channel
    assert not reader._holds  # every held body was released once joined


def test_the_buffer_grows_for_a_large_body_and_is_let_go_once_empty():
    reader = FrameReader(131_072)
    stream = b"".join(message_frames(1, 1, body_of(20 << 20, 1), 131_072))
    ((_, _, body),) = read_all(reader, stream, [65536])
    assert body == body_of(20 << 20, 1)
    assert len(reader._buffer) > 20 << 20  # it held the whole body, joined once
    tail = b"".join(message_frames(1, 2, b"small", 131_072))
    assert read_all(reader, tail, [65536]) == [(1, 2, b"small")]
    with reader.get_buffer() as space:  # room is made: the large buffer is let go
        assert len(space) <= 256 * 1024


def test_a_frame_over_frame_max_or_with_a_bad_end_octet_raises():
    reader = FrameReader(64)
    with reader.get_buffer() as space:
        frame = method_frame(1, b"x" * 100)
        space[: len(frame)] = frame
    reader.buffer_updated(len(frame))
    with pytest.raises(FrameError, match="exceeds 64"):
        reader.frames()
    reader = FrameReader(0)
    bad = method_frame(1, b"abc")[:-1] + b"\x00"
    with reader.get_buffer() as space:
        space[: len(bad)] = bad
    reader.buffer_updated(len(bad))
    with pytest.raises(FrameError, match="not 0xce"):
        reader.frames()


def test_the_buffer_starts_small_and_doubles_while_reads_fill_it():
    reader = FrameReader(131_072)
    sizes = []
    stream = b"".join(
        b"".join(message_frames(1, tag, b"b" * 64, 131_072)) for tag in range(1, 5000)
    )
    offset = 0
    while offset < len(stream):
        with reader.get_buffer() as space:
            sizes.append(len(space))
            count = min(len(space), len(stream) - offset)  # every read fills what it is given
            space[:count] = stream[offset : offset + count]
        offset += count
        reader.buffer_updated(count)
        reader.frames()
    assert sizes[0] == 16384 and max(sizes) <= 262144 and max(sizes) > 131072
