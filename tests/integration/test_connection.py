"""Connecting, logging in, tuning, closing, and how a connection ends."""

import asyncio
import socket
import urllib.parse

import pytest

import aioamqp
from aioamqp.protocol import CLOSED, OPEN

T = 10  # seconds for one broker round trip


def _local_broker(url):
    return urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost")


async def _works(protocol):
    """The connection is usable: a channel opens and a queue can be declared on it."""
    channel = await asyncio.wait_for(protocol.channel(), T)
    result = await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)
    assert result["queue"].startswith("aioamqp.gen-")
    assert await asyncio.wait_for(channel.close(), T) is True


async def test_connect_with_defaults(amqp_url, connections):
    if not _local_broker(amqp_url):
        pytest.skip("connect() defaults mean the local broker")
    transport, protocol = await asyncio.wait_for(aioamqp.connect(), T)
    connections.append((transport, protocol))
    assert isinstance(protocol, aioamqp.AmqpProtocol)
    assert protocol.state == OPEN
    assert transport.get_extra_info("peername")[:2] == ("127.0.0.1", 5672)
    await _works(protocol)


async def test_connect_with_explicit_arguments_and_port_as_str(amqp_url, connections):
    if not _local_broker(amqp_url):
        pytest.skip("needs the local broker")
    transport, protocol = await asyncio.wait_for(
        aioamqp.connect(
            host="127.0.0.1",
            port="5672",
            login="guest",
            password="guest",
            virtualhost="/",
            login_method="PLAIN",
            insist=False,
        ),
        T,
    )
    connections.append((transport, protocol))
    assert transport.get_extra_info("peername")[1] == 5672
    await _works(protocol)


async def test_connect_positional_arguments(amqp_url, connections):
    """aioamqp 0.15 order: host, port, login, password, virtualhost."""
    if not _local_broker(amqp_url):
        pytest.skip("needs the local broker")
    transport, protocol = await asyncio.wait_for(
        aioamqp.connect("127.0.0.1", 5672, "guest", "guest", "/"), T
    )
    connections.append((transport, protocol))
    await _works(protocol)


async def test_connect_amqplain(amqp_url, connections):
    if not _local_broker(amqp_url):
        pytest.skip("needs the local broker")
    transport, protocol = await asyncio.wait_for(
        aioamqp.connect("127.0.0.1", login_method="AMQPLAIN"), T
    )
    connections.append((transport, protocol))
    await _works(protocol)


@pytest.mark.parametrize(
    "url",
    [
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        "amqp://guest:guest@127.0.0.1:5672/%2F",
        "amqp://guest:guest@127.0.0.1:5672",
        "amqp://guest:guest@127.0.0.1:5672/",
        "amqp://guest:guest@127.0.0.1",
        "amqp://127.0.0.1",
    ],
)
async def test_from_url_variants(amqp_url, url, connections):
    if not _local_broker(amqp_url):
        pytest.skip("needs the local broker")
    transport, protocol = await asyncio.wait_for(aioamqp.from_url(url), T)
    connections.append((transport, protocol))
    assert protocol.state == OPEN
    assert protocol.connection_tunning == {}
    await _works(protocol)


async def test_from_url_query_tunes_the_connection(amqp_url, open_connection, management):
    if not _local_broker(amqp_url):
        pytest.skip("needs the local broker")
    transport, protocol = await open_connection(
        "amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=5&frame_max=8192&channel_max=10"
    )
    assert protocol.connection_tunning == {"heartbeat": 5, "frame_max": 8192, "channel_max": 10}
    assert protocol.heartbeat == 5
    assert protocol.frame_max == 8192
    assert protocol.channel_max == 10
    # What the broker proposed is kept apart from what was negotiated.
    assert protocol.broker_frame_max > 8192
    assert protocol.broker_channel_max > 10
    # server_* hold the negotiated values, as in aioamqp 0.15.
    assert (protocol.server_frame_max, protocol.server_channel_max) == (8192, 10)
    assert protocol.server_heartbeat == 5
    # The broker runs with the negotiated values.
    record = await management.get_connection(transport)
    assert record["frame_max"] == 8192
    assert record["channel_max"] == 10
    assert record["timeout"] == 5
    await _works(protocol)


async def test_wrong_password_raises_closed_connection(amqp_url):
    parts = urllib.parse.urlsplit(amqp_url)
    with pytest.raises(aioamqp.AmqpClosedConnection) as info:
        await asyncio.wait_for(
            aioamqp.connect(parts.hostname, parts.port, "guest", "not-the-password"), T
        )
    assert info.value.reply_code == 403  # ACCESS_REFUSED (authentication_failure_close)


