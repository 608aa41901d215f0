"""aioamqp 0.15 compatibility: argument names and order (used positionally against the broker),
return values, aliases, exception and data classes."""

import asyncio
import copy
import inspect
import re
from pathlib import Path

import pytest

import aioamqp
from aioamqp.channel import Channel
from aioamqp.envelope import Envelope, ReturnEnvelope
from aioamqp.properties import Properties

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


# Leading parameters of aioamqp 0.15 (later additions such as timeout may follow them).
SIGNATURES_0_15 = {
    "queue_declare": [
        "queue_name",
        "passive",
        "durable",
        "exclusive",
        "auto_delete",
        "no_wait",
        "arguments",
    ],
    "queue_delete": ["queue_name", "if_unused", "if_empty", "no_wait"],
    "queue_bind": ["queue_name", "exchange_name", "routing_key", "no_wait", "arguments"],
    "queue_unbind": ["queue_name", "exchange_name", "routing_key", "arguments"],
    "queue_purge": ["queue_name", "no_wait"],
    "exchange_declare": [
        "exchange_name",
        "type_name",
        "passive",
        "durable",
        "auto_delete",
        "no_wait",
        "arguments",
    ],
    "exchange_delete": ["exchange_name", "if_unused", "no_wait"],
    "exchange_bind": [
        "exchange_destination",
        "exchange_source",
        "routing_key",
        "no_wait",
        "arguments",
    ],
    "exchange_unbind": [
        "exchange_destination",
        "exchange_source",
        "routing_key",
        "no_wait",
        "arguments",
    ],
    "publish": ["payload", "exchange_name", "routing_key", "properties", "mandatory", "immediate"],
    "basic_publish": [
        "payload",
        "exchange_name",
        "routing_key",
        "properties",
        "mandatory",
        "immediate",
    ],
    "basic_qos": ["prefetch_size", "prefetch_count", "connection_global"],
    "basic_consume": [
        "callback",
        "queue_name",
        "consumer_tag",
        "no_local",
        "no_ack",
        "exclusive",
        "no_wait",
        "arguments",
    ],
    "basic_cancel": ["consumer_tag", "no_wait"],
    "basic_get": ["queue_name", "no_ack"],
    "basic_client_ack": ["delivery_tag", "multiple"],
    "basic_client_nack": ["delivery_tag", "multiple", "requeue"],
    "basic_reject": ["delivery_tag", "requeue"],
    "basic_recover_async": ["requeue"],
    "basic_recover": ["requeue"],
    "close": ["reply_code", "reply_text"],
    "flow": ["active"],
    "confirm_select": [],
    "tx_select": [],
    "tx_commit": [],
    "tx_rollback": [],
}


@pytest.mark.parametrize("method", sorted(SIGNATURES_0_15))
def test_channel_method_parameters(method):
    parameters = list(inspect.signature(getattr(Channel, method)).parameters)[1:]
    expected = SIGNATURES_0_15[method]
    assert parameters[: len(expected)] == expected
    assert inspect.iscoroutinefunction(getattr(Channel, method))


