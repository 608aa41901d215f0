"""Acks in delivery order go out merged (one basic.ack with multiple set per loop turn): against
RabbitMQ, they must settle exactly what the consumer settled, in every mix with out-of-order
acks, nacks, rejects, no_ack deliveries and basic_get. Counted end to end: processed + still
queued == published, and the channel is never closed for an unknown delivery tag."""

from __future__ import annotations

import asyncio
import random

import pytest

import aioamqp
from support import queued

T = 10


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def publish(channel, queue: str, n: int) -> None:
    for i in range(n):
        await channel.publish(str(i).encode(), "", queue)


async def test_in_order_acks_settle_every_delivery(protocol, channel, observer, queue):
    n = 2000
    await publish(channel, queue, n)
    await w(channel.basic_qos(prefetch_count=300))
    seen: list[int] = []
    done = asyncio.get_running_loop().create_future()

    async def on_message(channel, body, envelope, properties):
        seen.append(int(body))
        await channel.basic_client_ack(envelope.delivery_tag)
        if len(seen) == n:
            done.set_result(None)

    flushes = protocol.flushes
    await w(channel.basic_consume(on_message, queue_name=queue))
    await w(done)
    await asyncio.sleep(0.2)
    assert sorted(seen) == list(range(n))
    assert await queued(observer, queue) == 0
    assert protocol.flushes - flushes < n // 2  # merged: far fewer writes than acks
    await w(channel.close())  # nothing unacked comes back
    assert await queued(observer, queue) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_mixed_settlements_count_end_to_end(protocol, channel, observer, queue, seed):
    """Acks in order and out of order, held-back deliveries, nacks and rejects (with and without
    requeue): whatever was requeued is consumed again; nothing is lost or settled twice."""
    rng = random.Random(seed)
    n = 600
    await publish(channel, queue, n)
    await w(channel.basic_qos(prefetch_count=50))
    acked: list[int] = []
    dropped: list[int] = []  # rejected or nacked without requeue
    held: list[int] = []
    done = asyncio.get_running_loop().create_future()

    def check_done():
        if len(acked) + len(dropped) == n and not done.done():
            done.set_result(None)

    async def on_message(channel, body, envelope, properties):
        tag = envelope.delivery_tag
        roll = rng.random()
        if roll < 0.6:
            await channel.basic_client_ack(tag)
            acked.append(int(body))
        elif roll < 0.7:
            held.append((tag, int(body)))
            if len(held) > 3:  # ack the held ones later, out of order
                rng.shuffle(held)
                for held_tag, held_body in held:
                    await channel.basic_client_ack(held_tag)
                    acked.append(held_body)
                held.clear()
        elif roll < 0.8:
            await channel.basic_reject(tag, requeue=True)  # comes back
        elif roll < 0.85:
            await channel.basic_client_nack(tag, requeue=True)
        elif roll < 0.93:
            await channel.basic_reject(tag, requeue=False)
            dropped.append(int(body))
        else:
            await channel.basic_client_nack(tag, requeue=False)
            dropped.append(int(body))
        if len(acked) + len(dropped) + len(held) == n:
            for held_tag, held_body in held:
                await channel.basic_client_ack(held_tag)
                acked.append(held_body)
            held.clear()
        check_done()

    await w(channel.basic_consume(on_message, queue_name=queue))
    await w(done, 30)
    assert channel.is_open
    assert sorted(acked + dropped) == list(range(n))  # each message settled exactly once
    assert await queued(observer, queue) == 0
    await w(channel.close())
    assert await queued(observer, queue) == 0


async def test_no_ack_consumer_and_basic_get_on_the_same_channel(channel, observer, name):
    """Tags of no_ack deliveries and of basic_get interleave with the ack-mode consumer's."""
    acked_queue, no_ack_queue = f"{name}.ack", f"{name}.no_ack"
    for queue in (acked_queue, no_ack_queue):
        await w(observer.queue_declare(queue, auto_delete=False))
    try:
        n = 300
        await publish(channel, acked_queue, n)
        await publish(channel, no_ack_queue, n)
        acked, free = [], []
        done = asyncio.get_running_loop().create_future()

        async def on_acked(channel, body, envelope, properties):
            if len(acked) % 10 == 0:
                try:
                    got = await channel.basic_get(acked_queue)  # a tag of its own, acked too
                except aioamqp.EmptyQueue:
                    pass  # the rest is in flight to the consumer
                else:
                    await channel.basic_client_ack(got["delivery_tag"])
                    acked.append(int(got["message"]))
            await channel.basic_client_ack(envelope.delivery_tag)
            acked.append(int(body))
            if len(acked) >= n and len(free) == n and not done.done():
                done.set_result(None)

        async def on_free(channel, body, envelope, properties):
            free.append(int(body))
            if len(acked) >= n and len(free) == n and not done.done():
                done.set_result(None)

        await w(channel.basic_qos(prefetch_count=20))
        await w(channel.basic_consume(on_free, queue_name=no_ack_queue, no_ack=True))
        await w(channel.basic_consume(on_acked, queue_name=acked_queue))
        await w(done, 30)
        assert channel.is_open
        assert sorted(acked) == list(range(n)) and sorted(free) == list(range(n))
        assert await queued(observer, acked_queue) == 0
        await w(channel.close())
        assert await queued(observer, acked_queue) == 0
    finally:
        for queue in (acked_queue, no_ack_queue):
            await w(observer.queue_delete(queue))
