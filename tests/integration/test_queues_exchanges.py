"""Queue and exchange methods, routing through each exchange type, and channel errors."""

import asyncio

import pytest

import aioamqp

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def _count(channel, queue_name):
    return (await w(channel.queue_declare(queue_name, passive=True)))["message_count"]


async def _bodies(channel, queue_name):
    """Every message in the queue, taken with basic_get (no_ack)."""
    bodies = []
    while True:
        try:
            result = await w(channel.basic_get(queue_name, no_ack=True))
        except aioamqp.EmptyQueue:
            return bodies
        bodies.append(result["message"])


# -- queues -----------------------------------------------------------------------------------


async def test_queue_declare_returns_queue_and_counts(channel, name):
    result = await w(channel.queue_declare(name, auto_delete=True))
    assert result == {"queue": name, "message_count": 0, "consumer_count": 0}
    await w(channel.confirm_select())
    for body in (b"1", b"2"):
        await w(channel.publish(body, "", name))
    await w(channel.basic_consume(lambda *args: None, queue_name=name, no_ack=False))
    again = await w(channel.queue_declare(name, passive=True))
    assert again["queue"] == name
    assert again["consumer_count"] == 1
    assert again["message_count"] == 0  # both delivered (unacked) to the consumer


async def test_queue_declare_counts_messages(channel, name):
    await w(channel.queue_declare(name, auto_delete=True))
    await w(channel.confirm_select())
    await asyncio.gather(*(w(channel.publish(b"x", "", name)) for _ in range(3)))
    result = await w(channel.queue_declare(name, passive=True))
    assert result == {"queue": name, "message_count": 3, "consumer_count": 0}
    await w(channel.queue_delete(name))


async def test_server_named_queue(channel):
    result = await w(channel.queue_declare(queue_name="", exclusive=True, server_named=True))
    assert result["queue"].startswith("amq.gen-")
    assert result["message_count"] == 0 and result["consumer_count"] == 0
    # It is a real queue: the default exchange routes to it by name.
    await w(channel.confirm_select())
    await w(channel.publish(b"hi", "", result["queue"]))
    assert await _bodies(channel, result["queue"]) == [b"hi"]


async def test_queue_declare_with_arguments(channel):
    result = await w(
        channel.queue_declare(queue_name="", exclusive=True, arguments={"x-max-priority": 4})
    )
    queue = result["queue"]
    await w(channel.confirm_select())
    for priority in (0, 4, 2):
        await w(channel.publish(str(priority), "", queue, properties={"priority": priority}))
    assert await _bodies(channel, queue) == [b"4", b"2", b"0"]


async def test_queue_declare_no_wait(channel, name):
    assert await w(channel.queue_declare(name, auto_delete=True, no_wait=True)) is None
    result = await w(channel.queue_declare(name, passive=True))
    assert result["queue"] == name
    await w(channel.queue_delete(name))


async def test_queue_alias(channel, name):
    result = await w(channel.queue(name, auto_delete=True))
    assert result["queue"] == name
    await w(channel.queue_delete(name))


async def test_durable_queue(channel, name, cleanup):
    cleanup.queue(name)
    result = await w(channel.queue_declare(name, durable=True))
    assert result["queue"] == name
    # Redeclaring with the same flags is fine; passive too.
    await w(channel.queue_declare(name, durable=True))
    await w(channel.queue_declare(name, passive=True))


async def test_queue_delete(protocol, name):
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name))
    assert await w(channel.queue_delete(name))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare(name, passive=True))
    assert info.value.code == 404


async def test_queue_delete_if_empty_and_if_unused(protocol, name, cleanup):
    cleanup.queue(name)
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name))
    await w(channel.confirm_select())
    await w(channel.publish(b"x", "", name))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_delete(name, if_empty=True))
    assert info.value.code == 406

    channel = await w(protocol.channel())
    await w(channel.basic_consume(lambda *args: None, queue_name=name))
    other = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(other.queue_delete(name, if_unused=True))
    assert info.value.code == 406
    # Without conditions the delete goes through.
    other = await w(protocol.channel())
    assert await w(other.queue_delete(name))


