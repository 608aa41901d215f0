"""A peer that fails during the handshake: connect() raises AmqpClosedConnection, promptly."""

from __future__ import annotations

import asyncio

import pytest

import aioamqp
from aioamqp._generated import methods as m
from aioamqp._generated.constants import ACCESS_REFUSED


async def test_silent_peer_fails_connect_after_connection_timeout(broker):
    # The peer accepts the TCP connection and never sends a byte.
    loop = asyncio.get_running_loop()
    started = loop.time()
    connecting = asyncio.ensure_future(
        aioamqp.connect("127.0.0.1", broker.port, connection_timeout=1)
    )
    await broker.accept()
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(connecting, 3)
    assert 0.9 <= loop.time() - started <= 1.5
    await broker.read_protocol_header()
    assert await broker.read_until_eof() == []  # the client gave up and closed its socket


async def test_garbage_instead_of_connection_start_fails_connect_promptly(broker):
    connecting = asyncio.ensure_future(aioamqp.connect("127.0.0.1", broker.port))
    await broker.accept()
    await broker.read_protocol_header()
    broker.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(connecting, 1)
    await asyncio.wait_for(broker.read_until_eof(), 1)  # and the client closed its socket


async def test_other_protocol_version_fails_connect_promptly(broker):
    # As the spec says: a server that does not speak 0-9-1 answers with its own header, closes.
    connecting = asyncio.ensure_future(aioamqp.connect("127.0.0.1", broker.port))
    await broker.accept()
    await broker.read_protocol_header()
    broker.send(b"AMQP\x00\x00\x09\x00")
    broker.close()
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(connecting, 1)


async def test_peer_closing_after_connection_start_fails_connect(broker):
    connecting = asyncio.ensure_future(aioamqp.connect("127.0.0.1", broker.port))
    await broker.accept()
    await broker.read_protocol_header()
    broker.send_start()
    broker.close()
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(connecting, 1)


async def test_access_refused_during_handshake_fails_connect_with_its_code(broker):
    connecting = asyncio.ensure_future(aioamqp.connect("127.0.0.1", broker.port))
    await broker.accept()
    await broker.read_protocol_header()
    broker.send_start()
    await broker.expect(m.ConnectionStartOk, channel=0)
    text = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"
    broker.send_method(0, m.ConnectionClose(ACCESS_REFUSED, text, 10, 11))
    with pytest.raises(aioamqp.AmqpClosedConnection) as info:
        await asyncio.wait_for(connecting, 1)
    assert (info.value.reply_code, info.value.reply_text) == (ACCESS_REFUSED, text)
    await broker.expect(m.ConnectionCloseOk, channel=0)
    assert await broker.read_until_eof() == []
