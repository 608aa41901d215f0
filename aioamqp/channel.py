"""An AMQP channel: the generated method stubs plus what they cannot know.

Hand-written here: RPC bookkeeping (replies come back in request order), content assembly
(method, header, body frames), consumers (one ordered task each, so the frame reader never awaits
user code), publisher confirms, returns, basic_get and the channel's own open/close.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Callable, Mapping, Protocol

from . import exceptions, hooks
from ._generated import methods as m
from ._generated.channel_methods import ChannelMethods
from ._generated.properties import BasicProperties
from ._generated.properties import encode_basic_properties
from .core.acks import Acks
from .core.confirms import Confirms, Sent
from .core.consumers import Buffered
from .core.replies import Orphan, Replies
from .consumer import Callback, Consumer, call_either
from .envelope import Envelope, ReturnEnvelope
from .frames import byte_view, message_frames, method_frame, retag_ack_frame

logger = logging.getLogger(__name__)

_PUBLISH_METHODS_KEPT = 256  # encoded basic.publish methods a channel keeps for reuse


class Link(Protocol):
    """What a channel uses of its connection (AmqpProtocol): its outbound path, flow control
    and bookkeeping. Named here so that channel.py does not import protocol.py."""

    publish_gate: asyncio.Future[None] | None
    buffered: Buffered
    flushes: int
    server_address: tuple[str, int] | None

    @property
    def frame_max(self) -> int: ...

    @property
    def reading_paused(self) -> bool: ...

    def write_method(
        self, channel_id: int, payload: bytes, name: str, merged: bool = False
    ) -> None: ...

    def write_message(
        self, data: bytes | list[bytes | memoryview], merged: bool = False
    ) -> None: ...

    def write_frames_soon(self, data: bytes | bytearray) -> None: ...

    async def wait_publishable(self) -> None: ...

    def update_reading(self) -> None: ...

    def release_channel(self, channel: Channel) -> None: ...

    def call_user(self, callback: Callable[..., Any], *args: Any) -> None: ...


class Channel(ChannelMethods):
    """One AMQP channel. Create it with `await protocol.channel()`."""

    def __init__(
        self,
        protocol: Link,
        channel_id: int,
        return_callback: Callback | None = None,
    ) -> None:
        self.protocol = protocol
        self.channel_id = channel_id
        self.return_callback = return_callback
        self.is_open = False
        self.publisher_confirms = False
        self.consumer_callbacks: dict[str, Callback] = {}
        self.cancellation_callbacks: list[Callback] = []
        self.cancelled_consumers: set[str] = set()  # tags the broker cancelled
        self.last_consumer_tag: str | None = None
        self.close_event = asyncio.Event()
        self._closing = False
        self._abandoned = False
        self._close_ok_due = False  # both sides closed at once: the broker's close-ok is to come
        self._close_exception: Exception | None = None
        # (accepted reply INDEXes, future, orphan); replies on a channel arrive in request order
        self.replies: Replies[asyncio.Future[Any]] = Replies(channel_id)
        self._consumers: dict[str, Consumer] = {}
        # Consumers being cancelled: deliveries may still come until the broker's cancel-ok.
        self._ending: dict[str, Consumer] = {}
        self._returns: Consumer | None = None
        self.confirms: Confirms[asyncio.Future[None]] = Confirms()
        # Acks in delivery order merge into one multiple ack per loop turn (core/acks.py): the
        # frame is a bytearray queued with the merged writes, rewritten while the merge lasts
        # and until it is written (the connection's flush count tells).
        self.acks = Acks()
        # basic.publish payloads by destination: most publishers use a few, over and over.
        self._publish_methods: dict[tuple[Any, Any, bool, bool], bytes] = {}
        self._merged_ack = bytearray()
        self._merged_ack_at = (-1, -1)  # (acks.merge_id, protocol.flushes) it was queued at

    def __repr__(self) -> str:
        return f"<Channel {self.channel_id} {'open' if self.is_open else 'closed'}>"

    @property
    def close_exception(self) -> Exception | None:
        """Why the channel closed (ChannelClosed with the broker's code, or a
        ChannelConnectionClosed when the connection ended); None while it is open."""
        return self._close_exception

    # -- writing ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self.is_open or self._closing:
            raise exceptions.fresh(self._close_exception or exceptions.ChannelClosed())

    async def _write_payload(self, payload: bytes, name: str) -> None:
        """Send a method that gets no reply, as its encoded payload."""
        self._check_open()
        self.protocol.write_method(self.channel_id, payload, name)

    def _write_settlement(self, payload: bytes, name: str, tag: int, multiple: bool) -> None:
        """A nack, a reject, or an ack not merged: written at the end of the loop turn with
        other merged frames (losing one means a redelivery, not a loss), after the merged ack
        it ends."""
        self.acks.settled(tag, multiple)
        self.protocol.write_method(self.channel_id, payload, name, merged=True)

    def _write_ack(self, delivery_tag: int, multiple: bool) -> None:
        if not self.acks.ack(delivery_tag, multiple):
            payload = m.BasicAck.pack(delivery_tag, multiple)
            self.protocol.write_method(self.channel_id, payload, "basic.ack", merged=True)
            return
        protocol = self.protocol
        queued_at = (self.acks.merge_id, protocol.flushes)
        if queued_at == self._merged_ack_at:  # not written yet: it now settles up to this tag
            retag_ack_frame(self._merged_ack, delivery_tag)
            return
        # Alone, it is the consumer's own single ack; a second one makes it multiple.
        frame = method_frame(self.channel_id, m.BasicAck.pack(delivery_tag, False))
        self._merged_ack = merged = bytearray(frame)
        self._merged_ack_at = queued_at
        protocol.write_frames_soon(merged)

    async def _rpc(
        self, method: m.Method, *, no_wait: bool = False, timeout: float | None = None
    ) -> Any:
        """Send a synchronous method and wait for its reply (None when no_wait)."""
        self._check_open()
        if no_wait:
            self.protocol.write_method(self.channel_id, method.encode(), method.NAME)
            return None
        return await self._request(method, timeout)

    async def _request(
        self, method: m.Method, timeout: float | None, orphan: Orphan | None = None
    ) -> Any:
        self.protocol.write_method(self.channel_id, method.encode(), method.NAME)
        return await self._reply(method.RESPONSES, timeout, orphan)

    async def _reply(
        self, replies: tuple[int, ...], timeout: float | None, orphan: Orphan | None = None
    ) -> Any:
        """Wait for the reply to the request just written. A timed-out or cancelled wait leaves
        its slot: the late reply is matched, and handed to orphan if there is one."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.replies.expect(replies, future, orphan)
        if self.protocol.reading_paused:
            self.protocol.update_reading()  # the reply must be read
        try:
            return await asyncio.wait_for(future, timeout)
        except BaseException:
            # The reply came, but the caller was cancelled before it could take it.
            if orphan is not None and future.done() and not future.cancelled():
                if future.exception() is None:
                    orphan(future.result())
            raise

    # -- incoming frames (called by the protocol's frame reader; never awaits) -----------------

    def on_method(self, method: m.Method) -> None:
        """A method without content (the core's frame dispatch has checked no content was due)."""
        handler = self._HANDLERS.get(method.INDEX)
        if handler is not None:
            handler(self, method)
        else:
            self._resolve(method, method)

    def on_message(self, method: m.Method, properties: BasicProperties, body: bytes) -> None:
        """A complete message (the core assembled it): a delivery, a basic_get's answer or a
        returned message, by the same handler table as methods without content."""
        handler = self._HANDLERS.get(method.INDEX)
        if handler is None:
            raise exceptions.UnexpectedFrame(f"{method.NAME} from the broker")
        handler(self, method, properties, body)

    def _on_deliver(self, method: m.BasicDeliver, properties: BasicProperties, body: bytes) -> None:
        tag = method.consumer_tag
        consumer = self._consumers.get(tag) or self._ending.get(tag)
        if consumer is None:
            logger.warning("delivery %d for unknown consumer %r dropped", method.delivery_tag, tag)
            return
        if self._closing and not consumer.no_ack:
            return  # the broker requeues it when the channel closes
        envelope = Envelope(
            method.consumer_tag,
            method.delivery_tag,
            method.exchange_name,
            method.routing_key,
            method.redelivered,
        )
        if consumer.no_ack:
            self.acks.arrived_settled(method.delivery_tag)
        consumer.push((body, envelope, properties))

    def _on_get_ok(self, method: m.BasicGetOk, properties: BasicProperties, body: bytes) -> None:
        self._resolve(method, (method, properties, body))

    def _resolve(self, reply: m.Method, result: Any) -> None:
        """Hand a reply to the oldest waiting request; drop it if that request gave up."""
        _, future, orphan = self.replies.answer(reply.NAME, reply.INDEX)
        if not future.done():
            future.set_result(result)
        elif orphan is not None:
            orphan(result)

    def _on_open_ok(self, method: m.Method) -> None:
        self.is_open = True
        self._resolve(method, True)
        if self._abandoned:
            self._close_abandoned()

    def abandon(self) -> None:
        """Opening was cancelled: close the channel once the broker has opened it."""
        if self.is_open:
            self._close_abandoned()
        elif self._close_exception is None:
            self._abandoned = True

    def _close_abandoned(self) -> None:
        self._closing = True
        method = m.ChannelClose(200, "open cancelled", 0, 0)
        self._send_unawaited(method)

    def _send_unawaited(self, method: m.Method) -> None:
        """Send a synchronous method whose reply nobody awaits (it is matched and dropped)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.protocol.write_method(self.channel_id, method.encode(), method.NAME)
        self.replies.expect(method.RESPONSES, future)

    def _on_close(self, method: m.ChannelClose) -> None:
        """The broker closed the channel: acknowledge, then fail everything waiting on it.

        If our own close crossed the broker's, the broker still answers it with close-ok: the
        channel id stays taken until then, so that reply cannot reach a new channel.
        """
        self.protocol.write_method(self.channel_id, m.ChannelCloseOk().encode(), "channel.close-ok")
        self._close_ok_due = self.replies.awaits(m.ChannelCloseOk.INDEX)
        self.set_closed(exceptions.ChannelClosed(method.reply_code, method.reply_text))

    def _on_close_ok(self, method: m.Method) -> None:
        if self._close_ok_due:  # the answer to a close that crossed the broker's
            self._close_ok_due = False
            self.protocol.release_channel(self)
            return
        self._resolve(method, True)
        self.set_closed(exceptions.ChannelClosed())

    def _on_flow(self, method: m.ChannelFlow) -> None:
        reply = m.ChannelFlowOk(method.active)
        self.protocol.write_method(self.channel_id, reply.encode(), reply.NAME)

    def _on_server_cancel(self, method: m.BasicCancel) -> None:
        """The broker cancelled a consumer (its queue was deleted, ...): what it delivered
        before still reaches the callback, which may ack it."""
        self.cancelled_consumers.add(method.consumer_tag)
        consumer = self._consumers.pop(method.consumer_tag, None)
        consumer = self._ending.pop(method.consumer_tag, consumer)
        self.consumer_callbacks.pop(method.consumer_tag, None)
        if consumer is not None:
            consumer.finish()
        if not method.no_wait:
            reply = m.BasicCancelOk(method.consumer_tag)
            self.protocol.write_method(self.channel_id, reply.encode(), reply.NAME)
        for callback in self.cancellation_callbacks:  # each on a task the connection tracks
            self.protocol.call_user(self._call_cancellation, callback, method.consumer_tag)

    async def _call_cancellation(self, callback: Callback, consumer_tag: str) -> None:
        try:
            await call_either(callback, self, consumer_tag)
        except Exception:
            logger.exception("cancellation callback for %r failed", consumer_tag)

    def _on_ack(self, method: m.BasicAck) -> None:
        for tag, future, returned in self.confirms.acked(method.delivery_tag, method.multiple):
            if future.done():
                continue
            if returned and self.return_callback is None:  # nobody else hears of it: fail it
                future.set_exception(exceptions.PublishFailed(tag, returned=True))
            else:
                future.set_result(None)

    def _on_nack(self, method: m.BasicNack) -> None:
        for tag, future, _ in self.confirms.nacked(method.delivery_tag, method.multiple):
            if not future.done():
                future.set_exception(exceptions.PublishFailed(tag))

    def _on_return(self, method: m.BasicReturn, properties: Any, body: bytes) -> None:
        if self._closing:
            return
        self.confirms.returned(method.exchange_name, method.routing_key, properties, body)
        envelope = ReturnEnvelope(
            method.reply_code, method.reply_text, method.exchange_name, method.routing_key
        )
        if self.return_callback is None:
            logger.warning("message returned by the broker and no return_callback: %r", envelope)
            return
        if self._returns is None:
            self._returns = Consumer(self, "<returns>", self.return_callback)
        self._returns.push((body, envelope, properties))

    def _on_consume_ok(self, method: m.BasicConsumeOk) -> None:
        consumer = self._consumers.get(method.consumer_tag)
        consumer = self._ending.get(method.consumer_tag, consumer)
        if consumer is not None:
            consumer.owed.registered = True
            if consumer.owed.cancel_on_ok:  # its basic_consume gave up waiting
                self._send_unawaited(m.BasicCancel(method.consumer_tag, False))
        self._resolve(method, method)

    def _on_cancel_ok(self, method: m.BasicCancelOk) -> None:
        consumer = self._ending.pop(method.consumer_tag, None)
        if consumer is not None:
            consumer.finish()
        self._resolve(method, method)

    def _reject_delivery(self, delivery_tag: int) -> None:
        """Give an ack-mode delivery back to the broker now (it redelivers it at once)."""
        if self.is_open and not self._closing:
            payload = m.BasicReject.pack(delivery_tag, True)
            self._write_settlement(payload, "basic.reject", delivery_tag, False)

    # Methods without content take (channel, method); with content, (channel, method,
    # properties, body).
    _HANDLERS: dict[int, Callable[..., None]] = {
        m.BasicDeliver.INDEX: _on_deliver,
        m.BasicGetOk.INDEX: _on_get_ok,
        m.BasicReturn.INDEX: _on_return,
        m.BasicConsumeOk.INDEX: _on_consume_ok,
        m.BasicCancelOk.INDEX: _on_cancel_ok,
        m.ChannelOpenOk.INDEX: _on_open_ok,
        m.ChannelClose.INDEX: _on_close,
        m.ChannelCloseOk.INDEX: _on_close_ok,
        m.ChannelFlow.INDEX: _on_flow,
        m.BasicCancel.INDEX: _on_server_cancel,
        m.BasicAck.INDEX: _on_ack,
        m.BasicNack.INDEX: _on_nack,
    }

    def set_closed(self, exc: Exception, interrupt: bool = False) -> None:
        """One path for every way a channel ends: fail waiters, stop consumers, free the id.

        Callbacks in hand finish, and no_ack deliveries still reach them, unless interrupt is
        set: the connection is lost, and then they are cancelled.
        """
        if self._close_exception is not None:
            return
        self.is_open = False
        exc = exceptions.closed_for_channels(exc)  # a lost connection: also a ChannelClosed
        self._close_exception = exc
        waiting = self.replies.clear() + self.confirms.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(exceptions.fresh(exc))
                future.exception()  # retrieved: the caller may have given up waiting
        for consumer in self.consumers():
            if interrupt:
                consumer.interrupt(str(exc))
            else:
                consumer.close()
        self._consumers.clear()
        self._ending.clear()
        self.close_event.set()
        if not self._close_ok_due:
            self.protocol.release_channel(self)

    def replies_due(self) -> bool:
        """Whether a request or a confirmed publish on this channel still waits for its reply."""
        return bool(len(self.replies) or self.confirms.pending)

    def consumers(self) -> list[Consumer]:
        """Every consumer still running on this channel, the returns' one included."""
        consumers = [*self._consumers.values(), *self._ending.values()]
        if self._returns is not None:
            consumers.append(self._returns)
        return consumers

    # -- API ----------------------------------------------------------------------------------

    async def open(self, timeout: float | None = None) -> bool:
        """Open the channel on the broker (protocol.channel() does this)."""
        return bool(await self._request(m.ChannelOpen(), timeout))

    async def close(  # type: ignore[override]
        self, reply_code: int = 0, reply_text: str = "Normal Shutdown", timeout: float | None = None
    ) -> bool:
        """Close the channel; returns True. Closing a closed channel raises ChannelClosed."""
        self._check_open()
        for consumer in self._consumers.values():
            consumer.close()  # the broker requeues unacked ones as it closes; no_ack ones run
        self._closing = True
        self.is_open = False  # from now on, as in aioamqp 0.15
        method = m.ChannelClose(reply_code, reply_text, 0, 0)
        return bool(await self._request(method, timeout))

    async def wait_closed(self) -> None:
        """Wait until the channel is closed, by either side or with its connection."""
        await self.close_event.wait()

    async def publish(
        self,
        payload: bytes | bytearray | memoryview | str,
        exchange_name: str,
        routing_key: str,
        properties: Mapping[str, Any] | BasicProperties | None = None,
        mandatory: bool = False,
        immediate: bool = False,
    ) -> None:
        """Publish one message; with confirms on, return once the broker acks it.

        payload is a str (sent UTF-8 encoded) or any bytes-like object, sent as its bytes (a
        buffer that is not contiguous raises TypeError before anything is sent).

        Waits while the broker blocks publishing or the socket's write buffer is full, so memory
        stays bounded when the broker or the network is slow.

        With hooks installed (aioamqp.hooks), the hook publishes the message in this call's place.
        """
        hook = hooks.active
        if hook is not None and not hooks.proceeding.get():
            args = (payload, exchange_name, routing_key, properties, mandatory, immediate)
            await hook.publish(_publish_past_hook, self, *args)
            return
        if self.protocol.publish_gate is not None:
            await self.protocol.wait_publishable()
        self._check_open()
        if isinstance(payload, str):
            payload = payload.encode()
        elif type(payload) is not bytes:
            payload = byte_view(payload)  # len() counts bytes, whatever the buffer's items
        destination = (exchange_name, routing_key, mandatory, immediate)
        try:
            method = self._publish_methods.get(destination)
        except TypeError:  # unhashable, so not a name: pack raises the right error for it
            method = None
        if method is None:
            method = m.BasicPublish.pack(exchange_name, routing_key, mandatory, immediate)
            if len(self._publish_methods) < _PUBLISH_METHODS_KEPT:
                self._publish_methods[destination] = method
        header = encode_basic_properties(properties)
        protocol = self.protocol
        data = message_frames(self.channel_id, method, header, payload, protocol.frame_max)
        if not self.publisher_confirms:
            protocol.write_message(data)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent = Sent(exchange_name, routing_key, header, payload) if mandatory else None
        self.confirms.publish(future, sent)
        # A confirmed publish returns only after the broker's ack, so its frames may wait for
        # the end of the loop turn and go out with others (one send for many).
        protocol.write_message(data, merged=True)
        if protocol.buffered.paused:
            protocol.update_reading()  # the confirm must be read
        await future

    basic_publish = publish

    async def confirm_select(
        self, timeout: float | None = None, *, no_wait: bool = False
    ) -> bool | None:
        """Turn on publisher confirms: publish() then waits for the broker's ack.

        Counting starts when confirm.select is sent: the broker numbers a publish that follows
        it as message 1 even before select-ok arrives.
        """
        self._check_open()
        self.publisher_confirms = True
        return await super().confirm_select(timeout, no_wait=no_wait)

    async def basic_consume(  # type: ignore[override]
        self,
        callback: Callback,
        queue_name: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Start a consumer; callback(channel, body, envelope, properties) runs in order.

        If this call is cancelled or times out after its request went out, the consumer is
        cancelled on the broker; what it delivers meanwhile goes back to the broker (ack mode)
        or still reaches the callback (no_ack).
        """
        self._check_open()
        consumer_tag = consumer_tag or f"ctag{self.channel_id}.{uuid.uuid4().hex}"
        ending = self._ending.get(consumer_tag)
        if consumer_tag in self._consumers or (ending is not None and not ending.owed.ending):
            raise exceptions.DuplicateConsumerTag(consumer_tag)  # the broker still has it
        method = m.BasicConsume(
            queue_name, consumer_tag, no_local, no_ack, exclusive, no_wait, arguments
        )
        payload = method.encode()
        # Registered before the request: deliveries can follow consume-ok in the same read.
        consumer = Consumer(
            self,
            consumer_tag,
            callback,
            no_ack,
            reject=self._reject_delivery,
            buffered=self.protocol.buffered,
            resume=self.protocol.update_reading,
        )
        self._consumers[consumer_tag] = consumer
        self.consumer_callbacks[consumer_tag] = callback
        self.last_consumer_tag = consumer_tag
        try:
            self.protocol.write_method(self.channel_id, payload, method.NAME)
        except BaseException:  # FrameTooLarge, or the connection closed: nothing was sent
            self._consumers.pop(consumer_tag, None)
            self.consumer_callbacks.pop(consumer_tag, None)
            consumer.finish()
            raise
        if no_wait:
            consumer.owed.registered = True
            return {"consumer_tag": consumer_tag}
        try:
            await self._reply(method.RESPONSES, timeout)
        except BaseException:
            self._abandon_consumer(consumer_tag)
            raise
        return {"consumer_tag": consumer_tag}

    def _abandon_consumer(self, consumer_tag: str) -> None:
        """Its basic_consume gave up after the request went out: cancel it on the broker."""
        consumer = self._consumers.pop(consumer_tag, None)
        self.consumer_callbacks.pop(consumer_tag, None)
        if consumer is None:  # the channel closed meanwhile
            return
        self._ending[consumer_tag] = consumer
        consumer.cancel()
        if not self.is_open or self._closing:
            return
        if consumer.owed.registered:
            self._send_unawaited(m.BasicCancel(consumer_tag, False))
        else:
            consumer.owed.cancel_on_ok = True

    async def basic_cancel(
        self, consumer_tag: str = "", no_wait: bool = False, timeout: float | None = None
    ) -> dict[str, Any] | None:
        """Cancel a consumer. Its callback in hand finishes; ack-mode deliveries not yet handed
        to it go back to the broker at once; no_ack ones still reach it."""
        self._check_open()
        consumer = self._consumers.pop(consumer_tag, None)
        self.consumer_callbacks.pop(consumer_tag, None)
        if consumer is not None:
            self._ending[consumer_tag] = consumer  # until cancel-ok: deliveries may still come
            consumer.cancel()
            if no_wait:  # no cancel-ok will say when it is over; the tag may be reused
                consumer.finish()
        return await super().basic_cancel(consumer_tag, no_wait, timeout)

    async def basic_client_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge a delivery (multiple: and every unacknowledged one before it).

        Acks made in delivery order go to the broker as one basic.ack with multiple set at the
        end of the loop turn, which settles exactly the same deliveries; any other ack, nack
        or reject is sent as it is, in order.
        """
        self._check_open()
        self._write_ack(delivery_tag, multiple)

    async def basic_client_nack(
        self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True
    ) -> None:
        """Reject a delivery (multiple: and every unacknowledged one before it); requeue puts
        it back in its queue, else it is dropped or dead-lettered."""
        self._check_open()
        payload = m.BasicNack.pack(delivery_tag, multiple, requeue)
        self._write_settlement(payload, "basic.nack", delivery_tag, multiple)

    async def basic_reject(self, delivery_tag: int = 0, requeue: bool = False) -> None:
        """Reject one delivery; requeue puts it back in its queue, else it is dropped or
        dead-lettered."""
        self._check_open()
        payload = m.BasicReject.pack(delivery_tag, requeue)
        self._write_settlement(payload, "basic.reject", delivery_tag, False)

    async def basic_get(
        self, queue_name: str = "", no_ack: bool = False, timeout: float | None = None
    ) -> dict[str, Any]:
        """Fetch one message; raises EmptyQueue when there is none.

        A message that arrives after this call was cancelled or timed out goes back to the
        broker (ack mode); with no_ack the broker has dropped it, and a warning says so.
        """
        self._check_open()
        method = m.BasicGet(queue_name, no_ack)
        orphan = self._orphan_get_no_ack if no_ack else self._orphan_get
        reply = await self._request(method, timeout, orphan)
        if isinstance(reply, m.BasicGetEmpty):
            raise exceptions.EmptyQueue()
        get_ok, properties, body = reply
        if no_ack:
            self.acks.arrived_settled(get_ok.delivery_tag)
        return {
            "routing_key": get_ok.routing_key,
            "redelivered": get_ok.redelivered,
            "delivery_tag": get_ok.delivery_tag,
            "exchange_name": get_ok.exchange_name,
            "message": body,
            "properties": properties,
            "message_count": get_ok.message_count,
        }

    def _orphan_get(self, reply: Any) -> None:
        if not isinstance(reply, m.BasicGetEmpty):
            self._reject_delivery(reply[0].delivery_tag)

    def _orphan_get_no_ack(self, reply: Any) -> None:
        if not isinstance(reply, m.BasicGetEmpty):
            self.acks.arrived_settled(reply[0].delivery_tag)
            logger.warning(
                "basic_get (no_ack) was cancelled after the broker sent its message: delivery %d"
                " on channel %d is lost",
                reply[0].delivery_tag,
                self.channel_id,
            )

    async def queue_declare(
        self,
        queue_name: str | None = None,
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        *,
        server_named: bool = False,
    ) -> dict[str, Any] | None:
        """Declare a queue. Without a name (None or ""), the client names it
        aioamqp.gen-<uuid>, as aioamqp 0.15 did; with server_named=True the broker does
        (amq.gen-...). Either way the name is in the returned dict's "queue"."""
        if not queue_name and not server_named:
            queue_name = f"aioamqp.gen-{uuid.uuid4()}"
        return await super().queue_declare(
            queue_name or "", passive, durable, exclusive, auto_delete, no_wait, arguments, timeout
        )

    def add_cancellation_callback(self, callback: Callback) -> None:
        """callback(channel, consumer_tag), plain or coroutine, when the broker cancels."""
        self.cancellation_callbacks.append(callback)

    # aioamqp 0.15 aliases
    queue = queue_declare
    exchange = ChannelMethods.exchange_declare


async def _publish_past_hook(channel: Channel, *args: Any) -> None:
    """A publish hook's proceed: Channel.publish without calling the hook again, and not a
    subclass's override of it (the hook already runs inside that)."""
    token = hooks.proceeding.set(True)
    try:
        await Channel.publish(channel, *args)
    finally:
        hooks.proceeding.reset(token)


__all__ = ["Channel"]
