"""Opening and closing channels: ids, limits, many channels, closed channels, the factory."""

import asyncio

import pytest

import aioamqp
from aioamqp.channel import Channel

T = 10  # seconds for one broker round trip


async def test_channel_ids_are_allocated_and_reused(protocol):
    first, second, third = [await asyncio.wait_for(protocol.channel(), T) for _ in range(3)]
    assert [first.channel_id, second.channel_id, third.channel_id] == [1, 2, 3]
    assert protocol.channels[2] is second
    assert await asyncio.wait_for(second.close(), T) is True
    assert 2 not in protocol.channels
    again = await asyncio.wait_for(protocol.channel(), T)
    assert again.channel_id == 2
    assert again.is_open
    # The reused id is a working channel on the broker.
    result = await asyncio.wait_for(again.queue_declare("", exclusive=True), T)
    assert result["queue"]
    fourth = await asyncio.wait_for(protocol.channel(), T)
    assert fourth.channel_id == 4


async def test_no_channel_available_past_channel_max(open_connection):
    transport, protocol = await open_connection(channel_max=3)
    assert protocol.channel_max == 3
    channels = [await asyncio.wait_for(protocol.channel(), T) for _ in range(3)]
    assert sorted(c.channel_id for c in channels) == [1, 2, 3]
    with pytest.raises(aioamqp.NoChannelAvailable):
        await asyncio.wait_for(protocol.channel(), T)
    # Failing to allocate did not break anything; closing one frees an id.
    await asyncio.wait_for(channels[0].close(), T)
    replacement = await asyncio.wait_for(protocol.channel(), T)
    assert replacement.channel_id == channels[0].channel_id
    with pytest.raises(aioamqp.NoChannelAvailable):
        await asyncio.wait_for(protocol.channel(), T)
    await asyncio.wait_for(channels[1].queue_declare("", exclusive=True), T)


@pytest.mark.timeout(120)
async def test_thousand_channels_opened_and_closed(protocol):
    channels = await asyncio.wait_for(
        asyncio.gather(*(protocol.channel() for _ in range(1000))), 60
    )
    assert sorted(c.channel_id for c in channels) == list(range(1, 1001))
    assert all(c.is_open for c in channels)
    results = await asyncio.wait_for(asyncio.gather(*(c.close() for c in channels)), 60)
    assert results == [True] * 1000
    assert not any(c.is_open for c in channels)
    assert protocol.channels == {}
    # Ids come back and the connection is still fine.
    channel = await asyncio.wait_for(protocol.channel(), T)
    assert 1 <= channel.channel_id <= 1000
    await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)


async def test_thousand_channels_sequentially(protocol):
    for _ in range(1000):
        channel = await asyncio.wait_for(protocol.channel(), T)
        assert channel.channel_id == 1  # the freed id is handed out again
        await asyncio.wait_for(channel.close(), T)


async def test_close_returns_true_and_second_close_raises(channel):
    assert channel.is_open
    assert await asyncio.wait_for(channel.close(), T) is True
    assert not channel.is_open
    with pytest.raises(aioamqp.ChannelClosed):
        await asyncio.wait_for(channel.close(), T)


async def test_methods_of_a_closed_channel_raise_channel_closed(channel, name):
    await asyncio.wait_for(channel.close(), T)
    calls = [
        lambda: channel.queue_declare(name, auto_delete=True),
        lambda: channel.queue_delete(name),
        lambda: channel.exchange_declare(name, "fanout"),
        lambda: channel.publish(b"x", "", name),
        lambda: channel.basic_get(name),
        lambda: channel.basic_consume(lambda *a: None, queue_name=name),
        lambda: channel.basic_qos(prefetch_count=1),
        lambda: channel.basic_client_ack(1),
        lambda: channel.confirm_select(),
    ]
    for call in calls:
        with pytest.raises(aioamqp.ChannelClosed):
            await asyncio.wait_for(call(), T)


