"""aiormq 7.x's workloads, with its documented Connection/Channel API: aiormq.connect,
connection.channel(publisher_confirms=...), basic_publish, basic_consume with a callback,
basic_ack, queue_declare/queue_delete.

Runs in aiormq's own venv (.bench-venvs/aiormq, made by `make bench`):

    .bench-venvs/aiormq/bin/python -m bench.client_aiormq --workload publish [--n N] [--size B]

prints one JSON result line (see bench/common.py). Queues are exclusive and deleted at the end.
"""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import version
from typing import Any

import aiormq
from pamqp.commands import Basic

from . import common
from .consumer_process import DONE, READY, ConsumerProcess, signal

CLIENT = "aiormq"
SERVER_VERSION = "?"


def acking_consumer(n: int, size: int | None = None) -> tuple[Any, asyncio.Future[None]]:
    """A consumer callback that acks each message (checking its body size, if given), and a
    future done once n have come."""
    done = asyncio.get_running_loop().create_future()
    received = 0

    async def on_message(message: Any) -> None:
        nonlocal received
        if size is not None and len(message.body) != size:
            raise RuntimeError(f"got {len(message.body)} bytes, expected {size}")
        await message.channel.basic_ack(message.delivery_tag)
        received += 1
        if received == n:
            done.set_result(None)

    return on_message, done


async def connect() -> Any:
    global SERVER_VERSION
    connection = await aiormq.connect(common.url())
    SERVER_VERSION = common.server_version(connection.server_properties)
    return connection


def counter(channel: Any, queue: str):
    async def count() -> int:
        reply = await channel.queue_declare(queue, passive=True)
        return reply.message_count

    return count


async def publish(n: int, size: int) -> float:
    connection = await connect()
    channel = await connection.channel(publisher_confirms=False)
    queue = common.queue_name(CLIENT, "publish")
    await channel.queue_declare(queue, exclusive=True)
    payload = common.body(size)
    try:
        with common.measured() as clock:
            for _ in range(n):
                await channel.basic_publish(payload, routing_key=queue)
            await common.wait_for_count(counter(channel, queue), n)
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await connection.close()


async def publish_confirm(n: int, size: int) -> float:
    connection = await connect()
    channel = await connection.channel(publisher_confirms=True)
    queue = common.queue_name(CLIENT, "publish_confirm")
    await channel.queue_declare(queue, exclusive=True)
    payload = common.body(size)
    remaining = n

    async def publisher() -> None:
        # One of INFLIGHT publishers, each awaiting its confirmation before the next.
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            confirmation = await channel.basic_publish(payload, routing_key=queue)
            if not isinstance(confirmation, Basic.Ack):
                raise RuntimeError(f"publish not acked: {confirmation!r}")

    try:
        with common.measured() as clock:
            await asyncio.gather(*(publisher() for _ in range(min(n, common.INFLIGHT))))
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await connection.close()


async def consume(n: int, size: int) -> float:
    connection = await connect()
    channel = await connection.channel(publisher_confirms=False)
    queue = common.queue_name(CLIENT, "consume")
    await channel.queue_declare(queue, exclusive=True)
    payload = common.body(size)
    count = counter(channel, queue)
    try:
        for _ in range(n):  # prefill, untimed
            await channel.basic_publish(payload, routing_key=queue)
        await common.wait_for_count(count, n)
        await channel.basic_qos(prefetch_count=common.PREFETCH)
        on_message, done = acking_consumer(n)

        with common.measured() as clock:
            consumer = await channel.basic_consume(queue, on_message)
            await done
            await count()  # a round trip: the broker has taken every ack
        await channel.basic_cancel(consumer.consumer_tag)
        return clock.seconds
    finally:
        await channel.queue_delete(queue)
        await connection.close()


