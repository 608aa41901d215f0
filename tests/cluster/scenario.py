"""The failover scenario of issue 13, reproducible: a node dies under a confirmed publisher.

A durable quorum queue whose leader is on the node the producer is connected to. A producer and
a consumer (manual acks) each on its own aioamqp.robust connection over the three nodes. The
producer publishes `messages` bodies of 256 bytes with confirms, at `rate` per second and at most
`window` unconfirmed at once; when message `kill_at` is due, the producer's node (the queue's
leader) is killed with kill -9 (mode "kill") or stopped with rabbitmqctl stop_app (mode
"stop_app"). Once every publish has returned or raised and the consumer has caught up, what is
left in the queue is drained, and the report says what became of each message.

    .venv/bin/python tests/cluster/scenario.py                  # the issue's figures
    .venv/bin/python tests/cluster/scenario.py --runs 3 --messages 5000 --kill-at 2000
    .venv/bin/python tests/cluster/scenario.py --mode stop_app --json

Needs the cluster of scripts/cluster.sh running (and root, for kill / restart). The killed node
is started again at the end unless --no-restart. run_scenario() is what tests/cluster uses.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import json
import logging
import math
import sys
import uuid
from pathlib import Path
from typing import Any

import aioamqp
from aioamqp import AmqpClosedConnection, ChannelClosed, PublishFailed, robust

HOST = "127.0.0.1"
PORTS = (5682, 5683, 5684)  # node 1, 2, 3
HOSTS = [f"{HOST}:{port}" for port in PORTS]
CLUSTER_SH = Path(__file__).resolve().parents[2] / "scripts" / "cluster.sh"
QUORUM = {"x-queue-type": "quorum"}
BODY_SIZE = 256
# What a publish may raise when its connection dies or the broker nacks: reported failed.
REPORTED_FAILED = (AmqpClosedConnection, PublishFailed, ChannelClosed)
COMMAND_TIMEOUT = 180.0


@dataclasses.dataclass
class Params:
    messages: int = 20000
    rate: float = 2000.0  # publishes started per second
    window: int = 100  # at most this many publishes unconfirmed at once
    kill_at: int = 8000  # the node goes when this message is due
    mode: str = "kill"  # "kill": kill -9; "stop_app": rabbitmqctl stop_app (graceful)
    republish: bool = False  # passed on to the producer's robust.connect (once it exists)
    prefetch: int = 100
    reconnect_delay: float = robust.RECONNECT_DELAY
    connection_timeout: float = 2.0
    catch_up: float = 60.0  # seconds for the consumer to catch up once publishing is over
    restart: bool = True  # start the node again at the end
    producer_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Report:
    params: Params
    queue: str
    node: int  # killed (or stopped): the producer's node and the queue's leader
    published: int = 0
    confirmed: int = 0
    failed: dict[str, int] = dataclasses.field(default_factory=dict)  # exception type -> count
    unexpected: list[str] = dataclasses.field(default_factory=list)  # anything else raised
    consumed: int = 0  # distinct messages the consumer got
    still_queued: int = 0  # distinct messages drained from the queue at the end
    lost: int = 0  # confirmed, but neither consumed nor still queued
    duplicates: int = 0  # deliveries (consumed or drained) beyond the first of each message
    # Duplicates that are neither a republished copy (robust.REPUBLISHED_HEADER) nor a redelivery.
    unexplained_duplicates: int = 0
    failed_delivered: int = 0  # raised, yet consumed or queued (a republish would duplicate it)
    kill_to_loss: float = math.nan  # from the kill command to the producer seeing the loss
    loss_to_reconnect: float = math.nan  # producer's loss to its first completed restoration
    loss_to_first_confirm: float = math.nan  # loss to the first confirm of a publish made after it
    failed_after_reconnect: int = 0  # publishes failed that were made after the restoration
    nacked_after_reconnect: int = 0
    producer_reconnects: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    consumer_reconnects: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    elapsed: float = 0.0

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def summary(self) -> str:
        p = self.params
        reconnects = ", ".join(f"+{t:.3f} s to node {n}" for t, n in self.producer_reconnects)
        return (
            f"{p.mode} node {self.node} at message {p.kill_at}/{p.messages}"
            f" ({p.rate:g}/s, window {p.window}, republish={p.republish}):"
            f" published {self.published}, confirmed {self.confirmed},"
            f" failed {self.failed_total} {self.failed or ''},"
            f" lost {self.lost}, duplicates {self.duplicates}"
            f" ({self.unexplained_duplicates} neither marked nor redelivered),"
            f" failed but delivered {self.failed_delivered};"
            f" loss seen {self.kill_to_loss:.3f} s after the kill,"
            f" reconnected {self.loss_to_reconnect:.3f} s after the loss ({reconnects}),"
            f" first confirm {self.loss_to_first_confirm:.3f} s after the loss;"
            f" after the reconnection {self.failed_after_reconnect} failed"
            f" ({self.nacked_after_reconnect} nacked);"
            f" consumed {self.consumed}, still queued {self.still_queued};"
            f" {self.elapsed:.1f} s"
            + (f"; UNEXPECTED {self.unexpected[:3]}" if self.unexpected else "")
        )

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["failed_total"] = self.failed_total
        return data


async def cluster_sh(*args: str) -> str:
    """Run scripts/cluster.sh; its output, or RuntimeError."""
    process = await asyncio.create_subprocess_exec(
        str(CLUSTER_SH),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            out, err = await process.communicate()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode:
        raise RuntimeError(
            f"scripts/cluster.sh {' '.join(args)} failed ({process.returncode}):\n"
            + (out + err).decode(errors="replace")
        )
    return out.decode()


def node_of(protocol: Any) -> int:
    """The node (1, 2 or 3) a connection talks to, from the peer's port."""
    return PORTS.index(protocol._transport.get_extra_info("peername")[1]) + 1


