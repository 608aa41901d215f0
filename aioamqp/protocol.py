"""The connection's asyncio shell: the transport, futures, timers, write batching and flow control
around the sans-IO connection state (core.connection.Connection), which owns the handshake, the
close sequences, the channel table and frame dispatch.

The frame reader (buffer_updated) never awaits: replies resolve futures, deliveries go to each
consumer's own task. Every way the connection can end goes through `_connection_closed`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

from . import exceptions
from ._generated.constants import FRAME_MIN_SIZE
from .channel import Channel
from .core import auth
from .core.connection import CLOSED, CLOSING, CONNECTING, OPEN, Connection
from .core.consumers import Buffered
from .consumer import running_consumer
from .frames import HEARTBEAT_FRAME, checked_method_frame

logger = logging.getLogger(__name__)

__all__ = ["AmqpProtocol", "CONNECTING", "OPEN", "CLOSING", "CLOSED"]

_FLUSH_SIZE = 65536  # merged acks that are written without waiting for the end of the loop turn
# Deliveries buffered for consumers, in bytes: reading from the socket pauses above the high
# mark and resumes below the low one, so a slow consumer without basic_qos cannot fill memory.
DEFAULT_MAX_BUFFERED = 16 << 20
DEFAULT_CALLBACK_GRACE = 10.0  # seconds close() lets running callbacks finish, without timeout


class AmqpProtocol(asyncio.BufferedProtocol):
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
        self.core = Connection(self, self.connection_tunning, self.client_properties)
        self._writing_paused = False
        # Set while publishing must wait (broker blocked us, or the write buffer is full).
        self.publish_gate: asyncio.Future[None] | None = None
        self.server_address: tuple[str, int] | None = None  # the host and port connected to
        self.stop_now = asyncio.Event()
        self.connection_closed = self.stop_now  # aioamqp 0.15's name: set once it has ended
        self.worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._transport: asyncio.Transport | None = None
        self._opened: asyncio.Future[bool] | None = None
        self._close_ok: asyncio.Future[bool] | None = None
        self._secret_ok: asyncio.Future[bool] | None = None
        self._wrote = False
        self._read = False
        self._out: list[bytes | bytearray] = []
        self._out_size = 0
        self.flushes = 0  # merged writes handed to the transport so far, batch by batch
        # Bytes of deliveries waiting in consumers' queues; reading pauses above max_buffered.
        self.buffered = Buffered()
        self._warned_buffered = False

    # -- the connection's state, under aioamqp 0.15's names (kept by the core) ---------------

    @property
    def state(self) -> str:
        """CONNECTING, OPEN, CLOSING or CLOSED."""
        return self.core.state

    @property
    def channels(self) -> dict[int, Channel]:
        """The channels by id: open ones, and those still closing."""
        return self.core.channels  # type: ignore[return-value]

    @property
    def is_blocked(self) -> bool:
        """Whether the broker blocks publishing (connection.blocked)."""
        return self.core.is_blocked

    @property
    def version_major(self) -> int | None:
        return self.core.version_major

    @property
    def version_minor(self) -> int | None:
        return self.core.version_minor

    @property
    def server_properties(self) -> dict[str, Any] | None:
        return self.core.server_properties

    @property
    def server_mechanisms(self) -> str | None:
        return self.core.server_mechanisms

    @property
    def server_locales(self) -> str | None:
        return self.core.server_locales

    @property
    def channel_max(self) -> int:
        return self.core.tuning.channel_max

    @property
    def frame_max(self) -> int:
        return self.core.tuning.frame_max

    @property
    def heartbeat(self) -> int:
        return self.core.tuning.heartbeat

    # The values sent in tune-ok (as aioamqp 0.15), and what the broker offered in tune.
    @property
    def server_channel_max(self) -> int | None:
        return self.core.tuning.channel_max if self.core.offered else None

    @property
    def server_frame_max(self) -> int | None:
        return self.core.tuning.frame_max if self.core.offered else None

    @property
    def server_heartbeat(self) -> int | None:
        return self.core.tuning.heartbeat if self.core.offered else None

    @property
    def broker_channel_max(self) -> int | None:
        return self.core.offered.channel_max if self.core.offered else None

    @property
    def broker_frame_max(self) -> int | None:
        return self.core.offered.frame_max if self.core.offered else None

    @property
    def broker_heartbeat(self) -> int | None:
        return self.core.offered.heartbeat if self.core.offered else None

    # -- asyncio.BufferedProtocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._loop = asyncio.get_running_loop()
        # Publishers wait above asyncio's write-buffer high-water mark (64 KiB): a larger one
        # only held more of each large body in memory (bench sweep: the same msg/s, peak RSS
        # growth at 1 MiB bodies 2.6 MiB instead of 11.4).
        self._opened = self._loop.create_future()
        self._send_core()  # the protocol header

    def get_buffer(self, sizehint: int) -> memoryview:
        """Reads go straight into the core's frame buffer: nothing is allocated per read."""
        return self.core.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self._read = True
        self.core.buffer_updated(nbytes)
        if self.core.outgoing:
            self._send_core()
        buffered = self.buffered
        if buffered.size > self.max_buffered > 0 and not buffered.paused:
            self.update_reading()  # consumers hold too much: stop reading until they catch up

    def connection_lost(self, exc: Exception | None) -> None:
        reason = self.core.close_reason or exceptions.AmqpClosedConnection(
            f"connection lost: {exc}" if exc else "connection lost"
        )
        self._connection_closed(reason)

    # -- what the core reports (core.connection.Events) ---------------------------------------

    def opened(self) -> None:
        self.worker = self._loop.create_task(self._heartbeat())
        assert self._opened is not None
        if not self._opened.done():
            self._opened.set_result(True)

    def ended(self, reason: exceptions.AmqpClosedConnection) -> None:
        self._close_transport()
        self._connection_closed(reason)

    def close_ok(self) -> None:
        if self._close_ok is not None and not self._close_ok.done():
            self._close_ok.set_result(True)

    def blocked(self, reason: str) -> None:
        logger.warning("connection blocked by the broker: %s", reason)
        self._update_publish_gate()
        if self._blocked_callback is not None:
            self.call_user(self._blocked_callback, reason)

    def unblocked(self) -> None:
        logger.info("connection unblocked by the broker")
        self._update_publish_gate()
        if self._unblocked_callback is not None:
            self.call_user(self._unblocked_callback)

    def secret_ok(self) -> None:
        if self._secret_ok is not None and not self._secret_ok.done():
            self._secret_ok.set_result(True)

    # -- handshake ----------------------------------------------------------------------------

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
        self.server_address = (host, port)
        self.core.login(auth.mechanism(login_method, login, password), virtualhost)
        if self.core.outgoing:
            self._send_core()
        assert self._opened is not None
        await self._opened

    def _send_core(self) -> None:
        """Write the connection's own frames, in order after anything merged."""
        self._emit(self.core.data_to_send())
        self._flush()

    # -- the one path for every ending --------------------------------------------------------

    def _connection_closed(self, exc: Exception, interrupt: bool = True) -> None:
        """Fail every waiter; interrupt callbacks unless the close was graceful (ours)."""
        if not self.core.end():
            return
        for future in (self._opened, self._close_ok, self._secret_ok):
            if future is not None and not future.done():
                future.set_exception(exceptions.fresh(exc))
                future.exception()  # retrieved here: a caller may have stopped waiting
        for channel in list(self.channels.values()):
            channel.set_closed(exc, interrupt)
        self._update_publish_gate()  # publishers waiting on flow control see the loss
        self.stop_now.set()
        if self.core.unexpected_end and self._on_error_callback is not None:
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
                reason = exceptions.AmqpClosedConnection(
                    f"heartbeat timeout: nothing received for {2 * self.heartbeat} s"
                )
                self.core.fail(reason)
                if self._transport is not None:
                    self._transport.abort()
                self._connection_closed(reason)
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
        reason = self.core.close_reason or exceptions.AmqpClosedConnection()
        return exceptions.fresh(exceptions.closed_for_channels(reason))

    # -- the outbound path; with the read-side flow control below, the interface channels use -

    def write_frames(self, data: bytes) -> None:
        """Hand whole frames to the transport now (after any merged acks, to keep the order):
        once a publish or an RPC returns, closing the transport or the loop loses nothing.
        Raises once the connection is closed."""
        if self.core.state is not OPEN:
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

    def write_frames_soon(self, data: bytes | bytearray) -> None:
        """Queue frames to be merged with others until the end of the loop turn (one send for
        many): acks, nacks and rejects (losing one means a redelivery, never a loss) and
        confirmed publishes (their caller waits for the broker's ack). Every close and every
        direct write flushes them first."""
        if self.core.state is not OPEN:
            raise self._closed_error()
        self._emit(data)
        self._wrote = True

    def write_frame_parts(self, parts: list[bytes | memoryview]) -> None:
        """Write a large message piece by piece, in order, without joining it first."""
        if self.core.state is not OPEN:
            raise self._closed_error()
        self._flush()
        assert self._transport is not None
        if not self._transport.is_closing():
            for part in parts:
                self._transport.write(part)
        self._wrote = True

    def _emit(self, data: bytes | bytearray) -> None:
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
        self.flushes += 1  # a merged ack queued before this is written: it is final now
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
        assert self._transport is not None
        if self._transport.is_closing():
            return
        if self.core.outgoing:
            self._emit(self.core.data_to_send())
        self._flush()
        self._transport.close()

    async def channel(self, **kwargs: Any) -> Channel:
        """Open a new channel (kwargs go to the channel factory, e.g. return_callback)."""
        if self.state != OPEN:
            raise self._closed_error()
        channel_id = self.core.allocate_channel()
        channel: Channel = self.CHANNEL_FACTORY(self, channel_id, **kwargs)
        self.core.attach(channel_id, channel)
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
        return self.core.channel_ids.in_use

    @property
    def channels_ids_ceil(self) -> int:
        """The highest channel id handed out so far."""
        return self.core.channel_ids.ceil

    @property
    def channels_ids_free(self) -> set[int]:
        """Released ids below channels_ids_ceil, handed out again first."""
        return self.core.channel_ids.free

    def release_channel(self, channel: Channel) -> None:
        """A channel has ended on both sides: its id may be handed out again."""
        self.core.release(channel.channel_id, channel)

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
        self._close_ok = loop.create_future()
        self.core.close()
        self._send_core()
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
        self.core.update_secret(new_secret, reason)
        self._send_core()
        if self.buffered.paused:
            self.update_reading()  # the reply must be read
        return await asyncio.wait_for(self._secret_ok, timeout)