async def test_unknown_user_raises_closed_connection(amqp_url):
    parts = urllib.parse.urlsplit(amqp_url)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(
            aioamqp.connect(parts.hostname, parts.port, "no-such-user", "guest"), T
        )


async def test_wrong_vhost_raises_closed_connection(amqp_url):
    parts = urllib.parse.urlsplit(amqp_url)
    with pytest.raises(aioamqp.AmqpClosedConnection) as info:
        await asyncio.wait_for(
            aioamqp.connect(parts.hostname, parts.port, virtualhost="/no-such-vhost"), T
        )
    assert info.value.reply_code == 530  # NOT_ALLOWED
    assert "no-such-vhost" in info.value.reply_text


async def test_wrong_vhost_calls_on_error_or_not_but_never_twice(amqp_url):
    errors = []
    parts = urllib.parse.urlsplit(amqp_url)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(
            aioamqp.connect(
                parts.hostname, parts.port, virtualhost="/no-such-vhost", on_error=errors.append
            ),
            T,
        )
    await asyncio.sleep(0.1)
    assert len(errors) <= 1


async def test_connection_refused_raises_oserror():
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OSError):
        await asyncio.wait_for(aioamqp.connect("127.0.0.1", port), T)


def _error_recorder(kind, calls):
    if kind == "function":

        def on_error(exception):
            calls.append(exception)

    else:

        async def on_error(exception):
            await asyncio.sleep(0)  # really awaited, not just called
            calls.append(exception)

    return on_error


async def test_on_error_called_once_when_broker_force_closes(open_connection, management):
    """Closed from the management API: connection.close 320 CONNECTION_FORCED."""
    sync_calls, async_calls = [], []
    t1, p1 = await open_connection(on_error=_error_recorder("function", sync_calls))
    t2, p2 = await open_connection(on_error=_error_recorder("coroutine", async_calls))
    channel = await asyncio.wait_for(p1.channel(), T)
    await asyncio.gather(management.close_connection(t1), management.close_connection(t2))
    await asyncio.wait_for(asyncio.gather(p1.wait_closed(), p2.wait_closed()), T)
    await asyncio.sleep(0.2)  # let the coroutine callback run, and any second call show
    for protocol, calls in ((p1, sync_calls), (p2, async_calls)):
        assert protocol.state == CLOSED
        assert len(calls) == 1, calls
        assert isinstance(calls[0], aioamqp.AmqpClosedConnection)
        assert calls[0].reply_code == 320
    assert not channel.is_open
    with pytest.raises(aioamqp.AioamqpException):
        await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(p1.channel(), T)
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await p1.close()


@pytest.mark.parametrize("kind", ["function", "coroutine"])
async def test_on_error_called_once_on_hard_error(open_connection, kind):
    """basic.qos with prefetch_size != 0: RabbitMQ closes the connection, 540 NOT_IMPLEMENTED."""
    calls = []
    transport, protocol = await open_connection(on_error=_error_recorder(kind, calls))
    channel = await asyncio.wait_for(protocol.channel(), T)
    other = await asyncio.wait_for(protocol.channel(), T)
    with pytest.raises(aioamqp.AioamqpException) as info:
        await asyncio.wait_for(channel.basic_qos(prefetch_size=1), T)
    assert isinstance(info.value, (aioamqp.AmqpClosedConnection, aioamqp.ChannelClosed))
    await asyncio.wait_for(protocol.wait_closed(), T)
    await asyncio.sleep(0.2)
    assert protocol.state == CLOSED
    assert len(calls) == 1, calls
    assert isinstance(calls[0], aioamqp.AmqpClosedConnection)
    assert calls[0].reply_code == 540
    assert not channel.is_open and not other.is_open
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await protocol.close()


async def test_on_error_not_called_on_client_close(open_connection):
    calls = []
    transport, protocol = await open_connection(on_error=calls.append)
    await asyncio.wait_for(protocol.close(), T)
    await asyncio.sleep(0.2)
    assert calls == []


async def test_second_close_raises(amqp):
    transport, protocol = amqp
    assert await asyncio.wait_for(protocol.close(), T) is None
    assert protocol.state == CLOSED
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(protocol.close(), T)