def test_confirm_select_no_wait_is_keyword_only():
    parameter = inspect.signature(Channel.confirm_select).parameters["no_wait"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY


def test_connect_and_from_url_parameters():
    connect = list(inspect.signature(aioamqp.connect).parameters)
    assert connect[:9] == [
        "host",
        "port",
        "login",
        "password",
        "virtualhost",
        "ssl",
        "login_method",
        "insist",
        "protocol_factory",
    ]
    assert {"verify_ssl", "loop"} <= set(connect)
    from_url = list(inspect.signature(aioamqp.from_url).parameters)
    assert from_url[:4] == ["url", "login_method", "insist", "protocol_factory"]


def test_exceptions():
    for cls in (
        aioamqp.AmqpClosedConnection,
        aioamqp.ChannelClosed,
        aioamqp.ConfigurationError,
        aioamqp.EmptyQueue,
        aioamqp.NoChannelAvailable,
        aioamqp.PublishFailed,
        aioamqp.SynchronizationError,
    ):
        assert issubclass(cls, aioamqp.AioamqpException)
        assert getattr(aioamqp.exceptions, cls.__name__) is cls
    closed = aioamqp.ChannelClosed(404, "NOT_FOUND - no queue")
    assert (closed.code, closed.message) == (404, "NOT_FOUND - no queue")
    assert aioamqp.ChannelClosed().code == 0
    assert aioamqp.PublishFailed(7).delivery_tag == 7


def test_data_classes():
    envelope = Envelope("ctag", 1, "ex", "rk", False)
    assert (envelope.consumer_tag, envelope.delivery_tag) == ("ctag", 1)
    assert (envelope.exchange_name, envelope.routing_key, envelope.is_redeliver) == (
        "ex",
        "rk",
        False,
    )
    returned = ReturnEnvelope(312, "NO_ROUTE", "ex", "rk")
    assert (returned.reply_code, returned.reply_text) == (312, "NO_ROUTE")
    assert (returned.exchange_name, returned.routing_key) == ("ex", "rk")
    properties = Properties()
    for name in (
        "content_type",
        "content_encoding",
        "headers",
        "delivery_mode",
        "priority",
        "correlation_id",
        "reply_to",
        "expiration",
        "message_id",
        "timestamp",
        "message_type",
        "user_id",
        "app_id",
        "cluster_id",
    ):
        assert getattr(properties, name) is None


async def test_connect_with_loop_argument(amqp_url, connections):
    import urllib.parse

    parts = urllib.parse.urlsplit(amqp_url)
    transport, protocol = await w(
        aioamqp.connect(
            parts.hostname, parts.port, loop=asyncio.get_running_loop(), verify_ssl=False
        )
    )
    connections.append((transport, protocol))
    channel = await w(protocol.channel())
    assert channel.channel_id == 1
    assert channel.protocol is protocol


# -- positional arguments against the broker --------------------------------------------------


async def test_queue_declare_positional_exclusive(protocol, name, open_connection):
    channel = await w(protocol.channel())
    # queue_name, passive, durable, exclusive
    await w(channel.queue_declare(name, False, False, True))
    _, other_protocol = await open_connection()
    other = await w(other_protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(other.queue_declare(name, passive=True))
    assert info.value.code == 405  # RESOURCE_LOCKED: it is exclusive to the first connection


async def test_queue_declare_positional_auto_delete(protocol, name):
    channel = await w(protocol.channel())
    # queue_name, passive, durable, exclusive, auto_delete
    await w(channel.queue_declare(name, False, False, False, True))
    await w(channel.queue_declare(name, False, False, False, True))  # equivalent: accepted
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_declare(name, False, False, False, False))
    assert info.value.code == 406


async def test_exchange_declare_positional_auto_delete(protocol, name, cleanup):
    cleanup.exchange(name)
    channel = await w(protocol.channel())
    # exchange_name, type_name, passive, durable, auto_delete
    await w(channel.exchange_declare(name, "fanout", False, False, True))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.exchange_declare(name, "fanout", False, False, False))
    assert info.value.code == 406


async def test_positional_bind_publish_get_nack_reject(protocol, name):
    channel = await w(protocol.channel())
    exchange = f"{name}.x"
    await w(channel.exchange_declare(exchange, "direct", False, False, True))
    await w(channel.queue_declare(name, False, False, True, False))
    await w(channel.queue_bind(name, exchange, "rk"))
    # payload, exchange_name, routing_key, properties, mandatory
    await channel.publish(b"one", exchange, "rk", {"message_id": "m1"}, True)
    await channel.publish(b"two", exchange, "rk", None, False)
    # queue_name, no_ack
    first = await w(channel.basic_get(name, False))
    assert first["message"] == b"one" and first["properties"].message_id == "m1"
    # delivery_tag, requeue
    await channel.basic_reject(first["delivery_tag"], True)
    again = await w(channel.basic_get(name, False))
    assert again["message"] == b"one" and again["redelivered"] is True
    # delivery_tag, multiple, requeue
    await channel.basic_client_nack(again["delivery_tag"], False, False)
    second = await w(channel.basic_get(name, True))
    assert second["message"] == b"two"
    with pytest.raises(aioamqp.EmptyQueue):
        await w(channel.basic_get(name, True))
    # queue_name, exchange_name, routing_key
    await w(channel.queue_unbind(name, exchange, "rk"))


