"""Request/reply over RabbitMQ's direct reply-to: RpcClient calls, RpcServer answers.

    client = RpcClient(channel)
    await client.start()
    reply = await client.call("fib", b"30", timeout=10)

    server = RpcServer(other_channel, "fib", handler, prefetch_count=10)
    await server.start()

Replies need no queue: the client consumes the pseudo-queue amq.rabbitmq.reply-to (no_ack) and
publishes its requests with reply_to set to it, and the broker routes each reply straight to
the channel that published the request. Both must happen on one channel, the consume first:
RabbitMQ closes a channel that publishes with that reply_to without consuming it (406 "fast
reply consumer does not exist"). See docs/guides/rpc.rst.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from typing import Any, Awaitable, Callable, Mapping

from ._generated.properties import BasicProperties
from .channel import Channel
from .envelope import Envelope
from .exceptions import (
    AioamqpException,
    AmqpClosedConnection,
    ChannelClosed,
    ConfigurationError,
    RpcClientClosed,
    RpcError,
    fresh,
)
from .robust import RobustChannel

logger = logging.getLogger(__name__)

REPLY_TO = "amq.rabbitmq.reply-to"
ERROR_HEADER = "x-aioamqp-rpc-error"  # on a reply whose handler raised: "<Type>: <message>"
DEFAULT_TIMEOUT = 30.0  # seconds a call waits for its reply unless told otherwise

Handler = Callable[[bytes, BasicProperties], Awaitable[bytes | str]]


def _request_properties(
    properties: Mapping[str, Any] | BasicProperties | None, correlation_id: str
) -> dict[str, Any]:
    """The caller's properties plus the two the client owns."""
    if isinstance(properties, BasicProperties):
        fields = properties.to_dict()
    else:
        fields = dict(properties or {})
    for owned in ("reply_to", "correlation_id"):
        if fields.get(owned) is not None:
            raise ValueError(f"RpcClient.call sets {owned} itself")
    fields["reply_to"] = REPLY_TO
    fields["correlation_id"] = correlation_id
    return fields


