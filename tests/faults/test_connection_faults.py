"""The connection ends under the client while it waits: silence (heartbeat), a dropped socket,
connection.close from the peer. Every waiter fails with AmqpClosedConnection, on_error is
called exactly once, and the client's tasks end."""

from __future__ import annotations

import asyncio

import pytest
from fake_broker import client_tasks_end

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import CONNECTION_FORCED

CLOSED = aioamqp.protocol.CLOSED


async def test_silent_peer_fails_rpc_after_two_missed_heartbeats(broker):
    errors = []
    heartbeat = 2
    transport, protocol = await broker.connect(heartbeat=heartbeat, on_error=errors.append)
    assert protocol.heartbeat == heartbeat
    channel = await broker.open_channel(protocol)
    loop = asyncio.get_running_loop()
    started = loop.time()
    rpc = asyncio.ensure_future(channel.queue_declare("q"))
    await broker.expect(m.QueueDeclare)  # ... and from now on the peer sends nothing at all
    with pytest.raises(aioamqp.AmqpClosedConnection, match="heartbeat"):
        await asyncio.wait_for(rpc, 2 * heartbeat + 2)
    elapsed = loop.time() - started
    assert elapsed <= 2 * heartbeat + 1
    assert protocol.state == CLOSED
    assert len(errors) == 1 and "heartbeat" in str(errors[0])
    await client_tasks_end(protocol)


@pytest.mark.parametrize("how", ["close", "abort"])
async def test_peer_dropping_the_socket_fails_rpc_at_once(broker, how):
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append)
    channel = await broker.open_channel(protocol)
    rpc = asyncio.ensure_future(channel.queue_declare("q"))
    await broker.expect(m.QueueDeclare)
    getattr(broker, how)()  # FIN, or RST
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(rpc, 0.5)
    assert len(errors) == 1
    assert protocol.state == CLOSED
    assert not channel.is_open
    await client_tasks_end(protocol)
    # Later calls fail at once, without waiting for anything.
    async with asyncio.timeout(0.1):
        with pytest.raises(aioamqp.AmqpClosedConnection):
            await channel.queue_declare("q2")
        with pytest.raises(aioamqp.AmqpClosedConnection):
            await channel.publish(b"body", "", "q")
        with pytest.raises(aioamqp.AmqpClosedConnection):
            await protocol.channel()
        with pytest.raises(aioamqp.AmqpClosedConnection):
            await protocol.close()
    assert len(errors) == 1


async def test_connection_forced_fails_confirmed_publish_and_ends_consumer(broker):
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append)
    channel = await broker.open_channel(protocol)
    delivered = []
    await broker.rpc(
        channel.basic_consume(lambda *args: delivered.append(args), "q", consumer_tag="ctag"),
        m.BasicConsume,
        m.BasicConsumeOk("ctag"),
    )
    consumer_task = channel._consumers["ctag"].task
    await broker.rpc(channel.confirm_select(), m.ConfirmSelect, m.ConfirmSelectOk())
    publish = asyncio.ensure_future(channel.publish(b"body", "", "q"))
    _, method, _, body = await broker.read_message()
    assert isinstance(method, m.BasicPublish) and body == b"body"
    text = "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"
    broker.send_method(0, m.ConnectionClose(CONNECTION_FORCED, text, 0, 0))
    await broker.expect(m.ConnectionCloseOk, channel=0)  # the client acknowledges
    with pytest.raises(aioamqp.AmqpClosedConnection) as info:
        await asyncio.wait_for(publish, 0.5)
    assert info.value.reply_code == CONNECTION_FORCED
    assert info.value.reply_text == text
    assert await broker.read_until_eof() == []  # then closes its socket
    await asyncio.wait_for(consumer_task, 1)
    assert delivered == []
    assert protocol.state == CLOSED and not channel.is_open
    assert len(errors) == 1 and errors[0].reply_code == CONNECTION_FORCED
    await client_tasks_end(protocol)