async def test_queue_delete_positional_if_empty(protocol, name):
    channel = await w(protocol.channel())
    await w(channel.queue_declare(name, False, False, True))
    await channel.publish(b"x", "", name)
    # queue_name, if_unused, if_empty
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.queue_delete(name, False, True))
    assert info.value.code == 406


async def test_basic_consume_positional(channel, make_inbox):
    queue = (await w(channel.queue_declare("", exclusive=True)))["queue"]
    inbox = make_inbox()
    # callback, queue_name, consumer_tag, no_local, no_ack
    result = await w(channel.basic_consume(inbox, queue, "positional-tag", False, True))
    assert result == {"consumer_tag": "positional-tag"}
    await channel.publish(b"p", "", queue)
    [(_, body, envelope, _)] = await inbox.wait_for(1)
    assert body == b"p" and envelope.consumer_tag == "positional-tag"
    # consumer_tag
    assert await w(channel.basic_cancel("positional-tag")) == {"consumer_tag": "positional-tag"}


async def test_aliases(channel, name):
    assert Channel.queue is Channel.queue_declare
    assert Channel.exchange is Channel.exchange_declare
    result = await w(channel.queue(name, exclusive=True))
    assert result["queue"] == name
    assert await w(channel.exchange(f"{name}.x", "fanout", auto_delete=True)) is True
    await w(channel.queue_bind(name, f"{name}.x", ""))


async def test_queue_delete_returns_a_truthy_value(channel, name):
    """0.15 returned True; we return delete-ok's {'message_count': n}, which is truthy too."""
    await w(channel.queue_declare(name))
    assert await w(channel.queue_delete(name)) == {"message_count": 0}


async def test_return_values_of_0_15(channel, name):
    """What aioamqp 0.15 returned for each method (queue_delete: see above)."""
    exchange = f"{name}.x"
    assert await w(channel.exchange_declare(exchange, "topic", auto_delete=True)) is True
    declared = await w(channel.queue_declare(name, exclusive=True))
    assert declared == {"queue": name, "message_count": 0, "consumer_count": 0}
    assert await w(channel.queue_bind(name, exchange, "#")) is True
    assert await w(channel.queue_purge(name)) == {"message_count": 0}
    assert await w(channel.basic_qos(prefetch_count=1)) is True
    assert await w(channel.basic_recover()) is True
    assert await w(channel.flow(True)) == {"active": True}
    consumed = await w(channel.basic_consume(lambda *a: None, queue_name=name))
    assert set(consumed) == {"consumer_tag"}
    assert await w(channel.basic_cancel(consumed["consumer_tag"])) == consumed
    assert await w(channel.queue_unbind(name, exchange, "#")) is True
    assert await w(channel.exchange_delete(exchange)) is True
    assert await w(channel.confirm_select()) is True
    assert await w(channel.publish(b"x", "", name)) is None
    got = await w(channel.basic_get(name))
    assert await channel.basic_client_ack(got["delivery_tag"]) is None
    assert await w(channel.close()) is True


# -- values, exceptions and names that code written for aioamqp 0.15 observes ------------------


async def test_server_tuning_attributes_hold_the_negotiated_values(open_connection):
    """0.15: server_channel_max, server_frame_max and server_heartbeat are what tune-ok sent."""
    _, protocol = await open_connection(channel_max=10, frame_max=131072, heartbeat=100)
    assert protocol.server_channel_max == 10
    assert protocol.server_frame_max == 131072
    assert protocol.server_heartbeat == 100
    # The broker's own offer is kept apart (RabbitMQ's defaults: 2047 channels, 60 s).
    assert protocol.broker_channel_max > 10
    assert protocol.broker_heartbeat != 100
    await w(protocol.channel())


async def test_channels_ids_count_is_the_number_of_ids_in_use(protocol):
    """0.15: channels_ids_count goes up with each channel opened, down with each one closed."""
    assert protocol.channels_ids_count == 0
    first = await w(protocol.channel())
    second = await w(protocol.channel())
    assert protocol.channels_ids_count == 2
    await w(second.close())
    assert protocol.channels_ids_count == 1
    assert protocol.channels_ids_ceil == 2
    third = await w(protocol.channel())
    assert third.channel_id == second.channel_id  # the freed id is reused
    assert protocol.channels_ids_count == 2
    with pytest.raises(aioamqp.ChannelClosed):
        await w(first.queue_declare("amq.reserved"))  # the broker closes it: 403
    assert protocol.channels_ids_count == 1


