"""What every command shares: the connection, errors, argument parsers and JSON output."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime
import decimal
import json
import re
import sys
from typing import Any, AsyncIterator, Callable, Mapping
from urllib.parse import urlsplit

from .. import exceptions, from_url
from ..protocol import OPEN, AmqpProtocol

DEFAULT_URL = "amqp://guest:guest@localhost/"
CLOSE_TIMEOUT = 5.0  # seconds to wait for the broker's close-ok

_INTEGER = re.compile(r"[+-]?[0-9]+")


class CliError(Exception):
    """A failure to report as one line on stderr, with an exit code (1: runtime, 2: usage)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Context:
    """One command run: its arguments, the broker URL, and what Ctrl-C should do."""

    def __init__(self, args: argparse.Namespace, url: str) -> None:
        self.args = args
        self.url = url
        self.interrupted = 0  # the signal number that stopped us, 0 if none
        # Set by commands that stop gracefully (consume, perf); otherwise Ctrl-C cancels.
        self.on_interrupt: Callable[[], None] | None = None

    @contextlib.asynccontextmanager
    async def connect(self, **kwargs: Any) -> AsyncIterator[AmqpProtocol]:
        """An open connection, closed (bounded in time) when the block ends."""
        transport, protocol = await open_connection(self.url, **kwargs)
        try:
            yield protocol
        finally:
            await close_connection(transport, protocol)


def check_url(url: str) -> None:
    """Refuse a URL that is not amqp(s):// before any network traffic (a usage error). The rest
    (hosts, port, options) is from_url's to check: its ValueError is a usage error too."""
    scheme = urlsplit(url).scheme
    if scheme not in ("amqp", "amqps"):
        raise CliError(
            f"bad URL: the scheme must be amqp:// or amqps://, not {scheme or 'none'!r}", 2
        )


async def open_connection(url: str, **kwargs: Any) -> tuple[asyncio.Transport, AmqpProtocol]:
    try:
        return await from_url(url, **kwargs)
    except ValueError as exc:  # the URL (or one of its query options) is malformed
        raise CliError(f"bad URL: {exc}", 2) from None


async def close_connection(transport: asyncio.Transport, protocol: AmqpProtocol) -> None:
    """Close a connection whatever its state; never raises."""
    try:
        if protocol.state == OPEN:
            await protocol.close(timeout=CLOSE_TIMEOUT)
    except exceptions.AioamqpException:
        pass
    finally:
        transport.close()


def describe(exc: BaseException) -> str:
    """One line for an error the broker or the network caused."""
    if isinstance(exc, exceptions.AmqpClosedConnection):  # first: it may be a ChannelClosed too
        if exc.reply_code:
            return f"{exc.reply_text} ({exc.reply_code})"
    elif isinstance(exc, exceptions.ChannelClosed):
        text = exc.message if exc.code else "channel closed"
        return f"{text} ({exc.code})" if exc.code else text
    if isinstance(exc, exceptions.PublishFailed):
        return f"the broker nacked message {exc.delivery_tag}"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timed out waiting for the broker"
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def channel_close_reason(channel: Any) -> BaseException:
    """Why a channel closed (the broker's code and text, or the connection's loss)."""
    reason = channel.close_exception
    return reason if isinstance(reason, BaseException) else exceptions.ChannelClosed()


# -- argument parsing -------------------------------------------------------------------------


def parse_value(text: str, booleans: bool) -> Any:
    """int if the text is an integer; with booleans, true/false as bool; otherwise the text."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if booleans and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def key_value(booleans: bool) -> Callable[[str], tuple[str, Any]]:
    """An argparse type for KEY=VALUE."""

    def parse(text: str) -> tuple[str, Any]:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
        return key, parse_value(value, booleans)

    parse.__name__ = "KEY=VALUE"  # argparse names the type in its error messages
    return parse


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type for an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def table(pairs: list[tuple[str, Any]] | None) -> dict[str, Any] | None:
    return dict(pairs) if pairs else None


# -- output -----------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """A value json.dumps accepts: datetimes as ISO 8601, bytes as text (or base64 if they are
    not UTF-8), decimals as strings, tables and arrays walked."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return str(value)


def body_fields(body: bytes) -> dict[str, str]:
    """The body as text when it is UTF-8, else as base64, with the encoding that tells which."""
    try:
        return {"body": body.decode("utf-8"), "body_encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_encoding": "base64"}


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False), flush=True)


def err(message: str) -> None:
    print(f"aioamqp: {message}", file=sys.stderr, flush=True)
