"""Publishing, basic_get, consumers, acknowledgements, returns, transactions and big bodies."""

import asyncio
import logging
import time
from array import array
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import aioamqp
from aioamqp.envelope import Envelope, ReturnEnvelope
from aioamqp.properties import Properties

T = 10  # seconds for one broker round trip

WHEN = datetime(2024, 2, 29, 23, 59, 58, tzinfo=timezone.utc)
HEADERS = {
    "text": "héllo",
    "int": 42,
    "negative": -7,
    "big": 2**40,
    "float": 1.25,
    "true": True,
    "false": False,
    "void": None,
    "bytes": b"\x00\xff\x10",
    "decimal": Decimal("3.14"),
    "when": WHEN,
    "list": [1, "two", [3, [4]], {"five": 5}, None, True],
    "table": {"nested": {"deeper": {"deepest": "yes"}}, "n": 1, "empty": {}},
    "empty list": [],
}
ALL_PROPERTIES = {
    "content_type": "application/json",
    "content_encoding": "utf-8",
    "headers": HEADERS,
    "delivery_mode": 2,
    "priority": 5,
    "correlation_id": "corr-1",
    "reply_to": "reply.to.me",
    "expiration": "60000",
    "message_id": "msg-1",
    "timestamp": WHEN,
    "message_type": "test.type",
    "user_id": "guest",  # RabbitMQ checks it is the connection's user
    "app_id": "aioamqp-tests",
    "cluster_id": "cluster-x",
}


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def _queue(channel, name=""):
    result = await w(channel.queue_declare(name, exclusive=True))
    return result["queue"]


async def _wait_until(predicate, timeout=T):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def _check_all_properties(properties):
    assert isinstance(properties, Properties)
    for key, value in ALL_PROPERTIES.items():
        assert getattr(properties, key) == value, key
    headers = properties.headers
    assert type(headers["int"]) is int and type(headers["float"]) is float
    assert type(headers["true"]) is bool and headers["void"] is None
    assert type(headers["bytes"]) is bytes and type(headers["decimal"]) is Decimal
    assert isinstance(headers["when"], datetime)


# -- publish and basic_get --------------------------------------------------------------------


async def test_publish_bytes_and_str_then_basic_get(channel):
    queue = await _queue(channel)
    await channel.publish(b"\x00bytes\xff", "", queue)
    await channel.publish("str é ✓", "", queue)
    first = await w(channel.basic_get(queue, no_ack=True))
    assert {
        "routing_key",
        "redelivered",
        "delivery_tag",
        "exchange_name",
        "message",
        "properties",
    } <= set(first)
    assert first["message"] == b"\x00bytes\xff"
    assert first["routing_key"] == queue
    assert first["exchange_name"] == ""
    assert first["redelivered"] is False
    assert first["delivery_tag"] == 1
    assert isinstance(first["properties"], Properties)
    second = await w(channel.basic_get(queue_name=queue, no_ack=True))
    assert second["message"] == "str é ✓".encode()
    assert second["delivery_tag"] == 2
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(queue))


async def test_basic_get_on_empty_queue_raises_empty_queue(channel):
    queue = await _queue(channel)
    for _ in range(3):  # and the channel stays usable
        with pytest.raises(aioamqp.EmptyQueue):
            await w(channel.basic_get(queue))
    assert channel.is_open


async def test_basic_get_through_named_exchange(channel, name):
    exchange = f"{name}.x"
    await w(channel.exchange_declare(exchange, "direct", auto_delete=True))
    queue = await _queue(channel)
    await w(channel.queue_bind(queue, exchange, "rk"))
    await channel.publish(b"m", exchange, "rk")
    result = await w(channel.basic_get(queue))
    assert result["exchange_name"] == exchange
    assert result["routing_key"] == "rk"
    assert result["message_count"] == 0
    await channel.basic_client_ack(result["delivery_tag"])


