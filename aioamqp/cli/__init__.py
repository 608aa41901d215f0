"""The `aioamqp` command (also `python -m aioamqp`): publish, consume, declare, delete, purge,
bind, unbind and perf against a broker given by URL.

Errors are one line on stderr. Exit codes: 0 ok, 1 broker or runtime error, 2 usage error,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Sequence

from .. import exceptions
from . import _messages, _perf, _topology
from ._util import DEFAULT_URL, CliError, Context, check_url, describe, err

__all__ = ["main", "build_parser"]


def _version() -> str:
    from aioamqp import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before and after the command (`aioamqp consume q --url ...`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help=f"broker URL (default: $AMQP_URL, else {DEFAULT_URL})",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log the protocol and show tracebacks",
    )
    parser = argparse.ArgumentParser(
        prog="aioamqp",
        parents=[common],
        description="Publish, consume, manage queues and exchanges, and measure throughput "
        "on an AMQP 0-9-1 broker (RabbitMQ).",
        epilog="exit status: 0 ok, 1 broker or runtime error, 2 usage error, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"aioamqp {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _messages.add_parsers(sub, common)
    _topology.add_parsers(sub, common)
    _perf.add_parsers(sub, common)
    return parser


class _OneLine(logging.Formatter):
    """Log records as single lines; the exception's summary instead of its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {describe(record.exc_info[1])}"
        return " ".join(f"aioamqp: {record.levelname.lower()}: {message}".split())


def _setup_logging(debug: bool) -> None:
    root = logging.getLogger()
    for existing in root.handlers[:]:
        if getattr(existing, "aioamqp_cli", False):  # main() ran before in this process
            root.removeHandler(existing)
    handler = logging.StreamHandler(sys.stderr)
    handler.aioamqp_cli = True  # type: ignore[attr-defined]
    if debug:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    else:
        handler.setFormatter(_OneLine())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)


async def _run(ctx: Context, debug: bool) -> int:
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None

    def on_signal(signum: int) -> None:
        if ctx.interrupted or ctx.on_interrupt is None:
            main_task.cancel()  # a second Ctrl-C stops a graceful stop too
        else:
            ctx.on_interrupt()
        ctx.interrupted = ctx.interrupted or signum

    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            handled.append(signum)
        except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, thread)
            pass
    try:
        code: int = await ctx.args.func(ctx)
    except asyncio.CancelledError:
        if not ctx.interrupted:
            raise
        main_task.uncancel()
    except CliError as exc:
        err(f"error: {exc}")
        code = exc.exit_code
    except exceptions.FieldEncodeError as exc:  # bad input, refused before it was sent
        err(f"error: invalid argument: {describe(exc)}")
        code = 2
    except (exceptions.AioamqpException, OSError, asyncio.TimeoutError) as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        if debug:
            raise
        err(f"error: {describe(exc)}")
        code = 1
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
    if ctx.interrupted:
        return 128 + ctx.interrupted
    return code


def _quiet_stdout() -> None:
    """The reader of our stdout went away: send what is left nowhere, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    _setup_logging(debug)
    if (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    url = getattr(args, "url", None) or os.environ.get("AMQP_URL") or DEFAULT_URL
    try:
        check_url(url)
        ctx = Context(args, url)
        code = asyncio.run(_run(ctx, debug))
        sys.stdout.flush()
    except CliError as exc:
        err(f"error: {exc}")
        return exc.exit_code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debug:
            raise
        err(f"error: unexpected {type(exc).__name__}: {describe(exc)} (--debug shows where)")
        return 1
    return code