class RpcClient:
    """Calls over direct reply-to, any number at once, on one channel that it consumes and
    publishes on. One RpcClient per channel (the broker allows one reply consumer on it).

    `await start()` before the first call, `await close()` at the end, or `async with`.
    """

    def __init__(self, channel: Channel | RobustChannel) -> None:
        self.channel = channel
        self.consumer_tag: str | None = None
        self._running = False
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        # Unique per client: a late reply meant for an earlier client on the channel is no match.
        self._prefix = uuid.uuid4().hex
        self._ids = itertools.count()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """How many calls wait for their reply."""
        return len(self._pending)

    async def start(self) -> None:
        """Consume amq.rabbitmq.reply-to on the channel: calls may go out from now on."""
        if self.consumer_tag is not None:
            raise RuntimeError("RpcClient.start() was called already")
        result = await self.channel.basic_consume(self._on_reply, queue_name=REPLY_TO, no_ack=True)
        self.consumer_tag = result["consumer_tag"]
        self._running = True
        self._watcher = asyncio.get_running_loop().create_task(self._watch_channel())

    async def call(
        self,
        routing_key: str,
        body: bytes | str,
        *,
        exchange: str = "",
        properties: Mapping[str, Any] | BasicProperties | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> bytes:
        """Publish a request and return the reply's body.

        properties may carry anything but reply_to and correlation_id (ValueError), which the
        client sets. timeout (seconds, None for no limit) covers the publish and the wait.

        Raises TimeoutError, RpcError (the server's handler raised), RpcClientClosed (close()
        was called), or the channel's ChannelClosed once it is closed. A call that ends without
        its reply leaves nothing behind: the reply, if it ever comes, is dropped.
        """
        if not self._running:
            raise RpcClientClosed(
                "RpcClient is closed" if self.consumer_tag else "RpcClient is not started"
            )
        correlation_id = f"{self._prefix}.{next(self._ids)}"
        fields = _request_properties(properties, correlation_id)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self.channel.publish(body, exchange, routing_key, properties=fields)
                return await future
        finally:
            self._pending.pop(correlation_id, None)

    async def close(self) -> None:
        """Fail the calls still waiting (RpcClientClosed) and cancel the reply consumer; the
        channel stays open. Closing twice is harmless."""
        if not self._running:
            return
        self._running = False
        self._fail_pending(RpcClientClosed("RpcClient is closed"))
        assert self._watcher is not None and self.consumer_tag is not None  # start() set them
        self._watcher.cancel()
        if self.channel.is_open:
            await self.channel.basic_cancel(self.consumer_tag)

    async def __aenter__(self) -> RpcClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _on_reply(
        self, channel: Channel, body: bytes, envelope: Envelope, properties: BasicProperties
    ) -> None:
        correlation_id = properties.correlation_id
        future = self._pending.pop(correlation_id or "", None)
        if future is None or future.done():
            logger.debug("reply %r dropped: no call waits for it any more", correlation_id)
            return
        error = (properties.headers or {}).get(ERROR_HEADER)
        if error is None:
            future.set_result(body)
        else:
            text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            future.set_exception(RpcError(text))

    async def _watch_channel(self) -> None:
        """Once the channel is closed no reply can come: the calls get its close reason. A
        robust channel (aioamqp.robust) comes back with the reply consumer, on a new channel
        each time: each is watched in turn."""
        channel = self.channel
        watched = channel.channel if isinstance(channel, RobustChannel) else channel
        assert watched is not None  # a RobustChannel has one once made
        while True:
            await watched.wait_closed()
            self._fail_pending(watched.close_exception or ChannelClosed())
            if not isinstance(channel, RobustChannel):
                return
            try:
                watched = await channel.next_channel(watched)
            except AmqpClosedConnection:
                return  # closed for good: calls fail as they publish

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(fresh(exc))


class RpcServer:
    """Answers the requests of a queue with `await handler(body, properties)` (bytes or str).

    Each reply goes to the request's reply_to with its correlation_id, and the request is
    acked after the reply was published. A handler that raises is answered too: an empty body
    with the header ERROR_HEADER, "<ExceptionType>: <message>", which the client raises as
    RpcError. A request without reply_to is acked and logged, its handler not called.

    start() sets basic_qos(prefetch_count) on the channel (give the server a channel of its
    own): the broker hands it that many unacked requests at most, and their handlers run
    concurrently, each on a task of its own.
    """

    def __init__(
        self, channel: Channel, queue_name: str, handler: Handler, *, prefetch_count: int = 1
    ) -> None:
        if prefetch_count < 1:
            raise ConfigurationError("RpcServer needs prefetch_count >= 1")
        self.channel = channel
        self.queue_name = queue_name
        self.handler = handler
        self.prefetch_count = prefetch_count
        self.consumer_tag: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Set the prefetch limit and start consuming the queue (which must exist)."""
        await self.channel.basic_qos(prefetch_count=self.prefetch_count)
        result = await self.channel.basic_consume(self._on_request, queue_name=self.queue_name)
        self.consumer_tag = result["consumer_tag"]

    async def close(self) -> None:
        """Cancel the consumer (requests not yet handed to a handler go back to the queue) and
        wait for the handlers in hand to be answered. The channel stays open."""
        consumer_tag, self.consumer_tag = self.consumer_tag, None
        if consumer_tag is not None and self.channel.is_open:
            await self.channel.basic_cancel(consumer_tag)
        if self._tasks:
            await asyncio.gather(*self._tasks)

    async def __aenter__(self) -> RpcServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _on_request(
        self, channel: Channel, body: bytes, envelope: Envelope, properties: BasicProperties
    ) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(body, envelope, properties))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, body: bytes, envelope: Envelope, properties: BasicProperties) -> None:
        tag = envelope.delivery_tag
        try:
            if properties.reply_to:
                reply, headers = await self._run_handler(body, properties)
                reply_properties = {"correlation_id": properties.correlation_id, "headers": headers}
                await self.channel.publish(
                    reply, "", properties.reply_to, properties=reply_properties
                )
            else:
                logger.warning("request %d on %r has no reply_to: acked unanswered", tag, self)
            await self.channel.basic_client_ack(tag)
        except AioamqpException as exc:
            # Closed channel: the broker requeues the unacked request itself. Refused reply
            # (a nack with confirms on, a blocked connection): it goes back now.
            logger.warning("request %d on %r not answered (%r): requeued", tag, self, exc)
            if self.channel.is_open:
                await self.channel.basic_reject(tag, requeue=True)

    async def _run_handler(
        self, body: bytes, properties: BasicProperties
    ) -> tuple[bytes | str, dict[str, str] | None]:
        """The reply's body and headers: the handler's result, or its error."""
        try:
            reply = await self.handler(body, properties)
            if not isinstance(reply, (bytes, str)):
                raise TypeError(f"the handler returned {type(reply).__name__}, not bytes")
            return reply, None
        except Exception as exc:
            logger.exception("handler of %r failed; the caller gets an RpcError", self)
            return b"", {ERROR_HEADER: f"{type(exc).__name__}: {exc}"}

    def __repr__(self) -> str:
        return f"<RpcServer {self.queue_name!r} on channel {self.channel.channel_id}>"


__all__ = ["ERROR_HEADER", "REPLY_TO", "RpcClient", "RpcServer"]