async def test_publish_empty_body(channel):
    queue = await _queue(channel)
    await channel.publish(b"", "", queue)
    await channel.publish("", "", queue)
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b""
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b""


@pytest.mark.parametrize("confirms", [False, True], ids=["plain", "confirms"])
async def test_bytes_like_payloads_arrive_byte_exact(protocol, confirms):
    """A buffer whose items are wider than a byte is sent as its bytes: array('i') of 1,000
    items is a 4,000-byte body, not a 1,000-byte header with 4,000 bytes behind it (which made
    the broker close the connection with 501 and lost the publish after it)."""
    channel = await w(protocol.channel())
    if confirms:
        await w(channel.confirm_select())
    queue = await _queue(channel)
    payloads = [
        memoryview(array("i", range(1000))),  # 4,000 bytes
        array("d", [0.25] * 30_000),  # 240,000 bytes: the large-body path, several frames
        bytearray(b"plain bytearray"),
        memoryview(bytes(range(256)) * 4).cast("H", (16, 32)),  # 2-d, 1,024 bytes
    ]
    for payload in payloads:
        await w(channel.publish(payload, "", queue))
    await w(channel.publish(b"after", "", queue))
    for payload in payloads:
        message = (await w(channel.basic_get(queue, no_ack=True)))["message"]
        assert message == memoryview(payload).tobytes()
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b"after"
    assert len(memoryview(payloads[0]).tobytes()) == 4000
    assert channel.is_open and protocol.state == aioamqp.protocol.OPEN


@pytest.mark.parametrize("confirms", [False, True], ids=["plain", "confirms"])
async def test_non_contiguous_payload_raises_type_error_before_sending(protocol, confirms):
    channel = await w(protocol.channel())
    if confirms:
        await w(channel.confirm_select())
    queue = await _queue(channel)
    for payload in (memoryview(b"abcdef")[::2], memoryview(array("i", range(100)))[::-1]):
        with pytest.raises(TypeError, match="contiguous"):
            await w(channel.publish(payload, "", queue))
    # Nothing was sent (nor counted for confirms): the channel and connection go on.
    await w(channel.publish(b"next", "", queue))
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b"next"
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(queue))
    assert channel.is_open and protocol.state == aioamqp.protocol.OPEN
    if confirms:
        assert channel.confirms.delivery_tag == 1 and not channel.confirms.pending


async def test_all_fourteen_properties_round_trip_basic_get(channel):
    queue = await _queue(channel)
    await channel.publish(b"{}", "", queue, properties=ALL_PROPERTIES)
    result = await w(channel.basic_get(queue, no_ack=True))
    _check_all_properties(result["properties"])


async def test_all_fourteen_properties_round_trip_consumer(channel, make_inbox):
    queue = await _queue(channel)
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue, no_ack=True))
    await channel.publish(b"{}", "", queue, properties=ALL_PROPERTIES)
    [(_, body, _, properties)] = await inbox.wait_for(1)
    assert body == b"{}"
    _check_all_properties(properties)


async def test_timestamp_as_int_and_properties_object(channel):
    queue = await _queue(channel)
    await channel.publish(b"a", "", queue, properties={"timestamp": 1_700_000_000})
    await channel.publish(b"b", "", queue, properties=Properties(message_id="obj", priority=1))
    first = await w(channel.basic_get(queue, no_ack=True))
    assert first["properties"].timestamp == datetime.fromtimestamp(1_700_000_000, timezone.utc)
    second = await w(channel.basic_get(queue, no_ack=True))
    assert second["properties"].message_id == "obj"
    assert second["properties"].priority == 1


async def test_no_properties_means_every_property_is_none(channel):
    queue = await _queue(channel)
    await channel.publish(b"bare", "", queue)
    result = await w(channel.basic_get(queue, no_ack=True))
    for key in Properties.NAMES:
        assert getattr(result["properties"], key) is None, key