async def queue_leader(queue: str, ask: int) -> int:
    """The node holding the quorum queue's leader, asked of node `ask`."""
    out = await cluster_sh(
        "ctl", str(ask), "-q", "list_queues", "name", "leader", "--formatter", "json"
    )
    for row in json.loads(out):
        if row["name"] == queue:
            return int(row["leader"].split("@")[0].removeprefix("aioamqp"))
    raise RuntimeError(f"queue {queue} not listed by node {ask}")


async def plain_connection(avoid: int | None = None) -> tuple[Any, Any]:
    """A plain connection to the first node, but `avoid`, that takes one."""
    hosts = [h for n, h in enumerate(HOSTS, 1) if n != avoid]
    return await aioamqp.connect(hosts=hosts, connection_timeout=5)


async def close_quietly(transport: Any, protocol: Any) -> None:
    if protocol.state == aioamqp.protocol.OPEN:
        try:
            await protocol.close(timeout=5)
        except (AmqpClosedConnection, TimeoutError):
            pass
    transport.close()


def body_of(index: int) -> bytes:
    head = b"%08d " % index
    return head + b"x" * (BODY_SIZE - len(head))


def index_of(body: bytes) -> int:
    return int(body[:8])


async def run_scenario(params: Params | None = None, queue: str | None = None) -> Report:
    """Run the scenario once; the queue is deleted at the end."""
    params = params or Params()
    queue = queue or f"scenario.{uuid.uuid4().hex[:8]}"
    # With a node already down, killing another one takes the queue's majority away.
    await cluster_sh("status")
    loop = asyncio.get_running_loop()
    started = loop.time()
    losses: list[float] = []
    reconnects: list[tuple[float, int]] = []
    consumer_reconnects: list[tuple[float, int]] = []

    def on_reconnect(into: list[tuple[float, int]]) -> Any:
        return lambda protocol: into.append((loop.time(), node_of(protocol)))

    common: dict[str, Any] = dict(
        hosts=HOSTS,
        connection_timeout=params.connection_timeout,
        reconnect_delay=params.reconnect_delay,
    )
    producer_kwargs = dict(common, **params.producer_kwargs)
    if params.republish:
        producer_kwargs["republish"] = True
    producer = await robust.connect(
        on_error=lambda exc: losses.append(loop.time()),
        on_reconnect=on_reconnect(reconnects),
        **producer_kwargs,
    )
    node = node_of(producer.protocol)
    report = Report(params, queue, node)
    consumer = None
    stopped = False
    try:
        # The queue's leader goes where it is declared: on the producer's node.
        transport, protocol = await aioamqp.connect(HOST, PORTS[node - 1], connection_timeout=5)
        try:
            channel = await protocol.channel()
            await channel.queue_declare(queue, durable=True, arguments=QUORUM)
        finally:
            await close_quietly(transport, protocol)
        leader = await queue_leader(queue, node)
        if leader != node:
            raise RuntimeError(f"queue {queue}'s leader is on node {leader}, not on {node}")

        consumed: collections.Counter[int] = collections.Counter()
        plain: collections.Counter[int] = (
            collections.Counter()
        )  # copies neither marked nor redelivered
        consumed_more = asyncio.Event()

        def count_plain(body: bytes, redelivered: bool, properties: Any) -> None:
            if not redelivered and robust.REPUBLISHED_HEADER not in (properties.headers or {}):
                plain[index_of(body)] += 1

        async def on_message(channel: Any, body: bytes, envelope: Any, properties: Any) -> None:
            consumed[index_of(body)] += 1
            count_plain(body, envelope.is_redeliver, properties)
            consumed_more.set()
            try:
                await channel.basic_client_ack(envelope.delivery_tag)
            except (AmqpClosedConnection, ChannelClosed):
                pass  # a delivery of the dead connection: the broker delivers it again

        consumer = await robust.connect(on_reconnect=on_reconnect(consumer_reconnects), **common)
        consuming = await consumer.channel()
        await consuming.queue_declare(queue, durable=True, arguments=QUORUM)
        await consuming.basic_qos(prefetch_count=params.prefetch)
        await consuming.basic_consume(on_message, queue_name=queue)

        publishing = await producer.channel()
        await publishing.queue_declare(queue, durable=True, arguments=QUORUM)
        await publishing.confirm_select()

        begun: dict[int, float] = {}
        confirmed: dict[int, float] = {}
        failed: dict[int, BaseException] = {}
        unexpected: list[BaseException] = []
        window = asyncio.Semaphore(params.window)

        async def publish(index: int) -> None:
            begun[index] = loop.time()
            try:
                await publishing.publish(body_of(index), "", queue, properties={"delivery_mode": 2})
            except REPORTED_FAILED as exc:
                failed[index] = exc
            except Exception as exc:  # noqa: BLE001 -- reported, never swallowed
                unexpected.append(exc)
            else:
                confirmed[index] = loop.time()
            finally:
                window.release()

        killing: asyncio.Task[str] | None = None
        killed_at = math.nan
        tasks = []
        start = loop.time()
        for index in range(params.messages):
            await window.acquire()
            delay = start + index / params.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if index == params.kill_at:
                killed_at = loop.time()
                if params.mode == "kill":
                    killing = asyncio.create_task(cluster_sh("kill", str(node)))
                else:
                    killing = asyncio.create_task(cluster_sh("ctl", str(node), "-q", "stop_app"))
                stopped = True
            tasks.append(asyncio.create_task(publish(index)))
        if killing is not None:
            await killing
        await asyncio.gather(*tasks)
        report.published = len(begun)

        # The consumer catches up with what was confirmed (or goes quiet for 5 s).
        try:
            async with asyncio.timeout(params.catch_up):
                while not confirmed.keys() <= consumed.keys():
                    consumed_more.clear()
                    await asyncio.wait_for(consumed_more.wait(), 5)
        except TimeoutError:
            pass
        await consumer.close()  # its unacked deliveries go back to the queue
        consumer = None

        # What is left in the queue.
        queued: collections.Counter[int] = collections.Counter()
        transport, protocol = await plain_connection(avoid=node)
        try:
            channel = await protocol.channel()
            while True:
                got = await channel.basic_get(queue, no_ack=True, timeout=15)
                queued[index_of(got["message"])] += 1
                count_plain(got["message"], got["redelivered"], got["properties"])
        except aioamqp.EmptyQueue:
            pass
        finally:
            await close_quietly(transport, protocol)

        confirmed_set = confirmed.keys()
        seen = consumed.keys() | queued.keys()
        report.confirmed = len(confirmed)
        report.failed = dict(collections.Counter(type(exc).__name__ for exc in failed.values()))
        report.unexpected = [repr(exc) for exc in unexpected]
        report.consumed = len(consumed)
        report.still_queued = len(queued)
        report.lost = len(confirmed_set - seen)
        report.duplicates = sum(consumed.values()) + sum(queued.values()) - len(seen)
        report.unexplained_duplicates = sum(count - 1 for count in plain.values() if count > 1)
        report.failed_delivered = len(failed.keys() & seen)
        report.producer_reconnects = [(t - killed_at, n) for t, n in reconnects]
        report.consumer_reconnects = [(t - killed_at, n) for t, n in consumer_reconnects]
        if losses:
            lost_at = losses[0]
            report.kill_to_loss = lost_at - killed_at
            # Publishes made once the loss was seen: only the new connection can confirm them
            # (a confirm read with the old connection's last bytes may resume its caller later).
            after = [t for i, t in confirmed.items() if begun[i] >= lost_at]
            if after:
                report.loss_to_first_confirm = min(after) - lost_at
            if reconnects:
                back_at = reconnects[0][0]
                report.loss_to_reconnect = back_at - lost_at
                late = [i for i, exc in failed.items() if begun[i] >= back_at]
                report.failed_after_reconnect = len(late)
                report.nacked_after_reconnect = sum(
                    isinstance(failed[i], PublishFailed) for i in late
                )
        report.elapsed = loop.time() - started
        return report
    finally:
        try:
            if consumer is not None:
                await consumer.close()
            await producer.close()
        finally:
            try:
                await delete_queue(queue, avoid=node if stopped else None)
            finally:
                if stopped and params.restart:
                    if params.mode == "kill":
                        await cluster_sh("restart", str(node))
                    else:
                        await cluster_sh("ctl", str(node), "-q", "start_app")


