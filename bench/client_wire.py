"""The wire ceiling: a minimal asyncio AMQP client built on this project's codec only
(aioamqp._generated methods and properties, aioamqp.frames), doing each workload with as little
Python per message as the protocol allows. It is what a client on this codec could reach if its
own layers cost nothing; aioamqp's results are reported as a fraction of it.

- handshake: connection.start/tune/open with PLAIN, no heartbeats; one channel per connection.
- publishing: one message is encoded once and written as a block of many copies per
  transport.write, as fast as the socket takes them (pause_writing/resume_writing honoured).
- confirms: a window of INFLIGHT unconfirmed messages, refilled in one write per ack frame.
- deliveries: frames cut by aioamqp.frames.FrameParser; the delivery tag is read from
  basic.deliver with one struct call, bodies are not joined (only rpc_latency reads properties
  and body), and the acks for one socket read go out as one write.

    python -m bench.client_wire --workload publish [--n N] [--size BYTES]

prints one JSON result line (see bench/common.py). Queues are exclusive and deleted at the end.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from aioamqp import __version__ as aioamqp_version
from aioamqp._generated import methods as m
from aioamqp._generated.properties import decode_basic_header, encode_basic_properties
from aioamqp.frames import PROTOCOL_HEADER, FrameParser, method_frame, publish_frames

from . import common

CLIENT = "wire"
SERVER_VERSION = "?"
CHANNEL = 1
HANDSHAKE_FRAME_MAX = 131072
PUBLISH_BLOCK = 1000  # messages per transport.write when publishing without confirms

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
    """One connection with channel 1 open. Synchronous replies resolve in request order."""

    def __init__(self) -> None:
        self.parser = FrameParser(HANDSHAKE_FRAME_MAX)
        self.transport: asyncio.Transport | None = None
        self.frame_max = HANDSHAKE_FRAME_MAX
        self.server_properties: dict[str, Any] = {}
        self.credentials: tuple[str, str, str] = ("guest", "guest", "/")
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.replies: deque[asyncio.Future[Any]] = deque()
        self.error: Exception | None = None
        self.watchers: list[asyncio.Future[Any]] = []  # failed with the connection
        self.resume: asyncio.Future[None] | None = None  # set while writing is paused
        # content in progress
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
            for frame_type, _channel, buf, start, end in self.parser.feed(data):
                payload = buf[start:end]
                if frame_type == 1:
                    (index,) = _INDEX.unpack_from(payload)
                    if index == _DELIVER:  # consumer tag (shortstr), then the delivery tag
                        (self.delivery_tag,) = _LONGLONG.unpack_from(payload, 5 + payload[4])
                    elif index == _ACK or index == _NACK:
                        method = m.decode_method(payload)
                        self.on_confirm(method.delivery_tag, method.multiple, index == _ACK)
                    else:
                        self.on_method(m.decode_method(payload))
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

    def on_method(self, method: m.Method) -> None:
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
            self.replies.popleft().set_result(method)

    def send(self, channel: int, method: m.Method) -> None:
        self.transport.write(method_frame(channel, method.encode()))

    async def call(self, method: m.Method) -> Any:
        """A synchronous method on channel 1; returns the reply method."""
        future = asyncio.get_running_loop().create_future()
        self.replies.append(future)
        self.send(CHANNEL, method)
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
        for future in [*self.replies, *self.watchers, self.opened, self.closed, self.resume]:
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

    async def declare(self, queue: str) -> None:
        await self.call(m.QueueDeclare(queue, exclusive=True))

    async def count(self, queue: str) -> int:
        reply = await self.call(m.QueueDeclare(queue, passive=True))
        return reply.message_count

    async def delete(self, queue: str) -> None:
        await self.call(m.QueueDelete(queue))

    async def consume(self, queue: str, no_ack: bool = False) -> None:
        await self.call(m.BasicConsume(queue, f"bench-wire.{queue}", no_ack=no_ack))

    async def publish_many(self, message: bytes, n: int) -> None:
        block = message * PUBLISH_BLOCK
        sent = 0
        while sent < n:
            count = min(PUBLISH_BLOCK, n - sent)
            await self.write(block if count == PUBLISH_BLOCK else message * count)
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


async def publish(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "publish")
    await wire.declare(queue)
    message = wire.message(queue, common.body(size))
    try:
        with common.measured() as clock:
            await wire.publish_many(message, n)
            await common.wait_for_count(lambda: wire.count(queue), n)
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def publish_confirm(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "publish_confirm")
    await wire.declare(queue)
    await wire.call(m.ConfirmSelect())
    message = wire.message(queue, common.body(size))
    done = asyncio.get_running_loop().create_future()
    sent = confirmed = 0
    acked_upto = 0  # every tag up to this one is settled
    acked_above: set[int] = set()  # tags above acked_upto settled one by one

    def on_confirm(tag: int, multiple: bool, ack: bool) -> None:
        nonlocal sent, confirmed, acked_upto
        if not ack:
            raise WireError(f"publish {tag} nacked")
        if multiple:
            if tag > acked_upto:
                below = [t for t in acked_above if t <= tag]
                acked_above.difference_update(below)
                confirmed += tag - acked_upto - len(below)
                acked_upto = tag
        elif tag > acked_upto and tag not in acked_above:
            acked_above.add(tag)
            confirmed += 1
        while acked_upto + 1 in acked_above:
            acked_upto += 1
            acked_above.discard(acked_upto)
        if confirmed == n:
            done.set_result(None)
            return
        more = min(common.INFLIGHT - (sent - confirmed), n - sent)
        if more > 0:
            wire.outgoing.append(message * more)
            sent += more

    wire.on_confirm = on_confirm
    try:
        with common.measured() as clock:
            sent = min(n, common.INFLIGHT)
            wire.transport.write(message * sent)
            await wire.wait(done)
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def consume(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "consume")
    await wire.declare(queue)
    try:
        await wire.publish_many(wire.message(queue, common.body(size)), n)  # prefill, untimed
        await common.wait_for_count(lambda: wire.count(queue), n)
        await wire.call(m.BasicQos(prefetch_count=common.PREFETCH))
        done = asyncio.get_running_loop().create_future()
        received = 0
        ack = m.BasicAck.pack

        def on_message(tag: int, header: bytes, body: bytes | None) -> None:
            nonlocal received
            wire.outgoing.append(method_frame(CHANNEL, ack(tag, False)))
            received += 1
            if received == n:
                done.set_result(None)

        wire.on_message = on_message
        with common.measured() as clock:
            await wire.consume(queue)
            await wire.wait(done)
            await wire.count(queue)  # a round trip: the broker has taken every ack
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def rpc_latency(n: int, size: int) -> tuple[float, list[float]]:
    server = await connect()
    client = await connect()
    requests = common.queue_name(CLIENT, "rpc_latency", "requests")
    replies = common.queue_name(CLIENT, "rpc_latency", "replies")
    await server.declare(requests)
    await client.declare(replies)
    payload = common.body(size)
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[bytes]] = {}

    def on_request(tag: int, header: bytes, body: bytes | None) -> None:
        _, properties = decode_basic_header(header)
        server.transport.write(
            server.message(properties.reply_to, body, {"correlation_id": properties.correlation_id})
        )

    def on_reply(tag: int, header: bytes, body: bytes | None) -> None:
        future = waiting.pop(decode_basic_header(header)[1].correlation_id, None)
        if future is not None:
            future.set_result(body)

    server.keep_body = client.keep_body = True
    server.on_message = on_request
    client.on_message = on_reply
    try:
        await server.consume(requests, no_ack=True)
        await client.consume(replies, no_ack=True)
        latencies = []
        total = 0.0
        common.section_start()
        for i in range(common.RPC_WARMUP + n):
            correlation_id = str(i)
            future = waiting[correlation_id] = loop.create_future()
            started = time.perf_counter()
            client.transport.write(
                client.message(
                    requests, payload, {"reply_to": replies, "correlation_id": correlation_id}
                )
            )
            await client.wait(future)
            elapsed = time.perf_counter() - started
            if i >= common.RPC_WARMUP:
                latencies.append(elapsed)
                total += elapsed
        common.section_end()
        return total, latencies
    finally:
        await client.delete(replies)
        await server.delete(requests)
        await client.close()
        await server.close()


async def large(n: int, size: int) -> float:
    consumer = await connect()
    publisher = await connect()
    queue = common.queue_name(CLIENT, "large")
    await consumer.declare(queue)
    await consumer.call(m.BasicQos(prefetch_count=common.LARGE_PREFETCH))
    message = publisher.message(queue, common.body(size))
    done = asyncio.get_running_loop().create_future()
    received = 0
    ack = m.BasicAck.pack

    def on_message(tag: int, header: bytes, body: bytes | None) -> None:
        nonlocal received
        consumer.outgoing.append(method_frame(CHANNEL, ack(tag, False)))
        received += 1
        if received == n:
            done.set_result(None)

    consumer.on_message = on_message
    try:
        await consumer.consume(queue)
        with common.measured() as clock:
            for _ in range(n):
                await publisher.write(message)
            await consumer.wait(done)
        return clock.seconds
    finally:
        await consumer.delete(queue)
        await publisher.close()
        await consumer.close()


WORKLOADS = {name: globals()[name] for name in common.WORKLOADS}


if __name__ == "__main__":
    common.run_client(
        CLIENT, WORKLOADS, lambda: SERVER_VERSION, lambda: f"aioamqp {aioamqp_version} codec"
    )