async def test_wrong_user_id_is_refused_by_the_broker(channel):
    """RabbitMQ validates user_id: a channel error the next RPC sees."""
    queue = await _queue(channel)
    await channel.publish(b"x", "", queue, properties={"user_id": "somebody-else"})
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare(queue, passive=True))
    assert info.value.code == 406


async def test_publish_to_missing_exchange_closes_the_channel(protocol):
    channel = await w(protocol.channel())
    await channel.publish(b"x", "no.such.exchange.here", "rk")
    await w(channel.wait_closed())
    assert not channel.is_open
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare("", exclusive=True))
    assert info.value.code == 404
    fresh = await w(protocol.channel())
    await w(fresh.queue_declare("", exclusive=True))


async def test_basic_publish_alias(channel):
    queue = await _queue(channel)
    await channel.basic_publish(b"alias", "", queue)
    assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == b"alias"


# -- mandatory and returns --------------------------------------------------------------------


async def test_mandatory_unroutable_publish_is_returned(protocol, name):
    returned = []

    async def on_return(channel, body, envelope, properties):
        returned.append((channel, body, envelope, properties))

    channel = await w(protocol.channel(return_callback=on_return))
    await channel.publish(b"lost", "", name, properties={"message_id": "r1"}, mandatory=True)
    await _wait_until(lambda: returned)
    ret_channel, body, envelope, properties = returned[0]
    assert ret_channel is channel
    assert body == b"lost"
    assert isinstance(envelope, ReturnEnvelope)
    assert envelope.reply_code == 312
    assert envelope.reply_text == "NO_ROUTE"
    assert envelope.exchange_name == ""
    assert envelope.routing_key == name
    assert properties.message_id == "r1"
    # Routable mandatory messages are not returned; non-mandatory unroutable ones are dropped.
    queue = await _queue(channel)
    await channel.publish(b"kept", "", queue, mandatory=True)
    await channel.publish(b"dropped", "", name)
    await w(channel.basic_get(queue, no_ack=True))
    await asyncio.sleep(0.2)
    assert len(returned) == 1


async def test_return_callback_plain_function(protocol, name):
    returned = []
    channel = await w(protocol.channel(return_callback=lambda *args: returned.append(args)))
    await channel.publish(b"lost", "", name, mandatory=True)
    await _wait_until(lambda: returned)
    assert returned[0][1] == b"lost"
    assert returned[0][2].reply_code == 312


async def test_return_without_callback_is_logged_not_fatal(channel, name, caplog):
    with caplog.at_level(logging.WARNING, logger="aioamqp"):
        await channel.publish(b"lost", "", name, mandatory=True)
        await w(channel.queue_declare("", exclusive=True))  # the return came before this reply
    assert channel.is_open
    assert any(record.levelno == logging.WARNING for record in caplog.records)


# -- consumers --------------------------------------------------------------------------------


async def test_consumer_gets_envelope_and_properties(channel, name, make_inbox):
    exchange = f"{name}.x"
    await w(channel.exchange_declare(exchange, "topic", auto_delete=True))
    queue = await _queue(channel)
    await w(channel.queue_bind(queue, exchange, "a.#"))
    inbox = make_inbox()
    result = await w(channel.basic_consume(inbox, queue_name=queue))
    assert set(result) == {"consumer_tag"}
    tag = result["consumer_tag"]
    assert tag
    await channel.publish(b"one", exchange, "a.b", properties={"correlation_id": "c1"})
    await channel.publish(b"two", exchange, "a.c")
    items = await inbox.wait_for(2)
    for index, (cb_channel, body, envelope, properties) in enumerate(items, start=1):
        assert cb_channel is channel
        assert isinstance(envelope, Envelope)
        assert envelope.consumer_tag == tag
        assert envelope.delivery_tag == index
        assert envelope.exchange_name == exchange
        assert envelope.is_redeliver is False
        assert isinstance(properties, Properties)
    assert [item[1] for item in items] == [b"one", b"two"]
    assert [item[2].routing_key for item in items] == ["a.b", "a.c"]
    assert items[0][3].correlation_id == "c1"
    assert items[1][3].correlation_id is None


