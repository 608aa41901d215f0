"""perf: a throughput and latency test, in the spirit of RabbitMQ's PerfTest.

Producers and consumers run in this process, each on its own connection. Every body starts
with the producer's time.perf_counter_ns() (8 bytes, big-endian), so a consumer's latency is
its own perf_counter_ns() minus that: the same clock, no synchronisation needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import time
import uuid
from typing import Any, TextIO

from .. import exceptions
from ..channel import Channel
from ..envelope import Envelope
from ..protocol import AmqpProtocol
from ._messages import Confirmer
from ._perf_stats import Stats, human_summary, progress_line
from ._util import (
    CliError,
    Context,
    bounded_int,
    close_connection,
    describe,
    open_connection,
    positive_float,
)

_STAMP = struct.Struct(">Q")
STOP_GRACE = 5.0  # seconds for producers and outstanding confirms to finish after the stop


class Perf:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.args = ctx.args
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.errors: list[BaseException] = []
        self.connections: list[tuple[asyncio.Transport, AmqpProtocol]] = []
        self.queue = self.args.queue or f"aioamqp-perf-{uuid.uuid4().hex[:12]}"
        self.padding = bytes(self.args.size - _STAMP.size)
        self.properties = {"delivery_mode": 2} if self.args.persistent else None
        self.unconfirmed = 0

    def fail(self, exc: BaseException) -> None:
        """A worker failed: stop the run, report the first failure."""
        if self.stats.running:
            self.errors.append(exc)
            self.stop.set()

    async def connect(self) -> AmqpProtocol:
        transport, protocol = await open_connection(self.ctx.url, on_error=self.fail)
        self.connections.append((transport, protocol))
        return protocol

    # -- set-up -------------------------------------------------------------------------------

    async def declare_queue(self, channel: Channel) -> bool:
        """Declare the queue; True if we created it (and so delete it at the end)."""
        args = self.args
        if args.queue:
            check = await (await self.connect()).channel()
            try:
                await check.queue_declare(args.queue, passive=True)
                return False
            except exceptions.ChannelClosed as exc:
                if exc.code != 404:
                    raise
        arguments = None
        if args.consumers:  # a safety net if we die: gone a minute after its consumers
            arguments = {"x-expires": 60_000}
        elif args.duration:
            arguments = {"x-expires": int((args.duration + 60) * 1000)}
        await channel.queue_declare(self.queue, auto_delete=True, arguments=arguments)
        return True

    async def start_consumer(self) -> None:
        protocol = await self.connect()
        channel = await protocol.channel()
        stats, multi_ack, no_ack = self.stats, self.args.multi_ack, self.args.auto_ack
        stop = self.stop
        unacked = 0

        async def on_message(channel: Channel, body: bytes, envelope: Envelope, _: Any) -> None:
            nonlocal unacked
            if stop.is_set():  # the rates cover the run until the stop, and only that
                return
            now = time.perf_counter_ns()
            stats.received += 1
            stats.window_received += 1
            if len(body) >= 8:
                stats.window_latencies.append(now - _STAMP.unpack_from(body)[0])
            if no_ack:
                return
            unacked += 1
            if unacked >= multi_ack:
                unacked = 0
                try:
                    await channel.basic_client_ack(envelope.delivery_tag, multiple=multi_ack > 1)
                except exceptions.AioamqpException as exc:
                    self.fail(exc)

        def on_cancel(channel: Channel, tag: str) -> None:
            self.fail(CliError(f"the broker cancelled a consumer (queue {self.queue} deleted?)"))

        channel.add_cancellation_callback(on_cancel)
        if not no_ack:
            await channel.basic_qos(prefetch_count=self.args.prefetch)
        await channel.basic_consume(on_message, queue_name=self.queue, no_ack=no_ack)

    async def start_producer(self) -> tuple[Channel, Confirmer | None]:
        protocol = await self.connect()

        def on_return(channel: Channel, *_: Any) -> None:
            self.stats.returned += 1

        channel = await protocol.channel(return_callback=on_return)
        confirmer = None
        if self.args.confirm:
            await channel.confirm_select()
            confirmer = Confirmer(channel, self.args.confirm)
        return channel, confirmer

    # -- running ------------------------------------------------------------------------------

    async def produce(self, channel: Channel, confirmer: Confirmer | None) -> None:
        loop = asyncio.get_running_loop()
        stats, stop, rate = self.stats, self.stop, self.args.rate
        padding, properties, queue = self.padding, self.properties, self.queue
        mandatory = self.args.mandatory
        start = loop.time()
        count = 0
        try:
            while not stop.is_set():
                if rate:
                    ahead = count / rate - (loop.time() - start)  # seconds ahead of schedule
                    if ahead > 0:
                        if ahead > 0.05:
                            try:
                                await asyncio.wait_for(stop.wait(), ahead)
                            except asyncio.TimeoutError:
                                pass
                        else:
                            await asyncio.sleep(ahead)
                        continue
                body = _STAMP.pack(time.perf_counter_ns()) + padding
                if confirmer is not None:
                    await confirmer.publish(body, "", queue, properties, mandatory)
                else:
                    await channel.publish(body, "", queue, properties, mandatory)
                    # publish() returns without waiting while the socket takes the bytes: yield,
                    # or consumers in this process starve and latency measures our backlog
                    await asyncio.sleep(0)
                count += 1
                stats.sent += 1
                stats.window_sent += 1
        finally:
            if confirmer is not None:
                self.unconfirmed += await confirmer.drain(STOP_GRACE)
                stats.confirmed += confirmer.acked
                stats.nacked += confirmer.nacked
                if confirmer.error is not None:
                    self.fail(confirmer.error)

    async def report(self, start: float, out: TextIO | None) -> None:
        """Every second: close the stats window and, if asked, update the progress line."""
        loop = asyncio.get_running_loop()
        tick = 1
        width = 0
        while True:
            await asyncio.sleep(max(0.0, start + tick - loop.time()))
            sent, received, latencies = self.stats.window()
            if out is not None:
                line = progress_line(loop.time() - start, sent, received, latencies)
                try:
                    out.write("\r" + line.ljust(width))
                    out.flush()
                except OSError:  # the terminal or pipe went away: run on without progress
                    out = None
                width = len(line)
            tick += 1

    async def run(self) -> int:
        args = self.args
        loop = asyncio.get_running_loop()
        admin: Channel | None = None
        created = False
        workers: list[asyncio.Task[None]] = []
        reporter: asyncio.Task[None] | None = None
        out = _progress_stream(args)
        try:
            admin = await (await self.connect()).channel()
            created = await self.declare_queue(admin)
            for _ in range(args.consumers):
                await self.start_consumer()
            producers = [await self.start_producer() for _ in range(args.producers)]
            self.ctx.on_interrupt = self.stop.set
            start = loop.time()
            reporter = loop.create_task(self.report(start, out))
            for channel, confirmer in producers:
                task = loop.create_task(self.produce(channel, confirmer))
                task.add_done_callback(self._worker_done)
                workers.append(task)
            try:
                await asyncio.wait_for(self.stop.wait(), args.duration)
            except asyncio.TimeoutError:
                pass
            self.stop.set()
            elapsed = loop.time() - start
            if workers:
                _, late = await asyncio.wait(workers, timeout=STOP_GRACE)
                for task in late:
                    task.cancel()
            self.stats.running = False
            reporter.cancel()
            self.stats.window()  # fold the last partial second into the totals
            if out is not None:
                out.write("\n")
                out.flush()
            summary = self.summary(elapsed)
            if args.json:
                print(json.dumps(summary), flush=True)
            else:
                print(human_summary(summary), flush=True)
        finally:
            self.stats.running = False
            if reporter is not None:
                reporter.cancel()
            for task in workers:
                task.cancel()
            if workers:
                await asyncio.wait(workers)
            await self.close(admin if created else None)
        if self.errors:
            raise CliError(describe(self.errors[0]))
        return 0

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.fail(task.exception())  # type: ignore[arg-type]

    async def close(self, admin: Channel | None) -> None:
        """Close producers and consumers, delete the queue we created, close the admin
        connection last."""
        connections, self.connections = self.connections, []
        if connections:
            await asyncio.gather(*(close_connection(t, p) for t, p in connections[1:]))
        if admin is not None and admin.is_open:
            try:
                await asyncio.wait_for(admin.queue_delete(self.queue), STOP_GRACE)
            except (exceptions.AioamqpException, asyncio.TimeoutError):
                pass
        if connections:
            await close_connection(*connections[0])

    def summary(self, elapsed: float) -> dict[str, Any]:
        stats, args = self.stats, self.args
        return {
            "duration_s": round(elapsed, 3),
            "producers": args.producers,
            "consumers": args.consumers,
            "size": args.size,
            "rate_limit": args.rate or None,
            "confirm_window": args.confirm,
            "queue": self.queue,
            "sent": stats.sent,
            "received": stats.received,
            "send_rate": round(stats.sent / elapsed, 1) if elapsed else 0.0,
            "receive_rate": round(stats.received / elapsed, 1) if elapsed else 0.0,
            "confirmed": stats.confirmed if args.confirm else None,
            "nacked": stats.nacked if args.confirm else None,
            "unconfirmed": self.unconfirmed if args.confirm else None,
            "returned": stats.returned,
            "latency_ms": stats.latency_ms(),
            "interrupted": bool(self.ctx.interrupted),
        }


def _progress_stream(args: argparse.Namespace) -> TextIO | None:
    """Progress goes to stdout, or stderr when stdout carries JSON; on a terminal or if asked."""
    out = sys.stderr if args.json else sys.stdout
    wanted = args.progress if args.progress is not None else out.isatty()
    return out if wanted else None


async def perf(ctx: Context) -> int:
    return await Perf(ctx).run()


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "perf",
        parents=[common],
        help="measure throughput and latency",
        description="Publish and consume as fast as allowed and report rates and latency "
        "(each producer and consumer on its own connection).",
    )
    p.add_argument("-x", "--producers", type=bounded_int(0), default=1, metavar="N")
    p.add_argument("-y", "--consumers", type=bounded_int(0), default=1, metavar="N")
    p.add_argument(
        "-s",
        "--size",
        type=bounded_int(_STAMP.size),
        default=12,
        metavar="BYTES",
        help="message size (default 12; the first 8 bytes carry the send time)",
    )
    p.add_argument(
        "-r",
        "--rate",
        type=bounded_int(0),
        default=0,
        metavar="MSGS_PER_S",
        help="per producer; 0 (default): unlimited",
    )
    p.add_argument(
        "-c",
        "--confirm",
        nargs="?",
        const=100,
        type=bounded_int(1),
        metavar="WINDOW",
        help="publisher confirms, at most WINDOW unconfirmed per producer (default 100)",
    )
    p.add_argument(
        "-z",
        "--duration",
        type=positive_float,
        metavar="SECONDS",
        help="stop after this long (default: at Ctrl-C)",
    )
    p.add_argument("-u", "--queue", help="default: a fresh auto-delete queue, deleted at the end")
    p.add_argument(
        "-q",
        "--prefetch",
        type=bounded_int(0, 65535),
        default=1000,
        metavar="N",
        help="per consumer (default 1000; 0: no limit)",
    )
    p.add_argument("--multi-ack", type=bounded_int(1), default=1, metavar="N", help="ack every N")
    p.add_argument("-a", "--auto-ack", action="store_true", help="consumers use no_ack")
    p.add_argument("--persistent", action="store_true", help="delivery mode 2")
    p.add_argument("--mandatory", action="store_true", help="publish as mandatory")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a live line every second (default: when the output is a terminal)",
    )
    p.add_argument("--json", action="store_true", help="the summary as one JSON object")
    p.set_defaults(func=perf)
