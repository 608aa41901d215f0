"""Several hosts, and the recovery helper (aioamqp.robust), against the local broker."""

import asyncio
import os
import socket
import time
from urllib.parse import urlsplit

import pytest

import aioamqp
from aioamqp import robust
from aioamqp.rpc import RpcClient, RpcServer

BROKER = urlsplit(os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
BROKER_HOST = f"{BROKER.hostname}:{BROKER.port or 5672}"


def refused_host() -> str:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
async def silent_host():
    """A loopback peer that accepts TCP and never says a word."""
    peers = []
    server = await asyncio.start_server(lambda r, w: peers.append(w), "127.0.0.1", 0)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for writer in peers:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_first_host_refused_connects_to_the_second(connections):
    started = time.monotonic()
    transport, protocol = await aioamqp.connect(
        hosts=[refused_host(), BROKER_HOST], connection_timeout=2
    )
    connections.append((transport, protocol))
    assert protocol.state == "OPEN" and time.monotonic() - started < 2


async def test_first_host_silent_connects_to_the_second_within_its_timeout(
    connections, silent_host
):
    started = time.monotonic()
    transport, protocol = await aioamqp.connect(
        hosts=[silent_host, BROKER_HOST], connection_timeout=1
    )
    connections.append((transport, protocol))
    assert protocol.state == "OPEN"
    assert 1 <= time.monotonic() - started < 2.5


async def test_every_host_failing_reports_each_error(silent_host):
    refused = refused_host()
    with pytest.raises(aioamqp.AmqpClosedConnection) as failed:
        await aioamqp.connect(hosts=[refused, silent_host], connection_timeout=0.5)
    message = str(failed.value)
    assert refused in message and silent_host in message and "refused" in message.lower()


async def test_from_url_with_several_hosts(connections):
    url = f"amqp://guest:guest@{refused_host()},{BROKER_HOST}/?connection_timeout=2"
    transport, protocol = await aioamqp.from_url(url)
    connections.append((transport, protocol))
    other = [f"amqp://guest:guest@{refused_host()}/", f"amqp://{BROKER_HOST}/"]
    transport, protocol = await aioamqp.from_url(other, connection_timeout=2)
    connections.append((transport, protocol))
    assert protocol.state == "OPEN"


async def test_shuffled_hosts_still_connect(connections):
    transport, protocol = await aioamqp.connect(
        hosts=[refused_host(), BROKER_HOST, refused_host()],
        shuffle_hosts=True,
        connection_timeout=2,
    )
    connections.append((transport, protocol))
    assert protocol.state == "OPEN"


# -- aioamqp.robust -------------------------------------------------------------------------


@pytest.fixture
async def robust_connection():
    made = []

    async def make(**kwargs):
        conn = await robust.connect(
            hosts=[BROKER_HOST], connection_timeout=5, reconnect_delay=0.1, **kwargs
        )
        made.append(conn)
        return conn

    yield make
    for conn in made:
        await conn.close()


async def lose_connection(conn):
    """Drop the socket under the connection, as a network failure would, and wait for the
    reconnection to complete."""
    reconnected = asyncio.Event()
    conn.on_reconnect = lambda protocol: reconnected.set()
    old = conn.protocol
    conn.transport.abort()
    await asyncio.wait_for(reconnected.wait(), 20)
    assert conn.protocol is not old and conn.protocol.state == "OPEN"


async def test_robust_restores_topology_and_consumers(robust_connection, name, make_inbox):
    conn = await robust_connection()
    channel = await conn.channel()
    await channel.basic_qos(prefetch_count=10)
    await channel.exchange_declare(f"{name}.x", "topic", auto_delete=True)
    queue = (await channel.queue_declare("", exclusive=True))["queue"]
    await channel.queue_bind(queue, f"{name}.x", "a.#")
    inbox = make_inbox(ack=True)
    await channel.basic_consume(inbox, queue_name=queue)
    await channel.publish(b"before", f"{name}.x", "a.1")
    await inbox.wait_for(1)

    await lose_connection(conn)

    await channel.publish(b"after", f"{name}.x", "a.2")  # routed by the restored binding
    await inbox.wait_for(2)
    assert inbox.bodies == [b"before", b"after"]
    await channel.queue_bind(queue, f"{name}.x", "b.#")  # the first name still works
    await channel.publish(b"bound after", f"{name}.x", "b.1")
    await inbox.wait_for(3)
    await channel.exchange_delete(f"{name}.x")


async def test_robust_reports_what_cannot_be_restored(robust_connection, name, protocol):
    failures = []
    conn = await robust_connection(on_restore_error=lambda entity, exc: failures.append(entity))
    channel = await conn.channel()
    other = await protocol.channel()
    await other.queue_declare(name)
    await channel.queue_declare(name, passive=True)  # will be gone when restoring
    await channel.queue_declare(f"{name}.kept", auto_delete=True)
    await other.queue_delete(name)

    await lose_connection(conn)

    assert len(failures) == 1 and name in failures[0] and "passive" in failures[0]
    result = await channel.queue_declare(f"{name}.kept", passive=True)  # restored after it
    assert result["queue"] == f"{name}.kept"


async def test_robust_publishes_unconfirmed_at_the_loss_are_reported_failed(
    robust_connection, name
):
    conn = await robust_connection()
    channel = await conn.channel()
    await channel.queue_declare(name, auto_delete=True)
    await channel.confirm_select()
    publishes = [asyncio.ensure_future(channel.publish(b"x", "", name)) for _ in range(2000)]
    await asyncio.sleep(0)
    conn.transport.abort()
    results = await asyncio.gather(*publishes, return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, aioamqp.AmqpClosedConnection) for r in failed)
    assert len(failed) + results.count(None) == 2000 and failed
    await asyncio.wait_for(conn._ready.wait(), 20)
    await channel.publish(b"after", "", name)  # confirmed on the restored channel