async def test_consumer_with_own_tag_and_plain_function_callback(channel):
    queue = await _queue(channel)
    got = []
    result = await w(
        channel.basic_consume(
            lambda ch, body, env, props: got.append((body, env.consumer_tag)),
            queue_name=queue,
            consumer_tag="my-tag",
            no_ack=True,
        )
    )
    assert result == {"consumer_tag": "my-tag"}
    await channel.publish(b"x", "", queue)
    await _wait_until(lambda: got)
    assert got == [(b"x", "my-tag")]


async def test_consume_no_wait_returns_the_tag(channel, make_inbox):
    queue = await _queue(channel)
    inbox = make_inbox()
    result = await w(channel.basic_consume(inbox, queue_name=queue, no_wait=True, no_ack=True))
    assert result["consumer_tag"]
    await channel.publish(b"x", "", queue)
    [(_, _, envelope, _)] = await inbox.wait_for(1)
    assert envelope.consumer_tag == result["consumer_tag"]


async def test_consumer_order_is_preserved(channel, make_inbox):
    queue = await _queue(channel)
    inbox = make_inbox(ack=True)
    await w(channel.basic_qos(prefetch_count=50))
    await w(channel.basic_consume(inbox, queue_name=queue))
    count = 2000
    for i in range(count):
        await channel.publish(str(i), "", queue)
    await inbox.wait_for(count, timeout=30)
    assert inbox.bodies == [str(i).encode() for i in range(count)]
    assert [item[2].delivery_tag for item in inbox.items] == list(range(1, count + 1))


async def test_two_consumers_on_one_channel(channel, make_inbox):
    first_queue, second_queue = await _queue(channel), await _queue(channel)
    first, second = make_inbox(), make_inbox()
    tag1 = (await w(channel.basic_consume(first, queue_name=first_queue, no_ack=True)))[
        "consumer_tag"
    ]
    tag2 = (await w(channel.basic_consume(second, queue_name=second_queue, no_ack=True)))[
        "consumer_tag"
    ]
    assert tag1 != tag2
    for i in range(10):
        await channel.publish(f"a{i}", "", first_queue)
        await channel.publish(f"b{i}", "", second_queue)
    await first.wait_for(10)
    await second.wait_for(10)
    assert first.bodies == [f"a{i}".encode() for i in range(10)]
    assert second.bodies == [f"b{i}".encode() for i in range(10)]
    assert {item[2].consumer_tag for item in first.items} == {tag1}


async def test_basic_cancel_stops_deliveries(channel, make_inbox):
    queue = await _queue(channel)
    inbox = make_inbox()
    tag = (await w(channel.basic_consume(inbox, queue_name=queue, no_ack=True)))["consumer_tag"]
    await channel.publish(b"before", "", queue)
    await inbox.wait_for(1)
    assert await w(channel.basic_cancel(tag)) == {"consumer_tag": tag}
    assert tag not in channel.consumer_callbacks
    await channel.publish(b"after", "", queue)
    result = await w(channel.basic_get(queue, no_ack=True))
    assert result["message"] == b"after"
    assert inbox.bodies == [b"before"]
    assert (await w(channel.queue_declare(queue, passive=True)))["consumer_count"] == 0


async def test_basic_cancel_no_wait(channel, make_inbox):
    queue = await _queue(channel)
    tag = (await w(channel.basic_consume(make_inbox(), queue_name=queue)))["consumer_tag"]
    assert await w(channel.basic_cancel(tag, no_wait=True)) is None
    assert (await w(channel.queue_declare(queue, passive=True)))["consumer_count"] == 0