async def test_queue_delete_no_wait(channel, name):
    await w(channel.queue_declare(name))
    assert await w(channel.queue_delete(name, no_wait=True)) is None
    with pytest.raises(aioamqp.ChannelClosed):
        await w(channel.queue_declare(name, passive=True))


async def test_queue_bind_and_unbind(channel, name, cleanup):
    exchange = cleanup.exchange(f"{name}.x")
    await w(channel.exchange_declare(exchange, "direct"))
    await w(channel.queue_declare(name, exclusive=True))
    assert await w(channel.queue_bind(name, exchange, "key")) is True
    await w(channel.confirm_select())
    await w(channel.publish(b"bound", exchange, "key"))
    await w(channel.publish(b"other key", exchange, "nope"))
    assert await _bodies(channel, name) == [b"bound"]

    assert await w(channel.queue_unbind(name, exchange, "key")) is True
    await w(channel.publish(b"unbound", exchange, "key"))
    assert await _bodies(channel, name) == []


async def test_queue_bind_no_wait_and_arguments(channel, name, cleanup):
    exchange = cleanup.exchange(f"{name}.x")
    await w(channel.exchange_declare(exchange, "headers"))
    await w(channel.queue_declare(name, exclusive=True))
    await w(
        channel.queue_bind(
            name, exchange, "", no_wait=True, arguments={"x-match": "any", "color": "red"}
        )
    )
    await w(channel.confirm_select())  # a round trip: the bind was processed before it
    await w(channel.publish(b"red", exchange, "", properties={"headers": {"color": "red"}}))
    await w(channel.publish(b"blue", exchange, "", properties={"headers": {"color": "blue"}}))
    assert await _bodies(channel, name) == [b"red"]
    await w(channel.queue_unbind(name, exchange, "", arguments={"x-match": "any", "color": "red"}))
    await w(channel.publish(b"red again", exchange, "", properties={"headers": {"color": "red"}}))
    assert await _bodies(channel, name) == []


async def test_queue_purge(channel, name):
    await w(channel.queue_declare(name, exclusive=True))
    assert await w(channel.queue_purge(name)) == {"message_count": 0}
    await w(channel.confirm_select())
    await asyncio.gather(*(w(channel.publish(b"x", "", name)) for _ in range(3)))
    assert await w(channel.queue_purge(name)) == {"message_count": 3}
    assert await _count(channel, name) == 0


async def test_queue_purge_no_wait(channel, name):
    await w(channel.queue_declare(name, exclusive=True))
    await w(channel.confirm_select())
    await w(channel.publish(b"x", "", name))
    assert await w(channel.queue_purge(name, no_wait=True)) is None
    assert await _count(channel, name) == 0


# -- exchanges --------------------------------------------------------------------------------


async def test_exchange_declare_default_type_is_direct(protocol, name, cleanup):
    exchange = cleanup.exchange(name)
    channel = await w(protocol.channel())
    assert await w(channel.exchange_declare(exchange)) is True
    assert await w(channel.exchange_declare(exchange, "direct")) is True  # same: accepted
    assert await w(channel.exchange_declare(exchange, passive=True)) is True
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(exchange, "fanout"))
    assert info.value.code == 406


async def test_exchange_alias_and_no_wait(channel, name, cleanup):
    exchange = cleanup.exchange(name)
    assert await w(channel.exchange(exchange, "fanout")) is True
    await w(channel.exchange_declare(exchange, "fanout", no_wait=True))
    assert await w(channel.exchange_declare(exchange, "fanout", passive=True)) is True


