"""Publisher confirms: many in flight, nacks, returns, and confirms failing with the channel."""

import asyncio

import pytest

import aioamqp

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def _queue(channel, name="", arguments=None):
    result = await w(channel.queue_declare(name, exclusive=True, arguments=arguments))
    return result["queue"]


async def test_confirm_select(channel):
    assert not channel.publisher_confirms
    assert await w(channel.confirm_select()) is True
    assert channel.publisher_confirms
    queue = await _queue(channel)
    assert await w(channel.publish(b"confirmed", "", queue)) is None
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == 1


@pytest.mark.timeout(120)
async def test_ten_thousand_publishes_in_flight_all_settle(channel):
    queue = await _queue(channel)
    await w(channel.confirm_select())
    count = 10_000
    results = await w(
        asyncio.gather(*(channel.publish(str(i), "", queue) for i in range(count))), 90
    )
    assert results == [None] * count
    assert channel._unconfirmed == {}
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == count
    first = await w(channel.basic_get(queue, no_ack=True))
    assert first["message"] == b"0"


async def test_sequential_confirmed_publishes(channel):
    queue = await _queue(channel)
    await w(channel.confirm_select())
    for i in range(200):
        await w(channel.publish(str(i), "", queue))
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == 200


async def test_nack_raises_publish_failed(channel, name):
    queue = await _queue(
        channel, name, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    )
    await w(channel.confirm_select())
    await w(channel.publish(b"fits", "", queue))
    for expected_tag in (2, 3):
        with pytest.raises(aioamqp.PublishFailed) as info:
            await w(channel.publish(b"overflow", "", queue))
        assert info.value.delivery_tag == expected_tag
    assert channel.is_open
    result = await w(channel.basic_get(queue, no_ack=True))
    assert result["message"] == b"fits"
    # Room again: the next publish is acked.
    await w(channel.publish(b"fits again", "", queue))


async def test_nacks_in_flight(channel, name):
    queue = await _queue(
        channel, name, arguments={"x-max-length": 2, "x-overflow": "reject-publish"}
    )
    await w(channel.confirm_select())
    results = await w(
        asyncio.gather(
            *(channel.publish(str(i), "", queue) for i in range(10)), return_exceptions=True
        )
    )
    assert results[:2] == [None, None]
    for tag, result in enumerate(results[2:], start=3):
        assert isinstance(result, aioamqp.PublishFailed), result
        assert result.delivery_tag == tag


async def test_mandatory_unroutable_with_confirms_and_return_callback(protocol, name):
    returned = []
    channel = await w(protocol.channel(return_callback=lambda *args: returned.append(args)))
    await w(channel.confirm_select())
    assert await w(channel.publish(b"lost", "", name, mandatory=True)) is None
    for _ in range(100):
        if returned:
            break
        await asyncio.sleep(0.01)
    assert len(returned) == 1
    assert returned[0][2].reply_code == 312


async def test_returns_in_flight_with_confirms(protocol, name):
    """Routable and unroutable mandatory messages mixed: every publish settles, every
    unroutable one is returned, and none of the routable ones is."""
    returned = []
    channel = await w(protocol.channel(return_callback=lambda *args: returned.append(args[1])))
    queue = await _queue(channel)
    await w(channel.confirm_select())
    bodies = [f"{i}".encode() for i in range(200)]
    results = await w(
        asyncio.gather(
            *(
                channel.publish(body, "", queue if i % 2 else name, mandatory=True)
                for i, body in enumerate(bodies)
            )
        )
    )
    assert results == [None] * 200
    for _ in range(100):
        if len(returned) >= 100:
            break
        await asyncio.sleep(0.01)
    assert sorted(returned) == sorted(bodies[0::2])
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == 100


async def test_returned_without_return_callback_fails_only_the_returned(protocol, name, cleanup):
    """Without a return_callback a returned message's publish raises PublishFailed (the
    library's choice); routable messages in flight with it must still succeed. Bursts of
    routable and unroutable mandatory publishes make RabbitMQ interleave acks and returns."""
    channel = await w(protocol.channel())
    # Persistent messages in a durable queue are confirmed after an fsync, so their acks come
    # late and interleave with the returns (sent at once) and acks of unroutable messages.
    queue = cleanup.queue(f"{name}.durable")
    await w(channel.queue_declare(queue, durable=True))
    await w(channel.confirm_select())
    wrong = []
    for burst in range(20):
        results = await w(
            asyncio.gather(
                *(
                    channel.publish(
                        b"x",
                        "",
                        queue if i % 2 else name,
                        properties={"delivery_mode": 2},
                        mandatory=True,
                    )
                    for i in range(40)
                ),
                return_exceptions=True,
            )
        )
        for i, result in enumerate(results):
            if isinstance(result, aioamqp.PublishFailed) != (i % 2 == 0):
                wrong.append((burst, i, result))
    assert wrong == []


async def test_publish_sent_while_confirm_select_in_flight_is_counted(channel, name):
    """confirm.select takes effect on the broker for everything sent after it: a publish
    issued before select-ok arrives is message 1 for the broker, so the client must count it,
    or the broker's ack/nack of each message settles the publish after it."""
    full = await _queue(
        channel, f"{name}.full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
    )
    normal = await _queue(channel, f"{name}.normal")
    select = asyncio.ensure_future(channel.confirm_select())
    await asyncio.sleep(0)  # confirm.select is on the wire, select-ok not read yet
    assert not select.done()
    early = asyncio.ensure_future(channel.publish(b"early", "", full))  # broker: 1, nacked
    await w(select)
    late = asyncio.ensure_future(channel.publish(b"late", "", normal))  # broker: 2, acked
    # With the bug, late either gets early's nack or waits forever for an ack already seen.
    results = await w(asyncio.gather(early, late, return_exceptions=True), 3)
    # Whether the early publish waits for its nack is open; the late one must be acked.
    assert results[0] is None or isinstance(results[0], aioamqp.PublishFailed)
    assert results[1] is None, results[1]


async def test_confirms_fail_when_the_broker_closes_the_channel(channel):
    await w(channel.confirm_select())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.publish(b"x", "no.such.exchange.for.confirms", "rk"))
    assert info.value.code == 404
    assert not channel.is_open


async def test_confirms_in_flight_fail_when_the_connection_closes(open_connection):
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    await w(channel.confirm_select())
    publishes = [asyncio.ensure_future(channel.publish(b"x", "", queue)) for _ in range(50)]
    await asyncio.sleep(0)
    transport.abort()  # the connection goes away under the publishes
    results = await w(asyncio.gather(*publishes, return_exceptions=True))
    for result in results:
        assert result is None or isinstance(result, aioamqp.AioamqpException), result
    assert protocol.state == aioamqp.protocol.CLOSED
    with pytest.raises(aioamqp.AioamqpException):
        await w(channel.publish(b"after", "", queue))


async def test_publishes_cancelled_while_waiting_for_confirms(channel):
    """A caller that stops waiting for its ack leaves the channel's accounting intact."""
    queue = await _queue(channel)
    await w(channel.confirm_select())
    waiting = [asyncio.ensure_future(channel.publish(b"x", "", queue)) for _ in range(20)]
    await asyncio.sleep(0)
    for task in waiting[::2]:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    await w(channel.publish(b"after", "", queue))
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == 21
