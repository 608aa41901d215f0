"""aioamqp.rpc against RabbitMQ: many calls at once, timeouts, a server that goes away mid-call,
a caller that goes away before its reply. Requests are counted end to end: handled + still
queued == sent."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

import aioamqp
from aioamqp.properties import Properties
from aioamqp.rpc import ERROR_HEADER, RpcClient, RpcServer

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def _declare(channel, queue_name):
    await w(channel.queue_declare(queue_name, auto_delete=False))
    return queue_name


async def _queued(channel, queue_name):
    """Ready messages. Only exact once nothing is in flight: RabbitMQ answers the count ahead
    of deliveries still on their way to the queue."""
    return (await w(channel.queue_declare(queue_name, passive=True)))["message_count"]


async def _until(condition):
    while not condition():
        await asyncio.sleep(0.01)


async def _client(open_connection):
    _, protocol = await open_connection()
    client = RpcClient(await w(protocol.channel()))
    await w(client.start())
    return client


@pytest.mark.timeout(120)
async def test_thousand_concurrent_calls(open_connection, name, cleanup):
    _, server_protocol = await open_connection()
    server_channel = await w(server_protocol.channel())
    queue = await _declare(server_channel, cleanup.queue(name))
    handled = []

    async def handler(body, properties):
        await asyncio.sleep(random.random() / 100)  # replies come back out of order
        handled.append(body)
        return b"re:" + body

    server = RpcServer(server_channel, queue, handler, prefetch_count=50)
    await w(server.start())
    client = await _client(open_connection)

    count = 1000
    replies = await w(asyncio.gather(*(client.call(queue, str(i)) for i in range(count))), 90)

    assert replies == [f"re:{i}".encode() for i in range(count)]
    assert client.pending == 0
    await w(server.close())
    assert len(handled) + await _queued(client.channel, queue) == count == len(set(handled))


async def test_timeout_leaves_nothing_and_late_reply_is_dropped(
    open_connection, name, cleanup, caplog
):
    caplog.set_level(logging.DEBUG, logger="aioamqp.rpc")
    client = await _client(open_connection)
    queue = await _declare(client.channel, cleanup.queue(name))

    with pytest.raises(TimeoutError):
        await client.call(queue, b"timed out", timeout=0.2)
    assert client.pending == 0
    cancelled = asyncio.create_task(client.call(queue, b"cancelled"))
    await w(_until(lambda: client.pending == 1))
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert client.pending == 0
    sent = 2

    # A server comes: it answers both, and the client drops the replies nobody waits for.
    _, server_protocol = await open_connection()
    handled = []

    async def handler(body, properties):
        handled.append(body)
        return body

    server = RpcServer(await w(server_protocol.channel()), queue, handler)
    await w(server.start())

    def dropped():
        return [
            r for r in caplog.records if r.name == "aioamqp.rpc" and "dropped" in r.getMessage()
        ]

    await w(_until(lambda: len(dropped()) == sent))
    assert all(r.levelno == logging.DEBUG for r in dropped())
    assert sorted(handled) == [b"cancelled", b"timed out"]
    assert client.pending == 0
    # The client still works, and counts add up.
    assert await w(client.call(queue, b"on time")) == b"on time"
    await w(server.close())
    assert len(handled) + await _queued(client.channel, queue) == sent + 1


@pytest.mark.timeout(90)
async def test_server_restart_mid_call(open_connection, name, cleanup):
    """The server's connection closes while it holds the request unacked: the broker
    redelivers it to the next server, and the call gets that server's answer."""
    client = await _client(open_connection)
    queue = await _declare(client.channel, cleanup.queue(name))
    started, release = asyncio.Event(), asyncio.Event()
    first_attempts = []

    async def stuck(body, properties):
        first_attempts.append(body)
        started.set()
        await release.wait()
        return b"from the first server"

    _, first_protocol = await open_connection()
    first = RpcServer(await w(first_protocol.channel()), queue, stuck)
    await w(first.start())
    call = asyncio.create_task(client.call(queue, b"request", timeout=60))
    await w(started.wait())
    await w(first_protocol.close())

    handled = []

    async def handler(body, properties):
        handled.append(body)
        return b"from the second server"

    _, second_protocol = await open_connection()
    second = RpcServer(await w(second_protocol.channel()), queue, handler)
    await w(second.start())
    assert await w(call) == b"from the second server"

    release.set()  # the first server's reply can no longer go out: logged, not raised
    await w(first.close())
    await w(second.close())
    assert first_attempts == handled == [b"request"]
    assert len(handled) + await _queued(client.channel, queue) == 1
    assert client.pending == 0