async def test_wait_closed_and_close_event(channel):
    waiter = asyncio.ensure_future(channel.wait_closed())
    await asyncio.sleep(0)
    assert not waiter.done()
    await asyncio.wait_for(channel.close(), T)
    await asyncio.wait_for(waiter, 1)
    assert channel.close_event.is_set()


async def test_close_with_reply_code_and_text(channel):
    assert await asyncio.wait_for(channel.close(200, "bye"), T) is True


async def test_channel_closed_by_broker_frees_its_id(protocol):
    channel = await asyncio.wait_for(protocol.channel(), T)
    with pytest.raises(aioamqp.ChannelClosed):
        await asyncio.wait_for(channel.queue_declare("no.such.queue.xyz", passive=True), T)
    assert not channel.is_open
    assert channel.channel_id not in protocol.channels
    again = await asyncio.wait_for(protocol.channel(), T)
    assert again.channel_id == channel.channel_id
    await asyncio.wait_for(again.queue_declare("", exclusive=True), T)


async def test_close_crossing_the_brokers_close_keeps_the_connection_and_the_id(protocol):
    """An ack of an unknown tag makes RabbitMQ close the channel while our close is on its way.
    RabbitMQ answers our close with close-ok too; only then is the id free (the fault tests
    check that a new channel cannot take it before)."""
    channel = await asyncio.wait_for(protocol.channel(), T)
    await channel.basic_client_ack(delivery_tag=999)  # the broker answers with channel.close
    with pytest.raises(aioamqp.ChannelClosed) as info:
        await asyncio.wait_for(channel.close(), T)
    assert info.value.code == 406
    async with asyncio.timeout(T):
        while channel.channel_id in protocol.channels:  # until the broker's close-ok
            await asyncio.sleep(0.01)
    again = await asyncio.wait_for(protocol.channel(), T)
    assert again.channel_id == channel.channel_id
    await asyncio.wait_for(again.queue_declare("", exclusive=True), T)
    assert again.is_open and protocol.state == aioamqp.protocol.OPEN


class RecordingChannel(Channel):
    created = []

    def __init__(self, protocol, channel_id, return_callback=None):
        super().__init__(protocol, channel_id, return_callback=return_callback)
        RecordingChannel.created.append(channel_id)


def recording_channel_factory(self, protocol, channel_id, return_callback=None):
    """A plain function as CHANNEL_FACTORY: as a class attribute it binds like a method."""
    return RecordingChannel(protocol, channel_id, return_callback=return_callback)


class FactoryProtocol(aioamqp.AmqpProtocol):
    CHANNEL_FACTORY = recording_channel_factory


class ClassFactoryProtocol(aioamqp.AmqpProtocol):
    CHANNEL_FACTORY = RecordingChannel


@pytest.mark.parametrize("protocol_factory", [FactoryProtocol, ClassFactoryProtocol])
async def test_channel_factory_override(open_connection, protocol_factory):
    RecordingChannel.created.clear()
    transport, protocol = await open_connection(protocol_factory=protocol_factory)
    assert isinstance(protocol, protocol_factory)
    returned = []
    channel = await asyncio.wait_for(
        protocol.channel(return_callback=lambda *args: returned.append(args)), T
    )
    assert type(channel) is RecordingChannel
    assert RecordingChannel.created == [channel.channel_id]
    # A working channel, return_callback passed through.
    await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)
    await channel.publish(b"lost", "", "no.such.queue.for.factory.test", mandatory=True)
    for _ in range(100):
        if returned:
            break
        await asyncio.sleep(0.05)
    assert len(returned) == 1
    assert returned[0][0] is channel


async def test_connect_protocol_factory_kwargs(amqp_url, connections):
    """connect(protocol_factory=...) builds the protocol with the leftover kwargs."""
    transport, protocol = await asyncio.wait_for(
        aioamqp.from_url(amqp_url, protocol_factory=FactoryProtocol, channel_max=7), T
    )
    connections.append((transport, protocol))
    assert isinstance(protocol, FactoryProtocol)
    assert protocol.channel_max == 7