async def test_fanout_exchange_routes_to_every_queue(channel, name):
    exchange = f"{name}.fanout"
    await w(channel.exchange_declare(exchange, "fanout", auto_delete=True))
    queues = [f"{name}.{i}" for i in range(2)]
    for i, queue in enumerate(queues):
        await w(channel.queue_declare(queue, exclusive=True))
        await w(channel.queue_bind(queue, exchange, f"ignored-{i}"))
    await w(channel.confirm_select())
    await w(channel.publish(b"to all", exchange, "any key"))
    for queue in queues:
        assert await _bodies(channel, queue) == [b"to all"]


async def test_topic_exchange_routes_by_pattern(channel, name):
    exchange = f"{name}.topic"
    await w(channel.exchange_declare(exchange, "topic", auto_delete=True))
    one_word, any_words = f"{name}.star", f"{name}.hash"
    await w(channel.queue_declare(one_word, exclusive=True))
    await w(channel.queue_declare(any_words, exclusive=True))
    await w(channel.queue_bind(one_word, exchange, "a.*"))
    await w(channel.queue_bind(any_words, exchange, "a.#"))
    await w(channel.confirm_select())
    for key in ("a.b", "a.b.c", "b.a"):
        await w(channel.publish(key, exchange, key))
    assert await _bodies(channel, one_word) == [b"a.b"]
    assert await _bodies(channel, any_words) == [b"a.b", b"a.b.c"]


async def test_headers_exchange_routes_by_headers(channel, name):
    exchange = f"{name}.headers"
    await w(channel.exchange_declare(exchange, "headers", auto_delete=True))
    await w(channel.queue_declare(name, exclusive=True))
    await w(channel.queue_bind(name, exchange, "", arguments={"x-match": "all", "k": "v", "n": 1}))
    await w(channel.confirm_select())
    await w(channel.publish(b"match", exchange, "", properties={"headers": {"k": "v", "n": 1}}))
    await w(channel.publish(b"partial", exchange, "", properties={"headers": {"k": "v"}}))
    await w(channel.publish(b"none", exchange, ""))
    assert await _bodies(channel, name) == [b"match"]


async def test_exchange_declare_with_arguments(channel, name, cleanup):
    exchange = cleanup.exchange(name)
    alternate = f"{name}.alt"
    await w(channel.exchange_declare(alternate, "fanout", auto_delete=True))
    await w(channel.queue_declare(alternate, exclusive=True))
    await w(channel.queue_bind(alternate, alternate, ""))
    await w(
        channel.exchange_declare(exchange, "direct", arguments={"alternate-exchange": alternate})
    )
    await w(channel.confirm_select())
    await w(channel.publish(b"unroutable", exchange, "no binding"))
    assert await _bodies(channel, alternate) == [b"unroutable"]


async def test_exchange_delete(protocol, name):
    channel = await w(protocol.channel())
    await w(channel.exchange_declare(name, "fanout"))
    assert await w(channel.exchange_delete(name)) is True
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(name, "fanout", passive=True))
    assert info.value.code == 404


async def test_exchange_delete_if_unused_and_no_wait(protocol, name, cleanup):
    exchange = cleanup.exchange(name)
    channel = await w(protocol.channel())
    await w(channel.exchange_declare(exchange, "fanout"))
    await w(channel.queue_declare(name, exclusive=True))
    await w(channel.queue_bind(name, exchange, ""))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_delete(exchange, if_unused=True))
    assert info.value.code == 406
    channel = await w(protocol.channel())
    await w(channel.exchange_delete(exchange, no_wait=True))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(exchange, "fanout", passive=True))
    assert info.value.code == 404


