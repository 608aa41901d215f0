"""Channel-level surprises: stray deliveries, channel.close from the peer, multiple acks, late
replies to RPCs the caller gave up on. The connection stays usable in each."""

from __future__ import annotations

import asyncio

import pytest
from fake_broker import client_tasks_end

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import PRECONDITION_FAILED

OPEN = aioamqp.protocol.OPEN


async def _declare(broker, channel, name: str) -> dict:
    """queue_declare(name) answered normally by the peer."""
    return await broker.rpc(channel.queue_declare(name), m.QueueDeclare, m.QueueDeclareOk(name))


async def test_delivery_for_unknown_consumer_tag_is_dropped(broker):
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append)
    channel = await broker.open_channel(protocol)
    delivered = asyncio.Queue()
    await broker.rpc(
        channel.basic_consume(lambda *args: delivered.put_nowait(args), "q", consumer_tag="mine"),
        m.BasicConsume,
        m.BasicConsumeOk("mine"),
    )
    broker.send_content(1, m.BasicDeliver("nobody", 1, False, "", "q"), b"stray")
    broker.send_content(1, m.BasicDeliver("mine", 2, False, "", "q"), b"mine")
    _, body, envelope, _ = await asyncio.wait_for(delivered.get(), 1)
    assert (body, envelope.delivery_tag) == (b"mine", 2)  # only its own message
    assert await _declare(broker, channel, "after") == {
        "queue": "after",
        "message_count": 0,
        "consumer_count": 0,
    }
    assert delivered.empty() and not errors
    assert protocol.state == OPEN and channel.is_open


async def test_channel_close_from_peer_fails_both_rpcs_in_flight(broker):
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append)
    channel = await broker.open_channel(protocol)
    first = asyncio.ensure_future(channel.queue_declare("a", passive=True))
    second = asyncio.ensure_future(channel.queue_declare("b", passive=True))
    await broker.expect(m.QueueDeclare, channel=1)
    await broker.expect(m.QueueDeclare, channel=1)
    text = "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'a'"
    broker.send_method(1, m.ChannelClose(PRECONDITION_FAILED, text, 50, 10))
    await broker.expect(m.ChannelCloseOk, channel=1)
    for rpc in (first, second):
        with pytest.raises(aioamqp.ChannelClosed) as info:
            await asyncio.wait_for(rpc, 0.5)
        assert info.value.code == PRECONDITION_FAILED
    assert not channel.is_open
    with pytest.raises(aioamqp.ChannelClosed):
        await channel.queue_declare("c")
    # The connection is fine: another channel works.
    other = await broker.open_channel(protocol)
    assert (await _declare(broker, other, "d"))["queue"] == "d"
    assert protocol.state == OPEN and not errors


async def test_multiple_ack_confirms_three_outstanding_publishes(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    await broker.rpc(channel.confirm_select(), m.ConfirmSelect, m.ConfirmSelectOk())
    publishes = [asyncio.ensure_future(channel.publish(b"%d" % i, "", "q")) for i in range(3)]
    for i in range(3):
        _, method, _, body = await broker.read_message()
        assert isinstance(method, m.BasicPublish) and body == b"%d" % i
    await asyncio.sleep(0.05)
    assert not any(publish.done() for publish in publishes)  # nothing confirmed yet
    broker.send_method(1, m.BasicAck(3, multiple=True))
    assert await asyncio.wait_for(asyncio.gather(*publishes), 0.5) == [None, None, None]


async def test_rpc_timeout_then_late_reply_is_dropped(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    first = asyncio.ensure_future(channel.queue_declare("first", timeout=0.2))
    await broker.expect(m.QueueDeclare, channel=1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(first, 1)
    await _late_reply_after_giving_up(broker, channel)


async def test_cancelled_rpc_then_late_reply_is_dropped(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    first = asyncio.ensure_future(channel.queue_declare("first"))
    await broker.expect(m.QueueDeclare, channel=1)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await _late_reply_after_giving_up(broker, channel)


async def _late_reply_after_giving_up(broker, channel) -> None:
    """The caller gave up on queue_declare("first"); its late declare-ok, sent right before the
    answer to the next queue_declare, must not be taken for that answer."""
    second = asyncio.ensure_future(channel.queue_declare("second"))
    await broker.expect(m.QueueDeclare, channel=1)
    broker.send_method(1, m.QueueDeclareOk("first", 1, 0))  # late
    broker.send_method(1, m.QueueDeclareOk("second", 2, 0))
    result = await asyncio.wait_for(second, 1)
    assert result == {"queue": "second", "message_count": 2, "consumer_count": 0}
    assert (await _declare(broker, channel, "third"))["queue"] == "third"
    assert channel.is_open and channel.protocol.state == OPEN


async def test_cancelled_channel_open_does_not_reuse_a_channel_the_peer_opened(broker):
    transport, protocol = await broker.connect()
    opening = asyncio.ensure_future(protocol.channel())
    abandoned, _ = await broker.expect(m.ChannelOpen)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    broker.send_method(abandoned, m.ChannelOpenOk())  # late: the peer opened the channel
    reopening = asyncio.ensure_future(protocol.channel())
    channel_id, method = await broker.read_method()
    # Fine: a fresh id, or closing the abandoned channel before its id is used again.
    if isinstance(method, m.ChannelClose):
        assert channel_id == abandoned
        broker.send_method(abandoned, m.ChannelCloseOk())
        channel_id, method = await broker.read_method()
    else:
        assert channel_id != abandoned, "channel.open on a channel the peer has open"
    assert isinstance(method, m.ChannelOpen)
    broker.send_method(channel_id, m.ChannelOpenOk())
    channel = await asyncio.wait_for(reopening, 1)
    assert channel.is_open and channel.channel_id == channel_id


async def test_both_sides_closing_a_channel_keep_its_id_until_the_last_close_ok(broker):
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append)
    channel = await broker.open_channel(protocol)
    closing = asyncio.ensure_future(channel.close())
    await broker.expect(m.ChannelClose, channel=1)
    # The peer closed the channel at the same moment: each side answers the other's close.
    text = "PRECONDITION_FAILED - unknown delivery tag 7"
    broker.send_method(1, m.ChannelClose(PRECONDITION_FAILED, text, 60, 80))
    await broker.expect(m.ChannelCloseOk, channel=1)
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await asyncio.wait_for(closing, 0.5)
    assert info.value.code == PRECONDITION_FAILED
    # The peer's close-ok to our close is still due on channel 1: a new channel must not take it.
    other = await broker.open_channel(protocol)
    assert other.channel_id != 1
    broker.send_method(1, m.ChannelCloseOk())
    assert (await _declare(broker, other, "after"))["queue"] == "after"
    third = await broker.open_channel(protocol)  # now id 1 is free again
    assert third.channel_id == 1
    assert (await _declare(broker, third, "again"))["queue"] == "again"
    assert protocol.state == OPEN and other.is_open and not errors
