"""Bad input, consumers that fail or misbehave, callbacks that close things, dead peers."""

import asyncio
import logging

import pytest

import aioamqp
from aioamqp.protocol import CLOSED, OPEN

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def _queue(channel, name=""):
    return (await w(channel.queue_declare(name, exclusive=True)))["queue"]


async def _wait_until(predicate, timeout=T):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


# -- bad input is refused before it reaches the wire ------------------------------------------


async def test_too_long_short_string_raises_and_channel_stays_usable(channel):
    with pytest.raises(aioamqp.exceptions.FieldEncodeError):
        await w(channel.queue_declare("q" * 256, exclusive=True))
    with pytest.raises(ValueError):  # FieldEncodeError is a ValueError too
        await channel.publish(b"x", "", "k" * 256)
    assert channel.is_open
    await w(channel.queue_declare("q" * 255, exclusive=True))


@pytest.mark.parametrize(
    "headers, error",
    [
        ({"obj": object()}, TypeError),
        ({"huge": 2**70}, TypeError),
        ({1: "non-str key"}, TypeError),
    ],
)
async def test_unencodable_headers_raise_and_channel_stays_usable(channel, headers, error):
    queue = await _queue(channel)
    with pytest.raises(error):
        await channel.publish(b"x", "", queue, properties={"headers": headers})
    with pytest.raises(aioamqp.AioamqpException):
        await channel.publish(b"x", "", queue, properties={"no_such_property": 1})
    assert channel.is_open
    await channel.publish(b"ok", "", queue)
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b"ok"


async def test_properties_bigger_than_frame_max_raise_before_sending(open_connection):
    transport, protocol = await open_connection(frame_max=4096)
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    with pytest.raises(aioamqp.AioamqpException):
        await channel.publish(b"x", "", queue, properties={"headers": {"big": "y" * 10_000}})
    await asyncio.sleep(0.2)
    assert protocol.state == OPEN
    await w(channel.queue_declare(queue, passive=True))


async def test_method_bigger_than_frame_max_raises_before_sending(open_connection):
    transport, protocol = await open_connection(frame_max=4096)
    channel = await w(protocol.channel())
    with pytest.raises(aioamqp.AioamqpException) as info:
        await w(channel.queue_declare("", exclusive=True, arguments={"x-note": "y" * 10_000}))
    assert not isinstance(info.value, aioamqp.AmqpClosedConnection)
    await asyncio.sleep(0.2)
    assert protocol.state == OPEN


async def test_unicode_names_and_bodies(channel):
    name = "τεστ.очередь.キュー.🐇"
    await w(channel.queue_declare(name, exclusive=True))
    await channel.publish("сообщение 🐇", "", name, properties={"message_id": "ид-🐇"})
    result = await w(channel.basic_get(name, no_ack=True))
    assert result["routing_key"] == name
    assert result["message"].decode() == "сообщение 🐇"
    assert result["properties"].message_id == "ид-🐇"


async def test_rpc_timeout_argument(channel):
    result = await channel.queue_declare("", exclusive=True, timeout=5)
    assert result["queue"]
    assert await channel.basic_qos(prefetch_count=1, timeout=5) is True


# -- consumers that fail to start -------------------------------------------------------------


async def test_consume_from_missing_queue_is_404_and_leaves_nothing(protocol, name):
    channel = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.basic_consume(lambda *a: None, queue_name=name))
    assert info.value.code == 404
    assert channel.consumer_callbacks == {}


async def test_exclusive_consumer_conflict_is_403(protocol):
    first = await w(protocol.channel())
    queue = await _queue(first)
    await w(first.basic_consume(lambda *a: None, queue_name=queue, exclusive=True))
    second = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(second.basic_consume(lambda *a: None, queue_name=queue))
    assert info.value.code == 403
    assert first.is_open


async def test_duplicate_consumer_tag(channel):
    queue = await _queue(channel)
    await w(channel.basic_consume(lambda *a: None, queue_name=queue, consumer_tag="dup"))
    with pytest.raises(aioamqp.AioamqpException):
        await w(channel.basic_consume(lambda *a: None, queue_name=queue, consumer_tag="dup"))


