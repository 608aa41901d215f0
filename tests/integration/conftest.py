"""Integration tests run against a real RabbitMQ: AMQP_URL, or the local broker on 127.0.0.1."""

import os
import uuid

import pytest

import aioamqp

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def amqp_url():
    return AMQP_URL


@pytest.fixture
async def amqp():
    """(transport, protocol), closed after the test."""
    transport, protocol = await aioamqp.from_url(AMQP_URL)
    yield transport, protocol
    if protocol.state == aioamqp.protocol.OPEN:
        await protocol.close()
    transport.close()


@pytest.fixture
async def protocol(amqp):
    return amqp[1]


@pytest.fixture
async def channel(protocol):
    return await protocol.channel()


@pytest.fixture
def name(request):
    """A unique queue/exchange name per test; deleted by the broker when auto_delete is set."""
    return f"test.{request.node.name[:60]}.{uuid.uuid4().hex[:8]}"