async def delete_queue(queue: str, avoid: int | None = None) -> None:
    transport, protocol = await plain_connection(avoid)
    try:
        channel = await protocol.channel()
        await channel.queue_delete(queue, timeout=15)
    finally:
        await close_quietly(transport, protocol)


def main() -> int:
    defaults = Params()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", "-n", type=int, default=defaults.messages)
    parser.add_argument("--rate", type=float, default=defaults.rate)
    parser.add_argument("--window", type=int, default=defaults.window)
    parser.add_argument("--kill-at", type=int, default=defaults.kill_at)
    parser.add_argument("--mode", choices=("kill", "stop_app"), default=defaults.mode)
    parser.add_argument("--republish", action="store_true")
    parser.add_argument("--reconnect-delay", type=float, default=defaults.reconnect_delay)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-restart", action="store_true", help="leave the node down")
    parser.add_argument("--json", action="store_true", help="one JSON report a line")
    parser.add_argument("--log", default="ERROR", help="aioamqp log level (e.g. INFO)")
    args = parser.parse_args()
    logging.basicConfig(
        level=args.log.upper(), format="%(relativeCreated)9.1f %(name)s %(levelname)s %(message)s"
    )
    params = Params(
        messages=args.messages,
        rate=args.rate,
        window=args.window,
        kill_at=args.kill_at,
        mode=args.mode,
        republish=args.republish,
        reconnect_delay=args.reconnect_delay,
        restart=not args.no_restart,
    )
    status = 0
    for _ in range(args.runs):
        report = asyncio.run(run_scenario(params))
        print(json.dumps(report.as_dict()) if args.json else report.summary(), flush=True)
        if report.lost or report.unexpected:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
