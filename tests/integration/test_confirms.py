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
    assert not channel.confirms.pending
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


# -- a basic.return goes to the publish it belongs to ------------------------------------------
#
# Persistent messages routed to a durable queue are acked after an fsync, late: the returns of
# unroutable messages published after them (and their acks) arrive while they are unconfirmed.


def _persistent(**properties):
    return {"delivery_mode": 2, **properties}


async def _durable_queue(channel, cleanup, name):
    queue = cleanup.queue(f"{name}.durable")
    await w(channel.queue_declare(queue, durable=True))
    return queue


async def _message_count(channel, queue):
    return (await w(channel.queue_declare(queue, passive=True)))["message_count"]


async def _drain(channel, queue):
    bodies = []
    while True:
        try:
            bodies.append((await w(channel.basic_get(queue, no_ack=True)))["message"])
        except aioamqp.EmptyQueue:
            return bodies


def _failed(results):
    """Each gather result as True (PublishFailed), False (returned normally), or the error."""
    return [
        True if isinstance(result, aioamqp.PublishFailed) else False if result is None else result
        for result in results
    ]


async def test_return_goes_to_its_publish_on_a_headers_exchange(protocol, name, cleanup):
    """Same exchange, routing key and body; only a header routes A (h=1) and not B (h=2)."""
    channel = await w(protocol.channel())
    exchange = cleanup.exchange(f"{name}.headers")
    await w(channel.exchange_declare(exchange, "headers"))
    queue = await _durable_queue(channel, cleanup, name)
    await w(channel.queue_bind(queue, exchange, "", arguments={"x-match": "all", "h": 1}))
    await w(channel.confirm_select())
    wrong = []
    for round_ in range(20):
        a, b = await w(
            asyncio.gather(
                channel.publish(
                    b"same", exchange, "rk", _persistent(headers={"h": 1}), mandatory=True
                ),
                channel.publish(
                    b"same", exchange, "rk", _persistent(headers={"h": 2}), mandatory=True
                ),
                return_exceptions=True,
            )
        )
        if a is not None or not isinstance(b, aioamqp.PublishFailed):
            wrong.append((round_, a, b))
    assert wrong == []
    assert await _message_count(channel, queue) == 20
    assert channel.confirms.idle


async def test_returns_pair_across_fanout_and_direct_when_bindings_go(protocol, name, cleanup):
    """Fanout and direct publishes mixed, then their bindings removed between publishes in
    flight: before the unbinds a message is routed, after them the next one with the same
    exchange, routing key and properties is returned. Only the bodies tell them apart."""
    channel = await w(protocol.channel())
    fanout = cleanup.exchange(f"{name}.fanout")
    direct = cleanup.exchange(f"{name}.direct")
    await w(channel.exchange_declare(fanout, "fanout"))
    await w(channel.exchange_declare(direct, "direct"))
    queue = await _durable_queue(channel, cleanup, name)
    await w(channel.queue_bind(queue, fanout, ""))
    await w(channel.queue_bind(queue, direct, "k"))
    await w(channel.queue_bind(queue, direct, "stay"))
    await w(channel.confirm_select())
    before = [(fanout if i % 2 else direct, "k", f"before {i}") for i in range(60)]
    after = [
        ((fanout, direct, direct)[i % 3], "stay" if i % 3 == 2 else "k", f"after {i}")
        for i in range(60)
    ]

    def publish(exchange, routing_key, body):
        return channel.publish(body, exchange, routing_key, _persistent(), mandatory=True)

    # gather starts its tasks in argument order; each writes its frames on its first step.
    results = await w(
        asyncio.gather(
            *(publish(*args) for args in before),
            channel.queue_unbind(queue, fanout, ""),
            channel.queue_unbind(queue, direct, "k"),
            *(publish(*args) for args in after),
            return_exceptions=True,
        )
    )
    del results[len(before) : len(before) + 2]  # the unbinds
    expected = [False] * len(before) + [routing_key == "k" for _, routing_key, _ in after]
    assert _failed(results) == expected
    routed = {body.encode() for _, _, body in before} | {
        body.encode() for _, routing_key, body in after if routing_key == "stay"
    }
    bodies = await _drain(channel, queue)
    assert len(bodies) == len(routed) and set(bodies) == routed