async def test_exception_in_consumer_callback_is_logged_and_consumption_goes_on(channel, caplog):
    queue = await _queue(channel)
    seen = []

    async def callback(channel, body, envelope, properties):
        seen.append(body)
        if body == b"boom":
            raise RuntimeError("callback failure")

    with caplog.at_level(logging.ERROR, logger="aioamqp"):
        await w(channel.basic_consume(callback, queue_name=queue, no_ack=True))
        for body in (b"1", b"boom", b"3"):
            await channel.publish(body, "", queue)
        await _wait_until(lambda: len(seen) == 3)
    assert seen == [b"1", b"boom", b"3"]
    assert any(record.exc_info for record in caplog.records if record.levelno >= logging.ERROR)
    assert channel.is_open


async def test_rpc_and_confirmed_publish_inside_a_consumer_callback(protocol, name):
    channel = await w(protocol.channel())
    publisher = await w(protocol.channel())
    await w(publisher.confirm_select())
    queue = await _queue(channel)
    target = await _queue(channel)
    done = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        try:
            declared = await w(channel.queue_declare(f"{name}.inner", exclusive=True))
            await w(publisher.publish(b"from callback", "", target))  # waits for the ack
            await w(channel.confirm_select())
            await w(channel.publish(b"confirmed on own channel", "", target))
            await channel.basic_client_ack(envelope.delivery_tag)
            done.set_result(declared)
        except BaseException as exc:
            done.set_exception(exc)
            raise

    await w(channel.basic_consume(callback, queue_name=queue))
    await channel.publish(b"go", "", queue)
    declared = await w(done)
    assert declared["queue"] == f"{name}.inner"
    first = await w(publisher.basic_get(target, no_ack=True))
    second = await w(publisher.basic_get(target, no_ack=True))
    assert [first["message"], second["message"]] == [b"from callback", b"confirmed on own channel"]


async def test_basic_get_inside_a_consumer_callback(channel):
    queue, other = await _queue(channel), await _queue(channel)
    await channel.publish(b"waiting", "", other)
    done = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        result = await w(channel.basic_get(other, no_ack=True))
        done.set_result(result["message"])

    await w(channel.basic_consume(callback, queue_name=queue, no_ack=True))
    await channel.publish(b"trigger", "", queue)
    assert await w(done) == b"waiting"


@pytest.mark.parametrize("where", ["other channel", "same channel"])
async def test_slow_callback_does_not_block_rpcs(protocol, where):
    channel = await w(protocol.channel())
    other = channel if where == "same channel" else await w(protocol.channel())
    queue = await _queue(channel)
    started = asyncio.Event()

    async def slow(channel, body, envelope, properties):
        started.set()
        await asyncio.sleep(2)

    await w(channel.basic_consume(slow, queue_name=queue, no_ack=True))
    await channel.publish(b"slow", "", queue)
    await channel.publish(b"slow again", "", queue)
    await w(started.wait())
    begin = time.monotonic()
    result = await w(other.queue_declare("", exclusive=True))
    elapsed = time.monotonic() - begin
    assert result["queue"]
    assert elapsed < 0.5, f"RPC took {elapsed:.3f} s while a callback was sleeping"


async def test_blocking_is_per_consumer(channel, make_inbox):
    """A slow consumer does not hold back another consumer of the same channel."""
    slow_queue, fast_queue = await _queue(channel), await _queue(channel)

    async def slow(channel, body, envelope, properties):
        await asyncio.sleep(2)

    fast = make_inbox()
    await w(channel.basic_consume(slow, queue_name=slow_queue, no_ack=True))
    await w(channel.basic_consume(fast, queue_name=fast_queue, no_ack=True))
    await channel.publish(b"s", "", slow_queue)
    await asyncio.sleep(0.05)
    begin = time.monotonic()
    await channel.publish(b"f", "", fast_queue)
    await fast.wait_for(1)
    assert time.monotonic() - begin < 0.5


# -- acknowledgements -------------------------------------------------------------------------