async def test_synchronous_callback_exception_is_logged(channel, caplog):
    queue = await _queue(channel)
    seen = []

    def callback(channel, body, envelope, properties):
        seen.append(body)
        raise ValueError("sync callback failure")

    with caplog.at_level(logging.ERROR, logger="aioamqp"):
        await w(channel.basic_consume(callback, queue_name=queue, no_ack=True))
        await channel.publish(b"1", "", queue)
        await channel.publish(b"2", "", queue)
        await _wait_until(lambda: len(seen) == 2)
    assert sum(1 for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR) == 2
    assert channel.is_open


# -- callbacks that close or cancel -----------------------------------------------------------


async def test_channel_closed_from_its_own_consumer_callback(protocol):
    channel = await w(protocol.channel())
    queue = await _queue(await w(protocol.channel()))
    closed = asyncio.get_running_loop().create_future()
    calls = []

    async def callback(channel, body, envelope, properties):
        calls.append(body)
        closed.set_result(await w(channel.close()))

    await w(channel.basic_consume(callback, queue_name=queue))
    for i in range(5):
        await channel.publish(str(i), "", queue)
    assert await w(closed) is True
    await asyncio.sleep(0.2)
    assert calls == [b"0"]  # the rest was dropped and is requeued by the broker
    assert not channel.is_open
    other = await w(protocol.channel())
    assert (await w(other.queue_declare(queue, passive=True)))["message_count"] == 5


async def test_consumer_cancels_itself_from_its_callback(channel):
    queue = await _queue(channel)
    cancelled = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        await channel.basic_client_ack(envelope.delivery_tag)
        if not cancelled.done():
            cancelled.set_result(await w(channel.basic_cancel(envelope.consumer_tag)))

    await w(channel.basic_qos(prefetch_count=1))
    tag = (await w(channel.basic_consume(callback, queue_name=queue)))["consumer_tag"]
    for i in range(3):
        await channel.publish(str(i), "", queue)
    assert await w(cancelled) == {"consumer_tag": tag}
    declared = await w(channel.queue_declare(queue, passive=True))
    assert declared["consumer_count"] == 0
    assert declared["message_count"] >= 1


async def test_connection_closed_from_a_consumer_callback(open_connection):
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    done = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        await w(channel.protocol.close())
        done.set_result(channel.protocol.state)

    await w(channel.basic_consume(callback, queue_name=queue))
    await channel.publish(b"bye", "", queue)
    assert await w(done) == CLOSED
    await w(protocol.wait_closed())


async def test_rpc_in_callback_fails_when_the_broker_closes_the_channel(protocol, name):
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    outcome = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        try:
            await w(channel.queue_declare(f"{name}.missing", passive=True))
        except aioamqp.ChannelClosed as exc:
            outcome.set_result(exc.code)
        else:
            outcome.set_result(None)

    await w(channel.basic_consume(callback, queue_name=queue))
    await channel.publish(b"x", "", queue)
    assert await w(outcome) == 404
    assert not channel.is_open


async def test_on_error_callback_that_raises_is_logged(open_connection, caplog):
    def on_error(exception):
        raise RuntimeError("on_error failure")

    transport, protocol = await open_connection(on_error=on_error)
    channel = await w(protocol.channel())
    with caplog.at_level(logging.ERROR, logger="aioamqp"):
        with pytest.raises(aioamqp.AioamqpException):
            await w(channel.basic_qos(prefetch_size=1))  # 540: the broker closes the connection
        await w(protocol.wait_closed())
    assert any(
        r.exc_info and "on_error failure" in str(r.exc_info[1])
        for r in caplog.records
        if r.exc_info
    )


