"""No message dropped silently, on any path a user can take (against RabbitMQ).

Every test counts end to end: processed + still queued == published, and the queue is counted
from another connection while the test's channel is still open, so a delivery left unacked
behind a forgotten consumer shows up as missing.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import aioamqp
from support import queued
from aioamqp.protocol import CLOSED, OPEN

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def settle(counter, queue: str, expected: int, channel, timeout: float = T) -> int:
    """Wait until counter() + messages ready in queue == expected; returns what is queued."""
    ready = -1
    try:
        async with asyncio.timeout(timeout):
            while True:
                ready = await queued(channel, queue)
                if counter() + ready == expected:
                    return ready
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{counter()} processed + {ready} queued != {expected}") from None


async def fill(channel, queue: str, count: int, body: bytes = b"m") -> None:
    for i in range(count):
        await channel.publish(body, "", queue)
    await w(channel.queue_declare(queue, passive=True))  # a round trip after the publishes


async def consume_half_then_cancel(
    channel, queue: str, count: int, seen=None, timeout: float = T
) -> list[bytes]:
    """Consume queue with an ack per message until count // 2 are processed, then cancel the
    consumer; a delivery in hand after that goes back (reject with requeue). Returns the
    processed bodies; seen(properties) is called for each of them."""
    processed: list[bytes] = []
    half = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        if half.done():  # in hand before the cancel went out: give it back
            await channel.basic_reject(envelope.delivery_tag, requeue=True)
            return
        await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(body)
        if seen is not None:
            seen(properties)
        if len(processed) == count // 2:
            half.set_result(None)

    tag = (await w(channel.basic_consume(callback, queue)))["consumer_tag"]
    await w(half, timeout)
    await w(channel.basic_cancel(tag))
    return processed


# -- 1. the write contract ---------------------------------------------------------------------


def count_from_another_thread(amqp_url: str, queue: str, expected: int) -> int:
    """What the broker holds, seen from a loop of its own while the test's loop is blocked."""

    async def count() -> int:
        transport, protocol = await aioamqp.from_url(amqp_url)
        channel = await protocol.channel()
        try:
            async with asyncio.timeout(5):
                while (found := await queued(channel, queue)) < expected:
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pass
        await protocol.close()
        return found

    found: list[int] = []
    thread = threading.Thread(target=lambda: found.append(asyncio.run(count())))
    thread.start()
    thread.join()
    return found[0]


async def test_publish_is_on_the_wire_before_the_loop_runs_again(amqp_url, open_connection, queue):
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    for i in range(100):
        await channel.publish(b"x", "", queue)
    # This loop does not run again until the count is taken: nothing waits for its next turn.
    assert count_from_another_thread(amqp_url, queue, 100) == 100


async def test_transport_close_after_publishing_loses_nothing(open_connection, observer, queue):
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    for i in range(100):
        await channel.publish(b"x", "", queue)
    # The loop is blocked (the broker routes what it has received), then the transport is
    # closed without protocol.close(): what publish returned from is not lost.
    time.sleep(0.3)
    transport.close()
    await settle(lambda: 0, queue, 100, observer)


async def test_returning_from_asyncio_run_after_publishing_loses_nothing(amqp_url, observer, queue):
    script = textwrap.dedent(f"""
        import asyncio, time, aioamqp

        async def main():
            transport, protocol = await aioamqp.from_url({amqp_url!r})
            channel = await protocol.channel()
            for i in range(1000):
                await channel.publish(b"x", "", {queue!r})
            time.sleep(0.5)  # the loop never turns again before it is closed

        asyncio.run(main())
        """)
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    await settle(lambda: 0, queue, 1000, observer)


async def test_acks_are_flushed_before_close(open_connection, observer, queue):
    await fill(observer, queue, 50)
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    acked = []
    all_in = asyncio.Event()

    async def callback(channel, body, envelope, properties):
        await channel.basic_client_ack(envelope.delivery_tag)
        acked.append(envelope.delivery_tag)
        if len(acked) == 50:
            all_in.set()

    await w(channel.basic_consume(callback, queue_name=queue))
    await w(all_in.wait())
    await w(protocol.close())  # the last acks may still be merged: close sends them first
    assert await settle(lambda: len(acked), queue, 50, observer) == 0


