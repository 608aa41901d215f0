"""Soak: many confirmed publishes on one connection, consumed and acked on another.

CI runs it with 100,000 messages; `make soak` with 1,000,000 (env SOAK_MESSAGES, and
SOAK_DEADLINE for the hard deadline in seconds, default 120). Checked: every publish is
confirmed, every sequence number arrives (a duplicate only as a redelivery), and the process's
resident memory grows by less than 20 MB between a warm-up point (10% consumed) and the end.
The figures are printed: run pytest with -s to see them.
"""

from __future__ import annotations

import asyncio
import gc
import os
import struct
import time

import pytest

MESSAGES = int(os.environ.get("SOAK_MESSAGES", 100_000))
DEADLINE = float(os.environ.get("SOAK_DEADLINE", 120))  # 100,000 take a few seconds
WINDOW = 1000  # confirmed publishes in flight
PREFETCH = 1000
BODY_SIZE = 256
MAX_RSS_GROWTH = 20 * 1024 * 1024
_SEQ = struct.Struct(">Q")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """Current resident set size in bytes (not the peak getrusage reports)."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


@pytest.mark.timeout(DEADLINE)
async def test_soak_confirmed_publish_and_acked_consume(open_connection, name, cleanup):
    # The conftest turns on asyncio debug mode, which records a stack for every future (one
    # per confirmed publish) and runs ten times slower: off here (SOAK_DEBUG=1 keeps it on), so
    # the throughput and memory figures are the client's.
    asyncio.get_running_loop().set_debug(bool(os.environ.get("SOAK_DEBUG")))
    total = MESSAGES
    warmup_at = max(1, total // 10)
    queue_name = cleanup.queue(name)
    padding = b"x" * (BODY_SIZE - _SEQ.size)

    _, consumer_protocol = await open_connection()
    consumer_channel = await consumer_protocol.channel()
    await asyncio.wait_for(consumer_channel.queue_declare(queue_name), 10)
    await asyncio.wait_for(consumer_channel.basic_qos(prefetch_count=PREFETCH), 10)

    seen = bytearray(total)  # deliveries per sequence number (capped at 255)
    unique = 0
    deliveries = 0
    bad_duplicates: list[int] = []
    unknown: list[bytes] = []
    all_seen = asyncio.Event()
    warm = asyncio.Event()

    async def on_message(channel, body, envelope, properties):
        nonlocal unique, deliveries
        deliveries += 1
        seq = _SEQ.unpack_from(body)[0] if len(body) == BODY_SIZE else total
        if seq >= total:
            unknown.append(body[:16])
        elif seen[seq]:
            if not envelope.is_redeliver:
                bad_duplicates.append(seq)
            seen[seq] = min(255, seen[seq] + 1)
        else:
            seen[seq] = 1
            unique += 1
            if unique == warmup_at:
                warm.set()
            if unique == total:
                all_seen.set()
        await channel.basic_client_ack(envelope.delivery_tag)

    await asyncio.wait_for(consumer_channel.basic_consume(on_message, queue_name=queue_name), 10)

    _, publisher_protocol = await open_connection()
    publisher = await publisher_protocol.channel()
    await asyncio.wait_for(publisher.confirm_select(), 10)

    next_seq = 0
    confirmed = 0
    published = 0
    failures: list[BaseException] = []

    async def publish_loop():
        """One of WINDOW publishers: together they keep WINDOW confirms in flight."""
        nonlocal next_seq, confirmed, published
        while next_seq < total and not failures:
            seq = next_seq
            next_seq += 1
            published += 1
            try:
                await publisher.publish(_SEQ.pack(seq) + padding, "", queue_name)
            except Exception as exc:
                failures.append(exc)
                return
            confirmed += 1

    start = time.monotonic()
    publishers = asyncio.gather(*(publish_loop() for _ in range(WINDOW)))
    warm_wait = asyncio.ensure_future(warm.wait())
    try:
        await asyncio.wait({publishers, warm_wait}, return_when=asyncio.FIRST_COMPLETED)
        if not warm.is_set():  # publishing ended (or failed) before 10% were consumed
            await publishers
            assert not failures, f"{len(failures)} publishes failed, first: {failures[0]!r}"
            await asyncio.wait_for(warm_wait, 60)
    finally:
        warm_wait.cancel()
    rss_warm = rss()
    warm_time = time.monotonic() - start
    await publishers
    publish_time = time.monotonic() - start
    assert not failures, f"{len(failures)} publishes failed, first: {failures[0]!r}"

    try:
        await asyncio.wait_for(all_seen.wait(), max(60.0, publish_time))
    except TimeoutError:
        pass
    elapsed = time.monotonic() - start
    rss_end = rss()
    growth = rss_end - rss_warm
    mb = 1024 * 1024
    print(
        f"\nsoak: {total} msgs of {BODY_SIZE} B, {elapsed:.1f} s, {total / elapsed:.0f} msgs/s "
        f"end to end (publish+confirm {total / publish_time:.0f} msgs/s); "
        f"confirmed {confirmed}/{published}, consumed {unique} unique of {deliveries} "
        f"deliveries; RSS warm-up ({warmup_at} consumed, {warm_time:.1f} s) "
        f"{rss_warm / mb:.1f} MB, end {rss_end / mb:.1f} MB, growth {growth / mb:+.1f} MB"
    )

    assert confirmed == published == total
    assert not unknown, f"{len(unknown)} messages that were not ours, first: {unknown[0]!r}"
    missing = total - unique
    assert missing == 0, f"{missing} lost, first: {seen.index(0)}"
    assert not bad_duplicates, f"duplicates not marked redelivered: {bad_duplicates[:10]}"
    assert growth < MAX_RSS_GROWTH, f"RSS grew by {growth / mb:.1f} MB (limit 20 MB)"
    assert not publisher.confirms.pending
