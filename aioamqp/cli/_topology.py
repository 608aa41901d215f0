"""declare, delete, purge, bind and unbind: queues, exchanges and the bindings between them."""

from __future__ import annotations

import argparse
from typing import Any

from ._util import Context, CliError, err, key_value, print_json, table

EXCHANGE_TYPES = "direct, fanout, topic, headers, or a plugin's type such as x-delayed-message"


def _report(ctx: Context, text: str, data: dict[str, Any]) -> None:
    if ctx.args.json:
        print_json(data)
    else:
        print(text, flush=True)


async def declare(ctx: Context) -> int:
    args = ctx.args
    arguments = table(args.arg)
    async with ctx.connect() as protocol:
        channel = await protocol.channel()
        if args.kind == "queue":
            result = await channel.queue_declare(
                args.name,
                passive=args.passive,
                durable=args.durable,
                exclusive=args.exclusive,
                auto_delete=args.auto_delete,
                arguments=arguments,
                server_named=not args.name,
            )
            assert result is not None
            name, messages, consumers = (
                result["queue"],
                result["message_count"],
                result["consumer_count"],
            )
            if args.exclusive and not args.passive:
                err("note: an exclusive queue is deleted when this command's connection closes")
            _report(
                ctx,
                f"queue {name}: {messages} message(s), {consumers} consumer(s)",
                {"queue": name, "message_count": messages, "consumer_count": consumers},
            )
        else:
            if not args.name:
                raise CliError("an exchange needs a name (the default exchange always exists)", 2)
            await channel.exchange_declare(
                args.name,
                args.type,
                passive=args.passive,
                durable=args.durable,
                auto_delete=args.auto_delete,
                arguments=arguments,
                internal=args.internal,
            )
            _report(
                ctx,
                f"exchange {args.name}: {'exists' if args.passive else 'declared'}"
                + ("" if args.passive else f" (type {args.type})"),
                {"exchange": args.name, "type": None if args.passive else args.type},
            )
    return 0


async def delete(ctx: Context) -> int:
    args = ctx.args
    async with ctx.connect() as protocol:
        channel = await protocol.channel()
        if args.kind == "queue":
            result = await channel.queue_delete(
                args.name, if_unused=args.if_unused, if_empty=args.if_empty
            )
            assert result is not None
            messages = result["message_count"]
            _report(
                ctx,
                f"queue {args.name}: deleted ({messages} message(s) with it)",
                {"queue": args.name, "deleted": True, "message_count": messages},
            )
        else:
            if args.if_empty:
                raise CliError("--if-empty applies to queues only", 2)
            await channel.exchange_delete(args.name, if_unused=args.if_unused)
            _report(
                ctx,
                f"exchange {args.name}: deleted",
                {"exchange": args.name, "deleted": True},
            )
    return 0


async def purge(ctx: Context) -> int:
    async with ctx.connect() as protocol:
        channel = await protocol.channel()
        result = await channel.queue_purge(ctx.args.queue)
        assert result is not None
        messages = result["message_count"]
        _report(
            ctx,
            f"queue {ctx.args.queue}: purged {messages} message(s)",
            {"queue": ctx.args.queue, "message_count": messages},
        )
    return 0


def binding_target(args: argparse.Namespace) -> tuple[str, str, str]:
    """(kind, destination, source) from `[queue|exchange] DEST SOURCE`."""
    names = list(args.names)
    kind = "exchange" if args.exchange_to_exchange else "queue"
    if len(names) == 3:
        if names[0] not in ("queue", "exchange"):
            raise CliError(
                f"expected 'queue' or 'exchange' before the two names, not {names[0]!r}", 2
            )
        if args.exchange_to_exchange and names[0] == "queue":
            raise CliError("--exchange-to-exchange contradicts 'queue'", 2)
        kind = names.pop(0)
    elif len(names) != 2:
        raise CliError(
            "expected QUEUE EXCHANGE, queue QUEUE EXCHANGE or exchange DESTINATION SOURCE", 2
        )
    return kind, names[0], names[1]


async def bind(ctx: Context) -> int:
    args = ctx.args
    kind, destination, source = binding_target(args)
    arguments = table(args.arg)
    unbind = args.command == "unbind"
    async with ctx.connect() as protocol:
        channel = await protocol.channel()
        if kind == "queue" and unbind:
            await channel.queue_unbind(destination, source, args.routing_key, arguments=arguments)
        elif kind == "queue":
            await channel.queue_bind(destination, source, args.routing_key, arguments=arguments)
        elif unbind:
            await channel.exchange_unbind(
                destination, source, args.routing_key, arguments=arguments
            )
        else:
            await channel.exchange_bind(destination, source, args.routing_key, arguments=arguments)
    verb = "unbound from" if unbind else "bound to"
    _report(
        ctx,
        f"{kind} {destination}: {verb} exchange {source} (routing key {args.routing_key!r})",
        {
            kind: destination,
            "exchange": source,
            "routing_key": args.routing_key,
            "bound": not unbind,
        },
    )
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    arg_help = "an x-argument (repeatable); integers, true and false are typed, the rest is text"

    p = sub.add_parser(
        "declare",
        parents=[common],
        help="declare a queue or an exchange",
        description="Declare a queue or an exchange (or, with --passive, check that it exists).",
    )
    p.add_argument("kind", choices=("queue", "exchange"))
    p.add_argument("name", nargs="?", default="", help="empty: a server-named queue")
    p.add_argument("--durable", action="store_true", help="survives a broker restart")
    p.add_argument("--auto-delete", action="store_true", help="deleted when no longer used")
    p.add_argument("--exclusive", action="store_true", help="queue: only for this connection")
    p.add_argument("--passive", action="store_true", help="only check that it exists")
    p.add_argument("--internal", action="store_true", help="exchange: no direct publishing")
    p.add_argument("--type", default="direct", metavar="TYPE", help=f"exchange: {EXCHANGE_TYPES}")
    p.add_argument(
        "--arg", action="append", type=key_value(True), metavar="KEY=VALUE", help=arg_help
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=declare)

    p = sub.add_parser(
        "delete", parents=[common], help="delete a queue or an exchange", description="Delete."
    )
    p.add_argument("kind", choices=("queue", "exchange"))
    p.add_argument("name")
    p.add_argument("--if-unused", action="store_true", help="only if it has no consumers/bindings")
    p.add_argument("--if-empty", action="store_true", help="queue: only if it has no messages")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=delete)

    p = sub.add_parser(
        "purge", parents=[common], help="drop a queue's ready messages", description="Purge."
    )
    p.add_argument("queue")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=purge)

    for name, verb in (("bind", "Bind"), ("unbind", "Unbind")):
        p = sub.add_parser(
            name,
            parents=[common],
            help=f"{name} a queue or an exchange {'to' if name == 'bind' else 'from'} an exchange",
            usage=f"%(prog)s [options] [queue] QUEUE EXCHANGE\n"
            f"       %(prog)s [options] exchange DESTINATION SOURCE",
            description=f"{verb} a queue (QUEUE EXCHANGE) or an exchange "
            "(exchange DESTINATION SOURCE, or --exchange-to-exchange DESTINATION SOURCE).",
        )
        p.add_argument("names", nargs="+", metavar="NAME")
        p.add_argument("-r", "--routing-key", default="", help="binding key (default: '')")
        p.add_argument(
            "-e",
            "--exchange-to-exchange",
            action="store_true",
            help="the destination is an exchange",
        )
        p.add_argument("--arg", action="append", type=key_value(True), metavar="KEY=VALUE")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.set_defaults(func=bind)