# -- 2. a basic_consume that gives up after its request went out --------------------------------


@pytest.mark.parametrize("how", ["cancel", "timeout"])
@pytest.mark.parametrize("no_ack", [True, False])
async def test_abandoned_basic_consume_strands_nothing(protocol, observer, queue, how, no_ack):
    await fill(observer, queue, 20)
    channel = await w(protocol.channel())
    if not no_ack:
        await w(channel.basic_qos(prefetch_count=5))
    processed = []

    async def callback(channel, body, envelope, properties):
        if not no_ack:  # it may run before the cancellation lands: then it owns the message
            await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(envelope.delivery_tag)

    if how == "cancel":
        task = asyncio.ensure_future(channel.basic_consume(callback, queue, no_ack=no_ack))
        await asyncio.sleep(0)  # the request is written
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(asyncio.TimeoutError):
            await channel.basic_consume(callback, queue, no_ack=no_ack, timeout=0)
    # The consumer is cancelled on the broker, with the channel still open.
    async with asyncio.timeout(T):
        while (await w(observer.queue_declare(queue, passive=True)))["consumer_count"]:
            await asyncio.sleep(0.05)
    await settle(lambda: len(processed), queue, 20, observer)
    assert channel.is_open and channel.consumer_callbacks == {}
    await w(channel.queue_declare(queue, passive=True))  # the channel still works


# -- 3. cancel and close with deliveries buffered ---------------------------------------------


def slow_consumer(processed, started, ack: bool, delay: float = 0.05):
    async def callback(channel, body, envelope, properties):
        started.set()
        await asyncio.sleep(delay)
        if ack:
            try:
                await channel.basic_client_ack(envelope.delivery_tag)
            except aioamqp.AioamqpException:
                return  # the channel closed under it: the broker requeues the message
        processed.append(envelope.delivery_tag)

    return callback


@pytest.mark.parametrize("end", ["basic_cancel", "channel_close"])
@pytest.mark.parametrize("no_ack", [True, False])
async def test_cancel_or_close_with_buffered_deliveries(protocol, observer, queue, end, no_ack):
    await fill(observer, queue, 30)
    channel = await w(protocol.channel())
    processed, started = [], asyncio.Event()
    callback = slow_consumer(processed, started, ack=not no_ack)
    tag = (await w(channel.basic_consume(callback, queue, no_ack=no_ack)))["consumer_tag"]
    await w(started.wait())
    if end == "basic_cancel":
        await w(channel.basic_cancel(tag))
    else:
        await w(channel.close())
    if no_ack:  # every delivery the client received reaches the callback
        async with asyncio.timeout(T):
            while len(processed) + await queued(observer, queue) < 30:
                await asyncio.sleep(0.05)
        assert len(processed) + await queued(observer, queue) == 30
    else:  # the rest went back at once, while the channel (for basic_cancel) stays open
        await settle(lambda: len(processed), queue, 30, observer)
        assert len(processed) <= 2
    if end == "basic_cancel":
        assert channel.is_open


async def test_callback_cancelling_its_own_consumer_strands_nothing(protocol, observer, queue):
    await fill(observer, queue, 30)
    channel = await w(protocol.channel())
    processed = []

    async def callback(channel, body, envelope, properties):
        await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(envelope.delivery_tag)
        if len(processed) == 3:
            await channel.basic_cancel(envelope.consumer_tag)
        await asyncio.sleep(0.01)

    await w(channel.basic_consume(callback, queue))
    ready = await settle(lambda: len(processed), queue, 30, observer)
    assert len(processed) == 3 and ready == 27 and channel.is_open