async def test_send_heartbeat_is_a_public_coroutine(open_connection, monkeypatch):
    """0.15: `await protocol.send_heartbeat()` sends one heartbeat; the connection's own
    heartbeats go through it, so patching it sees them."""
    _, protocol = await open_connection(heartbeat=1)
    assert inspect.iscoroutinefunction(protocol.send_heartbeat)
    assert await w(protocol.send_heartbeat()) is None
    sent = []
    real = protocol.send_heartbeat

    async def counting():
        sent.append(asyncio.get_running_loop().time())
        await real()

    monkeypatch.setattr(protocol, "send_heartbeat", counting)
    await asyncio.sleep(3)  # idle: only heartbeats keep the broker (1 s interval) content
    assert len(sent) >= 2
    assert protocol.state == aioamqp.protocol.OPEN
    await w(protocol.channel())
    await w(protocol.close())
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await real()


def _is_both(exc, code):
    """What a channel call raises once the connection is gone: 0.15's ChannelClosed, and the
    AmqpClosedConnection that newer code catches."""
    assert isinstance(exc, aioamqp.ChannelClosed) and isinstance(exc, aioamqp.AmqpClosedConnection)
    assert exc.code == exc.reply_code == code
    assert exc.args == (exc.code, exc.message)  # as 0.15's ChannelClosed
    assert copy.copy(exc).args == exc.args and str(copy.copy(exc)) == str(exc)
    return True


async def test_channel_calls_raise_channel_closed_when_the_broker_closes_the_connection(
    open_connection,
):
    """0.15: a pending channel RPC raises ChannelClosed with the code and text of the broker's
    connection.close; here 540 NOT_IMPLEMENTED for basic_qos(prefetch_size=10)."""
    errors = []
    _, protocol = await open_connection(on_error=errors.append)
    channel = await w(protocol.channel())
    other = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.basic_qos(prefetch_size=10))
    assert _is_both(info.value, 540)
    assert info.value.message.startswith("NOT_IMPLEMENTED")
    assert info.value.message == info.value.reply_text
    await w(protocol.wait_closed())
    # Later calls, on this channel or another, raise the same way.
    for call in (channel.queue_declare("q", passive=True), other.publish(b"x", "", "q")):
        with pytest.raises(aioamqp.ChannelClosed) as info:
            await w(call)
        assert _is_both(info.value, 540)
    # on_error gets it too: 0.15 passed it a ChannelClosed with the broker's code.
    assert len(errors) == 1 and _is_both(errors[0], 540)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await protocol.close()


async def test_channel_calls_raise_channel_closed_when_the_socket_is_lost(open_connection):
    """0.15: a channel RPC pending when the socket is lost raises ChannelClosed."""
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    pending = asyncio.ensure_future(channel.queue_declare("", exclusive=True))
    await asyncio.sleep(0)  # sent (queued), no reply yet
    transport.abort()
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(pending)
    assert _is_both(info.value, 0)
    with pytest.raises(aioamqp.ChannelClosed):
        await w(channel.basic_qos(prefetch_count=1))


async def test_duplicate_consumer_tag_is_a_channel_closed_530(channel, make_inbox):
    """0.15: the broker closed the channel with 530 NOT_ALLOWED, which `except ChannelClosed`
    caught. Here the client refuses the tag before sending; the channel stays usable."""
    queue = (await w(channel.queue_declare(None, exclusive=True)))["queue"]
    await w(channel.basic_consume(make_inbox(), queue_name=queue, consumer_tag="dup"))
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await w(channel.basic_consume(make_inbox(), queue_name=queue, consumer_tag="dup"))
    assert isinstance(info.value, aioamqp.DuplicateConsumerTag)
    assert info.value.code == 530 and info.value.message.startswith("NOT_ALLOWED")
    assert info.value.consumer_tag == "dup"
    assert copy.copy(info.value).code == 530
    assert channel.is_open
    assert await w(channel.basic_cancel("dup")) == {"consumer_tag": "dup"}


