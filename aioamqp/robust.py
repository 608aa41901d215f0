"""Connection recovery: reconnect through the host list and restore what was set up through it.

    conn = await aioamqp.robust.connect(hosts=["h1", "h2", "h3"])
    channel = await conn.channel()
    await channel.queue_declare("q", durable=True)
    await channel.basic_consume(callback, queue_name="q")

When the connection dies, `conn` reconnects (with backoff, through the hosts), reopens its
channels and replays, in their original order, the declarations, bindings, qos, confirm mode and
consumers made through them. Each one that cannot be restored is reported (on_restore_error and
the log); the rest is restored anyway. Publisher confirms keep their contract: a publish not
confirmed before the loss raises, it is never resent silently, unless republish=True: then a
confirmed publish returns only once the broker has confirmed it, republished across losses and
failover nacks until publish_timeout, and each republished copy carries a header that counts
its attempts (REPUBLISHED_HEADER), so that consumers can tell a possible duplicate.

A confirmed channel (re)opened while a quorum queue elects a new leader can be nacked on every
publish to that queue for as long as the old leader's node stays down (RabbitMQ 3.10: the
channel's first publish to the queue pins the dead leader). So the first publish to each
destination on a freshly opened channel goes alone; if it is nacked, the channel is reopened
(after reconnect_delay, doubling) instead of letting the rest be nacked too. See
docs/guides/recovery.rst, "A node crash and nacked publishes".
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable, Mapping

from . import exceptions
from ._generated.properties import BasicProperties
from .channel import Channel
from .protocol import OPEN, AmqpProtocol

logger = logging.getLogger(__name__)

RECONNECT_DELAY = 0.2  # seconds before the first retry; doubles up to RECONNECT_DELAY_MAX
RECONNECT_DELAY_MAX = 5.0
RECONNECT_WAIT = 30.0  # how long a call made while disconnected waits for the reconnection
PUBLISH_TIMEOUT = 60.0  # with republish: how long a publish keeps trying to be confirmed
REPUBLISHED_HEADER = "x-aioamqp-attempt"  # on republished copies: 2 for the first resend, ...
RETRY_DELAY = 0.05  # seconds before republishing after a nack; doubles up to RETRY_DELAY_MAX
RETRY_DELAY_MAX = 1.0

# What a RobustChannel replays, by method name: the key that identifies the entity, from the
# bound arguments. Declaring again replaces an entry; the undo methods remove entries.
_RECORDED: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "confirm_select": lambda a: ("confirm",),
    "basic_qos": lambda a: ("qos", a["connection_global"]),
    "exchange_declare": lambda a: ("exchange", a["exchange_name"]),
    "queue_declare": lambda a: ("queue", a["queue_name"]),
    "exchange_bind": lambda a: (
        "exchange_bind",
        a["exchange_destination"],
        a["exchange_source"],
        a["routing_key"],
    ),
    "queue_bind": lambda a: ("queue_bind", a["queue_name"], a["exchange_name"], a["routing_key"]),
    "basic_consume": lambda a: ("consumer", a["consumer_tag"]),
}
_UNDONE: dict[str, Callable[[dict[str, Any], tuple[Any, ...]], bool]] = {
    "queue_delete": lambda a, key: key[0] in ("queue", "queue_bind") and key[1] == a["queue_name"],
    "exchange_delete": lambda a, key: (
        (key[0] == "exchange" and key[1] == a["exchange_name"])
        or (key[0] == "queue_bind" and key[2] == a["exchange_name"])
        or (key[0] == "exchange_bind" and a["exchange_name"] in key[1:3])
    ),
    "queue_unbind": lambda a, key: key
    == ("queue_bind", a["queue_name"], a["exchange_name"], a["routing_key"]),
    "exchange_unbind": lambda a, key: key
    == ("exchange_bind", a["exchange_destination"], a["exchange_source"], a["routing_key"]),
    "basic_cancel": lambda a, key: key == ("consumer", a["consumer_tag"]),
}


def _bound(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name, defaults filled in (timeout left out: replays use none)."""
    bound = inspect.signature(getattr(Channel, name)).bind(None, *args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments["self"]
    arguments.pop("timeout", None)
    return arguments


def _describe(name: str, arguments: dict[str, Any]) -> str:
    shown = {k: v for k, v in arguments.items() if k != "callback" and v not in (None, False, "")}
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class RobustChannel:
    """A channel that comes back after a reconnection, with what was set up through it.

    Methods not replayed (publish, acks, basic_get, ...) go to the current channel; made while
    disconnected, they wait for the reconnection (up to reconnect_wait seconds).
    """

    def __init__(self, connection: RobustConnection, kwargs: dict[str, Any]) -> None:
        self._connection = connection
        self._kwargs = kwargs
        self.channel: Channel | None = None
        self._replay: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
        self._queue_names: dict[str, str] = {}  # server-named queues: first name -> current
        # Probation of a confirmed channel after each open: destinations (exchange, routing key)
        # a publish was acked to, the lone first publish to each other one, and the reopening
        # of a channel whose first publish was nacked (calls wait while _usable is clear).
        self._proven: set[tuple[str, str]] = set()
        self._trials: dict[tuple[str, str], asyncio.Event] = {}
        self._usable = asyncio.Event()
        self._usable.set()
        self._reopening: asyncio.Task[None] | None = None
        # Destinations whose first publishes keep being nacked: (since when, next delay).
        self._nacked: dict[tuple[str, str], tuple[float, float]] = {}
        self._opened: asyncio.Future[None] | None = None  # next_channel() waits for the next open
        self._for_good = False  # closed for good (stop_reopening): never opened again

    async def open_on(self, protocol: AmqpProtocol) -> None:
        """Open a new channel on protocol (a new connection): its probation starts over."""
        self.channel = await protocol.channel(**self._kwargs)
        self._proven.clear()
        self._trials.clear()
        if self._opened is not None and not self._opened.done():
            self._opened.set_result(None)

    async def next_channel(self, closed: Channel) -> Channel:
        """The channel opened under this one after closed (by a reconnection, or a reopening
        after a nack); AmqpClosedConnection once this one is closed for good."""
        while self.channel is closed:
            if self._for_good:
                raise exceptions.AmqpClosedConnection("the channel is closed for good")
            if self._opened is None or self._opened.done():
                self._opened = asyncio.get_running_loop().create_future()
            await self._opened
        assert self.channel is not None
        return self.channel

    async def _current(self) -> Channel:
        await self._connection.wait_ready()
        if not self._usable.is_set():
            try:
                await asyncio.wait_for(self._usable.wait(), self._connection.reconnect_wait)
            except asyncio.TimeoutError:
                raise exceptions.AmqpClosedConnection(
                    f"channel not reopened within {self._connection.reconnect_wait} s"
                ) from None
            await self._connection.wait_ready()
        assert self.channel is not None
        return self.channel

    async def publish(
        self,
        payload: bytes | bytearray | memoryview | str,
        exchange_name: str,
        routing_key: str,
        properties: Mapping[str, Any] | BasicProperties | None = None,
        mandatory: bool = False,
        immediate: bool = False,
    ) -> None:
        """Channel.publish on the current channel. With republish=True and confirms on, return
        only once the broker has confirmed the message: republish it after a connection loss or
        a nack, until publish_timeout. Raises the last failure when that deadline passes, and at
        once what republishing cannot fix: a returned mandatory message, a closed channel."""
        args = (properties, mandatory, immediate)
        connection = self._connection
        channel = await self._current()
        if not connection.republish or not channel.publisher_confirms:
            return await self._publish_once(payload, exchange_name, routing_key, *args)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + connection.publish_timeout
        attempt, delay = 1, RETRY_DELAY
        failure: Exception | None = None
        while True:
            if attempt > 1:
                args = (_with_attempt(properties, attempt), mandatory, immediate)
            try:
                async with asyncio.timeout_at(deadline):
                    await self._publish_once(payload, exchange_name, routing_key, *args)
                return
            except TimeoutError:
                raise exceptions.PublishTimeout(
                    f"not confirmed within {connection.publish_timeout} s ({attempt} attempts;"
                    f" last failure: {failure!r})"
                ) from failure
            except exceptions.AmqpClosedConnection as exc:  # lost before its confirm: resend
                failure = exc
            except exceptions.PublishFailed as exc:
                if exc.returned:
                    raise
                failure = exc  # a nack: the queue's leader moved, ... resend after a pause
                await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
                delay = min(delay * 2, RETRY_DELAY_MAX)
            attempt += 1
            logger.debug("republishing (attempt %d) after %r", attempt, failure)

    basic_publish = publish

    async def _publish_once(
        self, payload: Any, exchange_name: str, routing_key: str, *args: Any
    ) -> None:
        """One publish on the current channel; the first one to each destination on a freshly
        opened confirmed channel goes alone (see the module's doc)."""
        destination = (exchange_name, routing_key)
        while True:
            channel = await self._current()
            if not channel.publisher_confirms or destination in self._proven:
                return await channel.publish(payload, exchange_name, routing_key, *args)
            trial = self._trials.get(destination)
            if trial is None:
                break
            await trial.wait()  # then proven, or reopening: look again
        trial = self._trials[destination] = asyncio.Event()
        try:
            await channel.publish(payload, exchange_name, routing_key, *args)
        except exceptions.PublishFailed as exc:
            if channel is self.channel:
                if exc.returned:  # no queue matched: a routing matter, not a stuck channel
                    self._proven.add(destination)
                else:
                    self._reopen(channel, destination)
            raise
        else:
            if channel is self.channel:
                self._proven.add(destination)
                self._nacked.pop(destination, None)
        finally:
            if self._trials.get(destination) is trial:
                del self._trials[destination]
            trial.set()

    def _reopen(self, nacked: Channel, destination: tuple[str, str]) -> None:
        """The first publish to destination on this channel was nacked: reopen the channel,
        unless that has gone on for reconnect_wait seconds (then nacks go to the callers)."""
        if self._reopening is not None and not self._reopening.done():
            return
        now = asyncio.get_running_loop().time()
        since, delay = self._nacked.get(destination, (now, self._connection.reconnect_delay))
        if now - since > self._connection.reconnect_wait:
            del self._nacked[destination]
            self._proven.add(destination)
            logger.error(
                "channel %d: publishes to %r still nacked after reopening it for %.1f s",
                nacked.channel_id,
                destination,
                now - since,
            )
            return
        self._nacked[destination] = (since, min(delay * 2, self._connection.reconnect_delay_max))
        logger.warning(
            "channel %d: first publish to %r nacked; reopening the channel in %.1f s",
            nacked.channel_id,
            destination,
            delay,
        )
        self._usable.clear()
        self._reopening = asyncio.ensure_future(self._reopen_after(nacked, delay))

    async def _reopen_after(self, nacked: Channel, delay: float) -> None:
        try:
            await asyncio.sleep(delay)  # what is in flight on it settles meanwhile
            protocol = self._connection.protocol
            if self.channel is not nacked or protocol is None or protocol.state != OPEN:
                return  # closed meanwhile, or the connection was lost: its recovery reopens it
            if nacked.is_open:
                try:
                    await nacked.close(timeout=self._connection.reconnect_wait)
                except (exceptions.ChannelClosed, asyncio.TimeoutError):
                    pass
            await self.restore(protocol)
        except exceptions.AmqpClosedConnection:
            pass  # the connection's recovery restores the channel
        except Exception as exc:
            self._connection.report_restore_error(
                f"channel {nacked.channel_id} (reopening it)", exc
            )
        finally:
            self._usable.set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(Channel, name, None)  # None: an instance attribute, as is_open
        if not inspect.iscoroutinefunction(attribute):
            return getattr(self.channel, name)  # AttributeError for names a Channel lacks

        async def call(*args: Any, **kwargs: Any) -> Any:
            channel = await self._current()
            if name not in _RECORDED and name not in _UNDONE:
                return await getattr(channel, name)(*args, **kwargs)
            arguments = _bound(name, args, kwargs)
            timeout = kwargs.get("timeout")
            result = await getattr(channel, name)(**self._current_names(arguments), timeout=timeout)
            self._record(name, arguments, result)
            return result

        return call

    def _current_names(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with a server-named queue's first name replaced by its current one."""
        queue_name = arguments.get("queue_name")
        if queue_name in self._queue_names:
            return {**arguments, "queue_name": self._queue_names[queue_name]}
        return arguments

    def _record(self, name: str, arguments: dict[str, Any], result: Any) -> None:
        if name in _UNDONE:
            undone = _UNDONE[name]
            for key in [key for key in self._replay if undone(arguments, key)]:
                del self._replay[key]
            return
        if name == "queue_declare" and not arguments["queue_name"] and result:
            name_given = result["queue"]  # server-named: replay asks for a new name, mapped
            self._queue_names[name_given] = name_given
            self._replay[("queue", name_given)] = (name, arguments)
            return
        if name == "basic_consume":
            arguments["consumer_tag"] = result["consumer_tag"]
        self._replay[_RECORDED[name](arguments)] = (name, arguments)

    async def restore(self, protocol: AmqpProtocol) -> None:
        """Reopen the channel and replay; report what fails and go on with the rest."""
        if asyncio.current_task() is not self._reopening:  # a reconnection: trials start over
            self._nacked.clear()
        await self.open_on(protocol)
        for key, (name, arguments) in list(self._replay.items()):
            arguments = self._current_names(arguments)
            assert self.channel is not None
            try:
                result = await getattr(self.channel, name)(**arguments)
            except exceptions.AmqpClosedConnection:
                raise  # the new connection died too: the reconnection starts over
            except Exception as exc:
                self._connection.report_restore_error(_describe(name, arguments), exc)
                if not self.channel.is_open:  # a broker error closed it: go on with a new one
                    await self.open_on(protocol)
                continue
            if name == "queue_declare" and key[1] in self._queue_names:  # a new server name
                self._queue_names[key[1]] = result["queue"]

    async def close(self) -> bool:
        """Close the channel for good: it is no longer restored."""
        self._connection.forget(self)
        self.stop_reopening()
        channel = await self._current()
        return await channel.close()

    def stop_reopening(self) -> None:
        """Closed for good: a reopening after a nack stops, and waiting calls go on."""
        if self._reopening is not None:
            self._reopening.cancel()
        self._usable.set()
        self._for_good = True
        if self._opened is not None and not self._opened.done():
            self._opened.set_result(None)  # next_channel() raises


class RobustConnection:
    """Keeps a connection up and its RobustChannels restored. Create with robust.connect()."""

    def __init__(
        self,
        connect_kwargs: dict[str, Any],
        reconnect_delay: float,
        reconnect_delay_max: float,
        reconnect_wait: float,
        on_restore_error: Callable[[str, BaseException], Any] | None,
        on_reconnect: Callable[[AmqpProtocol], Any] | None,
        republish: bool = False,
        publish_timeout: float = PUBLISH_TIMEOUT,
    ) -> None:
        self._connect_kwargs = connect_kwargs
        self.republish = republish
        self.publish_timeout = publish_timeout
        self._user_on_error = connect_kwargs.pop("on_error", None)
        self.reconnect_delay = reconnect_delay
        self.reconnect_delay_max = reconnect_delay_max
        self.reconnect_wait = reconnect_wait
        self.on_restore_error = on_restore_error
        self.on_reconnect = on_reconnect
        self.transport: asyncio.BaseTransport | None = None
        self.protocol: AmqpProtocol | None = None
        self._channels: list[RobustChannel] = []
        self._ready = asyncio.Event()
        self._closed = False
        self._started = False  # the first connect() raises to the caller, it is not retried
        self._reconnecting: asyncio.Task[None] | None = None

    async def _connect(self) -> None:
        from . import connect  # the module-level one, so that tests may patch it

        self.transport, self.protocol = await connect(
            on_error=self._on_error, **self._connect_kwargs
        )

    async def start(self) -> None:
        """The first connection: its failure goes to the caller, later ones are retried."""
        await self._connect()
        self._started = True
        self._ready.set()

    def forget(self, channel: RobustChannel) -> None:
        """A channel closed for good: it is no longer restored."""
        self._channels.remove(channel)

    def _on_error(self, exc: BaseException) -> None:
        if self._user_on_error is not None:
            self.protocol.call_user(self._user_on_error, exc)  # type: ignore[union-attr]
        if self._closed or not self._started:
            return
        logger.warning("connection lost (%s): reconnecting", exc)
        self._ready.clear()
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        """Retry with backoff until connected and every channel restored."""
        delay = self.reconnect_delay
        while not self._closed:
            try:
                await self._connect()
                assert self.protocol is not None
                for channel in list(self._channels):
                    await channel.restore(self.protocol)
            except (exceptions.AmqpClosedConnection, OSError) as exc:
                logger.warning("reconnection failed (%s); next try in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_delay_max)
                continue
            if self.protocol.state != OPEN:  # lost again while restoring
                continue
            logger.info("reconnected and restored %d channel(s)", len(self._channels))
            self._ready.set()
            if self.on_reconnect is not None:
                self.protocol.call_user(self.on_reconnect, self.protocol)
            return

    def report_restore_error(self, entity: str, exc: BaseException) -> None:
        """Log what could not be restored, and tell on_restore_error."""
        logger.error("could not restore %s: %s", entity, exc)
        if self.on_restore_error is not None and self.protocol is not None:
            self.protocol.call_user(self.on_restore_error, entity, exc)

    async def wait_ready(self) -> None:
        """Return once connected; AmqpClosedConnection if closed or not back in time."""
        if self._closed:
            raise exceptions.AmqpClosedConnection("the robust connection is closed")
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), self.reconnect_wait)
            except asyncio.TimeoutError:
                raise exceptions.AmqpClosedConnection(
                    f"not reconnected within {self.reconnect_wait} s"
                ) from None

    async def channel(self, **kwargs: Any) -> RobustChannel:
        """A channel that is reopened and restored after each reconnection."""
        await self.wait_ready()
        channel = RobustChannel(self, kwargs)
        assert self.protocol is not None
        await channel.open_on(self.protocol)
        self._channels.append(channel)
        return channel

    async def close(self) -> None:
        """Close for good: no more reconnections."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        for channel in self._channels:
            channel.stop_reopening()
        if self.protocol is not None and self.protocol.state == OPEN:
            await self.protocol.close()
        if self.transport is not None:
            self.transport.close()


async def connect(
    *,
    reconnect_delay: float = RECONNECT_DELAY,
    reconnect_delay_max: float = RECONNECT_DELAY_MAX,
    reconnect_wait: float = RECONNECT_WAIT,
    on_restore_error: Callable[[str, BaseException], Any] | None = None,
    on_reconnect: Callable[[AmqpProtocol], Any] | None = None,
    republish: bool = False,
    publish_timeout: float = PUBLISH_TIMEOUT,
    **connect_kwargs: Any,
) -> RobustConnection:
    """Connect like aioamqp.connect (same keyword arguments, hosts= included) and stay connected.

    on_restore_error(entity, exc) hears of each declaration, binding or consumer that could not
    be restored after a reconnection; on_reconnect(protocol) of each completed restoration.

    republish=True: a publish on a channel in confirm mode returns only once the broker has
    confirmed it, republished as needed until publish_timeout seconds (at-least-once delivery;
    republished copies carry the REPUBLISHED_HEADER header with their attempt number).
    """
    connection = RobustConnection(
        connect_kwargs,
        reconnect_delay,
        reconnect_delay_max,
        reconnect_wait,
        on_restore_error,
        on_reconnect,
        republish,
        publish_timeout,
    )
    await connection.start()
    return connection


def _with_attempt(
    properties: Mapping[str, Any] | BasicProperties | None, attempt: int
) -> dict[str, Any]:
    """The user's properties with the attempt count added to a copy of their headers."""
    if properties is None:
        values: dict[str, Any] = {}
    elif isinstance(properties, BasicProperties):
        values = properties.to_dict()
    else:
        values = dict(properties)
    values["headers"] = {**(values.get("headers") or {}), REPUBLISHED_HEADER: attempt}
    return values
