"""Malformed or out-of-place frames from the peer once the connection is open.

The client must answer with connection.close carrying the spec's reply code (501 frame error,
502 syntax error, 503 command invalid, 505 unexpected frame), close its socket, end CLOSED,
and fail whatever was waiting with AmqpClosedConnection. Which bytes get which reply code is
the core's logic, unit-tested in tests/unit/test_core_connection.py; these check the shell's
side of it over a socket.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from fake_broker import assert_client_closed_with

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import (
    COMMAND_INVALID,
    FRAME_ERROR,
    UNEXPECTED_FRAME,
)
from aioamqp.frames import method_frame
from support import header_frame

_FRAME_START = struct.Struct(">BHI")


async def _open_with_pending_rpc(broker, **tune):
    """A connection, channel 1, and a queue_declare the peer has read but not answered."""
    errors = []
    transport, protocol = await broker.connect(on_error=errors.append, **tune)
    channel = await broker.open_channel(protocol)
    rpc = asyncio.ensure_future(channel.queue_declare("q"))
    await broker.expect(m.QueueDeclare, channel=1)
    return protocol, channel, rpc, errors


async def _fails_with_closed_connection(rpc, reply_code: int) -> None:
    with pytest.raises(aioamqp.AmqpClosedConnection) as info:
        await asyncio.wait_for(rpc, 1)
    assert info.value.reply_code == reply_code


async def test_bad_frame_end_octet_closes_with_501(broker):
    protocol, channel, rpc, errors = await _open_with_pending_rpc(broker)
    frame = method_frame(1, m.QueueDeclareOk("q", 0, 0).encode())
    broker.send(frame[:-1] + b"\x00")  # frame-end must be 0xce
    await assert_client_closed_with(broker, protocol, FRAME_ERROR)
    await _fails_with_closed_connection(rpc, FRAME_ERROR)
    assert not channel.is_open
    assert len(errors) == 1


async def test_frame_over_negotiated_frame_max_closes_with_501(broker):
    protocol, channel, rpc, errors = await _open_with_pending_rpc(broker, frame_max=4096)
    assert protocol.frame_max == 4096
    # Just the frame's start: its announced size alone breaks the limit.
    broker.send(_FRAME_START.pack(1, 1, 4096 - 8 + 1))
    await assert_client_closed_with(broker, protocol, FRAME_ERROR)
    await _fails_with_closed_connection(rpc, FRAME_ERROR)


@pytest.mark.parametrize("channel_id", [0, 1], ids=["on_channel_0", "on_channel_1"])
async def test_unknown_class_or_method_closes_with_503(broker, channel_id):
    protocol, channel, rpc, errors = await _open_with_pending_rpc(broker)
    broker.send(method_frame(channel_id, struct.pack(">HH", 999, 1)))  # class 999 does not exist
    await assert_client_closed_with(broker, protocol, COMMAND_INVALID)
    await _fails_with_closed_connection(rpc, COMMAND_INVALID)
    assert len(errors) == 1


async def test_body_longer_than_its_header_announced_closes_with_505(broker):
    transport, protocol = await broker.connect()
    channel = await broker.open_channel(protocol)
    delivered = []
    await broker.rpc(
        channel.basic_consume(lambda *args: delivered.append(args), "q", consumer_tag="ctag"),
        m.BasicConsume,
        m.BasicConsumeOk("ctag"),
    )
    consumer_task = channel._consumers["ctag"].task
    broker.send_method(1, m.BasicDeliver("ctag", 1, False, "", "q"))
    broker.send(header_frame(1, 60, 5, b"\x00\x00"))  # announces 5 bytes
    broker.send(_FRAME_START.pack(3, 1, 10) + b"0123456789\xce")  # but carries 10
    _, close = await asyncio.wait_for(broker.expect(m.ConnectionClose, channel=0), 2)
    assert close.reply_code in (FRAME_ERROR, UNEXPECTED_FRAME)
    assert await broker.read_until_eof() == []
    assert protocol.state == aioamqp.protocol.CLOSED
    assert delivered == []
    await asyncio.wait_for(consumer_task, 1)
