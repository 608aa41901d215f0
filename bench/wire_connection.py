"""The wire ceiling's connection: a minimal asyncio AMQP client built on this project's codec only
(aioamqp._generated methods and properties, aioamqp.frames), with as little Python per message
as the protocol allows. bench/client_wire.py runs the workloads on it.

- handshake: connection.start/tune/open with PLAIN, no heartbeats; channel 1 opened, more on
  request (the fan-out).
- publishing: one message is encoded once and written as a block of many copies per
  transport.write, as fast as the socket takes them (pause_writing/resume_writing honoured).
- deliveries: frames cut by aioamqp.frames.FrameParser; the delivery tag is read from
  basic.deliver with one struct call, bodies are not joined unless asked for, and the acks for
  one socket read go out as one write.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from aioamqp._generated import methods as m
from aioamqp._generated.properties import encode_basic_properties
from aioamqp.frames import PROTOCOL_HEADER, FrameParser, method_frame, publish_frames

from . import common

SERVER_VERSION = "?"  # of the last connection
CHANNEL = 1
HANDSHAKE_FRAME_MAX = 131072
PUBLISH_BLOCK = 1000  # messages per transport.write when publishing without confirms
PUBLISH_BLOCK_BYTES = 256 * 1024  # and bytes at most (large messages go one a write)

_INDEX = struct.Struct(">I")
_LONGLONG = struct.Struct(">Q")
_DELIVER = m.BasicDeliver.INDEX
_ACK = m.BasicAck.INDEX
_NACK = m.BasicNack.INDEX

# on_message(delivery_tag, header_payload, body); body is None unless keep_body is set.
MessageHandler = Callable[[int, bytes, "bytes | None"], None]


class WireError(Exception):
    pass


class Wire(asyncio.Protocol):
    """One connection with channel 1 open. Synchronous replies resolve in request order on
    each channel (the broker answers each channel in order, channels in any order)."""

    def __init__(self) -> None:
        self.parser = FrameParser(HANDSHAKE_FRAME_MAX)
        self.transport: asyncio.Transport | None = None
        self.frame_max = HANDSHAKE_FRAME_MAX
        self.server_properties: dict[str, Any] = {}
        self.credentials: tuple[str, str, str] = ("guest", "guest", "/")
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.replies: dict[int, deque[asyncio.Future[Any]]] = {}
        self.error: Exception | None = None
        self.watchers: list[asyncio.Future[Any]] = []  # failed with the connection
        self.resume: asyncio.Future[None] | None = None  # set while writing is paused
        # content in progress (RabbitMQ writes each message's frames in one piece, so content
        # on different channels does not interleave)
        self.delivery_channel = CHANNEL
        self.delivery_tag = 0
        self.header = b""
        self.remaining = 0
        self.parts: list[bytes] = []
        self.keep_body = False
        self.on_message: MessageHandler | None = None
        self.on_confirm: Callable[[int, bool, bool], None] | None = None
        self.outgoing: list[bytes] = []  # written once per socket read (acks)

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(PROTOCOL_HEADER)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        try:
            for frame_type, channel, buf, start, end in self.parser.feed(data):
                payload = buf[start:end]
                if frame_type == 1:
                    (index,) = _INDEX.unpack_from(payload)
                    if index == _DELIVER:  # consumer tag (shortstr), then the delivery tag
                        (self.delivery_tag,) = _LONGLONG.unpack_from(payload, 5 + payload[4])
                        self.delivery_channel = channel
                    elif index == _ACK or index == _NACK:
                        method = m.decode_method(payload)
                        self.on_confirm(method.delivery_tag, method.multiple, index == _ACK)
                    else:
                        self.on_method(channel, m.decode_method(payload))
                elif frame_type == 2:
                    (self.remaining,) = _LONGLONG.unpack_from(payload, 4)
                    self.header = payload
                    if self.remaining == 0:
                        self.on_message(self.delivery_tag, payload, b"")
                elif frame_type == 3:
                    self.remaining -= len(payload)
                    if self.keep_body:
                        self.parts.append(payload)
                    if self.remaining == 0:
                        body = None
                        if self.keep_body:
                            body = b"".join(self.parts)
                            self.parts = []
                        self.on_message(self.delivery_tag, self.header, body)
        except Exception as exc:  # noqa: BLE001 - a benchmark: stop on anything
            self.fail(exc)
            self.transport.close()
            return
        if self.outgoing:
            self.transport.write(b"".join(self.outgoing))
            self.outgoing.clear()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or WireError("connection lost"))

    def pause_writing(self) -> None:
        self.resume = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        resume, self.resume = self.resume, None
        if resume is not None and not resume.done():
            resume.set_result(None)

    # -- methods

    def on_method(self, channel: int, method: m.Method) -> None:
        if isinstance(method, m.ConnectionStart):
            self.server_properties = method.server_properties
            login, password, _ = self.credentials
            self.send(
                0,
                m.ConnectionStartOk(
                    {"product": "bench-wire"}, "PLAIN", f"\0{login}\0{password}".encode(), "en_US"
                ),
            )
        elif isinstance(method, m.ConnectionTune):
            self.frame_max = method.frame_max or HANDSHAKE_FRAME_MAX
            self.parser.frame_max = self.frame_max
            self.send(0, m.ConnectionTuneOk(method.channel_max, self.frame_max, 0))
            self.send(0, m.ConnectionOpen(self.credentials[2]))
        elif isinstance(method, m.ConnectionOpenOk):
            self.opened.set_result(None)
        elif isinstance(method, (m.ConnectionClose, m.ChannelClose)):
            raise WireError(f"closed by the broker: {method.reply_code} {method.reply_text}")
        elif isinstance(method, m.ConnectionCloseOk):
            self.closed.set_result(None)
        else:
            self.replies[channel].popleft().set_result(method)

    def send(self, channel: int, method: m.Method) -> None:
        self.transport.write(method_frame(channel, method.encode()))

    async def call(self, method: m.Method, channel: int = CHANNEL) -> Any:
        """A synchronous method; returns the reply method."""
        future = asyncio.get_running_loop().create_future()
        self.replies.setdefault(channel, deque()).append(future)
        self.send(channel, method)
        return await self.wait(future)

    async def wait(self, future: asyncio.Future[Any]) -> Any:
        if self.error is not None:
            raise self.error
        self.watchers.append(future)
        try:
            return await future
        finally:
            self.watchers.remove(future)

    def fail(self, exc: Exception) -> None:
        if self.error is None:
            self.error = exc
        waiting = [future for replies in self.replies.values() for future in replies]
        for future in [*waiting, *self.watchers, self.opened, self.closed, self.resume]:
            if future is not None and not future.done():
                future.set_exception(exc)
                future.exception()

    async def write(self, data: bytes) -> None:
        """Write when the transport takes more (waits while its buffer is over the limit)."""
        while self.resume is not None:
            await self.wait(self.resume)
        if self.error is not None:
            raise self.error
        self.transport.write(data)

    # -- helpers

    def message(self, routing_key: str, body: bytes, properties: Any = None) -> bytes:
        """One whole publish (method, header, body frames) to the default exchange."""
        return publish_frames(
            CHANNEL,
            m.BasicPublish.pack("", routing_key),
            encode_basic_properties(properties),
            body,
            self.frame_max,
        )

    async def open_channel(self, channel: int) -> None:
        await self.call(m.ChannelOpen(), channel)

    async def declare(self, queue: str) -> None:
        await self.call(m.QueueDeclare(queue, exclusive=True))

    async def count(self, queue: str) -> int:
        reply = await self.call(m.QueueDeclare(queue, passive=True))
        return reply.message_count

    async def delete(self, queue: str) -> None:
        await self.call(m.QueueDelete(queue))

    async def consume(self, queue: str, no_ack: bool = False, channel: int = CHANNEL) -> None:
        await self.call(m.BasicConsume(queue, f"bench-wire.{queue}", no_ack=no_ack), channel)

    async def publish_many(self, message: bytes, n: int) -> None:
        per_block = max(1, min(PUBLISH_BLOCK, PUBLISH_BLOCK_BYTES // len(message)))
        block = message * per_block
        sent = 0
        while sent < n:
            count = min(per_block, n - sent)
            await self.write(block if count == per_block else message * count)
            sent += count

    async def close(self) -> None:
        if self.error is None:
            self.send(0, m.ConnectionClose(200, "bye", 0, 0))
            await self.wait(self.closed)
        self.transport.close()


async def connect() -> Wire:
    global SERVER_VERSION
    parts = urlsplit(common.url())
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    loop = asyncio.get_running_loop()
    transport, wire = await loop.create_connection(Wire, host, port)
    transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    wire.credentials = (
        unquote(parts.username or "guest"),
        unquote(parts.password or "guest"),
        vhost,
    )
    await wire.wait(wire.opened)
    await wire.call(m.ChannelOpen())
    SERVER_VERSION = common.server_version(wire.server_properties)
    return wire
