"""The connection: an asyncio.Protocol that feeds bytes to the frame parser and dispatches frames.

The frame reader (data_received) never awaits: replies resolve futures, deliveries go to each
consumer's own task. Every way the connection can end goes through `_connection_closed`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import platform
import struct
from typing import Any, Callable

from . import exceptions
from ._generated import methods as m
from ._generated.constants import (
    FRAME_BODY,
    FRAME_HEADER,
    FRAME_HEARTBEAT,
    FRAME_METHOD,
    FRAME_MIN_SIZE,
)
from .channel import Channel
from .core import auth
from .core.connection import ChannelIds, negotiate
from .core.consumers import Buffered
from .consumer import running_consumer
from .frames import (
    HEARTBEAT_FRAME,
    PROTOCOL_HEADER,
    FrameParser,
    checked_method_frame,
    method_frame,
)
from ._version import __version__ as VERSION

logger = logging.getLogger(__name__)

CONNECTING, OPEN, CLOSING, CLOSED = "CONNECTING", "OPEN", "CLOSING", "CLOSED"

CAPABILITIES = {
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
    "basic.nack": True,
    "consumer_cancel_notify": True,
    "connection.blocked": True,
    "authentication_failure_close": True,
    "per_consumer_qos": True,
}
_HANDSHAKE_FRAME_MAX = 131072  # before tuning, accept frames up to RabbitMQ's default size
_WRITE_BUFFER_HIGH = 4 << 20
_FLUSH_SIZE = 65536  # merged acks that are written without waiting for the end of the loop turn
# Deliveries buffered for consumers, in bytes: reading from the socket pauses above the high
# mark and resumes below the low one, so a slow consumer without basic_qos cannot fill memory.
DEFAULT_MAX_BUFFERED = 16 << 20
DEFAULT_CALLBACK_GRACE = 10.0  # seconds close() lets running callbacks finish, without timeout


class AmqpProtocol(asyncio.Protocol):
    """An AMQP connection. Create it with `aioamqp.connect()`."""

    CHANNEL_FACTORY: Any = Channel
    _loop: asyncio.AbstractEventLoop  # set by connection_made

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._on_error_callback: Callable[..., Any] | None = kwargs.get("on_error")
        self._blocked_callback: Callable[[str], Any] | None = kwargs.get("on_blocked")
        self._unblocked_callback: Callable[[], Any] | None = kwargs.get("on_unblocked")
        self.blocked_timeout: float | None = kwargs.get("blocked_timeout")
        self.max_buffered: int = kwargs.get("max_buffered", DEFAULT_MAX_BUFFERED)
        self.client_properties: dict[str, Any] = kwargs.get("client_properties", {})
        self.connection_tunning: dict[str, int] = {
            key: kwargs[key] for key in ("channel_max", "frame_max", "heartbeat") if key in kwargs
        }
        if 0 < self.connection_tunning.get("frame_max", 0) < FRAME_MIN_SIZE:
            raise exceptions.ConfigurationError(
                f"frame_max must be 0 or at least {FRAME_MIN_SIZE} (the spec's frame-min-size)"
            )
        self.state = CONNECTING
        # From connection.start, under aioamqp 0.15's names.
        self.version_major: int | None = None
        self.version_minor: int | None = None
        self.server_properties: dict[str, Any] | None = None
        self.server_mechanisms: str | None = None
        self.server_locales: str | None = None
        # The values sent in tune-ok (as aioamqp 0.15), and what the broker offered in tune.
        self.server_channel_max: int | None = None
        self.server_frame_max: int | None = None
        self.server_heartbeat: int | None = None
        self.broker_channel_max: int | None = None
        self.broker_frame_max: int | None = None
        self.broker_heartbeat: int | None = None
        self.channel_max = 0
        self.frame_max = 0
        self.heartbeat = 0
        self.channels: dict[int, Channel] = {}
        self._channel_ids = ChannelIds()
        self.is_blocked = False
        self._writing_paused = False
        # Set while publishing must wait (broker blocked us, or the write buffer is full).
        self.publish_gate: asyncio.Future[None] | None = None
        self.stop_now = asyncio.Event()
        self.connection_closed = self.stop_now  # aioamqp 0.15's name: set once it has ended
        self.worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._transport: asyncio.Transport | None = None
        self._parser = FrameParser(_HANDSHAKE_FRAME_MAX)
        self._mechanism: auth.Mechanism | None = None  # set by start_connection
        self._virtualhost = "/"
        self._early_start: m.ConnectionStart | None = None
        self._opened: asyncio.Future[bool] | None = None
        self._close_ok: asyncio.Future[bool] | None = None
        self._secret_ok: asyncio.Future[bool] | None = None
        self._close_reason: Exception | None = None
        self._wrote = False
        self._read = False
        self._out: list[bytes] = []
        self._out_size = 0
        # Bytes of deliveries waiting in consumers' queues; reading pauses above max_buffered.
        self.buffered = Buffered()
        self._warned_buffered = False

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        # Publishers wait above the high-water mark; the default (64 KiB) would stall the socket
        # between large messages.
        transport.set_write_buffer_limits(high=_WRITE_BUFFER_HIGH)  # type: ignore[attr-defined]
        self._opened = self._loop.create_future()
        transport.write(PROTOCOL_HEADER)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self._read = True
        if self.server_properties is None and data[:4] == b"AMQP":
            self._refused_protocol(data)
            return
        decode_method = m.decode_method
        try:
            for frame_type, channel_id, buf, start, end in self._parser.feed(data):
                if frame_type == FRAME_METHOD:
                    method = decode_method(buf, start, end)
                    if channel_id == 0:
                        self._on_connection_method(method)
                    else:
                        channel = self.channels.get(channel_id)
                        if channel is not None:
                            channel.on_method(method)
                elif frame_type == FRAME_BODY:
                    channel = self.channels.get(channel_id)
                    if channel is not None:
                        channel.on_body(buf, start, end)
                elif frame_type == FRAME_HEADER:
                    channel = self.channels.get(channel_id)
                    if channel is not None:
                        channel.on_header(buf, start, end)
                elif frame_type != FRAME_HEARTBEAT:
                    raise exceptions.FrameError(f"unknown frame type {frame_type}")
        except exceptions.AmqpProtocolError as exc:
            self._protocol_error(exc)
        except (struct.error, IndexError, ValueError) as exc:  # a frame too short for its fields
            self._protocol_error(exceptions.AmqpDecodeError(f"malformed frame: {exc}"))
            return
        buffered = self.buffered
        if buffered.size > self.max_buffered > 0 and not buffered.paused:
            self.update_reading()  # consumers hold too much: stop reading until they catch up

    def _refused_protocol(self, data: bytes) -> None:
        """The peer answered our header with its own: it does not speak AMQP 0-9-1."""
        version = ".".join(str(octet) for octet in data[5:8])
        self._close_reason = exceptions.AmqpClosedConnection(
            f"the broker does not support AMQP 0-9-1 (it offers protocol {version})"
        )
        assert self._transport is not None
        self._close_transport()
        self._connection_closed(self._close_reason)

    def connection_lost(self, exc: Exception | None) -> None:
        reason = self._close_reason or exceptions.AmqpClosedConnection(
            f"connection lost: {exc}" if exc else "connection lost"
        )
        self._connection_closed(reason)

    # -- handshake and connection methods -----------------------------------------------------

    async def start_connection(
        self,
        host: str,
        port: int,
        login: str,
        password: str,
        virtualhost: str,
        ssl: Any = False,
        login_method: str = "PLAIN",
        insist: bool = False,
    ) -> None:
        """Run the handshake (start, tune, open) and return once the connection is open."""
        self._virtualhost = virtualhost
        self._mechanism = auth.mechanism(login_method, login, password)
        if self._early_start is not None:
            self._on_start(self._early_start)
        assert self._opened is not None
        await self._opened

    def _send(self, method: m.Method) -> None:
        self._emit(method_frame(0, method.encode()))
        self._flush()

    def _on_connection_method(self, method: m.Method) -> None:
        handler = self._CONNECTION_HANDLERS.get(method.INDEX)
        if handler is None:
            raise exceptions.UnexpectedFrame(f"unexpected {method.NAME} on channel 0")
        handler(self, method)

    def _on_start(self, method: m.ConnectionStart) -> None:
        mechanism = self._mechanism
        if mechanism is None:  # start_connection has not been called yet
            self._early_start = method
            return
        self.server_properties = dict(method.server_properties or {})
        self.version_major, self.version_minor = method.version_major, method.version_minor
        login_method = mechanism.name
        mechanisms, locales = method.mechanisms, method.locales
        if isinstance(mechanisms, bytes):
            mechanisms = mechanisms.decode(errors="replace")
        if isinstance(locales, bytes):
            locales = locales.decode(errors="replace")
        self.server_mechanisms, self.server_locales = mechanisms, locales
        offered = mechanisms.split()
        if login_method not in offered:
            self._close_reason = exceptions.AmqpClosedConnection(
                f"the broker does not offer {login_method} (offers: {' '.join(offered)})"
            )
            assert self._transport is not None
            self._close_transport()
            self._connection_closed(self._close_reason)
            return
        response = mechanism.response()
        client_properties = {
            "product": "aioamqp",
            "version": VERSION,
            "platform": f"Python {platform.python_version()}",
            **self.client_properties,
        }
        client_properties["capabilities"] = {
            **CAPABILITIES,
            **client_properties.get("capabilities", {}),
        }
        self._send(m.ConnectionStartOk(client_properties, login_method, response, "en_US"))
        mechanism.password = ""  # not kept once it has been used

    def _on_tune(self, method: m.ConnectionTune) -> None:
        self.broker_channel_max = method.channel_max
        self.broker_frame_max = method.frame_max
        self.broker_heartbeat = method.heartbeat
        tuning = negotiate(
            self.connection_tunning, method.channel_max, method.frame_max, method.heartbeat
        )
        self.channel_max, self.frame_max, self.heartbeat = tuning
        self._parser.frame_max = self.frame_max
        self.server_channel_max = self.channel_max
        self.server_frame_max = self.frame_max
        self.server_heartbeat = self.heartbeat
        self._send(m.ConnectionTuneOk(self.channel_max, self.frame_max, self.heartbeat))
        self._send(m.ConnectionOpen(self._virtualhost))

    def _on_open_ok(self, method: m.ConnectionOpenOk) -> None:
        self.state = OPEN
        self.worker = asyncio.get_running_loop().create_task(self._heartbeat())
        assert self._opened is not None
        if not self._opened.done():
            self._opened.set_result(True)

    def _on_close(self, method: m.ConnectionClose) -> None:
        self._send(m.ConnectionCloseOk())
        self._close_reason = exceptions.AmqpClosedConnection(
            f"closed by the broker: {method.reply_code} {method.reply_text}",
            method.reply_code,
            method.reply_text,
        )
        assert self._transport is not None
        self._close_transport()
        self._connection_closed(self._close_reason)

    def _on_close_ok(self, method: m.ConnectionCloseOk) -> None:
        if self._close_ok is not None and not self._close_ok.done():
            self._close_ok.set_result(True)

    def _on_blocked(self, method: m.ConnectionBlocked) -> None:
        logger.warning("connection blocked by the broker: %s", method.reason)
        self.is_blocked = True
        self._update_publish_gate()
        if self._blocked_callback is not None:
            self.call_user(self._blocked_callback, method.reason)

    def _on_unblocked(self, method: m.ConnectionUnblocked) -> None:
        logger.info("connection unblocked by the broker")
        self.is_blocked = False
        self._update_publish_gate()
        if self._unblocked_callback is not None:
            self.call_user(self._unblocked_callback)

    def _on_update_secret_ok(self, method: m.ConnectionUpdateSecretOk) -> None:
        if self._secret_ok is not None and not self._secret_ok.done():
            self._secret_ok.set_result(True)

    _CONNECTION_HANDLERS: dict[int, Callable[[AmqpProtocol, Any], None]] = {
        m.ConnectionStart.INDEX: _on_start,
        m.ConnectionTune.INDEX: _on_tune,
        m.ConnectionOpenOk.INDEX: _on_open_ok,
        m.ConnectionClose.INDEX: _on_close,
        m.ConnectionCloseOk.INDEX: _on_close_ok,
        m.ConnectionBlocked.INDEX: _on_blocked,
        m.ConnectionUnblocked.INDEX: _on_unblocked,
        m.ConnectionUpdateSecretOk.INDEX: _on_update_secret_ok,
    }

    # -- the one path for every ending --------------------------------------------------------

    def _protocol_error(self, exc: exceptions.AmqpProtocolError) -> None:
        """Bad bytes from the peer: tell it why (the spec's reply code) and drop the connection."""
        logger.error("protocol error, closing the connection: %s", exc)
        self._close_reason = exceptions.AmqpClosedConnection(
            f"protocol error: {exc}", exc.reply_code, str(exc)
        )
        if self._transport is not None and not self._transport.is_closing():
            text = str(exc).encode()[:255].decode(errors="ignore")
            self._send(m.ConnectionClose(exc.reply_code, text, 0, 0))
            self._close_transport()
        self._connection_closed(self._close_reason)

    def _connection_closed(self, exc: Exception, interrupt: bool = True) -> None:
        """Fail every waiter; interrupt callbacks unless the close was graceful (ours)."""
        if self.state == CLOSED:
            return
        unexpected = self.state != CLOSING or self._close_reason is not None
        self.state = CLOSED
        for future in (self._opened, self._close_ok, self._secret_ok):
            if future is not None and not future.done():
                future.set_exception(exceptions.fresh(exc))
                future.exception()  # retrieved here: a caller may have stopped waiting
        for channel in list(self.channels.values()):
            channel.set_closed(exc, interrupt)
        self._update_publish_gate()  # publishers waiting on flow control see the loss
        self.stop_now.set()
        if unexpected and self._on_error_callback is not None:
            self._call_on_error(exc)

    def _call_on_error(self, exc: Exception) -> None:
        # As the channels see it: aioamqp 0.15 handed on_error a ChannelClosed (code, message).
        error = exceptions.closed_for_channels(exc)
        self.call_user(self._on_error_callback, error)  # type: ignore[arg-type]

    def call_user(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run a plain or coroutine callback without awaiting it here; log its failure."""
        try:
            result = callback(*args)
        except Exception:
            logger.exception("%r failed", callback)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._log_task_failure)

    def _log_task_failure(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("callback failed", exc_info=task.exception())

    # -- flow control: broker alarms (connection.blocked) and a full write buffer --------------

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_publish_gate()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._update_publish_gate()

    def _update_publish_gate(self) -> None:
        closed = self.state == CLOSED
        if (self.is_blocked or self._writing_paused) and not closed:
            if self.publish_gate is None:
                self.publish_gate = asyncio.get_running_loop().create_future()
        elif self.publish_gate is not None:
            gate, self.publish_gate = self.publish_gate, None
            if not gate.done():
                gate.set_result(None)

    async def wait_publishable(self) -> None:
        """Wait until the broker unblocks us and the write buffer drains."""
        while self.publish_gate is not None:
            gate = self.publish_gate
            if self.is_blocked and self.blocked_timeout is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(gate), self.blocked_timeout)
                except asyncio.TimeoutError:
                    raise exceptions.ConnectionBlocked(
                        f"broker still blocks publishing after {self.blocked_timeout} s"
                    ) from None
            else:
                await asyncio.shield(gate)
        if self.state != OPEN:
            raise self._closed_error()

    async def _heartbeat(self) -> None:
        """Send a heartbeat after half an interval without writes; after two intervals without
        reads, the peer is dead: abort and take the loss path. Ticks every quarter interval."""
        if not self.heartbeat:
            await self.stop_now.wait()
            return
        tick = self.heartbeat / 4
        silent_ticks = idle_ticks = 0
        while True:
            try:
                await asyncio.wait_for(self.stop_now.wait(), tick)
                return
            except asyncio.TimeoutError:
                pass
            idle_ticks = 0 if self._wrote else idle_ticks + 1
            silent_ticks = 0 if self._read else silent_ticks + 1
            self._wrote = self._read = False
            if idle_ticks >= 2 and self.state != CLOSED:
                await self.send_heartbeat()
                idle_ticks = 0
            if self.reading_paused:  # we stopped reading: the broker's silence is ours
                silent_ticks = 0
            if silent_ticks >= 8:
                self._close_reason = exceptions.AmqpClosedConnection(
                    f"heartbeat timeout: nothing received for {2 * self.heartbeat} s"
                )
                if self._transport is not None:
                    self._transport.abort()
                self._connection_closed(self._close_reason)
                return

    async def ensure_open(self) -> None:
        """Return if the connection is open; raise AmqpClosedConnection if it is closed, or once
        a close in progress has finished; AioamqpException while it is still connecting."""
        if self.state == OPEN:
            return
        if self.state == CLOSING:
            await self.stop_now.wait()
        if self.state == CONNECTING:
            raise exceptions.AioamqpException("the connection is not open yet")
        raise self._closed_error()

    async def send_heartbeat(self) -> None:
        """Send one heartbeat frame. The connection calls it by itself when it has written
        nothing for half a heartbeat interval."""
        if self.state == CLOSED:
            raise self._closed_error()
        self._emit(HEARTBEAT_FRAME)
        self._wrote = True

    def _closed_error(self) -> Exception:
        reason = self._close_reason or exceptions.AmqpClosedConnection()
        return exceptions.fresh(exceptions.closed_for_channels(reason))

    # -- the outbound path; with the read-side flow control below, the interface channels use -

    def write_frames(self, data: bytes) -> None:
        """Hand whole frames to the transport now (after any merged acks, to keep the order):
        once a publish or an RPC returns, closing the transport or the loop loses nothing.
        Raises once the connection is closed."""
        if self.state != OPEN:
            raise self._closed_error()
        if self._out:
            self._flush()
        assert self._transport is not None
        if not self._transport.is_closing():
            self._transport.write(data)
        self._wrote = True

    def write_method(
        self, channel_id: int, payload: bytes, name: str, merged: bool = False
    ) -> None:
        """Write one method frame (merged with others until the end of the loop turn if asked);
        a payload over frame_max raises FrameTooLarge before anything is written."""
        frame = checked_method_frame(channel_id, payload, self.frame_max, name)
        if merged:
            self.write_frames_soon(frame)
        else:
            self.write_frames(frame)

    def write_message(self, data: bytes | list[bytes | memoryview], merged: bool = False) -> None:
        """Write a message's frames (frames.message_frames): one buffer, or a large body's
        pieces, which are never merged."""
        if type(data) is not bytes:
            self.write_frame_parts(data)  # type: ignore[arg-type]
        elif merged:
            self.write_frames_soon(data)
        else:
            self.write_frames(data)

    def write_frames_soon(self, data: bytes) -> None:
        """Queue frames to be merged with others until the end of the loop turn (one send for
        many): acks, nacks and rejects (losing one means a redelivery, never a loss) and
        confirmed publishes (their caller waits for the broker's ack). Every close and every
        direct write flushes them first."""
        if self.state != OPEN:
            raise self._closed_error()
        self._emit(data)
        self._wrote = True

    def write_frame_parts(self, parts: list[bytes | memoryview]) -> None:
        """Write a large message piece by piece, in order, without joining it first."""
        if self.state != OPEN:
            raise self._closed_error()
        self._flush()
        assert self._transport is not None
        if not self._transport.is_closing():
            for part in parts:
                self._transport.write(part)
        self._wrote = True

    def _emit(self, data: bytes) -> None:
        """Merged writes: those made in one turn of the loop go to the socket together (one
        send instead of one per ack), at the end of the turn, or at once past _FLUSH_SIZE so
        the transport's flow control still applies."""
        out = self._out
        out.append(data)
        if len(out) == 1:
            self._loop.call_soon(self._flush)
        self._out_size += len(data)
        if self._out_size >= _FLUSH_SIZE:
            self._flush()

    def _flush(self) -> None:
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        self._out_size = 0
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    # -- read-side flow control: consumers' buffered deliveries ------------------------------

    @property
    def reading_paused(self) -> bool:
        """Whether reading from the socket is paused until consumers catch up."""
        return self.buffered.paused

    def update_reading(self) -> None:
        """Pause reading while consumers hold more than max_buffered bytes, unless a reply is
        due (an RPC, perhaps made by a callback, must not wait for the callbacks)."""
        transport = self._transport
        if transport is None or self.state == CLOSED:
            return
        buffered = self.buffered
        size = buffered.size
        if buffered.paused:
            low = size <= self.max_buffered // 4
            if low or self.state == CLOSING or self._replies_due():
                buffered.paused = False
                transport.resume_reading()
        elif 0 < self.max_buffered < size and not self._replies_due():
            buffered.paused = True
            transport.pause_reading()
            if not self._warned_buffered:
                self._warned_buffered = True
                logger.warning(
                    "consumers hold %d bytes of deliveries: reading from the broker pauses until"
                    " they catch up; set basic_qos(prefetch_count=...) to bound this instead",
                    size,
                )

    def _replies_due(self) -> bool:
        secret = self._secret_ok
        if secret is not None and not secret.done():
            return True
        return any(channel.replies_due() for channel in self.channels.values())

    # -- API ----------------------------------------------------------------------------------

    def _close_transport(self) -> None:
        """Send what is queued (a close or close-ok among it), then close the socket."""
        self._flush()
        assert self._transport is not None
        self._transport.close()

    async def channel(self, **kwargs: Any) -> Channel:
        """Open a new channel (kwargs go to the channel factory, e.g. return_callback)."""
        if self.state != OPEN:
            raise self._closed_error()
        channel_id = self._channel_ids.allocate(self.channel_max)
        channel: Channel = self.CHANNEL_FACTORY(self, channel_id, **kwargs)
        self.channels[channel_id] = channel
        try:
            await channel.open()
        except (asyncio.CancelledError, asyncio.TimeoutError):
            # The broker may still open it: the id stays taken until the channel is closed.
            if self.state == OPEN:
                channel.abandon()
            else:
                self.release_channel(channel)
            raise
        except BaseException:
            self.release_channel(channel)
            raise
        return channel

    @property
    def channels_ids_count(self) -> int:
        """How many channel ids are in use: open channels, and those still closing."""
        return self._channel_ids.in_use

    @property
    def channels_ids_ceil(self) -> int:
        """The highest channel id handed out so far."""
        return self._channel_ids.ceil

    @property
    def channels_ids_free(self) -> set[int]:
        """Released ids below channels_ids_ceil, handed out again first."""
        return self._channel_ids.free

    def release_channel(self, channel: Channel) -> None:
        """A channel has ended on both sides: its id may be handed out again."""
        if self.channels.get(channel.channel_id) is channel:
            del self.channels[channel.channel_id]
            self._channel_ids.release(channel.channel_id)

    async def close(self, no_wait: bool = False, timeout: float | None = None) -> None:
        """Close the connection; a second close raises AmqpClosedConnection. Returns normally
        if the broker closes the connection, or it is lost, while this waits for close-ok.

        Running consumer callbacks finish (no_ack deliveries already received still reach
        them) within timeout, or DEFAULT_CALLBACK_GRACE seconds without one; then they are
        cancelled.
        """
        if self.state != OPEN:
            raise self._closed_error()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (DEFAULT_CALLBACK_GRACE if timeout is None else timeout)
        self.state = CLOSING
        self._close_ok = loop.create_future()
        self._send(m.ConnectionClose(200, "Normal shutdown", 0, 0))
        if self.reading_paused:
            self.update_reading()  # the close-ok must be read
        if not no_wait:
            try:
                await asyncio.wait_for(self._close_ok, timeout)
            except asyncio.TimeoutError:
                logger.warning("no close-ok from the broker within %s s", timeout)
            except exceptions.AmqpClosedConnection:
                pass  # the broker closed it too, or it was lost: closed all the same
        assert self._transport is not None
        consumers = [consumer for ch in self.channels.values() for consumer in ch.consumers()]
        self._close_transport()
        self._connection_closed(
            exceptions.AmqpClosedConnection("closed by the client"), interrupt=False
        )
        caller = running_consumer.get()  # a callback closing the connection: not waited for
        running = {consumer.task for consumer in consumers if consumer is not caller}
        if running:
            await asyncio.wait(running, timeout=max(0.0, deadline - loop.time()))
        for consumer in consumers:
            if consumer is not caller and not consumer.task.done():
                consumer.interrupt("its callback outlived the connection's close")

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the connection has ended, whatever ended it (close(), the broker, a
        network failure, a heartbeat timeout); TimeoutError after timeout seconds."""
        await asyncio.wait_for(self.stop_now.wait(), timeout)

    async def update_secret(
        self, new_secret: str, reason: str = "", timeout: float | None = None
    ) -> bool:
        """Give the broker a new secret (e.g. a refreshed OAuth token) for this connection."""
        if self.state != OPEN:
            raise self._closed_error()
        self._secret_ok = asyncio.get_running_loop().create_future()
        self.write_frames(method_frame(0, m.ConnectionUpdateSecret(new_secret, reason).encode()))
        if self.buffered.paused:
            self.update_reading()  # the reply must be read
        return await asyncio.wait_for(self._secret_ok, timeout)
