"""The wire ceiling's workloads, on the minimal client of bench/wire_connection.py: what a client
on this project's codec could reach if its own layers cost nothing; aioamqp's results are
reported as a fraction of it.

- publishing: one pre-encoded message written as a block of many copies per transport.write.
- confirms: a window of INFLIGHT unconfirmed messages, refilled in one write per ack frame.
- deliveries: only rpc_latency reads properties and body (the sweep checks body sizes from the
  content header); the acks of one socket read go out as one write.

    python -m bench.client_wire --workload publish [--n N] [--size BYTES]

prints one JSON result line (see bench/common.py). Queues are exclusive and deleted at the end.
"""

from __future__ import annotations

import asyncio
import struct
import time

from aioamqp import __version__ as aioamqp_version
from aioamqp._generated import methods as m
from aioamqp._generated.properties import decode_basic_header
from aioamqp.frames import method_frame

from . import common, wire_connection
from .consumer_process import DONE, READY, ConsumerProcess, signal
from .wire_connection import CHANNEL, Wire, WireError, connect

CLIENT = "wire"
_BODY_SIZE = struct.Struct(">Q")  # in a content header, after class id and weight


def ack_each(wire: Wire, n: int, size: int | None = None) -> asyncio.Future[None]:
    """Make wire's consumer ack each message as it comes (checking the body size the header
    announces, if given, without keeping the body); the future is done once n have come."""
    done = asyncio.get_running_loop().create_future()
    received = 0
    ack = m.BasicAck.pack

    def on_message(tag: int, header: bytes, body: bytes | None) -> None:
        nonlocal received
        if size is not None:
            (body_size,) = _BODY_SIZE.unpack_from(header, 4)
            if body_size != size:
                raise WireError(f"got {body_size} bytes, expected {size}")
        wire.outgoing.append(method_frame(wire.delivery_channel, ack(tag, False)))
        received += 1
        if received == n:
            done.set_result(None)

    wire.on_message = on_message
    return done


async def publish(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "publish")
    await wire.declare(queue)
    message = wire.message(queue, common.body(size))
    try:
        with common.measured() as clock:
            await wire.publish_many(message, n)
            await common.wait_for_count(lambda: wire.count(queue), n)
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def publish_confirm(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "publish_confirm")
    await wire.declare(queue)
    await wire.call(m.ConfirmSelect())
    message = wire.message(queue, common.body(size))
    done = asyncio.get_running_loop().create_future()
    sent = confirmed = 0
    acked_upto = 0  # every tag up to this one is settled
    acked_above: set[int] = set()  # tags above acked_upto settled one by one

    def on_confirm(tag: int, multiple: bool, ack: bool) -> None:
        nonlocal sent, confirmed, acked_upto
        if not ack:
            raise WireError(f"publish {tag} nacked")
        if multiple:
            if tag > acked_upto:
                below = [t for t in acked_above if t <= tag]
                acked_above.difference_update(below)
                confirmed += tag - acked_upto - len(below)
                acked_upto = tag
        elif tag > acked_upto and tag not in acked_above:
            acked_above.add(tag)
            confirmed += 1
        while acked_upto + 1 in acked_above:
            acked_upto += 1
            acked_above.discard(acked_upto)
        if confirmed == n:
            done.set_result(None)
            return
        more = min(common.INFLIGHT - (sent - confirmed), n - sent)
        if more > 0:
            wire.outgoing.append(message * more)
            sent += more

    wire.on_confirm = on_confirm
    try:
        with common.measured() as clock:
            sent = min(n, common.INFLIGHT)
            wire.transport.write(message * sent)
            await wire.wait(done)
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def consume(n: int, size: int) -> float:
    wire = await connect()
    queue = common.queue_name(CLIENT, "consume")
    await wire.declare(queue)
    try:
        await wire.publish_many(wire.message(queue, common.body(size)), n)  # prefill, untimed
        await common.wait_for_count(lambda: wire.count(queue), n)
        await wire.call(m.BasicQos(prefetch_count=common.PREFETCH))
        done = ack_each(wire, n)
        with common.measured() as clock:
            await wire.consume(queue)
            await wire.wait(done)
            await wire.count(queue)  # a round trip: the broker has taken every ack
        return clock.seconds
    finally:
        await wire.delete(queue)
        await wire.close()