async def rpc_latency(n: int, size: int) -> tuple[float, list[float]]:
    server = await connect()
    client = await connect()
    server_channel = await server.channel(publisher_confirms=False)
    client_channel = await client.channel(publisher_confirms=False)
    requests = common.queue_name(CLIENT, "rpc_latency", "requests")
    replies = common.queue_name(CLIENT, "rpc_latency", "replies")
    await server_channel.queue_declare(requests, exclusive=True)
    await client_channel.queue_declare(replies, exclusive=True)
    payload = common.body(size)
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[bytes]] = {}

    async def on_request(message: Any) -> None:
        properties = message.header.properties
        await message.channel.basic_publish(
            message.body,
            routing_key=properties.reply_to,
            properties=Basic.Properties(correlation_id=properties.correlation_id),
        )

    async def on_reply(message: Any) -> None:
        future = waiting.pop(message.header.properties.correlation_id, None)
        if future is not None:
            future.set_result(message.body)

    try:
        server_consumer = await server_channel.basic_consume(requests, on_request, no_ack=True)
        client_consumer = await client_channel.basic_consume(replies, on_reply, no_ack=True)
        latencies = []
        total = 0.0
        common.section_start()
        for i in range(common.RPC_WARMUP + n):
            correlation_id = str(i)
            future = waiting[correlation_id] = loop.create_future()
            started = time.perf_counter()
            await client_channel.basic_publish(
                payload,
                routing_key=requests,
                properties=Basic.Properties(reply_to=replies, correlation_id=correlation_id),
            )
            await future
            elapsed = time.perf_counter() - started
            if i >= common.RPC_WARMUP:
                latencies.append(elapsed)
                total += elapsed
        common.section_end()
        await client_channel.basic_cancel(client_consumer.consumer_tag)
        await server_channel.basic_cancel(server_consumer.consumer_tag)
        return total, latencies
    finally:
        await client_channel.queue_delete(replies)
        await server_channel.queue_delete(requests)
        await client.close()
        await server.close()


async def large(n: int, size: int) -> float:
    consumer = await connect()
    publisher = await connect()
    consumer_channel = await consumer.channel(publisher_confirms=False)
    publisher_channel = await publisher.channel(publisher_confirms=False)
    queue = common.queue_name(CLIENT, "large")
    await consumer_channel.queue_declare(queue, exclusive=True)
    await consumer_channel.basic_qos(prefetch_count=common.LARGE_PREFETCH)
    payload = common.body(size)
    on_message, done = acking_consumer(n, size)

    try:
        consuming = await consumer_channel.basic_consume(queue, on_message)
        with common.measured() as clock:
            for _ in range(n):
                await publisher_channel.basic_publish(payload, routing_key=queue)
            await done
        await consumer_channel.basic_cancel(consuming.consumer_tag)
        return clock.seconds
    finally:
        await consumer_channel.queue_delete(queue)
        await publisher.close()
        await consumer.close()


async def sweep(n: int, size: int) -> tuple[float, dict[str, int]]:
    connection = await connect()
    channel = await connection.channel(publisher_confirms=False)
    queue = common.queue_name(CLIENT, "sweep")
    payload = common.body(size)
    try:
        async with ConsumerProcess(queue, n, size) as consumer:
            baseline = common.reset_peak_rss()
            with common.measured(consumer.pid) as clock:
                for _ in range(n):
                    await channel.basic_publish(payload, routing_key=queue)
                await consumer.done()
            growth = common.peak_rss() - baseline
        return clock.seconds, {"rss_growth_bytes": growth}
    finally:
        await connection.close()


async def sweep_consumer(queue: str, n: int, size: int) -> None:
    connection = await connect()
    channel = await connection.channel(publisher_confirms=False)
    await channel.queue_declare(queue, exclusive=True)
    await channel.basic_qos(prefetch_count=common.sweep_prefetch(size))
    on_message, done = acking_consumer(n, size)

    try:
        await channel.basic_consume(queue, on_message)
        signal(READY)
        await done
        signal(DONE)
    finally:
        await connection.close()  # the queue is exclusive: gone with it


async def fanout(n: int, size: int, consumers: int) -> float:
    connection = await connect()
    publisher = await connection.channel(publisher_confirms=False)
    channels = [await connection.channel(publisher_confirms=False) for _ in range(consumers)]
    queues = [common.queue_name(CLIENT, "fanout", str(i)) for i in range(consumers)]
    per_queue = n // consumers
    payload = common.body(size)
    try:
        for queue in queues:  # prefill, untimed
            await publisher.queue_declare(queue, exclusive=True)
            for _ in range(per_queue):
                await publisher.basic_publish(payload, routing_key=queue)
        for queue in queues:
            await common.wait_for_count(counter(publisher, queue), per_queue)
        for channel in channels:
            await channel.basic_qos(prefetch_count=common.PREFETCH)
        on_message, done = acking_consumer(n)

        with common.measured() as clock:
            await asyncio.gather(
                *(c.basic_consume(q, on_message) for c, q in zip(channels, queues))
            )
            await done
            await counter(publisher, queues[0])()  # a round trip: the broker has the acks
        return clock.seconds
    finally:
        await connection.close()  # the queues are exclusive: gone with it


WORKLOADS = {name: globals()[name] for name in common.WORKLOADS}


if __name__ == "__main__":
    common.run_client(
        CLIENT, WORKLOADS, sweep_consumer, lambda: SERVER_VERSION, lambda: version("aiormq")
    )