# -- 4. a slow consumer without basic_qos ------------------------------------------------------


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.timeout(180)
async def test_slow_consumer_without_qos_keeps_memory_bounded(
    open_connection, observer, queue, caplog
):
    count, body = 100_000, b"x" * 1024
    publisher = observer
    for i in range(count):
        await publisher.publish(body, "", queue)
    await settle(lambda: 0, queue, count, observer, timeout=60)
    _, protocol = await open_connection()
    channel = await w(protocol.channel())
    processed = []

    async def callback(channel, body, envelope, properties):
        await asyncio.sleep(0.01)
        await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(envelope.delivery_tag)

    before, peak = rss(), 0
    with caplog.at_level(logging.WARNING, logger="aioamqp.protocol"):
        await w(channel.basic_consume(callback, queue))
        for _ in range(60):  # 6 s
            await asyncio.sleep(0.1)
            peak = max(peak, rss())
        await w(channel.queue_declare(queue, passive=True))  # an RPC while reading is paused
    assert peak - before < 64 << 20, f"RSS grew by {(peak - before) >> 20} MiB"
    warnings = [r for r in caplog.records if "basic_qos" in r.getMessage()]
    assert len(warnings) == 1
    started = time.monotonic()
    await w(channel.close(), 60)  # unacked deliveries go back to the queue
    print(f"close took {time.monotonic() - started:.1f} s")
    await settle(lambda: len(processed), queue, count, observer, timeout=30)
    assert processed


async def test_rpc_from_a_callback_while_reading_is_paused(open_connection, observer, queue):
    await fill(observer, queue, 200, b"y" * 4096)
    _, protocol = await open_connection(max_buffered=16384)
    channel = await w(protocol.channel())
    processed = []

    async def callback(channel, body, envelope, properties):
        await channel.queue_declare(queue, passive=True)  # needs its reply read
        await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(envelope.delivery_tag)

    await w(channel.basic_consume(callback, queue))
    async with asyncio.timeout(30):
        while len(processed) < 200:
            await asyncio.sleep(0.05)
    assert await queued(observer, queue) == 0


@pytest.mark.timeout(30)
async def test_heartbeats_flow_while_reading_is_paused(open_connection, observer, queue):
    await fill(observer, queue, 100, b"z" * 4096)
    _, protocol = await open_connection(heartbeat=1, max_buffered=16384)
    channel = await w(protocol.channel())
    release = asyncio.Event()
    processed = []

    async def callback(channel, body, envelope, properties):
        await release.wait()
        await channel.basic_client_ack(envelope.delivery_tag)
        processed.append(envelope.delivery_tag)

    await w(channel.basic_consume(callback, queue))
    await asyncio.sleep(4)  # paused for four heartbeat intervals: neither side gives up
    assert protocol.state == OPEN and protocol.reading_paused
    release.set()
    async with asyncio.timeout(T):
        while len(processed) < 100:
            await asyncio.sleep(0.05)
    assert protocol.state == OPEN and not protocol.reading_paused


# -- 5. protocol.close() lets running callbacks finish -----------------------------------------


async def test_close_lets_the_running_callback_finish(open_connection, observer, queue):
    await fill(observer, queue, 1)
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    started, finished = asyncio.Event(), []

    async def callback(channel, body, envelope, properties):
        started.set()
        await asyncio.sleep(0.3)
        finished.append(envelope.delivery_tag)

    await w(channel.basic_consume(callback, queue, no_ack=True))
    await w(started.wait())
    await w(protocol.close())
    assert finished == [1] and protocol.state == CLOSED
    assert await settle(lambda: len(finished), queue, 1, observer) == 0  # processed, not queued


async def test_close_timeout_bounds_the_running_callback(open_connection, observer, queue):
    await fill(observer, queue, 1)
    transport, protocol = await open_connection()
    channel = await w(protocol.channel())
    started, outcome = asyncio.Event(), []

    async def callback(channel, body, envelope, properties):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    await w(channel.basic_consume(callback, queue))
    await w(started.wait())
    await w(protocol.close(timeout=0.5))
    assert outcome == ["cancelled"]
    await settle(lambda: 0, queue, 1, observer)  # unacked: back in the queue


# -- 6. a basic_get that gives up --------------------------------------------------------------