async def test_basic_qos_limits_unacked_deliveries(channel, make_inbox):
    queue = await _queue(channel)
    assert await w(channel.basic_qos(prefetch_count=1)) is True
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue))
    for i in range(3):
        await channel.publish(str(i), "", queue)
    await inbox.wait_for(1)
    await asyncio.sleep(0.3)
    assert inbox.bodies == [b"0"]
    await channel.basic_client_ack(inbox.items[0][2].delivery_tag)
    await inbox.wait_for(2)
    await asyncio.sleep(0.3)
    assert inbox.bodies == [b"0", b"1"]


async def test_basic_qos_argument_names(channel):
    assert await w(channel.basic_qos(prefetch_size=0, prefetch_count=10, connection_global=False))
    assert await w(channel.basic_qos(0, 5, True))


async def test_basic_client_ack_and_multiple(protocol, make_inbox):
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue))
    for i in range(5):
        await channel.publish(str(i), "", queue)
    items = await inbox.wait_for(5)
    await channel.basic_client_ack(items[0][2].delivery_tag)
    await channel.basic_client_ack(delivery_tag=items[4][2].delivery_tag, multiple=True)
    # Nothing is left unacked: closing the channel requeues nothing.
    await w(channel.close())
    other = await w(protocol.channel())
    assert (await w(other.queue_declare(queue, passive=True)))["message_count"] == 0


async def test_unacked_messages_come_back_redelivered(protocol, make_inbox):
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    await channel.publish(b"again", "", queue)
    result = await w(channel.basic_get(queue))
    assert result["redelivered"] is False
    await w(channel.close())  # unacked: requeued
    other = await w(protocol.channel())
    inbox = make_inbox(ack=True)
    await w(other.basic_consume(inbox, queue_name=queue))
    [(_, body, envelope, _)] = await inbox.wait_for(1)
    assert body == b"again"
    assert envelope.is_redeliver is True


async def test_basic_client_nack_requeue_true_and_false(channel):
    queue = await _queue(channel)
    await channel.publish(b"m", "", queue)
    first = await w(channel.basic_get(queue))
    await channel.basic_client_nack(first["delivery_tag"], requeue=True)
    second = await w(channel.basic_get(queue))
    assert second["message"] == b"m"
    assert second["redelivered"] is True
    await channel.basic_client_nack(second["delivery_tag"], multiple=False, requeue=False)
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(queue))


async def test_basic_client_nack_default_requeues_and_multiple(channel):
    queue = await _queue(channel)
    for body in (b"a", b"b", b"c"):
        await channel.publish(body, "", queue)
    tags = [(await w(channel.basic_get(queue)))["delivery_tag"] for _ in range(3)]
    await channel.basic_client_nack(tags[-1], multiple=True)  # requeue defaults to True
    again = [(await w(channel.basic_get(queue, no_ack=True)))["message"] for _ in range(3)]
    assert sorted(again) == [b"a", b"b", b"c"]


async def test_basic_client_nack_dead_letters(channel, name):
    dead = await _queue(channel)
    queue = (
        await w(
            channel.queue_declare(
                name,
                exclusive=True,
                arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead},
            )
        )
    )["queue"]
    await channel.publish(b"dl", "", queue)
    result = await w(channel.basic_get(queue))
    await channel.basic_client_nack(result["delivery_tag"], requeue=False)
    dead_letter = None
    for _ in range(100):
        try:
            dead_letter = await w(channel.basic_get(dead, no_ack=True))
            break
        except aioamqp.EmptyQueue:
            await asyncio.sleep(0.05)
    assert dead_letter is not None and dead_letter["message"] == b"dl"
    death = dead_letter["properties"].headers["x-death"][0]
    assert death["reason"] == "rejected"
    assert death["queue"] == queue


async def test_basic_reject(channel):
    queue = await _queue(channel)
    await channel.publish(b"r", "", queue)
    first = await w(channel.basic_get(queue))
    await channel.basic_reject(first["delivery_tag"], requeue=True)
    second = await w(channel.basic_get(queue))
    assert second["redelivered"] is True
    await channel.basic_reject(second["delivery_tag"])  # requeue defaults to False
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(queue))


