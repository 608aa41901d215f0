"""aioamqp.robust's probation of a freshly opened confirmed channel, against a scripted peer.

RabbitMQ 3.10 nacks every publish of a channel to a quorum queue whose first publish came while
the queue's old leader was dead and no new one elected (docs/guides/recovery.rst). So on a
RobustChannel the first publish to each destination goes alone; nacked, the channel is reopened
and the held publishes go on the new one, again one first. Acked, the rest go at once.
"""

from __future__ import annotations

import asyncio

import pytest

import aioamqp
from aioamqp import robust
from aioamqp._generated import methods as m


async def _robust(broker, **kwargs):
    connecting = asyncio.ensure_future(
        robust.connect(host="127.0.0.1", port=broker.port, connection_timeout=5, **kwargs)
    )
    await broker.accept()
    await broker.handshake()
    return await connecting


async def _confirmed_channel(broker, conn):
    opening = asyncio.ensure_future(conn.channel())
    channel_id, _ = await broker.expect(m.ChannelOpen)
    broker.send_method(channel_id, m.ChannelOpenOk())
    channel = await opening
    await broker.rpc(channel.confirm_select(), m.ConfirmSelect, m.ConfirmSelectOk())
    return channel


async def _serve_reopen(broker, old_id: int) -> int:
    """The client closes the nacked channel and opens and restores a new one: its id."""
    await broker.expect(m.ChannelClose, channel=old_id)
    broker.send_method(old_id, m.ChannelCloseOk())
    channel_id, _ = await broker.expect(m.ChannelOpen)
    broker.send_method(channel_id, m.ChannelOpenOk())
    await broker.expect(m.ConfirmSelect, channel=channel_id)
    broker.send_method(channel_id, m.ConfirmSelectOk())
    return channel_id


async def _nothing_more(broker, seconds: float = 0.1) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(broker.read_frame(), seconds)


async def _close(broker, conn) -> None:
    await broker.rpc(conn.close(), m.ConnectionClose, m.ConnectionCloseOk())


async def test_a_nacked_first_publish_reopens_the_channel_and_holds_the_others(broker):
    conn = await _robust(broker, reconnect_delay=0.05)
    channel = await _confirmed_channel(broker, conn)
    first_id = channel.channel.channel_id
    publishes = [asyncio.ensure_future(channel.publish(b"%d" % i, "", "q")) for i in range(3)]

    channel_id, _, _, body = await broker.read_message()
    assert (channel_id, body) == (first_id, b"0")
    await _nothing_more(broker)  # the others wait for the first one's confirm
    broker.send_method(first_id, m.BasicNack(1))
    with pytest.raises(aioamqp.PublishFailed):
        await publishes[0]  # a nack still reaches its caller: nothing is resent

    new_id = await _serve_reopen(broker, first_id)
    _, _, _, body = await broker.read_message()  # again one first publish, on the new channel
    assert body == b"1"
    await _nothing_more(broker)
    broker.send_method(new_id, m.BasicAck(1))
    _, _, _, body = await broker.read_message()
    assert body == b"2"
    broker.send_method(new_id, m.BasicAck(2))
    assert await asyncio.gather(publishes[1], publishes[2]) == [None, None]

    # Proven: publishes to that destination are no longer held.
    more = [asyncio.ensure_future(channel.publish(b"more", "", "q")) for _ in range(3)]
    for _ in range(3):
        await broker.read_message()
    broker.send_method(new_id, m.BasicAck(5, multiple=True))
    assert await asyncio.gather(*more) == [None, None, None]
    await _close(broker, conn)


async def test_each_destination_has_its_own_first_publish(broker):
    conn = await _robust(broker)
    channel = await _confirmed_channel(broker, conn)
    channel_id = channel.channel.channel_id
    to_a = [asyncio.ensure_future(channel.publish(b"a", "", "a")) for _ in range(2)]
    to_b = asyncio.ensure_future(channel.publish(b"b", "", "b"))
    bodies = {(await broker.read_message())[3] for _ in range(2)}
    assert bodies == {b"a", b"b"}
    await _nothing_more(broker)  # the second publish to "a" waits for the first's confirm
    broker.send_method(channel_id, m.BasicAck(2, multiple=True))
    _, _, _, body = await broker.read_message()
    assert body == b"a"
    broker.send_method(channel_id, m.BasicAck(3))
    assert await asyncio.gather(*to_a, to_b) == [None, None, None]
    await _close(broker, conn)


async def test_nacks_go_through_once_reopening_went_on_for_reconnect_wait(broker):
    # A queue that nacks on purpose (x-overflow reject-publish, full) is not reopened forever.
    conn = await _robust(broker, reconnect_delay=0.1, reconnect_wait=0.25)
    channel = await _confirmed_channel(broker, conn)
    channel_id = channel.channel.channel_id
    publishes = [asyncio.ensure_future(channel.publish(b"x", "", "q")) for _ in range(5)]
    for _ in range(2):  # nacked first publishes; reopened after 0.1 s, then 0.2 s
        await broker.read_message()
        broker.send_method(channel_id, m.BasicNack(1))
        channel_id = await _serve_reopen(broker, channel_id)
    await broker.read_message()
    broker.send_method(channel_id, m.BasicNack(1))  # 0.3 s of nacks: over reconnect_wait
    for tag in (2, 3):  # the held ones go now, together, and get the broker's answer
        await broker.read_message()
    broker.send_method(channel_id, m.BasicNack(3, multiple=True))
    results = await asyncio.gather(*publishes, return_exceptions=True)
    assert [type(r) for r in results] == [aioamqp.PublishFailed] * 5
    await _close(broker, conn)


async def test_a_returned_mandatory_first_publish_does_not_reopen(broker):
    # Returned (no queue matched), not nacked: a routing matter, the channel is fine.
    conn = await _robust(broker, reconnect_delay=0.05)
    channel = await _confirmed_channel(broker, conn)
    channel_id = channel.channel.channel_id
    publishes = [
        asyncio.ensure_future(channel.publish(b"m", "", "nowhere", mandatory=True))
        for _ in range(2)
    ]
    await broker.read_message()
    await _nothing_more(broker)
    broker.send_content(channel_id, m.BasicReturn(312, "NO_ROUTE", "", "nowhere"), b"m")
    broker.send_method(channel_id, m.BasicAck(1))
    with pytest.raises(aioamqp.PublishFailed) as failed:
        await publishes[0]
    assert failed.value.returned
    await broker.read_message()  # on the same channel: not reopened
    broker.send_method(channel_id, m.BasicAck(2))
    assert await publishes[1] is None
    await _close(broker, conn)
