"""Pairing a basic.return with its publish when the peer does not pass the message's properties
through as they were sent (RabbitMQ does, except for a BCC header): tests/integration covers
what RabbitMQ does, these cover what another broker or a plugin might do."""

from __future__ import annotations

import asyncio
import logging
import struct
from array import array

import pytest

import aioamqp
from aioamqp._generated import methods as m
from aioamqp.frames import publish_frames

NO_ROUTE = m.BasicReturn(312, "NO_ROUTE", "ex", "rk")


async def _confirmed_channel(broker, **kwargs):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol, **kwargs)
    await broker.rpc(channel.confirm_select(), m.ConfirmSelect, m.ConfirmSelectOk())
    return channel


async def _publish(broker, channel, *messages):
    """Start a mandatory publish of each (body, properties) to exchange "ex", routing key "rk";
    return their tasks once the peer has read them all."""
    publishes = [
        asyncio.ensure_future(channel.publish(body, "ex", "rk", properties, mandatory=True))
        for body, properties in messages
    ]
    for body, _ in messages:
        _, method, _, received = await broker.read_message()
        assert isinstance(method, m.BasicPublish) and method.mandatory
        assert received == memoryview(body).tobytes()
    return publishes


def _return_raw(broker, body: bytes, properties_payload: bytes) -> None:
    """A basic.return whose content header carries exactly properties_payload."""
    broker.send(publish_frames(1, NO_ROUTE.encode(), properties_payload, body, broker.frame_max))


async def _settle(broker, publishes):
    broker.send_method(1, m.BasicAck(len(publishes), multiple=True))
    results = await asyncio.wait_for(asyncio.gather(*publishes, return_exceptions=True), 1)
    return [isinstance(result, aioamqp.PublishFailed) for result in results]


async def test_properties_returned_with_other_field_types_still_pair(broker):
    """The peer returns the header h=2 as a signed octet ('b') where the client sent a signed
    long ('I'): the same value, other bytes. The return goes to B (h=2), not to A (h=1)."""
    channel = await _confirmed_channel(broker)
    publishes = await _publish(
        broker, channel, (b"same", {"headers": {"h": 1}}), (b"same", {"headers": {"h": 2}})
    )
    # flags (headers present), then a table of one entry: "h" = signed octet 2
    _return_raw(broker, b"same", b"\x20\x00" + struct.pack(">I", 4) + b"\x01hb\x02")
    assert await _settle(broker, publishes) == [False, True]
    assert channel.confirms.idle


async def test_properties_changed_otherwise_pair_with_a_lone_candidate(broker):
    """A plugin adds a header: the properties match no publish, but only one unconfirmed
    publish has the same exchange, routing key and body."""
    channel = await _confirmed_channel(broker)
    publishes = await _publish(broker, channel, (b"routed", {}), (b"lost", {}))
    broker.send_content(1, NO_ROUTE, b"lost", {"headers": {"added-by": "plugin"}})
    assert await _settle(broker, publishes) == [False, True]


async def test_ambiguous_return_blames_no_publish(broker, caplog):
    """Two publishes differ only in a property the peer changed: the return cannot be paired,
    and blaming the wrong one would report the lost message as delivered, so none is blamed
    and a warning says so."""
    channel = await _confirmed_channel(broker)
    publishes = await _publish(
        broker, channel, (b"same", {"app_id": "a"}), (b"same", {"app_id": "b"})
    )
    with caplog.at_level(logging.WARNING, logger="aioamqp.channel"):
        broker.send_content(1, NO_ROUTE, b"same", {"app_id": "changed"})
        assert await _settle(broker, publishes) == [False, False]
    assert any("matches 2 unconfirmed publishes" in r.getMessage() for r in caplog.records)
    assert channel.confirms.idle


async def test_return_pairs_with_a_body_given_as_a_memoryview_of_ints(broker):
    """The body is kept as a byte view: a return of the same bytes finds its publish."""
    body = memoryview(array("i", range(10)))
    channel = await _confirmed_channel(broker)
    publishes = await _publish(broker, channel, (body, {}))
    broker.send_content(1, NO_ROUTE, body.tobytes())
    assert await _settle(broker, publishes) == [True]


@pytest.mark.parametrize("with_callback", [False, True])
async def test_return_after_its_publish_was_nacked_is_forgotten(broker, with_callback):
    returned = []
    kwargs = {"return_callback": lambda *args: returned.append(args)} if with_callback else {}
    channel = await _confirmed_channel(broker, **kwargs)
    publishes = await _publish(broker, channel, (b"x", {}))
    broker.send_content(1, NO_ROUTE, b"x")
    broker.send_method(1, m.BasicNack(1))
    with pytest.raises(aioamqp.PublishFailed):
        await asyncio.wait_for(publishes[0], 1)
    assert channel.confirms.idle