async def test_cancelled_basic_get_gives_its_message_back(channel, observer, queue):
    await fill(observer, queue, 1)
    task = asyncio.ensure_future(channel.basic_get(queue))
    await asyncio.sleep(0)  # the request is written
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settle(lambda: 0, queue, 1, observer)  # requeued while the channel stays open
    message = await w(channel.basic_get(queue))
    assert message["message"] == b"m" and message["redelivered"]
    await w(channel.basic_client_ack(message["delivery_tag"]))


async def test_cancelled_no_ack_basic_get_is_logged(channel, observer, queue, caplog):
    await fill(observer, queue, 1)
    with caplog.at_level(logging.WARNING, logger="aioamqp.channel"):
        task = asyncio.ensure_future(channel.basic_get(queue, no_ack=True))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await w(channel.queue_declare(queue, passive=True))  # the get-ok came before this
    (record,) = [r for r in caplog.records if "basic_get" in r.getMessage()]
    assert "delivery 1" in record.getMessage()


@pytest.mark.timeout(90)
@pytest.mark.parametrize("confirms", [False, True])
async def test_every_write_path_counts_end_to_end(protocol, observer, queue, confirms):
    """Bodies on each write path (one frame; several frames joined into one write; pieces
    written as views), consumed with acks merged in order, then cancelled half way: every body
    arrives intact or is still queued."""
    sizes = [64, 65535, 65536, 200_000, 1 << 20, (2 << 20) - 1, 2 << 20, 3 << 20] * 2
    bodies = [bytes([i]) * size for i, size in enumerate(sizes)]
    publisher = await w(protocol.channel())
    if confirms:
        await w(publisher.confirm_select())
    for body in bodies:
        await w(publisher.publish(body, "", queue), 30)
    await w(observer.queue_declare(queue, passive=True))  # a round trip after the publishes
    channel = await w(protocol.channel())
    await w(channel.basic_qos(prefetch_count=3))
    processed = await consume_half_then_cancel(channel, queue, len(bodies), timeout=60)
    await settle(lambda: len(processed), queue, len(bodies), observer, timeout=30)
    assert channel.is_open
    assert processed == bodies[: len(processed)]  # intact and in order
    await w(channel.close())
    assert await queued(observer, queue) == len(bodies) - len(processed)


@pytest.mark.timeout(90)
async def test_large_bodies_on_several_channels_of_one_connection_count_end_to_end(
    protocol, observer, name, cleanup
):
    """Large bodies consumed on three channels of one connection at once, so their frames
    interleave in the client's read buffer and several bodies are held in it together; one
    channel is closed while bodies are still arriving on it. Every body arrives intact on its
    channel or is still queued."""
    sizes = [300_000, 1 << 20, 64, 131_065, 2 << 20, 5_000]
    queues = [cleanup.queue(f"{name}-{i}") for i in range(3)]
    publisher = await w(protocol.channel())
    expected = {}
    for number, queue in enumerate(queues):
        await w(publisher.queue_declare(queue))
        expected[queue] = [bytes([number * 16 + i]) * size for i, size in enumerate(sizes * 2)]
        for body in expected[queue]:
            await w(publisher.publish(body, "", queue), 30)
    await w(observer.queue_declare(queues[-1], passive=True))  # after the publishes
    processed: dict[str, list[bytes]] = {queue: [] for queue in queues}
    closing = asyncio.get_running_loop().create_future()
    channels = []
    for queue in queues:
        channel = await w(protocol.channel())
        await w(channel.basic_qos(prefetch_count=4))

        async def callback(channel, body, envelope, properties, queue=queue):
            if queue == queues[0] and closing.done():
                return  # left unacked: the close gives it back
            await channel.basic_client_ack(envelope.delivery_tag)
            processed[queue].append(body)
            if queue == queues[0] and len(processed[queue]) == 3:
                closing.set_result(None)

        await w(channel.basic_consume(callback, queue))
        channels.append(channel)
    await w(closing, 60)
    await w(channels[0].close())  # bodies of its queue may be half received: dropped, requeued
    for queue in queues:
        await settle(lambda: len(processed[queue]), queue, len(sizes) * 2, observer, timeout=30)
        assert processed[queue] == expected[queue][: len(processed[queue])]  # intact, in order
    assert len(processed[queues[1]]) == len(processed[queues[2]]) == len(sizes) * 2
    assert all(channel.is_open for channel in channels[1:])


