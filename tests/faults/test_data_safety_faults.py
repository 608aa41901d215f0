"""Data safety under orderings a real broker cannot be made to produce on demand: a consumer
given up on around its consume-ok, deliveries crossing basic.cancel and channel.close, late
get-ok replies, a slow consumer filling the client's memory, and frames still in flight when the
connection ends. Every delivery either reaches the callback or goes back to the peer
(basic.reject requeue=True), and every write that returned is on the wire."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fake_broker import client_tasks_end

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import FRAME_HEARTBEAT
from aioamqp._generated.properties import encode_basic_properties
from aioamqp.frames import publish_frames

OPEN = aioamqp.protocol.OPEN


# -- helpers ------------------------------------------------------------------------------------


async def _until(condition, timeout: float = 1.0) -> None:
    """Wait (bounded) until condition() is true."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def _declare(broker, channel, name: str) -> dict:
    """queue_declare(name) answered normally: the channel is still usable."""
    return await asyncio.wait_for(
        broker.rpc(channel.queue_declare(name), m.QueueDeclare, m.QueueDeclareOk(name)), 2
    )


async def _consume(broker, channel, callback, tag: str = "ctag", no_ack: bool = False) -> None:
    consume = channel.basic_consume(callback, "q", consumer_tag=tag, no_ack=no_ack)
    await asyncio.wait_for(broker.rpc(consume, m.BasicConsume, m.BasicConsumeOk(tag)), 2)


def _deliver(broker, delivery_tag: int, body: bytes = b"", tag: str = "ctag") -> None:
    broker.send_content(1, m.BasicDeliver(tag, delivery_tag, False, "", "q"), body)


def _deliveries(broker, tags, body: bytes, tag: str = "ctag") -> bytes:
    """The bytes of several deliveries, to be sent in one write."""
    props = encode_basic_properties(None)
    return b"".join(
        publish_frames(
            1, m.BasicDeliver(tag, n, False, "", "q").encode(), props, body, broker.frame_max
        )
        for n in tags
    )


async def _methods(broker, count: int, timeout: float = 2.0) -> list[tuple[int, m.Method]]:
    """The client's next `count` methods as (channel_id, method)."""

    async def read() -> list[tuple[int, m.Method]]:
        return [await broker.read_method() for _ in range(count)]

    return await asyncio.wait_for(read(), timeout)


def _requeue(delivery_tag: int) -> tuple[int, m.Method]:
    return (1, m.BasicReject(delivery_tag, True))


class Blocking:
    """A consumer callback recording delivery tags; the one for `hold` waits for release()."""

    def __init__(self, hold: int = 1) -> None:
        self.hold = hold
        self.tags: list[int] = []
        self.in_hand = asyncio.Event()
        self.released = asyncio.Event()

    async def __call__(self, channel, body, envelope, properties) -> None:
        self.tags.append(envelope.delivery_tag)
        if envelope.delivery_tag == self.hold:
            self.in_hand.set()
            await self.released.wait()

    def release(self) -> None:
        self.released.set()


# -- 1. basic_consume given up on after its request went out ---------------------------------