async def test_close_crossing_a_broker_close_returns(open_connection):
    """0.15: protocol.close() returns when the broker closes the connection (or it is lost)
    while close() waits; close() on a closed connection raises AmqpClosedConnection."""
    _, protocol = await open_connection()
    channel = await w(protocol.channel())
    qos = asyncio.ensure_future(channel.basic_qos(prefetch_size=10))  # broker closes: 540
    # Both start in the same loop turn, qos first: the broker's close cannot come in between.
    closing = asyncio.ensure_future(protocol.close())
    assert await w(closing) is None
    assert protocol.state == aioamqp.protocol.CLOSED
    with pytest.raises(aioamqp.ChannelClosed):
        await w(qos)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await protocol.close()

    transport, protocol = await open_connection()
    closing = asyncio.ensure_future(protocol.close())
    await asyncio.sleep(0)  # waiting for close-ok
    transport.abort()  # the socket is lost
    assert await w(closing) is None
    assert protocol.state == aioamqp.protocol.CLOSED
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await protocol.close()


async def test_queue_declare_without_a_name_names_the_queue_on_the_client(channel):
    """0.15: queue_name=None and queue_name="" both get aioamqp.gen-<uuid>, returned; declaring
    that name again (not passively) works, where a broker's amq.gen-... name gets 403."""
    assert inspect.signature(Channel.queue_declare).parameters["queue_name"].default is None
    for empty in (None, ""):
        result = await w(channel.queue_declare(empty, exclusive=True))
        queue = result["queue"]
        assert queue.startswith("aioamqp.gen-")
        assert await w(channel.queue_declare(queue, exclusive=True)) == result
    default = await w(channel.queue_declare(exclusive=True))
    assert default["queue"].startswith("aioamqp.gen-") and default["queue"] != queue
    # New here: the broker names it when asked to.
    server = await w(channel.queue_declare("", exclusive=True, server_named=True))
    assert server["queue"].startswith("amq.gen-")


# aioamqp 0.15's public surface: what its documentation or its source exposes without a leading
# underscore (instance attributes included).
PUBLIC_0_15 = {
    "protocol": """CHANNEL_FACTORY channel channels channels_ids_ceil channels_ids_count
        channels_ids_free client_properties close close_ok connecting connection_closed
        connection_tunning dispatch_frame ensure_open get_frame heartbeat open open_ok
        release_channel_id run secure_ok send_heartbeat server_channel_max server_close
        server_frame_max server_heartbeat server_locales server_mechanisms server_properties
        start start_connection start_ok state stop_now tune tune_ok version_major
        version_minor wait_closed worker""",
    "channel": """add_cancellation_callback basic_cancel basic_cancel_ok basic_client_ack
        basic_client_nack basic_consume basic_consume_ok basic_deliver basic_get
        basic_get_empty basic_get_ok basic_publish basic_qos basic_qos_ok basic_recover
        basic_recover_async basic_recover_ok basic_reject basic_return basic_server_ack
        basic_server_nack cancellation_callbacks cancelled_consumers channel_id close
        close_event close_ok confirm_select confirm_select_ok connection_closed
        consumer_callbacks consumer_queues delivery_tag_iter dispatch_frame exchange
        exchange_bind exchange_bind_ok exchange_declare exchange_declare_ok exchange_delete
        exchange_delete_ok exchange_unbind exchange_unbind_ok flow flow_ok is_open
        last_consumer_tag open open_ok protocol publish publisher_confirms queue queue_bind
        queue_bind_ok queue_declare queue_declare_ok queue_delete queue_delete_ok queue_purge
        queue_purge_ok queue_unbind queue_unbind_ok response_future return_callback
        server_basic_cancel server_channel_close""",
    "envelope": "consumer_tag delivery_tag exchange_name routing_key is_redeliver",
    "return_envelope": "reply_code reply_text exchange_name routing_key",
    "properties": """content_type content_encoding headers delivery_mode priority correlation_id
        reply_to expiration message_id timestamp message_type user_id app_id cluster_id""",
    "properties_module": "Properties from_pamqp",
    "exceptions": """AioamqpException AmqpClosedConnection ChannelClosed ConsumerCancelled
        DuplicateConsumerTag EmptyQueue NoChannelAvailable PublishFailed SynchronizationError""",
    "package": """AmqpProtocol connect from_url __version__ __packagename__ channel envelope
        exceptions properties protocol constants frame compat version""",
}
# Names that exist here but behave differently from 0.15 (see migrating.rst).
DIFFERENT_FROM_0_15 = {
    "protocol": {"state", "heartbeat", "server_heartbeat", "channels", "worker", "channel"},
    "channel": {
        "is_open",
        "close_event",
        "consumer_callbacks",
        "confirm_select",
        "publish",
        "basic_publish",
    },
    "properties": {"cluster_id"},
    "properties_module": {"Properties"},
}
MIGRATING = Path(__file__).resolve().parents[2] / "docs" / "guides" / "migrating.rst"