async def test_protocol_attributes(open_connection, management):
    client_properties = {"program_name": "aioamqp-integration", "test_id": 42}
    transport, protocol = await open_connection(client_properties=client_properties)
    assert protocol.state == OPEN
    assert protocol.client_properties == {"program_name": "aioamqp-integration", "test_id": 42}
    assert client_properties == {"program_name": "aioamqp-integration", "test_id": 42}

    server = protocol.server_properties
    assert server["product"] == "RabbitMQ"
    for key in ("product", "version", "platform", "copyright", "information", "cluster_name"):
        assert isinstance(server[key], str), (key, server[key])
    assert all(isinstance(key, str) for key in server)
    assert server["capabilities"]["publisher_confirms"] is True
    assert server["capabilities"]["consumer_cancel_notify"] is True

    assert protocol.connection_tunning == {}
    for value in (protocol.broker_channel_max, protocol.broker_frame_max):
        assert isinstance(value, int) and value > 0
    assert isinstance(protocol.broker_heartbeat, int)
    # Nothing asked for: the broker's offer is what is negotiated.
    assert protocol.channel_max == protocol.server_channel_max == protocol.broker_channel_max
    assert protocol.frame_max == protocol.server_frame_max == protocol.broker_frame_max
    assert protocol.heartbeat == protocol.server_heartbeat == protocol.broker_heartbeat

    # The broker got our properties and the library's own.
    record = await management.get_connection(transport)
    seen = record["client_properties"]
    assert seen["program_name"] == "aioamqp-integration"
    assert seen["test_id"] == 42
    assert seen["product"] == "aioamqp"
    assert seen["capabilities"]["consumer_cancel_notify"] is True
    assert seen["capabilities"]["publisher_confirms"] is True

    worker = protocol.worker
    assert worker is not None and not worker.done()
    assert not protocol.stop_now.is_set()
    await asyncio.wait_for(protocol.close(), T)
    assert protocol.state == CLOSED
    assert protocol.stop_now.is_set()
    await asyncio.wait_for(protocol.wait_closed(), 1)
    await asyncio.wait_for(asyncio.shield(worker), 2)
    assert worker.done() and not worker.cancelled() and worker.exception() is None


async def test_channel_and_connection_use_after_close(amqp):
    transport, protocol = amqp
    channel = await asyncio.wait_for(protocol.channel(), T)
    await asyncio.wait_for(protocol.close(), T)
    assert not channel.is_open
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(protocol.channel(), T)
    with pytest.raises(aioamqp.AioamqpException):
        await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)
    with pytest.raises(aioamqp.AioamqpException):
        await asyncio.wait_for(channel.publish(b"x", "", "nowhere"), T)


@pytest.mark.timeout(30)
async def test_heartbeats_keep_an_idle_connection_open(open_connection):
    """With heartbeat=1 the broker drops a peer silent for ~2 s; ours must send heartbeats."""
    calls = []
    transport, protocol = await open_connection(heartbeat=1, on_error=calls.append)
    assert protocol.heartbeat == 1
    await asyncio.sleep(4.5)
    assert protocol.state == OPEN, calls
    assert calls == []
    await _works(protocol)


async def test_many_connections_at_once(open_connection):
    pairs = await asyncio.gather(*(open_connection() for _ in range(20)))
    await asyncio.gather(*(_works(protocol) for _, protocol in pairs))
    await asyncio.wait_for(asyncio.gather(*(protocol.close() for _, protocol in pairs)), T)
    assert all(protocol.state == CLOSED for _, protocol in pairs)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"frame_max": 1_000_000}, {"frame_max": "server"}),
        ({"channel_max": 100_000}, {"channel_max": "server"}),
        ({"frame_max": 0, "channel_max": 0}, {"frame_max": "server", "channel_max": "server"}),
        ({"heartbeat": 0}, {"heartbeat": 0}),
        ({"heartbeat": 7, "frame_max": 65536}, {"heartbeat": 7, "frame_max": 65536}),
    ],
)
async def test_tuning_negotiation(open_connection, kwargs, expected):
    """The lower non-zero value wins for frame_max and channel_max; heartbeat is the client's."""
    transport, protocol = await open_connection(**kwargs)
    server = {
        "frame_max": protocol.broker_frame_max,
        "channel_max": protocol.broker_channel_max,
        "heartbeat": protocol.broker_heartbeat,
    }
    for key, value in expected.items():
        assert getattr(protocol, key) == (server[key] if value == "server" else value), key
        assert getattr(protocol, f"server_{key}") == getattr(protocol, key), key
    await _works(protocol)


async def test_frame_max_below_spec_minimum_is_a_configuration_error(amqp_url):
    with pytest.raises(aioamqp.ConfigurationError):
        await asyncio.wait_for(aioamqp.from_url(amqp_url, frame_max=1024), T)
