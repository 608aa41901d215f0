"""RabbitMQ streams over AMQP 0-9-1: the ``x-stream-offset`` consumer argument and the queue
arguments of a stream, checked on the client.

Why check here: RabbitMQ 3.10 closes the whole connection (541 INTERNAL_ERROR) for an offset
it cannot parse (a word it does not know, a float) and reads a negative number as "first", so
a typo costs every channel of the connection, or silently replays the whole stream.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .exceptions import FieldEncodeError, IntegerOutOfRange, UnsupportedFieldType

# The named offsets: the oldest message kept, the last chunk written, what comes next.
_POSITIONS = ("first", "last", "next")
_MAX_INT64 = 2**63 - 1  # field-table integers are signed

# RabbitMQ's interval syntax (as for x-max-age): a positive ASCII number and one unit letter.
_INTERVAL = re.compile(r"([0-9]+)([YMDhms])")
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def offset(value: str | int | datetime | timedelta) -> str | int | datetime:
    """The value of the ``x-stream-offset`` consumer argument for value, or an error before
    anything is sent.

    - ``"first"``, ``"last"``, ``"next"``: sent as they are (a long string).
    - an ``int`` from 0 to 2**63 - 1: the offset of the first message to deliver (the
      field table sends it as int32 up to 2**31 - 1 and int64 beyond; RabbitMQ takes any
      integer type).
    - an aware ``datetime``: from the first chunk written at or after it, to the second
      (AMQP timestamps have no fraction; it is dropped here, so what is returned is what is
      sent). A naive one is refused: Python reads it as local time, AMQP as UTC.
    - a ``timedelta`` or an interval string (``"90s"``, ``"15m"``, ``"2h"``, ``"7D"``): what
      the broker wrote within that much time before now, by its own clock; a timedelta is
      sent as whole seconds.
    """
    if isinstance(value, bool):  # an int subclass, but it would go out as a boolean field
        raise UnsupportedFieldType("a stream offset cannot be a bool")
    if isinstance(value, int):
        if not 0 <= value <= _MAX_INT64:
            raise IntegerOutOfRange(f"stream offset {value} is outside 0 .. 2**63 - 1")
        return value
    if isinstance(value, str):
        if value in _POSITIONS or _is_interval(value):
            return value
        raise FieldEncodeError(
            f"stream offset {value!r} is neither first, last, next nor an interval such as '7D'"
        )
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise FieldEncodeError(
                "a stream offset datetime needs a time zone: naive ones are ambiguous"
            )
        if value < _EPOCH:
            raise IntegerOutOfRange(f"stream offset {value} is before 1970")
        return value.astimezone(timezone.utc).replace(microsecond=0)
    if isinstance(value, timedelta):
        return _interval(value)
    raise UnsupportedFieldType(
        f"a stream offset is a str, an int, a datetime or a timedelta, not {type(value).__name__}"
    )


def _interval(value: str | timedelta) -> str:
    """RabbitMQ's interval string for value (a timedelta as whole seconds): what
    ``x-max-age`` and an interval ``x-stream-offset`` take."""
    if isinstance(value, timedelta):
        seconds = value // _ONE_SECOND
        if seconds < 1:
            raise FieldEncodeError(f"interval {value} is shorter than one second")
        return f"{seconds}s"
    if isinstance(value, str) and _is_interval(value):
        return value
    raise FieldEncodeError(
        f"interval {value!r} is not a timedelta nor a positive number and one of Y, M, D, h, "
        "m, s"
    )


def stream_arguments(
    *,
    max_length_bytes: int | None = None,
    max_age: str | timedelta | None = None,
    max_segment_size_bytes: int | None = None,
    initial_cluster_size: int | None = None,
) -> dict[str, Any]:
    """The ``arguments`` of queue_declare for a stream (``x-queue-type: stream``) with the
    retention and placement options given; declare it with ``durable=True``.

    RabbitMQ refuses a re-declaration whose arguments differ, so building them in one place
    keeps every declaration of a stream the same.
    """
    arguments: dict[str, Any] = {"x-queue-type": "stream"}
    if max_length_bytes is not None:
        arguments["x-max-length-bytes"] = _count(max_length_bytes, "max_length_bytes", 0)
    if max_age is not None:
        arguments["x-max-age"] = _interval(max_age)
    if max_segment_size_bytes is not None:
        arguments["x-stream-max-segment-size-bytes"] = _count(
            max_segment_size_bytes, "max_segment_size_bytes", 1
        )
    if initial_cluster_size is not None:
        arguments["x-initial-cluster-size"] = _count(
            initial_cluster_size, "initial_cluster_size", 1
        )
    return arguments


def _is_interval(value: str) -> bool:
    match = _INTERVAL.fullmatch(value)
    return match is not None and int(match[1]) > 0


def _count(value: int, name: str, least: int) -> int:
    """value, if it is an int from least to 2**63 - 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsupportedFieldType(f"{name} must be an int, not {type(value).__name__}")
    if not least <= value <= _MAX_INT64:
        raise IntegerOutOfRange(f"{name} {value} is outside {least} .. 2**63 - 1")
    return value