async def test_coroutine_on_error_callback_that_raises_is_logged(open_connection, caplog):
    async def on_error(exception):
        raise RuntimeError("async on_error failure")

    transport, protocol = await open_connection(on_error=on_error)
    channel = await w(protocol.channel())
    with caplog.at_level(logging.ERROR):
        with pytest.raises(aioamqp.AioamqpException):
            await w(channel.basic_qos(prefetch_size=1))
        await w(protocol.wait_closed())
        await asyncio.sleep(0.1)
    assert any(
        r.exc_info and "async on_error failure" in str(r.exc_info[1])
        for r in caplog.records
        if r.exc_info and r.name.startswith("aioamqp")
    ), [(r.name, r.getMessage()) for r in caplog.records]


# -- connection ends with work in flight ------------------------------------------------------


async def test_client_close_fails_pending_rpcs_and_stops_consumers(open_connection):
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    received = []
    await w(channel.basic_consume(lambda c, b, e, p: received.append(b), queue_name=queue))
    pending = [asyncio.ensure_future(channel.queue_declare("", exclusive=True)) for _ in range(10)]
    await asyncio.sleep(0)
    await w(protocol.close())
    results = await w(asyncio.gather(*pending, return_exceptions=True))
    for result in results:  # answered before close-ok, or failed by the close
        assert isinstance(result, (dict, aioamqp.AioamqpException)), result
    assert not channel.is_open
    assert protocol.state == CLOSED


async def test_transport_lost_fails_pending_rpcs(open_connection):
    calls = []
    transport, protocol = await open_connection(on_error=calls.append)
    channel = await w(protocol.channel())
    pending = asyncio.ensure_future(channel.queue_declare("", exclusive=True))
    await asyncio.sleep(0)
    transport.abort()
    with pytest.raises(aioamqp.AioamqpException):
        await w(pending)
    await w(protocol.wait_closed())
    assert protocol.state == CLOSED
    assert len(calls) == 1 and isinstance(calls[0], aioamqp.AmqpClosedConnection)


@pytest.mark.timeout(30)
async def test_silent_broker_is_detected_by_heartbeats(open_connection):
    """The client stops reading (as if the broker went silent): with heartbeat=1 the
    connection is declared dead within a few seconds and on_error is called once."""
    calls = []
    transport, protocol = await open_connection(heartbeat=1, on_error=calls.append)
    channel = await w(protocol.channel())
    transport.pause_reading()
    await w(protocol.wait_closed(), 8)
    assert protocol.state == CLOSED
    await asyncio.sleep(0.1)
    assert len(calls) == 1
    assert isinstance(calls[0], aioamqp.AmqpClosedConnection)
    assert "heartbeat" in str(calls[0])
    assert not channel.is_open
    await w(protocol.worker)


async def test_update_secret(amqp):
    transport, protocol = amqp
    assert await w(protocol.update_secret("guest", "refresh")) is True
    channel = await w(protocol.channel())
    await w(channel.queue_declare("", exclusive=True))


# -- deliveries and replies interleaved on one channel ----------------------------------------


@pytest.mark.timeout(60)
async def test_deliveries_interleaved_with_rpcs_and_gets(open_connection, make_inbox):
    """Multi-frame deliveries (frame_max 4096), get-ok contents and RPC replies all arrive
    mixed on one channel."""
    transport, protocol = await open_connection(frame_max=4096)
    channel = await w(protocol.channel())
    consumed, polled = await _queue(channel), await _queue(channel)
    inbox = make_inbox(ack=True)
    await w(channel.basic_consume(inbox, queue_name=consumed))
    for i in range(300):
        await channel.publish(b"c" * (i * 100), "", consumed)
        await channel.publish(f"g{i}", "", polled)
    gets = [channel.basic_get(polled, no_ack=True) for _ in range(50)]
    declares = [channel.queue_declare(polled, passive=True) for _ in range(50)]
    results = await w(asyncio.gather(*(x for pair in zip(gets, declares) for x in pair)), 30)
    assert [r["message"] for r in results[0::2]] == [f"g{i}".encode() for i in range(50)]
    assert all(r["queue"] == polled for r in results[1::2])
    await inbox.wait_for(300, timeout=30)
    assert [len(body) for body in inbox.bodies] == [i * 100 for i in range(300)]