@pytest.mark.timeout(90)
async def test_large_returns_gets_and_deliveries_through_one_read_buffer_count_end_to_end(
    protocol, observer, name, cleanup
):
    """Every kind of content the broker sends, with bodies over several frames, on one
    connection at once: returned mandatory messages (confirmed), basic_get answers and
    deliveries to a consumer. Each unroutable publish comes back intact to the return callback,
    and every routed one is consumed, got or still queued, intact and in order."""
    sizes = [300_000, 64, 1 << 20, 131_065, 2 << 20, 5_000]
    consumed_queue, got_queue = cleanup.queue(f"{name}-consumed"), cleanup.queue(f"{name}-got")
    returned: list[bytes] = []
    publisher = await w(
        protocol.channel(return_callback=lambda channel, body, *rest: returned.append(body))
    )
    await w(publisher.confirm_select())
    for queue in (consumed_queue, got_queue):
        await w(publisher.queue_declare(queue))
    bodies = [bytes([i]) * size for i, size in enumerate(sizes * 2)]
    consumer_channel = await w(protocol.channel())
    await w(consumer_channel.basic_qos(prefetch_count=3))
    consumed: list[bytes] = []

    async def callback(channel, body, envelope, properties):
        await channel.basic_client_ack(envelope.delivery_tag)
        consumed.append(body)

    await w(consumer_channel.basic_consume(callback, consumed_queue))
    getter = await w(protocol.channel())
    got: list[bytes] = []
    publishes = []
    for body in bodies:  # confirmed publishes in flight together, returns among them
        for destination in (consumed_queue, got_queue, f"{name}-nowhere"):
            publishes.append(publisher.publish(body, "", destination, mandatory=True))
    await w(asyncio.gather(*publishes), 60)  # every one confirmed, the returned ones too
    while len(got) < len(bodies) // 2:  # half of them by basic_get, while deliveries arrive
        reply = await w(getter.basic_get(got_queue))
        await w(getter.basic_client_ack(reply["delivery_tag"]))
        got.append(reply["message"])

    assert returned == bodies  # every unroutable publish came back, intact and in order
    await settle(lambda: len(consumed), consumed_queue, len(bodies), observer, timeout=30)
    assert consumed == bodies
    assert await settle(lambda: len(got), got_queue, len(bodies), observer) == len(bodies) // 2
    assert got == bodies[: len(got)]
    assert all(channel.is_open for channel in (publisher, consumer_channel, getter))


async def test_small_reads_count_end_to_end(protocol, observer, queue):
    """Deliveries one at a time (prefetch 1: each arrives in a read of its own, which the read
    buffer cuts in one copy), bodies on both sides of its 4 KiB small-read limit, each with
    its properties, cancelled half way: every body arrives intact, in order, with its
    properties, or is still queued; nothing is left unacked."""
    sizes = [0, 1, 100, 3_900, 4_000, 4_070, 4_071, 4_088, 4_089, 4_096, 4_200, 9_000] * 2
    bodies = [bytes([i]) * size for i, size in enumerate(sizes)]
    publisher = await w(protocol.channel())
    for number, body in enumerate(bodies):
        await w(publisher.publish(body, "", queue, properties={"message_id": str(number)}))
    await w(observer.queue_declare(queue, passive=True))  # a round trip after the publishes
    channel = await w(protocol.channel())
    await w(channel.basic_qos(prefetch_count=1))
    message_ids: list[str] = []
    processed = await consume_half_then_cancel(
        channel,
        queue,
        len(bodies),
        seen=lambda properties: message_ids.append(properties.message_id),
    )
    await settle(lambda: len(processed), queue, len(bodies), observer)
    assert message_ids == [str(number) for number in range(len(processed))]
    assert channel.is_open
    assert processed == bodies[: len(processed)]  # intact and in order
    await w(channel.close())  # nothing unacked: the queue keeps exactly the rest
    assert await queued(observer, queue) == len(bodies) - len(processed)
