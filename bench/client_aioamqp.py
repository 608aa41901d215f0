"""This client's workloads, written as its users would: connect/from_url, channel.publish,
basic_consume(callback, queue_name=...), basic_client_ack, confirm_select + awaiting publish().

    python -m bench.client_aioamqp --workload publish [--n N] [--size BYTES]

prints one JSON result line (see bench/common.py). Queues are exclusive (gone if the process
dies) and deleted at the end. Only aioamqp 0.15's documented API is used, so that
bench/client_aioamqp015.py runs these same workloads on aioamqp 0.15.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aioamqp

from . import common
from .consumer_process import DONE, READY, ConsumerProcess, signal

CLIENT = "aioamqp"  # main() sets the name results go under
SERVER_VERSION = "?"


def acking_consumer(n: int, size: int | None = None) -> tuple[Any, asyncio.Future[None]]:
    """A consumer callback that acks each message (checking its body size, if given), and a
    future done once n have come."""
    done = asyncio.get_running_loop().create_future()
    received = 0

    async def on_message(channel: Any, body: bytes, envelope: Any, properties: Any) -> None:
        nonlocal received
        if size is not None and len(body) != size:
            raise RuntimeError(f"got {len(body)} bytes, expected {size}")
        await channel.basic_client_ack(envelope.delivery_tag)
        received += 1
        if received == n:
            done.set_result(None)

    return on_message, done


async def connect() -> tuple[Any, Any]:
    global SERVER_VERSION
    transport, protocol = await aioamqp.from_url(common.url())
    SERVER_VERSION = common.server_version(protocol.server_properties)
    return transport, protocol


async def disconnect(transport: Any, protocol: Any) -> None:
    await protocol.close()
    transport.close()


def counter(channel: Any, queue: str):
    async def count() -> int:
        reply = await channel.queue_declare(queue, passive=True)
        return reply["message_count"]

    return count


async def publish(n: int, size: int) -> float:
    transport, protocol = await connect()
    channel = await protocol.channel()
    queue = common.queue_name(CLIENT, "publish")
    await channel.queue_declare(queue, exclusive=True)
    payload = common.body(size)
    try:
        with common.measured() as clock:
            for _ in range(n):
                await channel.publish(payload, "", queue)
            await common.wait_for_count(counter(channel, queue), n)
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await disconnect(transport, protocol)


async def publish_confirm(n: int, size: int) -> float:
    transport, protocol = await connect()
    channel = await protocol.channel()
    queue = common.queue_name(CLIENT, "publish_confirm")
    await channel.queue_declare(queue, exclusive=True)
    await channel.confirm_select()
    payload = common.body(size)
    remaining = n

    async def publisher() -> None:
        # One of INFLIGHT publishers, each waiting for its message's ack before the next: at
        # most INFLIGHT messages unconfirmed, and a new one goes out as each ack arrives.
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await channel.publish(payload, "", queue)

    try:
        with common.measured() as clock:
            await asyncio.gather(*(publisher() for _ in range(min(n, common.INFLIGHT))))
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await disconnect(transport, protocol)


async def consume(n: int, size: int) -> float:
    transport, protocol = await connect()
    channel = await protocol.channel()
    queue = common.queue_name(CLIENT, "consume")
    await channel.queue_declare(queue, exclusive=True)
    payload = common.body(size)
    count = counter(channel, queue)
    try:
        for _ in range(n):  # prefill, untimed
            await channel.publish(payload, "", queue)
        await common.wait_for_count(count, n)
        await channel.basic_qos(prefetch_count=common.PREFETCH)
        on_message, done = acking_consumer(n)

        with common.measured() as clock:
            consumer = await channel.basic_consume(on_message, queue_name=queue)
            await done
            await count()  # a round trip: the broker has taken every ack
        await channel.basic_cancel(consumer["consumer_tag"])
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await disconnect(transport, protocol)


async def rpc_latency(n: int, size: int) -> tuple[float, list[float]]:
    server_transport, server = await connect()
    client_transport, client = await connect()
    server_channel = await server.channel()
    client_channel = await client.channel()
    requests = common.queue_name(CLIENT, "rpc_latency", "requests")
    replies = common.queue_name(CLIENT, "rpc_latency", "replies")
    await server_channel.queue_declare(requests, exclusive=True)
    await client_channel.queue_declare(replies, exclusive=True)
    payload = common.body(size)
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[bytes]] = {}

    async def on_request(channel: Any, body: bytes, envelope: Any, properties: Any) -> None:
        await channel.publish(
            body, "", properties.reply_to, properties={"correlation_id": properties.correlation_id}
        )

    async def on_reply(channel: Any, body: bytes, envelope: Any, properties: Any) -> None:
        future = waiting.pop(properties.correlation_id, None)
        if future is not None:
            future.set_result(body)

    try:
        server_consumer = await server_channel.basic_consume(
            on_request, queue_name=requests, no_ack=True
        )
        client_consumer = await client_channel.basic_consume(
            on_reply, queue_name=replies, no_ack=True
        )
        latencies = []
        total = 0.0
        common.section_start()
        for i in range(common.RPC_WARMUP + n):
            correlation_id = str(i)
            future = waiting[correlation_id] = loop.create_future()
            started = time.perf_counter()
            await client_channel.publish(
                payload,
                "",
                requests,
                properties={"reply_to": replies, "correlation_id": correlation_id},
            )
            await future
            elapsed = time.perf_counter() - started
            if i >= common.RPC_WARMUP:
                latencies.append(elapsed)
                total += elapsed
        common.section_end()
        await client_channel.basic_cancel(client_consumer["consumer_tag"])
        await server_channel.basic_cancel(server_consumer["consumer_tag"])
        return total, latencies
    finally:
        await client_channel.queue_delete(replies)
        await server_channel.queue_delete(requests)
        await disconnect(client_transport, client)
        await disconnect(server_transport, server)


async def large(n: int, size: int) -> float:
    consumer_transport, consumer = await connect()
    publisher_transport, publisher = await connect()
    consumer_channel = await consumer.channel()
    publisher_channel = await publisher.channel()
    queue = common.queue_name(CLIENT, "large")
    await consumer_channel.queue_declare(queue, exclusive=True)
    await consumer_channel.basic_qos(prefetch_count=common.LARGE_PREFETCH)
    payload = common.body(size)
    on_message, done = acking_consumer(n, size)

    try:
        consuming = await consumer_channel.basic_consume(on_message, queue_name=queue)
        with common.measured() as clock:
            for _ in range(n):
                await publisher_channel.publish(payload, "", queue)
            await done
        await consumer_channel.basic_cancel(consuming["consumer_tag"])
        return clock.seconds
    finally:
        await consumer_channel.queue_delete(queue)
        await disconnect(publisher_transport, publisher)
        await disconnect(consumer_transport, consumer)


async def sweep(n: int, size: int) -> tuple[float, dict[str, int]]:
    transport, protocol = await connect()
    channel = await protocol.channel()
    queue = common.queue_name(CLIENT, "sweep")
    payload = common.body(size)
    try:
        async with ConsumerProcess(queue, n, size) as consumer:
            baseline = common.reset_peak_rss()
            with common.measured(consumer.pid) as clock:
                for _ in range(n):
                    await channel.publish(payload, "", queue)
                await consumer.done()
            growth = common.peak_rss() - baseline
        return clock.seconds, {"rss_growth_bytes": growth}
    finally:
        await disconnect(transport, protocol)


async def sweep_consumer(queue: str, n: int, size: int) -> None:
    transport, protocol = await connect()
    channel = await protocol.channel()
    await channel.queue_declare(queue, exclusive=True)
    await channel.basic_qos(prefetch_count=common.sweep_prefetch(size))
    on_message, done = acking_consumer(n, size)

    try:
        await channel.basic_consume(on_message, queue_name=queue)
        signal(READY)
        await done
        signal(DONE)
    finally:
        await disconnect(transport, protocol)  # the queue is exclusive: gone with it


async def fanout(n: int, size: int, consumers: int) -> float:
    transport, protocol = await connect()
    publisher = await protocol.channel()
    channels = [await protocol.channel() for _ in range(consumers)]
    queues = [common.queue_name(CLIENT, "fanout", str(i)) for i in range(consumers)]
    per_queue = n // consumers
    payload = common.body(size)
    try:
        for queue in queues:  # prefill, untimed
            await publisher.queue_declare(queue, exclusive=True)
            for _ in range(per_queue):
                await publisher.publish(payload, "", queue)
        for queue in queues:
            await common.wait_for_count(counter(publisher, queue), per_queue)
        for channel in channels:
            await channel.basic_qos(prefetch_count=common.PREFETCH)
        on_message, done = acking_consumer(n)

        with common.measured() as clock:
            await asyncio.gather(
                *(c.basic_consume(on_message, queue_name=q) for c, q in zip(channels, queues))
            )
            await done
            await counter(publisher, queues[0])()  # a round trip: the broker has the acks
        return clock.seconds
    finally:
        await disconnect(transport, protocol)  # the queues are exclusive: gone with it


WORKLOADS = {name: globals()[name] for name in common.WORKLOADS}


def main(client: str) -> None:
    """Run the workload named on the command line, its result under client's name."""
    global CLIENT
    CLIENT = client
    common.run_client(
        client, WORKLOADS, sweep_consumer, lambda: SERVER_VERSION, lambda: aioamqp.__version__
    )


if __name__ == "__main__":
    main("aioamqp")