async def rpc_latency(n: int, size: int) -> tuple[float, list[float]]:
    server = await connect()
    client = await connect()
    requests = common.queue_name(CLIENT, "rpc_latency", "requests")
    replies = common.queue_name(CLIENT, "rpc_latency", "replies")
    await server.declare(requests)
    await client.declare(replies)
    payload = common.body(size)
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[bytes]] = {}

    def on_request(tag: int, header: bytes, body: bytes | None) -> None:
        _, properties = decode_basic_header(header)
        server.transport.write(
            server.message(properties.reply_to, body, {"correlation_id": properties.correlation_id})
        )

    def on_reply(tag: int, header: bytes, body: bytes | None) -> None:
        future = waiting.pop(decode_basic_header(header)[1].correlation_id, None)
        if future is not None:
            future.set_result(body)

    server.keep_body = client.keep_body = True
    server.on_message = on_request
    client.on_message = on_reply
    try:
        await server.consume(requests, no_ack=True)
        await client.consume(replies, no_ack=True)
        latencies = []
        total = 0.0
        common.section_start()
        for i in range(common.RPC_WARMUP + n):
            correlation_id = str(i)
            future = waiting[correlation_id] = loop.create_future()
            started = time.perf_counter()
            client.transport.write(
                client.message(
                    requests, payload, {"reply_to": replies, "correlation_id": correlation_id}
                )
            )
            await client.wait(future)
            elapsed = time.perf_counter() - started
            if i >= common.RPC_WARMUP:
                latencies.append(elapsed)
                total += elapsed
        common.section_end()
        return total, latencies
    finally:
        await client.delete(replies)
        await server.delete(requests)
        await client.close()
        await server.close()


async def large(n: int, size: int) -> float:
    consumer = await connect()
    publisher = await connect()
    queue = common.queue_name(CLIENT, "large")
    await consumer.declare(queue)
    await consumer.call(m.BasicQos(prefetch_count=common.LARGE_PREFETCH))
    message = publisher.message(queue, common.body(size))
    done = ack_each(consumer, n)
    try:
        await consumer.consume(queue)
        with common.measured() as clock:
            for _ in range(n):
                await publisher.write(message)
            await consumer.wait(done)
        return clock.seconds
    finally:
        await consumer.delete(queue)
        await publisher.close()
        await consumer.close()


async def sweep(n: int, size: int) -> tuple[float, dict[str, int]]:
    publisher = await connect()
    queue = common.queue_name(CLIENT, "sweep")
    message = publisher.message(queue, common.body(size))
    try:
        async with ConsumerProcess(queue, n, size) as consumer:
            baseline = common.reset_peak_rss()
            with common.measured(consumer.pid) as clock:
                await publisher.publish_many(message, n)
                await consumer.done()
            growth = common.peak_rss() - baseline
        return clock.seconds, {"rss_growth_bytes": growth}
    finally:
        await publisher.close()


async def sweep_consumer(queue: str, n: int, size: int) -> None:
    consumer = await connect()
    await consumer.declare(queue)
    await consumer.call(m.BasicQos(prefetch_count=common.sweep_prefetch(size)))
    done = ack_each(consumer, n, size)
    try:
        await consumer.consume(queue)
        signal(READY)
        await consumer.wait(done)
        signal(DONE)
    finally:
        await consumer.close()  # the queue is exclusive: gone with it


async def fanout(n: int, size: int, consumers: int) -> float:
    wire = await connect()  # channel 1 declares and publishes; channels 2.. consume
    channels = range(CHANNEL + 1, CHANNEL + 1 + consumers)
    queues = [common.queue_name(CLIENT, "fanout", str(i)) for i in range(consumers)]
    per_queue = n // consumers
    payload = common.body(size)
    for channel in channels:
        await wire.open_channel(channel)
        await wire.call(m.BasicQos(prefetch_count=common.PREFETCH), channel)
    for queue in queues:  # prefill, untimed
        await wire.declare(queue)
        await wire.publish_many(wire.message(queue, payload), per_queue)
    for queue in queues:
        await common.wait_for_count(lambda: wire.count(queue), per_queue)
    done = ack_each(wire, n)
    try:
        with common.measured() as clock:
            await asyncio.gather(*(wire.consume(q, channel=c) for q, c in zip(queues, channels)))
            await wire.wait(done)
            await wire.count(queues[0])  # a round trip: the broker has taken the acks
        return clock.seconds
    finally:
        await wire.close()  # the queues are exclusive: gone with the connection


WORKLOADS = {name: globals()[name] for name in common.WORKLOADS}


if __name__ == "__main__":
    common.run_client(
        CLIENT,
        WORKLOADS,
        sweep_consumer,
        lambda: wire_connection.SERVER_VERSION,
        lambda: f"aioamqp {aioamqp_version} codec",
    )