async def test_identical_messages_are_counted_not_told_apart(protocol, name, cleanup):
    """Identical messages, some routed and some returned (a binding goes in between): which
    publish raises is not defined, but as many raise as were returned."""
    channel = await w(protocol.channel())
    queue = await _durable_queue(channel, cleanup, name)
    direct = cleanup.exchange(f"{name}.direct")
    await w(channel.exchange_declare(direct, "direct"))
    await w(channel.queue_bind(queue, direct, "k"))
    await w(channel.confirm_select())

    def publish():
        return channel.publish(b"same", direct, "k", _persistent(), mandatory=True)

    results = await w(
        asyncio.gather(
            *(publish() for _ in range(30)),
            channel.queue_unbind(queue, direct, "k"),
            *(publish() for _ in range(20)),
            return_exceptions=True,
        )
    )
    del results[30]
    assert _failed(results).count(True) == 20
    assert _failed(results).count(False) == 30
    assert await _message_count(channel, queue) == 30


@pytest.mark.timeout(120)
async def test_thousand_publishes_every_third_unroutable(protocol, name, cleanup):
    """1,000 mandatory publishes in flight on a headers exchange, every third one unroutable:
    exactly those raise, and the queue holds exactly the others."""
    channel = await w(protocol.channel())
    exchange = cleanup.exchange(f"{name}.headers")
    await w(channel.exchange_declare(exchange, "headers"))
    queue = await _durable_queue(channel, cleanup, name)
    await w(channel.queue_bind(queue, exchange, "", arguments={"x-match": "all", "to": "q"}))
    await w(channel.confirm_select())
    count = 1000
    unroutable = [i % 3 == 2 for i in range(count)]
    results = await w(
        asyncio.gather(
            *(
                channel.publish(
                    f"message {i}",
                    exchange,
                    "rk",
                    _persistent(headers={"to": "nowhere" if unroutable[i] else "q"}),
                    mandatory=True,
                )
                for i in range(count)
            ),
            return_exceptions=True,
        ),
        90,
    )
    assert _failed(results) == unroutable
    routed = [f"message {i}".encode() for i in range(count) if not unroutable[i]]
    assert await _message_count(channel, queue) == len(routed)
    assert await w(_drain(channel, queue), 60) == routed  # one publisher: the queue keeps order
    assert channel.confirms.idle


async def test_returns_with_a_return_callback_pair_and_reach_it(protocol, name, cleanup):
    """With a return_callback every publish returns normally and the callback gets exactly
    the unroutable messages, with the properties they were published with."""
    returned = []
    channel = await w(
        protocol.channel(return_callback=lambda _, body, e, props: returned.append((body, props)))
    )
    exchange = cleanup.exchange(f"{name}.headers")
    await w(channel.exchange_declare(exchange, "headers"))
    queue = await _durable_queue(channel, cleanup, name)
    await w(channel.queue_bind(queue, exchange, "", arguments={"h": 1}))
    await w(channel.confirm_select())
    results = await w(
        asyncio.gather(
            *(
                channel.publish(
                    b"same", exchange, "rk", _persistent(headers={"h": i % 2}), mandatory=True
                )
                for i in range(100)
            )
        )
    )
    assert results == [None] * 100
    for _ in range(100):
        if len(returned) >= 50:
            break
        await asyncio.sleep(0.01)
    assert len(returned) == 50
    assert all(props.headers == {"h": 0} for _, props in returned)
    assert await _message_count(channel, queue) == 50
    assert channel.confirms.idle


async def test_return_pairs_although_rabbitmq_drops_the_bcc_header(protocol, name, cleanup):
    """RabbitMQ removes a BCC header before it returns a message: the returned properties are
    not the published ones, yet the return still goes to its publish and not to a routed
    message with the same exchange, routing key and body."""
    channel = await w(protocol.channel())
    queue = await _durable_queue(channel, cleanup, name)
    await w(channel.confirm_select())
    wrong = []
    for round_ in range(10):
        routed, lost = await w(
            asyncio.gather(
                channel.publish(
                    b"same",
                    "",
                    "no.such.queue",
                    _persistent(headers={"BCC": [queue], "n": 1}),
                    mandatory=True,
                ),
                channel.publish(
                    b"same",
                    "",
                    "no.such.queue",
                    _persistent(headers={"BCC": ["no.such.queue.either"], "n": 2}),
                    mandatory=True,
                ),
                return_exceptions=True,
            )
        )
        if routed is not None or not isinstance(lost, aioamqp.PublishFailed):
            wrong.append((round_, routed, lost))
    assert wrong == []
    assert await _message_count(channel, queue) == 10
    assert channel.confirms.idle


async def test_returns_without_confirms_need_no_pairing(protocol, name):
    returned = []
    channel = await w(protocol.channel(return_callback=lambda _, body, *a: returned.append(body)))
    queue = await _queue(channel)
    for i in range(30):
        await w(channel.publish(f"{i}", "", name if i % 3 == 2 else queue, mandatory=True))
    await w(channel.queue_declare(queue, passive=True))  # every return came before this reply
    assert returned == [f"{i}".encode() for i in range(30) if i % 3 == 2]
    assert channel.confirms.idle