async def test_exchange_bind_and_unbind_destination_first(channel, name, cleanup):
    source, destination = cleanup.exchange(f"{name}.src"), f"{name}.dst"
    await w(channel.exchange_declare(source, "topic"))
    await w(channel.exchange_declare(destination, "fanout", auto_delete=True))
    await w(channel.queue_declare(name, exclusive=True))
    await w(channel.queue_bind(name, destination, ""))
    # aioamqp 0.15 order: exchange_destination, exchange_source, routing_key
    assert await w(channel.exchange_bind(destination, source, "logs.*")) is True
    await w(channel.confirm_select())
    await w(channel.publish(b"through", source, "logs.error"))
    await w(channel.publish(b"filtered", source, "metrics.cpu"))
    assert await _bodies(channel, name) == [b"through"]

    assert await w(channel.exchange_unbind(destination, source, "logs.*")) is True
    await w(channel.publish(b"after unbind", source, "logs.error"))
    assert await _bodies(channel, name) == []
    await w(channel.exchange_delete(source))


async def test_exchange_bind_keywords(channel, name, cleanup):
    source, destination = cleanup.exchange(f"{name}.src"), f"{name}.dst"
    await w(channel.exchange_declare(source, "direct"))
    await w(channel.exchange_declare(destination, "direct", auto_delete=True))
    await w(channel.queue_declare(name, exclusive=True))
    await w(channel.queue_bind(name, destination, "k"))
    await w(
        channel.exchange_bind(
            exchange_destination=destination, exchange_source=source, routing_key="k"
        )
    )
    await w(channel.confirm_select())
    await w(channel.publish(b"kw", source, "k"))
    assert await _bodies(channel, name) == [b"kw"]
    await w(
        channel.exchange_unbind(
            exchange_destination=destination, exchange_source=source, routing_key="k"
        )
    )
    await w(channel.exchange_delete(source))


# -- channel errors ---------------------------------------------------------------------------


async def test_passive_declare_of_missing_queue_is_404_and_connection_survives(protocol, name):
    channel = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare(name, passive=True))
    assert info.value.code == 404
    assert "NOT_FOUND" in info.value.message
    assert not channel.is_open
    with pytest.raises(aioamqp.ChannelClosed):
        await w(channel.queue_declare(name, auto_delete=True))
    # The connection is fine, and new channels work.
    assert protocol.state == aioamqp.protocol.OPEN
    for _ in range(3):
        fresh = await w(protocol.channel())
        result = await w(fresh.queue_declare("", exclusive=True))
        assert result["queue"]


async def test_passive_declare_of_missing_exchange_is_404(channel, name):
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(name, "direct", passive=True))
    assert info.value.code == 404


@pytest.mark.parametrize(
    "first, second",
    [
        ({"durable": False}, {"durable": True}),
        ({"auto_delete": False}, {"auto_delete": True}),
        ({"arguments": {"x-max-length": 10}}, {"arguments": {"x-max-length": 20}}),
    ],
)
async def test_redeclare_queue_with_other_flags_is_406(protocol, name, cleanup, first, second):
    cleanup.queue(name)
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name, **first))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare(name, **second))
    assert info.value.code == 406
    assert "PRECONDITION_FAILED" in info.value.message


async def test_redeclare_exchange_with_other_flags_is_406(protocol, name, cleanup):
    exchange = cleanup.exchange(name)
    channel = await w(protocol.channel())
    await w(channel.exchange_declare(exchange, "topic", durable=False))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(exchange, "topic", durable=True))
    assert info.value.code == 406


async def test_reserved_queue_name_is_403(channel):
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare("amq.test.reserved", auto_delete=True))
    assert info.value.code == 403
    assert "ACCESS_REFUSED" in info.value.message


async def test_reserved_exchange_name_is_403(channel):
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare("amq.test.reserved", "direct", auto_delete=True))
    assert info.value.code == 403