async def test_basic_recover(channel):
    queue = await _queue(channel)
    await channel.publish(b"rec", "", queue)
    first = await w(channel.basic_get(queue))
    assert first["redelivered"] is False
    assert await w(channel.basic_recover(requeue=True)) is True
    second = await w(channel.basic_get(queue, no_ack=True))
    assert second["message"] == b"rec"
    assert second["redelivered"] is True


async def test_basic_recover_async(channel):
    queue = await _queue(channel)
    await channel.publish(b"rec", "", queue)
    await w(channel.basic_get(queue))
    assert await channel.basic_recover_async(requeue=True) is None
    await w(channel.queue_declare(queue, passive=True))  # a round trip after the recover
    second = await w(channel.basic_get(queue, no_ack=True))
    assert second["redelivered"] is True


async def test_consumer_redelivery_after_recover(channel, make_inbox):
    queue = await _queue(channel)
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue))
    await channel.publish(b"x", "", queue)
    await inbox.wait_for(1)
    await w(channel.basic_recover())
    items = await inbox.wait_for(2)
    assert items[1][1] == b"x"
    assert items[0][2].is_redeliver is False
    assert items[1][2].is_redeliver is True
    await channel.basic_client_ack(items[1][2].delivery_tag)


async def test_flow_active(channel):
    assert await w(channel.flow(active=True)) == {"active": True}


# -- cancellation by the broker ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["function", "coroutine"])
async def test_cancellation_callback_when_queue_deleted(protocol, name, kind):
    channel = await w(protocol.channel())
    other = await w(protocol.channel())
    await w(channel.queue_declare(name, auto_delete=True))
    calls = []
    if kind == "function":

        def cancelled(channel, consumer_tag):
            calls.append((channel, consumer_tag))

    else:

        async def cancelled(channel, consumer_tag):
            await asyncio.sleep(0)
            calls.append((channel, consumer_tag))

    channel.add_cancellation_callback(cancelled)
    tag = (await w(channel.basic_consume(lambda *a: None, queue_name=name)))["consumer_tag"]
    await w(other.queue_delete(name))
    await _wait_until(lambda: calls)
    assert calls == [(channel, tag)]
    assert channel.is_open
    assert tag not in channel.consumer_callbacks
    # The channel still works, including for a new consumer.
    queue = await _queue(channel)
    await w(channel.basic_consume(lambda *a: None, queue_name=queue))


async def test_several_cancellation_callbacks(protocol, name):
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name))
    calls = []
    channel.add_cancellation_callback(lambda ch, tag: calls.append(("sync", tag)))

    async def coroutine_callback(ch, tag):
        calls.append(("async", tag))

    channel.add_cancellation_callback(coroutine_callback)
    tag = (await w(channel.basic_consume(lambda *a: None, queue_name=name)))["consumer_tag"]
    other = await w(protocol.channel())
    await w(other.queue_delete(name))
    await _wait_until(lambda: len(calls) == 2)
    assert sorted(calls) == [("async", tag), ("sync", tag)]


async def test_exception_in_cancellation_callback_is_logged(protocol, name, caplog):
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name))
    called = asyncio.Event()

    async def failing(channel, consumer_tag):
        called.set()
        raise RuntimeError("cancellation callback failure")

    channel.add_cancellation_callback(failing)
    await w(channel.basic_consume(lambda *a: None, queue_name=name))
    other = await w(protocol.channel())
    with caplog.at_level(logging.ERROR, logger="aioamqp"):
        await w(other.queue_delete(name))
        await w(called.wait())
        await asyncio.sleep(0.1)
    failures = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.exc_info
        and "cancellation callback failure" in str(record.exc_info[1])
    ]
    assert len(failures) == 1
    assert channel.is_open
    await w(channel.queue_declare("", exclusive=True))


# -- transactions -----------------------------------------------------------------------------