# -- republish=True: a confirmed publish returns only once confirmed ---------------------------


async def drain(protocol, queue: str) -> list[tuple[bytes, dict]]:
    """Every message in queue, as (body, headers), taken with basic_get and acked."""
    channel = await protocol.channel()
    messages = []
    while True:
        try:
            got = await asyncio.wait_for(channel.basic_get(queue), 10)
        except aioamqp.EmptyQueue:
            break
        messages.append((got["message"], dict(got["properties"].headers or {})))
        await channel.basic_client_ack(got["delivery_tag"])
    await channel.close()
    return messages


async def test_robust_republish_confirms_every_publish_across_a_loss(
    robust_connection, name, protocol
):
    conn = await robust_connection(republish=True)
    channel = await conn.channel()
    await channel.queue_declare(name)
    await channel.confirm_select()
    count = 2000
    publishes = [
        asyncio.ensure_future(channel.publish(str(i), "", name, {"headers": {"n": i}}))
        for i in range(count)
    ]
    await asyncio.sleep(0)
    conn.transport.abort()  # mid-flight: every unconfirmed publish is sent again
    results = await asyncio.wait_for(asyncio.gather(*publishes, return_exceptions=True), 30)
    assert results == [None] * count  # each one confirmed, none raised
    messages = await drain(protocol, name)
    assert any(robust.REPUBLISHED_HEADER in headers for _, headers in messages)
    bodies = [body for body, _ in messages]
    assert sorted(set(bodies), key=int) == [str(i).encode() for i in range(count)]  # 0 lost
    first_copies = [body for body, headers in messages if robust.REPUBLISHED_HEADER not in headers]
    assert len(first_copies) == len(set(first_copies))  # duplicates only among marked copies
    for body, headers in messages:
        assert headers["n"] == int(body)  # the user's properties are kept
        assert headers.get(robust.REPUBLISHED_HEADER, 2) >= 2
    await (await protocol.channel()).queue_delete(name)


async def test_robust_republish_retries_nacks_until_publish_timeout(
    robust_connection, name, protocol
):
    conn = await robust_connection(republish=True, publish_timeout=1.0)
    channel = await conn.channel()
    full = {"x-max-length": 1, "x-overflow": "reject-publish"}  # every publish beyond 1: nack
    await channel.queue_declare(name, arguments=full)
    await channel.confirm_select()
    await channel.publish(b"first", "", name)
    started = asyncio.get_running_loop().time()
    with pytest.raises(aioamqp.exceptions.PublishTimeout):
        await channel.publish(b"refused", "", name)
    assert 1.0 <= asyncio.get_running_loop().time() - started < 3
    # Room made while it retries: the republished copy is confirmed and marked.
    retrying = asyncio.ensure_future(channel.publish(b"second", "", name))
    await asyncio.sleep(0.3)
    assert [body for body, _ in await drain(protocol, name)] == [b"first"]
    await asyncio.wait_for(retrying, 5)
    ((body, headers),) = await drain(protocol, name)
    assert body == b"second" and headers[robust.REPUBLISHED_HEADER] >= 2
    await (await protocol.channel()).queue_delete(name)


async def test_robust_republish_does_not_retry_a_returned_message(robust_connection, name):
    conn = await robust_connection(republish=True)
    channel = await conn.channel()
    await channel.confirm_select()
    with pytest.raises(aioamqp.PublishFailed) as failed:
        await asyncio.wait_for(channel.publish(b"x", "", f"{name}.nowhere", mandatory=True), 5)
    assert failed.value.returned


async def test_robust_rpc_client_calls_across_losses_and_fails_the_pending_ones_at_each(
    robust_connection, name, cleanup
):
    server_conn = await robust_connection()
    server_channel = await server_conn.channel()
    await server_channel.queue_declare(cleanup.queue(name))
    release = asyncio.Event()
    handled = []

    async def handler(body, properties):
        if body == b"slow":
            await release.wait()
        handled.append(body)
        return b"re:" + body

    server = RpcServer(server_channel, name, handler)
    await server.start()
    client_conn = await robust_connection()
    client = RpcClient(await client_conn.channel())
    await client.start()
    assert await client.call(name, b"0", timeout=5) == b"re:0"

    for loss in (1, 2):  # the client's connection dies with a call pending, twice
        pending = asyncio.ensure_future(client.call(name, b"slow", timeout=30))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await lose_connection(client_conn)
        with pytest.raises(aioamqp.AioamqpException):  # at once, not at its 30 s timeout
            await asyncio.wait_for(pending, 10)
        assert time.monotonic() - started < 10
        release.set()
        release.clear()
        # The reply consumer was restored with the channel: calls work again.
        assert await client.call(name, str(loss).encode(), timeout=5) == b"re:%d" % loss
    await client.close()
    await server.close()  # after the handlers in hand have replied and acked
    # Every request was handled (the slow ones too, their replies dropped) or is still queued.
    queued = (await server_channel.queue_declare(name, passive=True))["message_count"]
    assert len(handled) + queued == 5 and sorted(handled) == [b"0", b"1", b"2", b"slow", b"slow"]


async def test_robust_rpc_client_outlived_by_nothing_when_its_connection_closes(
    robust_connection, name
):
    conn = await robust_connection()
    client = RpcClient(await conn.channel())
    await client.start()
    pending = asyncio.ensure_future(client.call(name, b"no server", timeout=30))
    await asyncio.sleep(0.1)
    await conn.close()  # for good: the pending call fails, the client's watch ends
    with pytest.raises(aioamqp.AioamqpException):
        await asyncio.wait_for(pending, 5)
    await client.close()  # harmless after the connection's close; no task is left running
