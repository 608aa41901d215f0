"""publish and consume."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from .. import exceptions
from ..channel import Channel
from ..envelope import Envelope, ReturnEnvelope
from ._util import (
    CliError,
    Context,
    body_fields,
    bounded_int,
    channel_close_reason,
    describe,
    json_safe,
    key_value,
    positive_float,
)

CONFIRM_WINDOW = 256  # unconfirmed publishes in flight at once


class Confirmer:
    """Publishes with at most `window` messages awaiting their confirm; counts the outcomes."""

    def __init__(self, channel: Channel, window: int) -> None:
        self.channel = channel
        self.slots = asyncio.Semaphore(window)
        self.tasks: set[asyncio.Task[None]] = set()
        self.acked = 0
        self.nacked = 0
        self.error: BaseException | None = None

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        if self.error is not None:
            raise self.error
        await self.slots.acquire()
        task = asyncio.get_running_loop().create_task(self._one(args, kwargs))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _one(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            await self.channel.publish(*args, **kwargs)
        except exceptions.PublishFailed:
            self.nacked += 1
        except (exceptions.AioamqpException, OSError) as exc:
            if self.error is None:
                self.error = exc
        else:
            self.acked += 1
        finally:
            self.slots.release()

    async def drain(self, timeout: float | None = None) -> int:
        """Wait for the outstanding confirms; returns how many did not come in time."""
        pending = set(self.tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
            for task in pending:
                task.cancel()
        return len(pending)


# -- publish ----------------------------------------------------------------------------------


def _read_body(args: argparse.Namespace) -> bytes:
    if args.body is not None and args.file is not None:
        raise CliError("give the body as an argument or with --file, not both", 2)
    if args.body is None and args.file is None:
        raise CliError("no message body: give BODY, --file PATH, or - to read standard input", 2)
    if args.body == "-" or args.file == "-":
        return sys.stdin.buffer.read()
    if args.file is not None:
        try:
            with open(args.file, "rb") as f:
                return f.read()
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror or exc}", 1) from None
    return str(args.body).encode("utf-8")


def _properties(args: argparse.Namespace) -> dict[str, Any]:
    values = {
        "content_type": args.content_type,
        "content_encoding": args.content_encoding,
        "headers": dict(args.header) if args.header else None,
        "delivery_mode": 2 if args.persistent else args.delivery_mode,
        "priority": args.priority,
        "correlation_id": args.correlation_id,
        "reply_to": args.reply_to,
        "expiration": None if args.expiration is None else str(args.expiration),
        "message_id": args.message_id,
        "message_type": args.type,
        "user_id": args.user_id,
        "app_id": args.app_id,
    }
    return {name: value for name, value in values.items() if value is not None}


async def publish(ctx: Context) -> int:
    args = ctx.args
    body = _read_body(args)
    properties = _properties(args) or None
    returns: list[ReturnEnvelope] = []

    def on_return(channel: Channel, body: bytes, envelope: ReturnEnvelope, props: Any) -> None:
        returns.append(envelope)

    async with ctx.connect() as protocol:
        channel = await protocol.channel(return_callback=on_return)
        publish_args = (body, args.exchange, args.routing_key, properties, args.mandatory)
        nacked = 0
        if args.confirm:
            await channel.confirm_select()
            confirmer = Confirmer(channel, CONFIRM_WINDOW)
            for _ in range(args.count):
                await confirmer.publish(*publish_args)
            await confirmer.drain()
            if confirmer.error is not None:
                raise confirmer.error
            nacked = confirmer.nacked
        else:
            for sent in range(1, args.count + 1):
                await channel.publish(*publish_args)
                if sent % 100 == 0:
                    await asyncio.sleep(0)  # let the frame reader run
            # A round trip: a refusal (channel.close, e.g. no such exchange) or a return comes
            # before the reply to a later request on the same channel.
            await channel.basic_qos()
        await asyncio.sleep(0)  # the return callback runs before we look at `returns`
    problems = []
    if nacked:
        problems.append(f"the broker nacked {nacked} of {args.count} message(s)")
    if returns:
        first = returns[0]
        problems.append(
            f"{len(returns)} of {args.count} message(s) returned as unroutable: "
            f"{first.reply_text} ({first.reply_code}), exchange {first.exchange_name!r}, "
            f"routing key {first.routing_key!r}"
        )
    if problems:
        raise CliError("; ".join(problems))
    return 0


# -- consume ----------------------------------------------------------------------------------

_CANCELLED = "cancelled"
_CLOSED = "closed"
_INTERRUPTED = "interrupted"


def _format(body: bytes, envelope: Envelope, properties: Any, as_json: bool) -> str:
    if not as_json:
        return body.decode("utf-8", errors="replace")
    record = {
        **body_fields(body),
        "exchange": envelope.exchange_name,
        "routing_key": envelope.routing_key,
        "delivery_tag": envelope.delivery_tag,
        "redelivered": envelope.is_redeliver,
        "consumer_tag": envelope.consumer_tag,
        "properties": json_safe(properties.to_dict()) if properties is not None else {},
    }
    return json.dumps(record, ensure_ascii=False)


async def consume(ctx: Context) -> int:
    args = ctx.args
    count: int | None = args.count
    mode = "none" if args.ack == "auto" else args.ack
    # With --count, even --ack none acknowledges (on receipt): a no_ack consumer would take,
    # and lose, the messages that arrive after the count is reached.
    no_ack = mode == "none" and count is None
    prefetch = args.prefetch
    if count is not None:
        prefetch = min(prefetch, count) if prefetch else count
    inbox: asyncio.Queue[Any] = asyncio.Queue()

    def on_message(channel: Channel, body: bytes, envelope: Envelope, properties: Any) -> None:
        inbox.put_nowait((body, envelope, properties))

    async with ctx.connect() as protocol:
        channel = await protocol.channel()
        channel.add_cancellation_callback(lambda channel, tag: inbox.put_nowait(_CANCELLED))
        if not no_ack:
            await channel.basic_qos(prefetch_count=prefetch)
        consumer = await channel.basic_consume(on_message, queue_name=args.queue, no_ack=no_ack)
        tag = consumer["consumer_tag"]
        ctx.on_interrupt = lambda: inbox.put_nowait(_INTERRUPTED)
        watcher = asyncio.get_running_loop().create_task(channel.wait_closed())
        watcher.add_done_callback(lambda _: inbox.put_nowait(_CLOSED))
        received = 0
        try:
            while count is None or received < count:
                try:
                    item = await asyncio.wait_for(inbox.get(), args.timeout)
                except asyncio.TimeoutError:
                    if count is not None:
                        raise CliError(
                            f"idle for {args.timeout:g} s: {received} of {count} message(s) "
                            "received"
                        ) from None
                    break
                if item == _INTERRUPTED:
                    break
                if item == _CANCELLED:
                    raise CliError(f"the broker cancelled the consumer (queue {args.queue} gone?)")
                if item == _CLOSED:
                    raise CliError(describe(channel_close_reason(channel)))
                body, envelope, properties = item
                received += 1
                last = received == count
                if last:  # no more deliveries: the ones after the count stay in the queue
                    await channel.basic_cancel(tag)
                if mode == "none" and not no_ack:
                    await channel.basic_client_ack(envelope.delivery_tag)
                # A closed pipe (`| head`) raises here, before the ack: the message stays queued.
                sys.stdout.write(_format(body, envelope, properties, args.json) + "\n")
                if last or inbox.empty():
                    sys.stdout.flush()
                if mode == "manual":
                    await channel.basic_client_ack(envelope.delivery_tag)
        finally:
            watcher.cancel()
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "publish",
        parents=[common],
        help="publish a message",
        description="Publish a message: BODY, --file PATH, or - for standard input.",
    )
    p.add_argument("body", nargs="?", metavar="BODY", help="the body as text; - reads stdin")
    p.add_argument("-f", "--file", metavar="PATH", help="read the body from a file (- for stdin)")
    p.add_argument("-x", "--exchange", default="", help="default: '' (the default exchange)")
    p.add_argument("-r", "--routing-key", default="", help="default: ''")
    p.add_argument("--content-type")
    p.add_argument("--content-encoding")
    p.add_argument("--delivery-mode", type=int, choices=(1, 2), help="1 transient, 2 persistent")
    p.add_argument("--persistent", action="store_true", help="same as --delivery-mode 2")
    p.add_argument("--correlation-id")
    p.add_argument("--reply-to")
    p.add_argument("--message-id")
    p.add_argument("--expiration", type=bounded_int(0), metavar="MS", help="per-message TTL")
    p.add_argument("--priority", type=bounded_int(0, 255))
    p.add_argument("--app-id")
    p.add_argument("--user-id", help="must be the connection's user (RabbitMQ checks)")
    p.add_argument("--type", help="the message type property")
    p.add_argument(
        "-H",
        "--header",
        action="append",
        type=key_value(False),
        metavar="KEY=VALUE",
        help="a header (repeatable); integer values are sent as integers, the rest as text",
    )
    p.add_argument("--mandatory", action="store_true", help="fail if no queue gets the message")
    p.add_argument(
        "--confirm", action="store_true", help="wait for publisher confirms; fail on a nack"
    )
    p.add_argument("-n", "--count", type=bounded_int(1), default=1, help="publish N copies")
    p.set_defaults(func=publish)

    p = sub.add_parser(
        "consume",
        parents=[common],
        help="print messages from a queue",
        description="Print the messages of a queue, one per line (or one JSON object per line).",
    )
    p.add_argument("queue")
    p.add_argument(
        "-n", "--count", type=bounded_int(1), help="stop after N messages (default: Ctrl-C)"
    )
    p.add_argument(
        "--prefetch",
        type=bounded_int(0, 65535),
        default=100,
        help="unacknowledged messages in flight (default 100; 0: no limit)",
    )
    p.add_argument(
        "--ack",
        choices=("manual", "none", "auto"),
        default="manual",
        help="manual (default): acknowledge each message once printed; none (or auto): the "
        "broker acknowledges on delivery (no_ack)",
    )
    p.add_argument(
        "--timeout", type=positive_float, metavar="SECONDS", help="stop when idle this long"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per message")
    p.set_defaults(func=consume)
