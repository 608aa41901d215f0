"""Codec micro-benchmark: aioamqp's generated protocol layer against pamqp, in one run.

Two operations, each on a whole message (method frame + content header frame + one body frame):

- ``encode_publish``: basic.publish, its properties and a 64-byte body into the wire bytes, the
  steps a client's publish takes.
- ``decode_deliver``: the wire bytes of basic.deliver, content header and body, as one socket
  read, into a method object, a properties object and the body.

Both implementations are first checked against each other (each one's bytes decode with the
other to the same values) so the timings compare like with like. Output is one JSON line per
(impl, op), then one per op with ``ratio_vs_pamqp`` = aioamqp rate / pamqp rate.
``frames_per_s`` counts whole messages (sets of three frames) per second.

Timing: ``time.perf_counter_ns`` around a plain loop (gc enabled as normal), each repeat lasting
about 0.3 s; the best of 7 repeats counts. Repeats of the two implementations take turns.

    python bench/codec.py            # full run, ~10 s
    python bench/codec.py --quick    # smoke run, well under a second
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from pamqp import body as pamqp_body  # noqa: E402
from pamqp import commands as pamqp_commands  # noqa: E402
from pamqp import frame as pamqp_frame  # noqa: E402
from pamqp import header as pamqp_header  # noqa: E402

from aioamqp._generated.methods import BasicDeliver, BasicPublish, decode_method  # noqa: E402
from aioamqp._generated.properties import (  # noqa: E402
    BasicProperties,
    decode_basic_header,
    encode_basic_properties,
)
from aioamqp.frames import FrameReader, publish_frames  # noqa: E402

CHANNEL = 1
FRAME_MAX = 131072
EXCHANGE = "amq.direct"
ROUTING_KEY = "orders.new"  # 10 characters
CONSUMER_TAG = "amq.ctag-Xq3vN8bKp2LmR7tYw1zA"  # 30 characters, like RabbitMQ's generated tags
DELIVERY_TAG = 123456
REDELIVERED = True
CONTENT_TYPE = "application/json"
DELIVERY_MODE = 2
HEADERS = {"x-trace": "abc123", "x-retry": 3}
BODY = bytes(range(64))


# The operations. Each builds what a caller would build per message (arguments, properties).


def aioamqp_encode_publish() -> bytes:
    method = BasicPublish.pack(EXCHANGE, ROUTING_KEY, False, False)  # as channel.publish does
    properties = encode_basic_properties(
        {"content_type": CONTENT_TYPE, "delivery_mode": DELIVERY_MODE, "headers": HEADERS}
    )
    return publish_frames(CHANNEL, method, properties, BODY, FRAME_MAX)


def pamqp_encode_publish() -> bytes:
    marshal = pamqp_frame.marshal
    method = pamqp_commands.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    properties = pamqp_commands.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=DELIVERY_MODE, headers=HEADERS
    )
    header = pamqp_header.ContentHeader(body_size=len(BODY), properties=properties)
    content = pamqp_body.ContentBody(BODY)
    return b"".join((marshal(method, CHANNEL), marshal(header, CHANNEL), marshal(content, CHANNEL)))


def make_aioamqp_decode_deliver(data: bytes) -> Callable[[], tuple[Any, Any, bytes]]:
    # One per connection, read as the client reads: each socket read lands in the read buffer
    # (FrameReader; the copy below stands in for recv_into), frames are cut out of it and
    # decoded by offset.
    reader = FrameReader(FRAME_MAX)
    size = len(data)

    def decode_deliver() -> tuple[Any, Any, bytes]:
        reader.get_buffer()[:size] = data
        reader.buffer_updated(size)
        (_, _, buf, start, end), (_, _, hbuf, hstart, hend), (_, _, bbuf, bstart, bend) = (
            reader.frames()
        )
        method = decode_method(buf, start, end)
        body_size, properties = decode_basic_header(hbuf, hstart, hend)
        return method, properties, bbuf[bstart:bend]

    return decode_deliver


def make_pamqp_decode_deliver(data: bytes) -> Callable[[], tuple[Any, Any, bytes]]:
    unmarshal = pamqp_frame.unmarshal

    def decode_deliver() -> tuple[Any, Any, bytes]:
        consumed, _, method = unmarshal(data)
        offset = consumed
        consumed, _, header = unmarshal(data[offset:])
        offset += consumed
        consumed, _, content = unmarshal(data[offset:])
        return method, header.properties, content.value

    return decode_deliver


# Deliver wire bytes, from each implementation.


def aioamqp_deliver_bytes() -> bytes:
    method = BasicDeliver(CONSUMER_TAG, DELIVERY_TAG, REDELIVERED, EXCHANGE, ROUTING_KEY).encode()
    properties = encode_basic_properties(
        {"content_type": CONTENT_TYPE, "delivery_mode": DELIVERY_MODE, "headers": HEADERS}
    )
    return publish_frames(CHANNEL, method, properties, BODY, FRAME_MAX)


def pamqp_deliver_bytes() -> bytes:
    method = pamqp_commands.Basic.Deliver(
        consumer_tag=CONSUMER_TAG,
        delivery_tag=DELIVERY_TAG,
        redelivered=REDELIVERED,
        exchange=EXCHANGE,
        routing_key=ROUTING_KEY,
    )
    properties = pamqp_commands.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=DELIVERY_MODE, headers=HEADERS
    )
    header = pamqp_header.ContentHeader(body_size=len(BODY), properties=properties)
    return b"".join(
        pamqp_frame.marshal(f, CHANNEL) for f in (method, header, pamqp_body.ContentBody(BODY))
    )


# Cross-checks: normalise either side's decoded message to plain values and compare.


class Mismatch(Exception):
    """The two implementations disagree, so their timings would not be comparable."""


def _check(condition: bool, what: object) -> None:
    if not condition:
        raise Mismatch(what)


# cluster_id left out: pamqp names that slot differently.
_PROPERTY_NAMES = tuple(name for name in BasicProperties.NAMES if name != "cluster_id")


def _properties_values(props: Any) -> dict[str, Any]:
    return {
        name: value
        for name in _PROPERTY_NAMES
        if (value := getattr(props, name, None)) is not None and value != ""
    }


def _pamqp_message(data: bytes) -> tuple[str, dict[str, Any], dict[str, Any], bytes]:
    """Decode three frames with pamqp and return (method name, fields, properties, body)."""
    frames = []
    offset = 0
    while offset < len(data):
        consumed, channel, value = pamqp_frame.unmarshal(data[offset:])
        _check(channel == CHANNEL, channel)
        frames.append(value)
        offset += consumed
    method, header, content = frames
    _check(isinstance(header, pamqp_header.ContentHeader), header)
    _check(isinstance(content, pamqp_body.ContentBody), content)
    _check(header.class_id == 60 and header.body_size == len(content.value), header)
    fields = {name: getattr(method, name) for name in method.__slots__ if name != "ticket"}
    return method.name, fields, _properties_values(header.properties), bytes(content.value)


def _aioamqp_message(data: bytes) -> tuple[str, dict[str, Any], dict[str, Any], bytes]:
    """Decode three frames with aioamqp, cut by its read buffer as in the timed decode; return
    (method name, fields, properties, body)."""
    reader = FrameReader(FRAME_MAX)
    reader.get_buffer()[: len(data)] = data
    reader.buffer_updated(len(data))
    frames = reader.frames()
    _check([(t, c) for t, c, *_ in frames] == [(1, CHANNEL), (2, CHANNEL), (3, CHANNEL)], frames)
    method_payload, header_payload, body = (
        bytes(buf[start:end]) for _, _, buf, start, end in frames
    )
    method = decode_method(method_payload)
    class_id, weight = struct.unpack_from(">HH", header_payload)
    body_size, properties = decode_basic_header(header_payload)
    _check(class_id == 60 and weight == 0 and body_size == len(body), header_payload)
    fields = {
        ("exchange" if name == "exchange_name" else name): getattr(method, name)
        for name in method.__slots__
    }
    name = ".".join(part.capitalize() for part in method.NAME.split("."))  # pamqp's naming
    return name, fields, _properties_values(properties), body


def verify() -> bytes:
    """Check both codecs agree on both messages; return the deliver bytes to time decoding on."""
    expected_properties = {
        "content_type": CONTENT_TYPE,
        "delivery_mode": DELIVERY_MODE,
        "headers": HEADERS,
    }
    publish_fields = {
        "exchange": EXCHANGE,
        "routing_key": ROUTING_KEY,
        "mandatory": False,
        "immediate": False,
    }
    deliver_fields = {
        "consumer_tag": CONSUMER_TAG,
        "delivery_tag": DELIVERY_TAG,
        "redelivered": REDELIVERED,
        "exchange": EXCHANGE,
        "routing_key": ROUTING_KEY,
    }
    cases = [
        (
            "publish",
            aioamqp_encode_publish(),
            pamqp_encode_publish(),
            "Basic.Publish",
            publish_fields,
        ),
        (
            "deliver",
            aioamqp_deliver_bytes(),
            pamqp_deliver_bytes(),
            "Basic.Deliver",
            deliver_fields,
        ),
    ]
    for what, ours, theirs, name, fields in cases:
        expected = (name, fields, expected_properties, BODY)
        for source, data in (("aioamqp", ours), ("pamqp", theirs)):
            for decoder_name, decoder in (("aioamqp", _aioamqp_message), ("pamqp", _pamqp_message)):
                got = decoder(data)
                if got != expected:
                    raise Mismatch(
                        f"{what}: {source}'s bytes decoded by {decoder_name}: {got!r}"
                        f" != {expected!r}"
                    )
    # Both decode the same input when timed: the deliver as pamqp encodes it, a third party's
    # bytes rather than aioamqp's own (pamqp sends 3 as an int8 'b' where aioamqp sends 'I').
    data = cases[1][2]
    for decode in (make_aioamqp_decode_deliver(data), make_pamqp_decode_deliver(data)):
        method, properties, body = decode()
        _check(bytes(body) == BODY, body)
        _check(_properties_values(properties) == expected_properties, properties)
        _check(method.consumer_tag == CONSUMER_TAG and method.delivery_tag == DELIVERY_TAG, method)
    return data


# Timing.


def _run(op: Callable[[], Any], iterations: int) -> int:
    repeat = itertools.repeat(None, iterations)
    start = time.perf_counter_ns()
    for _ in repeat:
        op()
    return time.perf_counter_ns() - start


def calibrate(op: Callable[[], Any], target_s: float) -> int:
    """Iterations of op that take about target_s."""
    iterations = 1
    while True:  # grow until a run lasts a tenth of the target, then scale
        elapsed = _run(op, iterations)
        if elapsed >= target_s * 1e8 or iterations >= 10**8:
            break
        iterations *= 10 if elapsed < target_s * 1e7 else 2
    return max(1, int(iterations * target_s * 1e9 / max(elapsed, 1)))


def best_ns_per_op(
    ops: dict[str, Callable[[], Any]], repeats: int, target_s: float
) -> dict[str, float]:
    """Per op, the minimum over repeats of the mean time per call.

    Repeats of the different ops take turns, so a slow spell of the machine hits all of them
    rather than skewing one side of a ratio.
    """
    iterations = {name: calibrate(op, target_s) for name, op in ops.items()}
    best = dict.fromkeys(ops, float("inf"))
    for _ in range(repeats):
        for name, op in ops.items():
            best[name] = min(best[name], _run(op, iterations[name]) / iterations[name])
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="duration of one repeat")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 7)
    target_s = args.seconds or (0.005 if args.quick else 0.3)

    deliver_data = verify()
    ops = {
        "encode_publish": {
            "aioamqp": aioamqp_encode_publish,
            "pamqp": pamqp_encode_publish,
        },
        "decode_deliver": {
            "aioamqp": make_aioamqp_decode_deliver(deliver_data),
            "pamqp": make_pamqp_decode_deliver(deliver_data),
        },
    }
    if not gc.isenabled():
        gc.enable()
    rates: dict[tuple[str, str], float] = {}
    for op_name, impls in ops.items():
        best = best_ns_per_op(impls, repeats, target_s)
        for impl, ns in best.items():
            rates[impl, op_name] = 1e9 / ns
            line = {
                "impl": impl,
                "op": op_name,
                "frames_per_s": round(1e9 / ns, 1),
                "us_per_op": round(ns / 1000, 4),
            }
            print(json.dumps(line), flush=True)
    for op_name in ops:
        ratio = rates["aioamqp", op_name] / rates["pamqp", op_name]
        print(json.dumps({"op": op_name, "ratio_vs_pamqp": round(ratio, 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
