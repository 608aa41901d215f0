"""Acceptance test of aioamqp.robust: a node dies mid-stream and the client goes on elsewhere.

A confirmed publisher and a consumer of a quorum queue share one robust connection. While
messages flow at a steady pace, the node that connection is on is killed (kill -9). The client
must fail over to another node, restore its channels, queue, qos, consumer and confirm mode, and
carry on. At the end every publish either was confirmed or raised (reported failed), and every
confirmed message was consumed at least once.

CLUSTER_FAILOVER_MESSAGES (default 5000) and CLUSTER_FAILOVER_SECONDS (default 10) set the volume
and the duration of the publishing; the kill comes at 40 % of it.
"""

from __future__ import annotations

import asyncio
import collections
import os

import pytest

from aioamqp import AmqpClosedConnection, ChannelClosed, PublishFailed

try:
    from aioamqp import robust
except ImportError:  # being written
    robust = None

pytestmark = pytest.mark.cluster

MESSAGES = int(os.environ.get("CLUSTER_FAILOVER_MESSAGES", "5000"))
SECONDS = float(os.environ.get("CLUSTER_FAILOVER_SECONDS", "10"))
KILL_AT = 0.4  # fraction of the messages published when the node is killed
QUORUM = {"x-queue-type": "quorum"}
CONSUME_WAIT = 60.0  # seconds for the consumer to catch up once publishing is over
# What a publish may raise when its connection dies before the broker confirmed it.
REPORTED_FAILED = (AmqpClosedConnection, PublishFailed, ChannelClosed)


@pytest.mark.timeout(240)
@pytest.mark.xfail(robust is None, reason="aioamqp.robust not written yet", strict=False)
async def test_publisher_and_consumer_survive_a_node_crash(cluster, queue_name):
    loop = asyncio.get_running_loop()
    reconnects: list[tuple[float, object]] = []  # (loop time, protocol)
    restore_errors: list[tuple[str, BaseException]] = []
    conn = await robust.connect(
        hosts=cluster.hosts,
        login="guest",
        password="guest",
        virtualhost="/",
        connection_timeout=2.0,
        reconnect_delay=0.2,
        on_restore_error=lambda what, exc: restore_errors.append((what, exc)),
        on_reconnect=lambda protocol: reconnects.append((loop.time(), protocol)),
    )
    killed = None
    try:
        consuming = await conn.channel()
        await consuming.queue_declare(queue_name, durable=True, arguments=QUORUM)
        await consuming.basic_qos(prefetch_count=100)

        consumed: collections.Counter[bytes] = collections.Counter()
        consumed_more = asyncio.Event()

        async def on_message(channel, body, envelope, properties):
            consumed[body] += 1
            consumed_more.set()
            try:
                await channel.basic_client_ack(envelope.delivery_tag)
            except (AmqpClosedConnection, ChannelClosed):
                pass  # a delivery of the dead connection: the broker delivers it again

        await consuming.basic_consume(on_message, queue_name=queue_name)

        publishing = await conn.channel()
        await publishing.confirm_select()

        published: dict[bytes, float] = {}  # body -> loop time its publish started
        confirmed: set[bytes] = set()
        failed: dict[bytes, BaseException] = {}

        async def publish(body: bytes) -> None:
            published[body] = loop.time()
            try:
                await publishing.publish(body, "", queue_name)
            except REPORTED_FAILED as exc:
                failed[body] = exc
            else:
                confirmed.add(body)

        first_protocol = conn.protocol
        interval = SECONDS / MESSAGES
        kill_index = int(MESSAGES * KILL_AT)
        killing = None
        killed_at = 0.0
        tasks = []
        start = loop.time()
        for i in range(MESSAGES):
            delay = start + i * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if i == kill_index:
                killed = cluster.node_of(conn.protocol)
                killed_at = loop.time()
                killing = asyncio.create_task(cluster.kill(killed))
            tasks.append(asyncio.create_task(publish(b"message %d" % i)))
        await killing
        results = await asyncio.gather(*tasks, return_exceptions=True)
        unexpected = [result for result in results if isinstance(result, BaseException)]
        published_for = loop.time() - start

        # The consumer catches up with everything the broker confirmed.
        try:
            async with asyncio.timeout(CONSUME_WAIT):
                while not confirmed <= consumed.keys():
                    consumed_more.clear()
                    await consumed_more.wait()
        except TimeoutError:
            pass

        restored_at = reconnects[0][0] if reconnects else None
        after_restore = [b for b, t in published.items() if restored_at and t > restored_at]
        confirmed_after_restore = sum(1 for body in after_restore if body in confirmed)
        print(
            f"\nnode {killed} killed after {kill_index} of {MESSAGES} publishes;"
            f" {len(reconnects)} reconnect(s), first"
            f" {(restored_at - killed_at) if restored_at else float('nan'):.2f} s after the kill,"
            f" to node {cluster.node_of(conn.protocol)}; published in {published_for:.1f} s:"
            f" {len(confirmed)} confirmed, {len(failed)} reported failed"
            f" ({collections.Counter(type(exc).__name__ for exc in failed.values())}),"
            f" {len(consumed)} consumed ({sum(consumed.values()) - len(consumed)} duplicates);"
            f" after the restore {confirmed_after_restore}/{len(after_restore)} confirmed"
        )

        assert not unexpected, f"publish raised something else than {REPORTED_FAILED}: {unexpected}"
        assert len(confirmed) + len(failed) == MESSAGES == len(published)
        missing = confirmed - consumed.keys()
        assert (
            not missing
        ), f"{len(missing)} confirmed messages never consumed, e.g. {sorted(missing)[:5]}"
        assert consumed.keys() <= published.keys()

        # It failed over: a new connection, on a node that is alive, with everything restored.
        assert reconnects, "on_reconnect never called"
        assert conn.protocol is not first_protocol
        assert cluster.node_of(conn.protocol) != killed
        assert not restore_errors, f"restoring failed: {restore_errors}"
        # ... and went on: what was published once it was back got confirmed.
        assert after_restore, "no reconnection within the publishing window"
        assert confirmed_after_restore >= 0.9 * len(after_restore)
    finally:
        try:
            async with asyncio.timeout(15):
                await conn.close()
        finally:
            if killed is not None:
                await cluster.restart(killed)
