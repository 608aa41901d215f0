"""Experiment: which channels does a surviving node nack after the quorum queue's leader crashed?

A quorum queue's leader is put on node 1; connections to nodes 2 and 3 are opened beforehand
(and one channel that has already published before the crash). Node 1 is killed (kill -9, or
rabbitmqctl stop_app with --mode stop_app). From the moment a watching connection to node 1 sees
the loss, probes start: each opens a channel (on a connection opened before the crash or on a
new one), turns confirms on, and publishes one message every 50 ms until the end, recording
which were acked (A) and which nacked (N). A sweep of channels, all opened at once on the shared
connections, make their first publish 0, 25, 50, ... ms after the loss (up to --sweep seconds).
With --restart-at, node 1 is started again that many seconds after the loss while the probes
go on.

    .venv/bin/python tests/cluster/nack_probe.py [--mode kill|stop_app] [--watch 5]
        [--sweep 1.0] [--restart-at 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import sys
import time
import uuid
from typing import Any

import aioamqp
from aioamqp import PublishFailed
from scenario import HOST, PORTS, QUORUM, close_quietly, cluster_sh, queue_leader

INTERVAL = 0.05
STEP_MS = 25  # between the first publishes of the sweep's channels


@dataclasses.dataclass
class Probe:
    name: str
    node: int  # 2 or 3
    open_after: float  # seconds after the loss the channel is opened
    publish_after: float | None = None  # first publish (default: right after opening)
    new_connection: bool = True  # else the shared connection opened before the crash
    outcomes: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    opened_at: float = 0.0

    def line(self) -> str:
        acks = [t for t, o in self.outcomes if o == "ack"]
        nacks = [t for t, o in self.outcomes if o == "nack"]
        other = [o for _, o in self.outcomes if o not in ("ack", "nack")]
        first_ack = f"{acks[0]:.3f}" if acks else "-"
        last_nack = f"{nacks[-1]:.3f}" if nacks else "-"
        pattern = "".join(
            "A" if o == "ack" else "N" if o == "nack" else "x" for _, o in self.outcomes
        )
        return (
            f"{self.name:34} node {self.node} opened +{self.opened_at:.3f} s:"
            f" {len(acks):3} acked, {len(nacks):3} nacked, {len(other)} other;"
            f" first ack +{first_ack}, last nack +{last_nack}  {pattern[:60]}"
        )


async def run(mode: str, watch: float, sweep: float, restart_at: float | None) -> None:
    loop = asyncio.get_running_loop()
    queue = f"probe.{uuid.uuid4().hex[:8]}"
    await cluster_sh("status")  # all three nodes up
    t1, p1 = await aioamqp.connect(HOST, PORTS[0])
    ch = await p1.channel()
    await ch.queue_declare(queue, durable=True, arguments=QUORUM)
    assert await queue_leader(queue, 2) == 1
    lost = asyncio.Event()
    lost_at = [0.0]

    def on_lost(exc: BaseException) -> None:
        if not lost.is_set():
            lost_at[0] = loop.time()
            lost.set()

    shared = {n: await aioamqp.connect(HOST, PORTS[n - 1]) for n in (2, 3)}
    # A channel that published (and got acked) before the crash.
    warm = await shared[2][1].channel()
    await warm.confirm_select()
    await warm.publish(b"warm", "", queue)
    # A watcher on node 1 that sees the loss.
    watcher, _ = await aioamqp.connect(HOST, PORTS[0], on_error=on_lost)

    probes = [
        Probe("new conn, open at +0", 2, 0.0),
        Probe("new conn, open at +0", 3, 0.0),
        Probe("shared conn, open at +0", 2, 0.0, new_connection=False),
    ]
    # Channels opened on the shared connections right away, first publish later and later.
    for step in range(0, int(sweep * 1000) + 1, STEP_MS):
        node = 2 + (step // STEP_MS) % 2
        name = f"open +0, first publish +{step}ms"
        probes.append(Probe(name, node, 0.0, step / 1000, new_connection=False))
    opened: list[tuple[Any, Any]] = []

    async def probe(p: Probe) -> None:
        await asyncio.sleep(max(0.0, lost_at[0] + p.open_after - loop.time()))
        if p.new_connection:
            conn = await aioamqp.connect(HOST, PORTS[p.node - 1])
            opened.append(conn)
            protocol = conn[1]
        else:
            protocol = shared[p.node][1]
        channel = await protocol.channel()
        await channel.confirm_select()
        p.opened_at = loop.time() - lost_at[0]
        if p.publish_after is not None:
            await asyncio.sleep(max(0.0, lost_at[0] + p.publish_after - loop.time()))
        end = lost_at[0] + watch
        while loop.time() < end:
            sent = loop.time()
            try:
                await asyncio.wait_for(channel.publish(b"probe", "", queue), 10)
                outcome = "ack"
            except PublishFailed:
                outcome = "nack"
            except Exception as exc:  # noqa: BLE001
                outcome = type(exc).__name__
                p.outcomes.append((sent - lost_at[0], outcome))
                return
            p.outcomes.append((sent - lost_at[0], outcome))
            await asyncio.sleep(max(0.0, sent + INTERVAL - loop.time()))

    warm_probe = Probe("warm channel (published pre-crash)", 2, 0.0, new_connection=False)

    async def warm_run() -> None:
        end = lost_at[0] + watch
        while loop.time() < end:
            sent = loop.time()
            try:
                await asyncio.wait_for(warm.publish(b"warm", "", queue), 10)
                outcome = "ack"
            except PublishFailed:
                outcome = "nack"
            except Exception as exc:  # noqa: BLE001
                outcome = type(exc).__name__
            warm_probe.outcomes.append((sent - lost_at[0], outcome))
            await asyncio.sleep(max(0.0, sent + INTERVAL - loop.time()))

    kill_started = loop.time()
    if mode == "kill":
        killing = asyncio.create_task(cluster_sh("kill", "1"))
    else:
        killing = asyncio.create_task(cluster_sh("ctl", "1", "-q", "stop_app"))
    restarted = False

    async def restart() -> None:
        nonlocal restarted
        restarted = True
        if mode == "kill":
            await cluster_sh("restart", "1")
        else:
            await cluster_sh("ctl", "1", "-q", "start_app")

    async def restart_later() -> None:
        if restart_at is None:
            return
        await asyncio.sleep(max(0.0, lost_at[0] + restart_at - loop.time()))
        await restart()
        print(f"node 1 back at +{loop.time() - lost_at[0]:.3f} s")

    try:
        await lost.wait()
        wall = time.time() - (loop.time() - lost_at[0])
        print(
            f"loss seen {lost_at[0] - kill_started:.3f} s after the {mode} command started,"
            f" at {datetime.datetime.fromtimestamp(wall, datetime.timezone.utc):%H:%M:%S.%f} UTC"
        )
        await killing
        await asyncio.gather(warm_run(), restart_later(), *(probe(p) for p in probes))
        leader = await queue_leader(queue, 2)
        print(f"new leader: node {leader}")
        for p in [warm_probe, *probes]:
            print(p.line())
    finally:
        try:
            for conn in [*opened, *shared.values()]:
                await close_quietly(*conn)
            watcher.close()
            t1.close()
            t, p = await aioamqp.connect(HOST, PORTS[1])
            c = await p.channel()
            await c.queue_delete(queue)
            await close_quietly(t, p)
        finally:
            if not restarted:
                await restart()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("kill", "stop_app"), default="kill")
    parser.add_argument("--watch", type=float, default=5.0, help="seconds of publishing")
    parser.add_argument("--sweep", type=float, default=1.0, help="latest first publish, s")
    parser.add_argument("--restart-at", type=float, help="bring node 1 back while watching")
    args = parser.parse_args()
    asyncio.run(run(args.mode, args.watch, args.sweep, args.restart_at))
    return 0


if __name__ == "__main__":
    sys.exit(main())