async def test_tx_commit_and_rollback(channel):
    queue = await _queue(channel)
    assert await w(channel.tx_select()) is True
    await channel.publish(b"rolled back", "", queue)
    assert await w(channel.tx_rollback()) is True
    await channel.publish(b"committed", "", queue)
    assert (await w(channel.queue_declare(queue, passive=True)))["message_count"] == 0
    assert await w(channel.tx_commit()) is True
    result = await w(channel.basic_get(queue, no_ack=True))
    assert result["message"] == b"committed"
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(queue))


# -- bodies -----------------------------------------------------------------------------------


@pytest.mark.timeout(90)
async def test_bodies_around_frame_max_and_ten_mib(open_connection, make_inbox):
    transport, protocol = await open_connection(frame_max=4096)
    assert protocol.frame_max == 4096
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    sizes = list(range(4096 - 9, 4096 + 10)) + [0, 1, 4088, 8176, 8177, 100_000]
    bodies = [bytes((i * 7 + size) % 256 for i in range(size)) for size in sizes]
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue, no_ack=True))
    for body in bodies:
        await channel.publish(body, "", queue)
    await inbox.wait_for(len(bodies))
    assert [len(body) for body in inbox.bodies] == sizes
    assert inbox.bodies == bodies

    big = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    assert len(big) == 10 * 1024 * 1024
    await channel.publish(big, "", queue)
    [*_, (_, received, _, _)] = await inbox.wait_for(len(bodies) + 1, timeout=60)
    assert received == big


@pytest.mark.timeout(90)
async def test_ten_mib_body_with_basic_get(open_connection):
    transport, protocol = await open_connection(frame_max=4096)
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    big = bytes(reversed(range(256))) * (10 * 1024 * 1024 // 256) + b"tail"
    await w(channel.confirm_select())
    await w(channel.publish(big, "", queue), 60)
    result = await w(channel.basic_get(queue, no_ack=True), 60)
    assert result["message"] == big
    for size in range(4096 - 9, 4096 + 10):
        body = bytes([size % 256]) * size
        await w(channel.publish(body, "", queue))
        assert (await w(channel.basic_get(queue, no_ack=True)))["message"] == body


@pytest.mark.timeout(90)
async def test_large_bodies_default_frame_max_interleaved_channels(protocol, make_inbox):
    """Two channels sending multi-frame bodies at once: frames of different channels
    interleave on the connection and must be reassembled per channel."""
    first, second = await w(protocol.channel()), await w(protocol.channel())
    queue = await _queue(first)
    inbox = make_inbox()
    await w(first.basic_consume(inbox, queue_name=queue, no_ack=True))
    body_a = b"a" * 1_000_000
    body_b = b"b" * 1_500_000
    await asyncio.gather(
        *(first.publish(body_a, "", queue) for _ in range(3)),
        *(second.publish(body_b, "", queue) for _ in range(3)),
    )
    await inbox.wait_for(6, timeout=60)
    assert sorted(inbox.bodies) == [body_a] * 3 + [body_b] * 3


@pytest.mark.timeout(90)
@pytest.mark.parametrize("confirms", [False, True])
async def test_burst_of_large_publishes_keeps_order(protocol, make_inbox, confirms):
    """Publishes issued together (asyncio.gather) fill the socket's write buffer: they must
    all go out, intact and in the order they were issued."""
    channel = await w(protocol.channel())
    queue = await _queue(channel)
    if confirms:
        await w(channel.confirm_select())
    count, size = 64, 512 * 1024
    bodies = [i.to_bytes(4, "big") * (size // 4) for i in range(count)]
    results = await w(asyncio.gather(*(channel.publish(body, "", queue) for body in bodies)), 60)
    assert results == [None] * count
    consumer_channel = await w(protocol.channel())
    inbox = make_inbox()
    await w(consumer_channel.basic_consume(inbox, queue_name=queue, no_ack=True))
    await inbox.wait_for(count, timeout=60)
    assert [body[:4] for body in inbox.bodies] == [body[:4] for body in bodies]
    assert inbox.bodies == bodies