async def test_pending_rpcs_fail_when_the_broker_closes_the_channel(protocol, name):
    channel = await w(protocol.channel())
    results = await w(
        asyncio.gather(
            channel.queue_declare(f"{name}.a", exclusive=True),
            channel.queue_declare(f"{name}.missing", passive=True),
            channel.queue_declare(f"{name}.b", exclusive=True),
            channel.exchange_declare(f"{name}.x", "fanout", auto_delete=True),
            channel.basic_qos(prefetch_count=5),
            channel.queue_purge(f"{name}.a"),
            return_exceptions=True,
        )
    )
    assert results[0]["queue"] == f"{name}.a"
    assert isinstance(results[1], aioamqp.ChannelClosed) and results[1].code == 404
    for result in results[2:]:
        assert isinstance(result, aioamqp.ChannelClosed), result
    assert not channel.is_open
    fresh = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed):  # b was never declared
        await w(fresh.queue_declare(f"{name}.b", passive=True))


async def test_rpcs_in_flight_are_answered_in_order(channel, name):
    names = [f"{name}.{i:02d}" for i in range(20)]
    results = await w(
        asyncio.gather(*(channel.queue_declare(queue, exclusive=True) for queue in names))
    )
    assert [result["queue"] for result in results] == names


async def test_mixed_rpcs_in_flight(channel, name):
    exchange = f"{name}.x"
    results = await w(
        asyncio.gather(
            channel.exchange_declare(exchange, "fanout", auto_delete=True),
            channel.queue_declare(name, exclusive=True),
            channel.queue_bind(name, exchange, ""),
            channel.basic_qos(prefetch_count=10),
            channel.queue_purge(name),
            channel.queue_declare("", exclusive=True),
            channel.publish(b"x", exchange, ""),
            channel.confirm_select(),
            channel.queue_declare(name, passive=True),
        )
    )
    assert results[0] is True
    assert results[1]["queue"] == name
    assert results[2] is True and results[3] is True
    assert results[4] == {"message_count": 0}
    assert results[5]["queue"].startswith("aioamqp.gen-")
    assert results[6] is None
    assert results[7] is True
    assert results[8]["queue"] == name


async def test_rpcs_in_flight_on_many_channels(protocol, name):
    channels = [await w(protocol.channel()) for _ in range(10)]
    calls = []
    for i, channel in enumerate(channels):
        for j in range(5):
            calls.append(channel.queue_declare(f"{name}.{i}.{j}", exclusive=True))
    results = await w(asyncio.gather(*calls))
    assert [r["queue"] for r in results] == [f"{name}.{i}.{j}" for i in range(10) for j in range(5)]


async def test_rpc_timeout_leaves_the_channel_usable(channel, name):
    """A caller that stops waiting does not desynchronise the replies that follow."""
    await w(channel.queue_declare(name, exclusive=True))
    slow = asyncio.ensure_future(channel.queue_declare(f"{name}.late", exclusive=True))
    await asyncio.sleep(0)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    result = await w(channel.queue_declare(name, passive=True))
    assert result["queue"] == name
    result = await w(channel.queue_declare(f"{name}.late", passive=True))
    assert result["queue"] == f"{name}.late"


async def test_no_wait_returns_none(channel, name, cleanup):
    exchange = cleanup.exchange(f"{name}.x")
    other = cleanup.exchange(f"{name}.y")
    await w(channel.queue_declare(name, exclusive=True))
    results = {
        "exchange_declare": await w(channel.exchange_declare(exchange, "fanout", no_wait=True)),
        "exchange_declare 2": await w(channel.exchange_declare(other, "fanout", no_wait=True)),
        "queue_bind": await w(channel.queue_bind(name, exchange, "", no_wait=True)),
        "exchange_bind": await w(channel.exchange_bind(other, exchange, "", no_wait=True)),
        "exchange_unbind": await w(channel.exchange_unbind(other, exchange, "", no_wait=True)),
        "exchange_delete": await w(channel.exchange_delete(other, no_wait=True)),
        "confirm_select": await w(channel.confirm_select(no_wait=True)),
        "queue_declare": await w(channel.queue_declare(f"{name}.2", exclusive=True, no_wait=True)),
        "queue_purge": await w(channel.queue_purge(name, no_wait=True)),
    }
    await w(channel.queue_declare(name, passive=True))  # all of it went through
    assert results == dict.fromkeys(results)