def _explained(name, guide):
    """The guide names it: ``name``, ``name()``, ``aioamqp.name``, ``aioamqp.properties.name``."""
    return re.search(rf"``(aioamqp\.|aioamqp\.properties\.)?{re.escape(name)}(\(\))?``", guide)


async def test_the_rest_of_0_15_public_surface(protocol, make_inbox):
    """0.15's public names are here, or migrating.rst explains the difference; those that are
    here hold values of 0.15's types."""
    channel = await w(protocol.channel())
    objects = {
        "protocol": protocol,
        "channel": channel,
        "envelope": Envelope("ctag", 1, "", "rk", False),
        "return_envelope": ReturnEnvelope(312, "NO_ROUTE", "", "rk"),
        "properties": Properties(),
        "properties_module": aioamqp.properties,
        "exceptions": aioamqp.exceptions,
        "package": aioamqp,
    }
    guide = MIGRATING.read_text()
    unexplained = []
    for kind, names in PUBLIC_0_15.items():
        for name in names.split():
            here = hasattr(objects[kind], name)
            if not here or name in DIFFERENT_FROM_0_15.get(kind, ()):
                if not _explained(name, guide):
                    unexplained.append(f"{kind}.{name}")
    assert unexplained == []
    for name in PUBLIC_0_15["exceptions"].split():  # 0.15 exported them all from aioamqp
        assert getattr(aioamqp, name) is getattr(aioamqp.exceptions, name)
        assert issubclass(getattr(aioamqp, name), aioamqp.AioamqpException)
    assert aioamqp.__packagename__ == "aioamqp"

    # connection.start, under 0.15's names and types
    assert (protocol.version_major, protocol.version_minor) == (0, 9)
    assert isinstance(protocol.server_mechanisms, str)
    assert "PLAIN" in protocol.server_mechanisms.split()
    assert isinstance(protocol.server_locales, str) and protocol.server_locales
    assert isinstance(protocol.server_properties, dict)
    assert (protocol.channels_ids_ceil, protocol.channels_ids_free) == (1, set())
    assert isinstance(protocol.connection_closed, asyncio.Event)
    assert await w(protocol.ensure_open()) is None

    # consumers: last_consumer_tag, and the tags the broker cancelled
    assert channel.last_consumer_tag is None and channel.cancelled_consumers == set()
    cancelled = []
    channel.add_cancellation_callback(lambda channel, tag: cancelled.append(tag))
    queue = (await w(channel.queue_declare()))["queue"]
    tag = (await w(channel.basic_consume(make_inbox(), queue_name=queue)))["consumer_tag"]
    assert channel.last_consumer_tag == tag
    other = await w(protocol.channel())
    await w(other.queue_delete(queue))
    async with asyncio.timeout(T):
        while not cancelled:
            await asyncio.sleep(0.01)
    assert cancelled == [tag] and channel.cancelled_consumers == {tag}

    # is_open turns False as soon as close() is called, as 0.15's did
    closing = asyncio.ensure_future(channel.close())
    await asyncio.sleep(0)
    assert not channel.is_open
    assert await w(closing) is True

    await w(protocol.close())
    assert protocol.connection_closed.is_set()
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await protocol.ensure_open()
