"""Helpers the test layers share (imported as `support`: pyproject puts tests/ on the path)."""

from __future__ import annotations

import asyncio
import functools
import logging
import struct
from typing import Any, Callable

from aioamqp._generated.methods import decode_method
from aioamqp._generated.properties import decode_basic_header
from aioamqp.channel import Channel
from aioamqp.core.consumers import Buffered
from aioamqp.exceptions import AmqpProtocolError
from aioamqp.frames import FrameParser, FrameReader


def with_deadline(
    func: Callable[..., Any], seconds: float, what: str = "test"
) -> Callable[..., Any]:
    """Wrap an async test so that it fails, instead of hanging, after seconds."""

    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(seconds) as deadline:
                return await func(*args, **kwargs)
        except TimeoutError:
            if deadline.expired():
                raise AssertionError(f"{what} did not finish within its {seconds} s deadline")
            raise

    return run


async def queued(channel: Any, queue: str, timeout: float = 10.0) -> int:
    """Messages ready in queue, as the broker counts them (passive queue.declare)."""
    declared = await asyncio.wait_for(channel.queue_declare(queue, passive=True), timeout)
    return int(declared["message_count"])


class ErrorRecords(logging.Handler):
    """Collects ERROR records of a logger (asyncio's: "Task exception was never retrieved")."""

    def __init__(self, logger: str = "asyncio") -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        logging.getLogger(logger).addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


# -- reference frame writers: one frame at a time, for the parser's tests and the fake peer -----


def header_frame(channel_id: int, class_id: int, body_size: int, properties: bytes) -> bytes:
    """A content header frame (type 2): class, weight 0, body size, then the properties."""
    payload = struct.pack(">HHQ", class_id, 0, body_size) + properties
    return struct.pack(">BHI", 2, channel_id, len(payload)) + payload + b"\xce"


def body_frames(channel_id: int, body: Any, frame_max: int) -> bytes:
    """The body as body frames (type 3) of at most frame_max bytes each; none for no body."""
    data = memoryview(body).cast("B").tobytes()
    chunk = frame_max - 8 if frame_max else max(len(data), 1)
    return b"".join(
        struct.pack(">BHI", 3, channel_id, len(piece)) + piece + b"\xce"
        for piece in (data[start : start + chunk] for start in range(0, len(data), chunk))
    )


# -- a channel without a connection ----------------------------------------------------------


class LinkStub:
    """What a Channel uses of its connection (channel.Link), with no socket: each message
    written is kept decoded, as (exchange_name, routing_key, properties, body), in `sent`."""

    publish_gate = None
    flushes = 0
    server_address = None
    frame_max = 131072
    reading_paused = False

    def __init__(self) -> None:
        self.buffered = Buffered()
        self.sent: list[tuple[str, str, Any, bytes]] = []

    def write_message(self, data: Any, merged: bool = False) -> None:
        data = data if isinstance(data, bytes) else b"".join(bytes(part) for part in data)
        (_, _, buf, start, end), header, *bodies = FrameParser(self.frame_max).feed(data)
        method = decode_method(buf, start, end)
        _, properties = decode_basic_header(header[2], header[3], header[4])
        body = b"".join(part[2][part[3] : part[4]] for part in bodies)
        self.sent.append((method.exchange_name, method.routing_key, properties, body))

    def write_method(
        self, channel_id: int, payload: bytes, name: str, merged: bool = False
    ) -> None:
        pass

    def update_reading(self) -> None:
        pass


def open_channel(link: LinkStub, channel_class: type[Channel] = Channel) -> Any:
    """A Channel (or channel_class) on link, open as after channel.open-ok."""
    channel = channel_class(link, 1)
    channel.is_open = True
    return channel


def read_frames(
    frame_max: int, chunks: list[bytes], retune: tuple[int, int] | None = None
) -> tuple[list[tuple[int, int, bytes]], type[AmqpProtocolError] | None]:
    """The client's read buffer (FrameReader) over chunks as the socket's reads, each written
    into get_buffer()'s space (over several reads when it offers less), frame_max changed to
    retune[1] before chunk retune[0]: the frames as (type, channel, payload) until the end or
    an AmqpProtocolError, and that error's type. Every frame is checked against frame_max."""
    reader = FrameReader(frame_max)
    frames = []
    try:
        for i, chunk in enumerate(chunks):
            if retune is not None and i == retune[0]:
                reader.frame_max = retune[1]
            view = memoryview(chunk)
            while view:
                with reader.get_buffer() as space:
                    count = min(len(space), len(view))
                    space[:count] = view[:count]
                reader.buffer_updated(count)
                view = view[count:]
                for frame_type, channel_id, buf, start, end in reader.frames():
                    payload = reader.payload(start, end) if buf is None else buf[start:end]
                    limit = reader.frame_max
                    if limit and len(payload) + 8 > limit:
                        raise AssertionError(f"a {len(payload) + 8}-byte frame over {limit}")
                    frames.append((frame_type, channel_id, bytes(payload)))
    except AmqpProtocolError as exc:
        return frames, type(exc)
    return frames, None
