"""A peer that stops reading: publish() must wait (bounded memory), not buffer without end."""

from __future__ import annotations

import asyncio

import pytest
from fake_broker import client_tasks_end

import aioamqp
from aioamqp._generated import methods as m

MiB = 1 << 20
FRAME_MAX = 131072


class Publisher:
    """Publishes `count` bodies one after the other; records progress and the client's write
    buffer size right after each publish (its peak: one publish is one transport.write)."""

    def __init__(self, channel, transport, count: int, body: bytes) -> None:
        self.done = 0
        self.max_buffer = 0
        self.count = count
        self.task = asyncio.ensure_future(self._run(channel, transport, body))

    async def _run(self, channel, transport, body: bytes) -> None:
        for _ in range(self.count):
            await channel.publish(body, "", "q")
            self.done += 1
            self.max_buffer = max(self.max_buffer, transport.get_write_buffer_size())

    async def stalled(self, quiet: float = 0.3, within: float = 5.0) -> int:
        """Wait until no publish has completed for `quiet` seconds; the number completed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        last, since = -1, loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.02)
            if self.done != last:
                last, since = self.done, loop.time()
            elif loop.time() - since >= quiet:
                return self.done
        pytest.fail(f"publishing never stalled: {self.done} of {self.count} done")


async def _drain(broker, count: int, size: int) -> None:
    """Read `count` published messages of `size` bytes at the peer."""
    for _ in range(count):
        _, method, _, body = await broker.read_message()
        assert isinstance(method, m.BasicPublish) and len(body) == size


@pytest.mark.deadline(30)
async def test_publish_waits_while_peer_stops_reading_200_mib(broker):
    count, body = 200, b"x" * MiB
    transport, protocol = await broker.connect(frame_max=FRAME_MAX)
    channel = await broker.open_channel(protocol)
    broker.pause_reading()
    publisher = Publisher(channel, transport, count, body)
    stalled_at = await publisher.stalled()
    assert stalled_at < count and not publisher.task.done()
    high_water = transport.get_write_buffer_limits()[1]
    bound = high_water + 2 * MiB  # at most one message beyond the high-water mark, and slack
    assert transport.get_write_buffer_size() <= bound
    assert publisher.max_buffer <= bound
    await asyncio.sleep(0.2)
    assert publisher.done == stalled_at  # still waiting, not buffering
    broker.resume_reading()
    await asyncio.gather(_drain(broker, count, MiB), asyncio.wait_for(publisher.task, 20))
    assert publisher.done == count
    assert publisher.max_buffer <= bound
    assert protocol.state == aioamqp.protocol.OPEN


async def test_peer_closing_while_publish_waits_for_the_buffer_fails_publish(broker):
    errors = []
    transport, protocol = await broker.connect(frame_max=FRAME_MAX, on_error=errors.append)
    channel = await broker.open_channel(protocol)
    broker.pause_reading()
    publisher = Publisher(channel, transport, 100, b"x" * MiB)
    await publisher.stalled()
    broker.abort()
    with pytest.raises(aioamqp.AmqpClosedConnection):
        await asyncio.wait_for(publisher.task, 1)
    assert protocol.state == aioamqp.protocol.CLOSED and len(errors) == 1
    await client_tasks_end(protocol)


async def test_blocked_then_unblocked_while_buffer_full_lets_publish_resume(broker):
    transport, protocol = await broker.connect(frame_max=FRAME_MAX)
    channel = await broker.open_channel(protocol)
    broker.pause_reading()
    count = 30
    publisher = Publisher(channel, transport, count, b"x" * MiB)
    await publisher.stalled()
    broker.send_method(0, m.ConnectionBlocked("low on memory"))
    broker.send_method(0, m.ConnectionUnblocked())
    await asyncio.sleep(0.1)
    assert not protocol.is_blocked
    broker.resume_reading()
    await asyncio.gather(_drain(broker, count, MiB), asyncio.wait_for(publisher.task, 5))
    assert publisher.done == count