@pytest.mark.timeout(90)
async def test_reply_to_a_caller_that_has_gone(open_connection, name, cleanup):
    """The caller's connection closes before the reply: the server publishes to a reply-to
    address that no longer exists, acks, and goes on serving."""
    _, server_protocol = await open_connection()
    server_channel = await w(server_protocol.channel())
    queue = await _declare(server_channel, cleanup.queue(name))
    started, release = asyncio.Event(), asyncio.Event()
    answered = []

    async def handler(body, properties):
        if body == b"first":
            started.set()
            await release.wait()
        answered.append(body)
        return b"answer to " + body

    server = RpcServer(server_channel, queue, handler)
    await w(server.start())

    gone = await _client(open_connection)
    call = asyncio.create_task(gone.call(queue, b"first"))
    await w(started.wait())
    await w(gone.channel.protocol.close())
    with pytest.raises(aioamqp.ChannelClosed):  # the calls fail with the channel
        await w(call)
    assert gone.pending == 0
    release.set()

    client = await _client(open_connection)
    assert await w(client.call(queue, b"second")) == b"answer to second"
    await w(server.close())
    assert server_channel.is_open
    # Both requests were acked: closing the channel puts nothing back.
    await w(server_channel.close())
    assert answered == [b"first", b"second"]
    assert len(answered) + await _queued(client.channel, queue) == 2


async def test_handler_error_is_replied_as_rpc_error(open_connection, name, cleanup, caplog):
    _, server_protocol = await open_connection()
    server_channel = await w(server_protocol.channel())
    queue = await _declare(server_channel, cleanup.queue(name))
    seen = []

    async def handler(body, properties):
        seen.append(properties)
        if body == b"bad":
            raise ValueError("no number: 'bad'")
        if body == b"none":
            return None
        return body.upper()

    async with RpcServer(server_channel, queue, handler, prefetch_count=5):
        async with RpcClient(await w(server_protocol.channel())) as client:
            with pytest.raises(aioamqp.exceptions.RpcError) as info:
                await w(client.call(queue, b"bad"))
            assert str(info.value) == "ValueError: no number: 'bad'"
            with pytest.raises(aioamqp.exceptions.RpcError, match="^TypeError: the handler"):
                await w(client.call(queue, b"none"))
            assert await w(client.call(queue, b"good")) == b"GOOD"
            assert client.pending == 0
    assert len(seen) + await _queued(server_channel, queue) == 3
    failures = [r for r in caplog.records if r.name == "aioamqp.rpc" and r.exc_info]
    assert len(failures) == 2
    assert ERROR_HEADER == "x-aioamqp-rpc-error"


async def test_request_without_reply_to_is_acked_and_logged(open_connection, name, cleanup, caplog):
    _, protocol = await open_connection()
    server_channel = await w(protocol.channel())
    queue = await _declare(server_channel, cleanup.queue(name))
    handled = []

    async def handler(body, properties):
        handled.append(body)
        return body

    server = RpcServer(server_channel, queue, handler)
    await w(server.start())
    client = await _client(open_connection)
    await w(client.channel.publish(b"fire and forget", "", queue))
    assert await w(client.call(queue, b"call")) == b"call"  # after the first: one at a time
    await w(server.close())
    await w(server_channel.close())  # anything unacked would be requeued now
    assert handled == [b"call"]
    assert [r.levelno for r in caplog.records if "no reply_to" in r.getMessage()] == [
        logging.WARNING
    ]
    assert await _queued(client.channel, queue) == 0


async def test_close_fails_pending_calls(open_connection, name, cleanup):
    client = await _client(open_connection)
    queue = await _declare(client.channel, cleanup.queue(name))
    calls = [asyncio.create_task(client.call(queue, str(i))) for i in range(3)]
    await w(_until(lambda: client.pending == 3))
    await w(client.close())
    for call in calls:
        with pytest.raises(aioamqp.exceptions.RpcClientClosed):
            await call
    assert client.pending == 0
    with pytest.raises(aioamqp.exceptions.RpcClientClosed):
        await client.call(queue, b"after close")
    await w(client.close())  # twice is fine
    assert client.channel.is_open
    assert client.consumer_tag not in client.channel.consumer_callbacks


async def test_properties_reach_the_handler(open_connection, name, cleanup):
    _, protocol = await open_connection()
    channel = await w(protocol.channel())
    queue = await _declare(channel, cleanup.queue(name))

    async def handler(body, properties):
        return f"{properties.headers['n']} {properties.content_type}"

    async with RpcServer(channel, queue, handler), RpcClient(await w(protocol.channel())) as client:
        as_dict = {"headers": {"n": 1}, "content_type": "text/plain"}
        assert await w(client.call(queue, b"", properties=as_dict)) == b"1 text/plain"
        as_object = Properties(headers={"n": 2}, content_type="text/x")
        assert await w(client.call(queue, b"", properties=as_object)) == b"2 text/x"
        with pytest.raises(ValueError):
            await client.call(queue, b"", properties={"reply_to": "elsewhere"})
        assert client.pending == 0


async def test_call_before_start_and_bad_prefetch(channel):
    with pytest.raises(aioamqp.exceptions.RpcClientClosed, match="not started"):
        await RpcClient(channel).call("anywhere", b"")

    async def handler(body, properties):
        return body

    with pytest.raises(aioamqp.ConfigurationError):
        RpcServer(channel, "anywhere", handler, prefetch_count=0)