async def test_consume_cancelled_before_consume_ok_cancels_on_ok_and_requeues(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    got = []
    consume = asyncio.ensure_future(
        channel.basic_consume(lambda *args: got.append(args), "q", consumer_tag="ctag")
    )
    await asyncio.wait_for(broker.expect(m.BasicConsume, channel=1), 1)
    consumer = channel._consumers["ctag"]
    consume.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consume
    # The peer had registered the consumer and delivers right after its (late) consume-ok.
    broker.send_method(1, m.BasicConsumeOk("ctag"))
    _deliver(broker, 1, b"one")
    _deliver(broker, 2, b"two")
    assert await _methods(broker, 3) == [
        (1, m.BasicCancel("ctag", False)),
        _requeue(1),
        _requeue(2),
    ]
    _deliver(broker, 3, b"three")  # still before cancel-ok
    assert await _methods(broker, 1) == [_requeue(3)]
    broker.send_method(1, m.BasicCancelOk("ctag"))
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    await asyncio.wait_for(consumer.task, 1)
    assert "ctag" not in channel._consumers and "ctag" not in channel._ending
    assert got == []  # no ack-mode delivery reached the callback
    assert protocol.state == OPEN and channel.is_open


async def test_consume_timed_out_no_ack_cancels_on_late_ok_and_still_delivers(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    got = []
    callback = lambda channel, body, envelope, props: got.append(body)  # noqa: E731
    consume = asyncio.ensure_future(
        channel.basic_consume(callback, "q", consumer_tag="ctag", no_ack=True, timeout=0.2)
    )
    await asyncio.wait_for(broker.expect(m.BasicConsume, channel=1), 1)
    consumer = channel._consumers["ctag"]
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(consume, 2)
    broker.send_method(1, m.BasicConsumeOk("ctag"))
    _deliver(broker, 1, b"one")  # no_ack: the peer has let go of it, the callback gets it
    assert await _methods(broker, 1) == [(1, m.BasicCancel("ctag", False))]
    _deliver(broker, 2, b"two")
    broker.send_method(1, m.BasicCancelOk("ctag"))
    # No basic.reject in between: the next method is the RPC's request.
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    await asyncio.wait_for(consumer.task, 1)
    assert got == [b"one", b"two"]
    assert "ctag" not in channel._consumers and "ctag" not in channel._ending
    assert protocol.state == OPEN and channel.is_open


async def test_consume_cancelled_after_consume_ok_arrived_cancels_at_once(broker):
    """consume-ok has been read, but the caller is cancelled before it resumes."""
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    got = []
    consume = asyncio.ensure_future(
        channel.basic_consume(lambda *args: got.append(args), "q", consumer_tag="ctag")
    )
    await asyncio.wait_for(broker.expect(m.BasicConsume, channel=1), 1)
    consumer = channel._consumers["ctag"]
    on_method = channel.on_method

    def cancel_right_after_consume_ok(method):
        on_method(method)
        if isinstance(method, m.BasicConsumeOk):
            assert consumer.owed.registered and not consume.done()
            consume.cancel()  # the reply is in, the caller has not taken it yet

    channel.on_method = cancel_right_after_consume_ok
    broker.send_method(1, m.BasicConsumeOk("ctag"))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(consume, 1)
    channel.on_method = on_method
    assert await _methods(broker, 1) == [(1, m.BasicCancel("ctag", False))]
    _deliver(broker, 1, b"one")  # crossed the cancel
    assert await _methods(broker, 1) == [_requeue(1)]
    broker.send_method(1, m.BasicCancelOk("ctag"))
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    await asyncio.wait_for(consumer.task, 1)
    assert got == [] and "ctag" not in channel._ending
    assert protocol.state == OPEN and channel.is_open


# -- 2. basic_cancel with deliveries queued and in flight ------------------------------------


async def test_basic_cancel_ack_mode_requeues_queued_and_crossing_deliveries(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    callback = Blocking(hold=1)
    await _consume(broker, channel, callback)
    consumer = channel._consumers["ctag"]
    broker.send(_deliveries(broker, [1, 2, 3], b"m"))
    await asyncio.wait_for(callback.in_hand.wait(), 1)
    await _until(lambda: len(consumer.items) == 2)  # 2 and 3 wait behind the one in hand
    cancel = asyncio.ensure_future(channel.basic_cancel("ctag"))
    sent = await _methods(broker, 3)
    assert sorted(sent, key=repr) == sorted(
        [_requeue(2), _requeue(3), (1, m.BasicCancel("ctag", False))], key=repr
    )
    _deliver(broker, 4, b"m")  # between basic.cancel and cancel-ok
    assert await _methods(broker, 1) == [_requeue(4)]
    # The callback in hand finishes, and may still ack its message.
    callback.release()
    await _until(lambda: not consumer.items and consumer.waiter is not None)
    await channel.basic_client_ack(1)
    assert await _methods(broker, 1) == [(1, m.BasicAck(1, False))]
    broker.send_method(1, m.BasicCancelOk("ctag"))
    assert await asyncio.wait_for(cancel, 1) == {"consumer_tag": "ctag"}
    await asyncio.wait_for(consumer.task, 1)
    assert callback.tags == [1]
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


async def test_basic_cancel_no_ack_hands_every_delivery_to_the_callback(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    callback = Blocking(hold=1)
    await _consume(broker, channel, callback, no_ack=True)
    consumer = channel._consumers["ctag"]
    broker.send(_deliveries(broker, [1, 2, 3], b"m"))
    await asyncio.wait_for(callback.in_hand.wait(), 1)
    await _until(lambda: len(consumer.items) == 2)
    cancel = asyncio.ensure_future(channel.basic_cancel("ctag"))
    assert await _methods(broker, 1) == [(1, m.BasicCancel("ctag", False))]
    _deliver(broker, 4, b"m")
    broker.send_method(1, m.BasicCancelOk("ctag"))
    assert await asyncio.wait_for(cancel, 1) == {"consumer_tag": "ctag"}
    callback.release()
    await asyncio.wait_for(consumer.task, 1)
    assert callback.tags == [1, 2, 3, 4]
    # Nothing was rejected: the next method the peer reads is this RPC's request.
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


# -- 3. channel.close with deliveries queued and in flight -----------------------------------


async def test_channel_close_no_ack_deliveries_before_close_ok_reach_callback(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    got = []
    callback = lambda channel, body, envelope, props: got.append(body)  # noqa: E731
    await _consume(broker, channel, callback, no_ack=True)
    consumer = channel._consumers["ctag"]
    closing = asyncio.ensure_future(channel.close())
    assert await _methods(broker, 1) == [(1, m.ChannelClose(0, "Normal Shutdown", 0, 0))]
    _deliver(broker, 1, b"one")  # sent by the peer before it saw our close
    _deliver(broker, 2, b"two")
    broker.send_method(1, m.ChannelCloseOk())
    assert await asyncio.wait_for(closing, 1) is True
    await asyncio.wait_for(consumer.task, 1)
    assert got == [b"one", b"two"]
    assert not channel.is_open
    other = await asyncio.wait_for(broker.open_channel(protocol), 1)
    assert (await _declare(broker, other, "after"))["queue"] == "after"
    assert protocol.state == OPEN


async def test_channel_close_ack_mode_leaves_queued_and_crossing_deliveries_to_the_close(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    callback = Blocking(hold=1)
    await _consume(broker, channel, callback)
    consumer = channel._consumers["ctag"]
    broker.send(_deliveries(broker, [1, 2, 3], b"m"))
    await asyncio.wait_for(callback.in_hand.wait(), 1)
    await _until(lambda: len(consumer.items) == 2)
    closing = asyncio.ensure_future(channel.close())
    # No rejects: the close requeues every unacked delivery, and the queued ones (2, 3) never
    # reach the callback.
    assert await _methods(broker, 1) == [(1, m.ChannelClose(0, "Normal Shutdown", 0, 0))]
    assert not consumer.items
    _deliver(broker, 4, b"m")  # the peer requeues it itself when the channel closes
    broker.send_method(1, m.ChannelCloseOk())
    assert await asyncio.wait_for(closing, 1) is True
    callback.release()
    await asyncio.wait_for(consumer.task, 1)
    assert callback.tags == [1]
    # Nothing about delivery 4 went out: the next method is the new channel's open.
    other = await asyncio.wait_for(broker.open_channel(protocol), 1)
    assert (await _declare(broker, other, "after"))["queue"] == "after"
    assert protocol.state == OPEN


# -- 4. basic_get given up on before its get-ok ----------------------------------------------


async def test_cancelled_basic_get_requeues_the_late_message(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    get = asyncio.ensure_future(channel.basic_get("q"))
    await asyncio.wait_for(broker.expect(m.BasicGet, channel=1), 1)
    get.cancel()
    with pytest.raises(asyncio.CancelledError):
        await get
    broker.send_content(1, m.BasicGetOk(5, False, "", "q", 0), b"late")
    assert await _methods(broker, 1) == [_requeue(5)]
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


async def test_timed_out_no_ack_basic_get_warns_about_the_lost_message(broker, caplog):
    caplog.set_level(logging.WARNING, logger="aioamqp.channel")
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    get = asyncio.ensure_future(channel.basic_get("q", no_ack=True, timeout=0.2))
    await asyncio.wait_for(broker.expect(m.BasicGet, channel=1), 1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(get, 2)
    broker.send_content(1, m.BasicGetOk(7, False, "", "q", 0), b"late")
    # No reject (the peer has let go of it): the next method is the RPC's request.
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    warnings = [
        r for r in caplog.records if r.name == "aioamqp.channel" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and "7" in warnings[0].getMessage(), warnings
    assert protocol.state == OPEN and channel.is_open


@pytest.mark.parametrize("no_ack", [False, True])
async def test_cancelled_basic_get_then_late_get_empty_does_nothing(broker, caplog, no_ack):
    caplog.set_level(logging.WARNING, logger="aioamqp")
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    get = asyncio.ensure_future(channel.basic_get("q", no_ack=no_ack))
    await asyncio.wait_for(broker.expect(m.BasicGet, channel=1), 1)
    get.cancel()
    with pytest.raises(asyncio.CancelledError):
        await get
    broker.send_method(1, m.BasicGetEmpty())
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert [r for r in caplog.records if r.name.startswith("aioamqp")] == []
    assert protocol.state == OPEN and channel.is_open


# -- 5. read-side flow control ---------------------------------------------------------------

MAX_BUFFERED = 4096
BODY = b"x" * 1000  # counts 1512 bytes: three queued deliveries exceed MAX_BUFFERED


def _flow_warnings(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "aioamqp.protocol"
        and r.levelno == logging.WARNING
        and "basic_qos" in r.getMessage()
    ]


async def test_slow_consumer_pauses_reading_and_a_callback_rpc_still_gets_its_reply(broker, caplog):
    caplog.set_level(logging.WARNING, logger="aioamqp.protocol")
    transport, protocol = await broker.connect(max_buffered=MAX_BUFFERED)
    assert protocol.max_buffered == MAX_BUFFERED
    channel = await broker.open_channel(protocol)
    tags, declared, release = [], [], asyncio.Event()

    async def callback(channel, body, envelope, properties):
        tags.append(envelope.delivery_tag)
        if envelope.delivery_tag == 1:
            await release.wait()
            declared.append(await channel.queue_declare("from-callback"))

    await _consume(broker, channel, callback, no_ack=True)
    consumer = channel._consumers["ctag"]
    broker.send(_deliveries(broker, [1, 2, 3, 4], BODY))
    await _until(lambda: protocol.reading_paused)
    assert not transport.is_reading()
    assert len(_flow_warnings(caplog)) == 1
    broker.send(_deliveries(broker, [5, 6], BODY))  # stays in the socket while paused
    await asyncio.sleep(0.1)
    assert protocol.reading_paused
    assert [envelope.delivery_tag for _, envelope, _ in consumer.items] == [2, 3, 4]
    # The callback makes an RPC while reading is paused: reading resumes for its reply.
    release.set()
    await asyncio.wait_for(broker.expect(m.QueueDeclare, channel=1), 1)
    broker.send_method(1, m.QueueDeclareOk("from-callback", 0, 0))
    await _until(lambda: tags == [1, 2, 3, 4, 5, 6], timeout=2)
    assert declared == [{"queue": "from-callback", "message_count": 0, "consumer_count": 0}]
    await _until(lambda: not protocol.reading_paused)  # drained below MAX_BUFFERED // 4
    assert transport.is_reading()
    assert len(_flow_warnings(caplog)) == 1  # one warning, not one per pause
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


async def test_paused_reading_keeps_heartbeats_and_ignores_peer_silence(broker):
    transport, protocol = await broker.connect(heartbeat=1, max_buffered=MAX_BUFFERED)
    assert protocol.heartbeat == 1
    channel = await broker.open_channel(protocol)
    callback = Blocking(hold=1)
    await _consume(broker, channel, callback, no_ack=True)
    broker.send(_deliveries(broker, [1, 2, 3, 4], BODY))
    await _until(lambda: protocol.reading_paused)
    # ~3 s (1.5 times the client's 2 s heartbeat timeout) of silence from the peer, which
    # keeps reading what the client writes: heartbeats only.
    loop = asyncio.get_running_loop()
    end = loop.time() + 3.0
    heartbeats = 0
    while (left := end - loop.time()) > 0:
        try:
            frame_type, channel_id, _ = await asyncio.wait_for(broker.read_frame(), left)
        except asyncio.TimeoutError:
            break
        assert (frame_type, channel_id) == (FRAME_HEARTBEAT, 0)
        heartbeats += 1
    assert heartbeats >= 3, heartbeats
    assert protocol.state == OPEN and protocol.reading_paused
    callback.release()
    await _until(lambda: callback.tags == [1, 2, 3, 4])
    await _until(lambda: not protocol.reading_paused)
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


async def test_confirmed_publish_from_callback_while_reading_paused_gets_its_ack(broker):
    """Like an RPC's reply, the ack a confirmed publish waits for must be read while reading
    is paused: otherwise the callback waits for it forever, its queue never drains and reading
    never resumes."""
    transport, protocol = await broker.connect(max_buffered=MAX_BUFFERED)
    channel = await broker.open_channel(protocol)
    await broker.rpc(channel.confirm_select(), m.ConfirmSelect, m.ConfirmSelectOk())
    tags, release = [], asyncio.Event()
    confirmed = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        tags.append(envelope.delivery_tag)
        if envelope.delivery_tag == 1:
            await release.wait()
            await channel.publish(b"result", "", "out")
            confirmed.set_result(True)

    await _consume(broker, channel, callback, no_ack=True)
    broker.send(_deliveries(broker, [1, 2, 3, 4], BODY))
    await _until(lambda: protocol.reading_paused)
    release.set()
    channel_id, method, _, body = await asyncio.wait_for(broker.read_message(), 1)
    assert isinstance(method, m.BasicPublish) and body == b"result"
    broker.send_method(1, m.BasicAck(1, False))
    try:
        await asyncio.wait_for(asyncio.shield(confirmed), 2)
    except asyncio.TimeoutError:
        pytest.fail("the callback's confirmed publish never got its ack: reading stayed paused")
    await _until(lambda: tags == [1, 2, 3, 4])
    await _until(lambda: not protocol.reading_paused)
    assert (await _declare(broker, channel, "after"))["queue"] == "after"
    assert protocol.state == OPEN and channel.is_open


# -- 6. writes that returned are on the wire -------------------------------------------------


async def test_published_messages_reach_peer_when_transport_closes_right_after(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    bodies = [b"small", bytes(range(256)) * 1200, b"last"]  # the middle one is written in parts
    for n, body in enumerate(bodies):
        await channel.publish(body, "ex", f"rk{n}")
    transport.close()  # no protocol.close(): nothing flushes on the way out
    for n, body in enumerate(bodies):
        channel_id, method, _, received = await asyncio.wait_for(broker.read_message(), 2)
        assert isinstance(method, m.BasicPublish) and channel_id == 1
        assert (method.exchange_name, method.routing_key) == ("ex", f"rk{n}")
        assert received == body
    assert await asyncio.wait_for(broker.read_until_eof(), 2) == []
    await client_tasks_end(protocol)


@pytest.mark.parametrize("close", ["connection", "channel"])
async def test_merged_ack_is_flushed_before_an_immediate_close(broker, close):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    delivered = asyncio.Queue()
    callback = lambda channel, body, envelope, props: delivered.put_nowait(envelope)  # noqa: E731
    await _consume(broker, channel, callback)
    _deliver(broker, 9, b"m")
    envelope = await asyncio.wait_for(delivered.get(), 1)

    async def ack_and_close():
        await channel.basic_client_ack(envelope.delivery_tag)  # merged until the turn ends
        if close == "connection":
            await protocol.close()
        else:
            await channel.close()

    closing = asyncio.ensure_future(ack_and_close())
    if close == "connection":
        assert await _methods(broker, 2) == [
            (1, m.BasicAck(9, False)),
            (0, m.ConnectionClose(200, "Normal shutdown", 0, 0)),
        ]
        broker.send_method(0, m.ConnectionCloseOk())
        await asyncio.wait_for(closing, 2)
        assert await asyncio.wait_for(broker.read_until_eof(), 2) == []
        assert protocol.state == aioamqp.protocol.CLOSED
        await client_tasks_end(protocol)
    else:
        assert await _methods(broker, 2) == [
            (1, m.BasicAck(9, False)),
            (1, m.ChannelClose(0, "Normal Shutdown", 0, 0)),
        ]
        broker.send_method(1, m.ChannelCloseOk())
        await asyncio.wait_for(closing, 2)
        assert not channel.is_open and protocol.state == OPEN


async def test_acks_in_delivery_order_go_out_as_one_multiple_ack_in_order_with_a_reject(broker):
    """Merged acks on the wire: tags 1-3 acked in one turn are one basic.ack(3, multiple); a
    reject ends the merge, so the ack after it cannot move ahead of it."""
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    tags = []
    await _consume(broker, channel, lambda channel, body, envelope, props: tags.append(envelope))
    broker.send(_deliveries(broker, [1, 2, 3, 4, 5, 6], b"m"))
    await _until(lambda: len(tags) == 6)
    for delivery_tag in (1, 2, 3):
        await channel.basic_client_ack(delivery_tag)
    await channel.basic_reject(5, requeue=True)
    await channel.basic_client_ack(4)  # settles up to 5 with the reject: it may merge on
    await channel.basic_client_ack(6)
    assert await _methods(broker, 3) == [
        (1, m.BasicAck(3, True)),
        (1, m.BasicReject(5, True)),
        (1, m.BasicAck(6, True)),
    ]
    await channel.basic_client_ack(7)  # alone in its turn: the plain single ack
    assert await _methods(broker, 1) == [(1, m.BasicAck(7, False))]
