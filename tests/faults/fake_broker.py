"""A scripted fake AMQP peer for fault-injection tests.

`FakeBroker` listens on 127.0.0.1 (a free port), accepts one client and does exactly what the
test tells it, step by step: the normal handshake, answering a channel.open, reading the
client's next frames (parsed with the project's FrameParser, methods decoded by the generated
decode_method, as the client decodes them), sending well-formed or broken bytes, going silent
(simply: sending nothing), pausing reading (the peer's socket buffer fills up and the client's
writes back up) or closing/aborting the socket. It never answers anything on its own.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD
from aioamqp._generated.properties import decode_basic_header, encode_basic_properties
from aioamqp.frames import PROTOCOL_HEADER, FrameParser, method_frame, publish_frames

SERVER_PROPERTIES = {
    "product": "FakeBroker",
    "version": "0.0",
    "capabilities": {"publisher_confirms": True, "basic.nack": True, "connection.blocked": True},
}


class FakeBroker:
    """One scripted AMQP peer; see the module docstring. Start it with `await start()`."""

    def __init__(self) -> None:
        self.port = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.frame_max = 0  # set by handshake(); send_content splits bodies by it
        self.clients: list[tuple[asyncio.Transport, aioamqp.AmqpProtocol]] = []
        self._server: asyncio.Server | None = None
        self._accepted: asyncio.Future[Any] | None = None
        self._parser = FrameParser(0)
        self._frames: deque[tuple[int, int, bytes]] = deque()

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._accepted = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._accepted is not None
        if self._accepted.done():  # one client per broker
            writer.transport.abort()
            return
        self._accepted.set_result((reader, writer))

    async def accept(self) -> None:
        """Wait for the client's TCP connection."""
        assert self._accepted is not None
        self.reader, self.writer = await self._accepted

    async def stop(self) -> None:
        """Close every client connection made through `connect`, the peer socket, the server."""
        for transport, _ in self.clients:
            transport.close()
        if self.writer is not None:
            self.writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- the client's side, driven together with the peer's ------------------------------------

    async def connect(
        self,
        *,
        channel_max: int = 2047,
        frame_max: int = 131072,
        heartbeat: int = 0,
        **client_kwargs: Any,
    ) -> tuple[asyncio.Transport, aioamqp.AmqpProtocol]:
        """aioamqp.connect() to this peer, which proposes the given tuning (the client takes it
        unless client_kwargs say otherwise); returns the client's (transport, protocol)."""
        client_kwargs.setdefault("connection_timeout", 5)
        client = asyncio.ensure_future(aioamqp.connect("127.0.0.1", self.port, **client_kwargs))
        try:
            await self.accept()
            await self.handshake(channel_max=channel_max, frame_max=frame_max, heartbeat=heartbeat)
            transport, protocol = await client
        except BaseException:
            client.cancel()
            raise
        self.clients.append((transport, protocol))
        return transport, protocol

    async def open_channel(self, protocol: aioamqp.AmqpProtocol, **kwargs: Any) -> Any:
        """protocol.channel(), with the peer answering channel.open-ok."""
        opening = asyncio.ensure_future(protocol.channel(**kwargs))
        try:
            channel_id, _ = await self.expect(m.ChannelOpen)
            self.send_method(channel_id, m.ChannelOpenOk())
            return await opening
        except BaseException:
            opening.cancel()
            raise

    async def rpc(self, call: Any, request: type[m.Method], reply: m.Method) -> Any:
        """Run the client coroutine `call`, expect `request` from it, answer `reply`."""
        task = asyncio.ensure_future(call)
        try:
            channel_id, _ = await self.expect(request)
            self.send_method(channel_id, reply)
            return await task
        except BaseException:
            task.cancel()
            raise

    # -- the peer's script ---------------------------------------------------------------------

    async def handshake(
        self, *, channel_max: int = 2047, frame_max: int = 131072, heartbeat: int = 0
    ) -> m.ConnectionOpen:
        """Protocol header, start/start-ok, tune/tune-ok, open/open-ok."""
        await self.read_protocol_header()
        self.send_start()
        await self.expect(m.ConnectionStartOk, channel=0)
        self.send_method(0, m.ConnectionTune(channel_max, frame_max, heartbeat))
        await self.expect(m.ConnectionTuneOk, channel=0)
        self.frame_max = frame_max
        _, opened = await self.expect(m.ConnectionOpen, channel=0)
        self.send_method(0, m.ConnectionOpenOk())
        return opened

    async def read_protocol_header(self) -> None:
        assert self.reader is not None
        header = await self.reader.readexactly(len(PROTOCOL_HEADER))
        assert header == PROTOCOL_HEADER, header

    def send_start(self) -> None:
        start = m.ConnectionStart(0, 9, SERVER_PROPERTIES, b"PLAIN AMQPLAIN", b"en_US")
        self.send_method(0, start)

    async def read_frame(self) -> tuple[int, int, bytes]:
        """The client's next frame as (frame_type, channel_id, payload); EOFError at its end."""
        assert self.reader is not None
        while not self._frames:
            data = await self.reader.read(1 << 20)
            if not data:
                raise EOFError("the client closed the connection")
            self._frames.extend(
                (frame_type, channel_id, buf[start:end])
                for frame_type, channel_id, buf, start, end in self._parser.feed(data)
            )
        return self._frames.popleft()

    async def read_method(self) -> tuple[int, m.Method]:
        """The client's next method as (channel_id, method), skipping heartbeats."""
        while True:
            frame_type, channel_id, payload = await self.read_frame()
            if frame_type == FRAME_HEARTBEAT:
                continue
            assert frame_type == FRAME_METHOD, f"frame type {frame_type} where a method was due"
            return channel_id, m.decode_method(payload)

    async def expect(self, cls: type[m.Method], channel: int | None = None) -> tuple[int, Any]:
        """Read the client's next method and check it is a `cls`: (channel_id, method)."""
        channel_id, method = await self.read_method()
        assert isinstance(method, cls), f"expected {cls.NAME}, got {method!r}"
        assert channel is None or channel_id == channel, (channel_id, method)
        return channel_id, method

    async def read_message(self) -> tuple[int, m.Method, Any, bytes]:
        """The client's next content-carrying method with its header and body frames:
        (channel_id, method, properties, body)."""
        channel_id, method = await self.read_method()
        assert method.HAS_CONTENT, f"expected a method with content, got {method!r}"
        frame_type, _, payload = await self.read_frame()
        assert frame_type == FRAME_HEADER, frame_type
        size, properties = decode_basic_header(payload)
        parts, received = [], 0
        while received < size:
            frame_type, _, payload = await self.read_frame()
            assert frame_type == FRAME_BODY, frame_type
            parts.append(payload)
            received += len(payload)
        return channel_id, method, properties, b"".join(parts)

    async def read_until_eof(self) -> list[tuple[int, int, bytes]]:
        """Every frame the client still sends until it closes its end of the connection."""
        frames = []
        while True:
            try:
                frames.append(await self.read_frame())
            except (EOFError, ConnectionResetError):
                return frames

    def send(self, data: bytes) -> None:
        """Raw bytes to the client."""
        assert self.writer is not None
        self.writer.write(data)

    def send_method(self, channel_id: int, method: m.Method) -> None:
        self.send(method_frame(channel_id, method.encode()))

    def send_content(
        self, channel_id: int, method: m.Method, body: bytes, properties: Any = None
    ) -> None:
        """A method with its content header and body frames (split at the negotiated frame_max)."""
        props = encode_basic_properties(properties)
        self.send(publish_frames(channel_id, method.encode(), props, body, self.frame_max))

    def pause_reading(self) -> None:
        """Stop reading: the client's bytes pile up in the socket buffers, then in its own."""
        assert self.writer is not None
        self.writer.transport.pause_reading()

    def resume_reading(self) -> None:
        assert self.writer is not None
        self.writer.transport.resume_reading()

    def close(self) -> None:
        """Close the socket (FIN, after anything already written)."""
        assert self.writer is not None
        self.writer.close()

    def abort(self) -> None:
        """Drop the socket at once (RST when unread data is pending)."""
        assert self.writer is not None
        self.writer.transport.abort()


# -- checks the tests share ---------------------------------------------------------------------


async def client_tasks_end(protocol: aioamqp.AmqpProtocol, timeout: float = 1.0) -> None:
    """Wait (bounded) until the client's own tasks are over: heartbeat worker, callbacks,
    consumers; fails the test if one is still running after `timeout` seconds."""
    tasks = [protocol.worker] if protocol.worker is not None else []
    tasks += protocol._tasks
    for channel in protocol.channels.values():
        tasks += [consumer.task for consumer in channel._consumers.values()]
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        assert not pending, f"client tasks still running: {pending}"


async def assert_client_closed_with(
    broker: FakeBroker, protocol: aioamqp.AmqpProtocol, reply_code: int
) -> m.ConnectionClose:
    """The client tells the peer why (connection.close with reply_code on channel 0), closes
    its socket, and its protocol ends CLOSED with every task over."""
    _, close = await asyncio.wait_for(broker.expect(m.ConnectionClose, channel=0), 2)
    assert close.reply_code == reply_code, close
    assert await asyncio.wait_for(broker.read_until_eof(), 2) == []  # nothing after the close
    assert protocol.state == aioamqp.protocol.CLOSED
    await client_tasks_end(protocol)
    return close
