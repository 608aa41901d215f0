"""Standalone decoder fuzzer, outside CI: `make fuzz`, or `python tests/fuzz_run.py --help`.

Pushes generated inputs through everything that reads the broker's bytes: the client's read
buffer (FrameReader, with the stream split at random points) against the frame parser
(FrameParser.feed, the same chunks), every method decoder through
decode_method (mostly a valid class/method prefix then random or mutated arguments, sometimes
ids of no method or fewer than 4 bytes), decode_basic_properties, and the wire primitives
decode_table / decode_shortstr / decode_longstr.

Inputs are pure random bytes, valid encodings of random valid values (made with the generated
encoders), and mutations of those (bit flips, byte overwrites, inserts, deletes, truncation,
duplicated runs, corrupted length fields). Valid inputs also check round trips (decoding
re-encodes to the same bytes, and a wire decoder ends where the value ends); every successful
wire decode must end inside its buffer; the frame parser must give the same frames, or the same
error, whether the stream comes in one read or in many, and never a frame over frame_max; the
read buffer must give the parser's frames, or refuse the stream too.

The contract: decoders may raise only aioamqp.exceptions.AmqpProtocolError subclasses. Anything
else is a crash: the input (hex), the traceback and a replay command are printed and the exit
status is 1. Each input runs under a SIGALRM alarm (--alarm, 1 s): one that takes longer is a
hang. A worker that stops reporting altogether (stuck in C code, where the alarm cannot
interrupt) is killed by the parent's watchdog and reported as a hang too. Workers run under an
address-space limit (--memory-mb), so a decoder that allocates what a length field claims
fails with MemoryError, a crash.

Input i is generated from random.Random(seed * 2**40 + i) alone, so `--seed S --replay i`
regenerates exactly the input a report names. The file is not named test_*.py: pytest does not
collect it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import resource
import signal
import struct
import sys
import time
import traceback
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # codegen is a development tool, not an installed package
    sys.path.insert(0, str(REPO))

from aioamqp._generated.methods import METHODS, decode_method  # noqa: E402
from aioamqp._generated.properties import (  # noqa: E402
    decode_basic_header,
    decode_basic_properties,
    encode_basic_properties,
)
from aioamqp.exceptions import AmqpProtocolError  # noqa: E402
from aioamqp.frames import FrameParser  # noqa: E402
from support import read_frames  # noqa: E402  (tests/, this script's folder)
from aioamqp.wire import (  # noqa: E402
    decode_longstr,
    decode_shortstr,
    decode_table,
    encode_longstr,
    encode_shortstr,
    encode_table,
)
from codegen.model import load  # noqa: E402

SPEC = load(REPO / "spec" / "amqp0-9-1.xml")
ARGUMENTS = {m.index: [(f.name, f.wire) for f in m.arguments] for m in SPEC.methods}
(BASIC,) = [c for c in SPEC.classes if c.name == "basic"]
PROPERTIES = [(f.name, f.wire) for f in BASIC.properties]
INDEXES = sorted(METHODS)
UTC = timezone.utc
_HEADER_FIELDS = struct.Struct(">HHQ")  # a content header's class id, weight and body size
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SEED_STRIDE = 2**40
REPORT_EVERY = 2000  # inputs between a worker's progress reports


class Hang(BaseException):
    """Raised by the SIGALRM handler: not an Exception, so no decoder can swallow it."""


class Mismatch(Exception):
    """A round trip or an invariant that does not hold (also a crash)."""


# -- random valid values ----------------------------------------------------------------------

# Code points to build text from: ASCII mostly, then 2-, 3- and 4-byte UTF-8 (no surrogates).
_TEXT_RANGES = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFD)]
_TEXT_RANGES += [(0x10000, 0x10FFFF)]
_TEXT_WEIGHTS = [70, 5, 10, 8, 4, 3]


def r_text(rng: random.Random, max_chars: int) -> str:
    n = rng.choice((0, 1, 2, 5, 8, 13, 20, max_chars)) if max_chars > 20 else rng.randint(0, 8)
    n = min(n, max_chars)
    if rng.random() < 0.6:
        return "".join(chr(rng.randint(0x61, 0x7A)) for _ in range(n))  # plain lowercase
    ranges = rng.choices(_TEXT_RANGES, _TEXT_WEIGHTS, k=n)
    return "".join(chr(rng.randint(lo, hi)) for lo, hi in ranges)


def r_shortstr(rng: random.Random) -> str:
    if rng.random() < 0.03:
        return "x" * 255  # the longest there is
    text = r_text(rng, 60)
    while len(text.encode()) > 255:
        text = text[:-1]
    return text


def r_bytes(rng: random.Random, max_size: int = 64) -> bytes:
    return rng.randbytes(rng.choice((0, 1, 3, 8, 16, max_size)))


def r_datetime(rng: random.Random) -> datetime:
    return EPOCH + timedelta(seconds=rng.randint(86400, 253402214400))  # 1970-01-02 .. 9999


_INT_EDGES = [0, 1, -1, 127, 128, 255, 256, 2**15 - 1, -(2**15), 2**31 - 1, -(2**31), 2**31]
_INT_EDGES += [-(2**31) - 1, 2**32 - 1, 2**63 - 1, -(2**63)]


def r_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(10)
    if kind == 0:
        return rng.random() < 0.5
    if kind == 1:
        return rng.choice(_INT_EDGES) if rng.random() < 0.3 else rng.randint(-(2**63), 2**63 - 1)
    if kind == 2:
        return rng.randint(-1000, 1000)
    if kind == 3:
        return rng.choice((0.0, -0.0, 1.5, -2.25e300, float("inf"), float("-inf"), rng.random()))
    if kind == 4:
        return Decimal(f"{rng.randint(-(2**31), 2**31 - 1)}E-{rng.randint(0, 255)}")
    if kind == 5:
        return r_text(rng, 40)
    if kind == 6:
        return r_bytes(rng, 40)
    if kind == 7:
        return r_datetime(rng)
    if kind == 8:
        return None
    return r_shortstr(rng)


def r_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.12:
        return r_table(rng, depth + 1)
    if depth < 3 and roll < 0.24:
        return [r_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return r_scalar(rng)


def r_table(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    return {r_text(rng, 10): r_value(rng, depth) for _ in range(rng.randint(0, 5))}


_UINT_BITS = {"octet": 8, "short": 16, "long": 32, "longlong": 64}


def r_field(rng: random.Random, wire: str) -> Any:
    if wire == "bit":
        return rng.random() < 0.5
    if wire in _UINT_BITS:
        top = 2 ** _UINT_BITS[wire] - 1
        return rng.choice((0, 1, top, top >> 1)) if rng.random() < 0.3 else rng.randint(0, top)
    if wire == "shortstr":
        return r_shortstr(rng)
    if wire == "longstr":
        return r_bytes(rng, 300)
    if wire == "table":
        return r_table(rng)
    if wire == "timestamp":
        return r_datetime(rng)
    raise AssertionError(f"no generator for wire type {wire}")


def r_method_payload(rng: random.Random, index: int) -> bytes:
    """A valid method frame payload of random valid arguments, from the generated encoder."""
    kwargs = {name: r_field(rng, wire) for name, wire in ARGUMENTS[index]}
    return METHODS[index](**kwargs).encode()


def r_properties(rng: random.Random) -> dict[str, Any]:
    return {name: r_field(rng, wire) for name, wire in PROPERTIES if rng.random() < 0.4}


# -- mutations --------------------------------------------------------------------------------

_INTERESTING_OCTETS = (0x00, 0x01, 0x7F, 0x80, 0xCE, 0xFE, 0xFF)
_INTERESTING_LONGS = (0, 1, 2, 3, 4, 7, 8, 0x7F, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000)
_INTERESTING_LONGS += (0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
_TYPE_LETTERS = b"tbBsuIilfdDSATFVxZ\x00"


def mutate(
    rng: random.Random, data: bytes, keep: int = 0, length_at: tuple[int, ...] = ()
) -> bytes:
    """data with 1 to 6 random edits, leaving data[:keep] alone. length_at: offsets of uint32
    length fields, for length corruption that knows the structure."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
        op = rng.randrange(11)
        size = len(buf) - keep
        if op == 0 or size <= 0:  # insert bytes
            at = rng.randint(keep, len(buf))
            buf[at:at] = rng.randbytes(rng.choice((1, 1, 2, 4, 9)))
        elif op == 1:  # flip a bit
            buf[rng.randrange(keep, len(buf))] ^= 1 << rng.randrange(8)
        elif op == 2:  # overwrite an octet with an interesting value
            buf[rng.randrange(keep, len(buf))] = rng.choice(_INTERESTING_OCTETS)
        elif op == 3:  # overwrite with a random octet
            buf[rng.randrange(keep, len(buf))] = rng.randrange(256)
        elif op == 4:  # delete a run
            at = rng.randrange(keep, len(buf))
            del buf[at : at + rng.choice((1, 1, 2, 4, 8))]
        elif op == 5:  # truncate
            del buf[rng.randint(keep, len(buf) - 1) :]
        elif op == 6:  # duplicate a run
            at = rng.randrange(keep, len(buf))
            buf[at:at] = buf[at : at + rng.randint(1, 16)]
        elif op == 7 and length_at:  # corrupt a known length field
            at = rng.choice(length_at)
            if at + 4 <= len(buf) and at >= keep:
                old = struct.unpack_from(">I", buf, at)[0]
                new = rng.choice(_INTERESTING_LONGS + (old + 1, old - 1, old * 2, old + 8))
                struct.pack_into(">I", buf, at, new & 0xFFFFFFFF)
        elif op in (7, 8):  # a uint32 length-like value anywhere
            if size >= 4:
                at = rng.randint(keep, len(buf) - 4)
                struct.pack_into(">I", buf, at, rng.choice(_INTERESTING_LONGS))
        elif op == 9:  # a shortstr-length-like octet: small, or past the end
            buf[rng.randrange(keep, len(buf))] = rng.choice(
                (0, 1, 2, size & 255, (size + 1) & 255, 255)
            )
        else:  # a field-table type letter
            buf[rng.randrange(keep, len(buf))] = rng.choice(_TYPE_LETTERS)
    return bytes(buf)


def nested_table(rng: random.Random) -> bytes:
    """A valid table nesting tables (F) and arrays (A) around MAX_NESTING (64) levels deep."""
    value = b"V"
    for _ in range(rng.choice((60, 62, 63, 64, 65, 200))):
        if rng.random() < 0.5:
            entry = b"\x01k" + value
            value = b"F" + struct.pack(">I", len(entry)) + entry
        else:
            value = b"A" + struct.pack(">I", len(value)) + value
    entry = b"\x01k" + value
    return struct.pack(">I", len(entry)) + entry


def random_payload(rng: random.Random, max_size: int = 300) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return b""
    if roll < 0.2:  # mostly one byte value: runs of 0x00 / 0xff stress length fields
        return bytes([rng.choice(_INTERESTING_OCTETS)]) * rng.randint(1, max_size)
    return rng.randbytes(rng.randint(1, rng.choice((8, 32, max_size))))


def as_buffer(rng: random.Random, data: bytes) -> bytes | bytearray | memoryview:
    roll = rng.random()
    if roll < 0.7:
        return data
    if roll < 0.9:
        return memoryview(data)
    return bytearray(data)


def pick_kind(rng: random.Random) -> str:
    roll = rng.random()
    return "random" if roll < 0.3 else "mutated" if roll < 0.8 else "valid"


# -- targets ----------------------------------------------------------------------------------
#
# Each target's generator returns (label, call, describe): call() runs the input through the
# code under test (and checks any oracle); describe() is the text printed for a crash.


def hexdump(data: bytes | bytearray | memoryview) -> str:
    return bytes(data).hex()


def gen_method(rng: random.Random):
    index = rng.choice(INDEXES)
    cls = METHODS[index]
    kind = pick_kind(rng)
    head = struct.pack(">I", index)
    if kind == "random":
        if rng.random() < 0.1:  # ids of no method (CommandInvalid), or fewer than 4 bytes
            head = rng.randbytes(rng.choice((0, 1, 3, 4, 4, 4)))
        payload = head + random_payload(rng)
    else:
        valid = r_method_payload(rng, index)
        payload = valid if kind == "valid" else mutate(rng, valid, keep=4)
    # Alone, or in place inside a read between other bytes, as the frame reader passes it.
    before, after = (rng.randbytes(rng.randint(0, 8)), rng.randbytes(rng.randint(1, 300)))
    in_place = rng.random() < 0.5
    data = before + payload + after if in_place else payload
    args = (len(before), len(before) + len(payload)) if in_place else ()
    buf = as_buffer(rng, data)

    def call():
        decoded = decode_method(buf, *args)
        if kind == "valid" and (type(decoded) is not cls or decoded.encode() != payload):
            raise Mismatch(f"{cls.NAME}: decode(encode(x)) re-encodes differently: {decoded!r}")

    def describe():
        where = f" at {args}" if args else ""
        return (
            f"decode_method ({cls.NAME}, {index}) of {type(buf).__name__}{where}: {hexdump(data)}"
        )

    return f"method/{kind}", call, describe


def gen_properties(rng: random.Random):
    kind = pick_kind(rng)
    if kind == "random":
        payload = random_payload(rng, 400)
        if rng.random() < 0.5:  # any flag word, then random values
            payload = struct.pack(">H", rng.randrange(0x10000)) + payload
    elif rng.random() < 0.03:  # headers only, nested deep
        payload = b"\x20\x00" + nested_table(rng)
        if kind == "mutated":
            payload = mutate(rng, payload, keep=2, length_at=(2,))
        kind = f"deep-{kind}"
    else:
        valid = encode_basic_properties(r_properties(rng))
        payload = valid if kind == "valid" else mutate(rng, valid)
    # As a content header (class, weight, body size first) in place inside a read that other
    # frames may follow, or alone.
    in_header = rng.random() < 0.5
    offset = rng.choice((0, 0, 0, 1, 12))  # where the payload starts
    size = rng.randrange(2**64)
    head = _HEADER_FIELDS.pack(60, 0, size) if in_header else b""
    after = rng.randbytes(rng.randint(1, 300)) if in_header and rng.random() < 0.7 else b""
    data = rng.randbytes(offset) + head + payload + after
    end = offset + len(head) + len(payload)
    buf = as_buffer(rng, data)

    def call():
        if in_header:
            body_size, decoded = decode_basic_header(buf, offset, end)
            if body_size != size:
                raise Mismatch(f"body size {body_size} read as {size}")
        else:
            decoded = decode_basic_properties(buf, offset)
        if kind.endswith("valid") and encode_basic_properties(decoded) != payload:
            raise Mismatch(f"properties re-encode differently: {decoded!r}")

    def describe():
        call = (
            f"decode_basic_header({{}}, {offset}, {end})"
            if in_header
            else f"decode_basic_properties({{}}, {offset})"
        )
        return f"{call.format(type(buf).__name__)}: {hexdump(data)}"

    return f"properties/{kind}", call, describe


_WIRE = {
    "table": (decode_table, lambda rng: r_table(rng), encode_table),
    "shortstr": (decode_shortstr, r_shortstr, encode_shortstr),
    "longstr": (decode_longstr, lambda rng: r_bytes(rng, 300), encode_longstr),
}


def gen_wire(rng: random.Random, which: str):
    decode, make, encode = _WIRE[which]
    kind = pick_kind(rng)
    if kind == "random":
        payload = random_payload(rng, 300)
        if which != "shortstr" and rng.random() < 0.5:  # a plausible length, random content
            payload = struct.pack(">I", max(0, len(payload) + rng.randint(-3, 3))) + payload
    elif which == "table" and rng.random() < 0.03:
        payload = nested_table(rng)
        if kind == "mutated":
            payload = mutate(rng, payload, length_at=(0,))
        kind = f"deep-{kind}"
    else:
        value = make(rng)
        valid = encode(value)
        payload = valid if kind == "valid" else mutate(rng, valid, length_at=(0,))
    offset = rng.choice((0, 0, 0, 1, 5))
    trailing = rng.randbytes(rng.choice((0, 0, 1, 7)))
    data = rng.randbytes(offset) + payload + trailing
    if rng.random() < 0.01:
        offset = len(data) + rng.randint(0, 2)  # at or past the end
    buf = as_buffer(rng, data)

    def call():
        decoded, end = decode(buf, offset)
        if not offset <= end <= len(data):
            raise Mismatch(f"{decode.__name__} returned offset {end} outside {offset}..{len(data)}")
        if kind.endswith("valid"):
            if end != offset + len(payload):
                raise Mismatch(f"{decode.__name__} ended at {end}, not {offset + len(payload)}")
            if encode(decoded) != payload:
                raise Mismatch(f"{decode.__name__} re-encodes differently: {decoded!r}")

    def describe():
        return f"{decode.__name__}({type(buf).__name__}, offset={offset}): {hexdump(data)}"

    return f"{which}/{kind}", call, describe


_FRAME_START = struct.Struct(">BHI")


def r_frames(rng: random.Random) -> list[tuple[int, int, bytes]]:
    """A few frames as a connection carries them: methods, content headers, bodies, heartbeats."""
    frames = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 6))):
        roll = rng.random()
        channel = rng.choice((0, 1, 1, 2, 65535, rng.randrange(65536)))
        if roll < 0.4:
            frames.append((1, channel, r_method_payload(rng, rng.choice(INDEXES))))
        elif roll < 0.6:
            props = encode_basic_properties(r_properties(rng))
            head = struct.pack(">HHQ", 60, 0, rng.choice((0, 1, 256, rng.randrange(2**64))))
            frames.append((2, channel, head + props))
        elif roll < 0.85:
            frames.append((3, channel, r_bytes(rng, rng.choice((100, 1000, 5000)))))
        elif roll < 0.95:
            frames.append((8, 0, b""))
        else:
            frames.append((rng.randrange(256), channel, r_bytes(rng, 40)))
    return frames


def serialize(frames: list[tuple[int, int, bytes]]) -> tuple[bytes, tuple[int, ...]]:
    """The stream, and the offsets of its frames' size fields."""
    parts, size_fields, at = [], [], 0
    for frame_type, channel, payload in frames:
        parts += (_FRAME_START.pack(frame_type, channel, len(payload)), payload, b"\xce")
        size_fields.append(at + 3)
        at += 8 + len(payload)
    return b"".join(parts), tuple(size_fields)


def split(rng: random.Random, data: bytes) -> list[bytes]:
    roll = rng.random()
    if roll < 0.15 or not data:
        return [data]
    if roll < 0.25:
        return [data[i : i + 1] for i in range(len(data))]  # byte by byte
    cuts = sorted(rng.randint(0, len(data)) for _ in range(rng.randint(1, 8)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


def feed_all(parser: FrameParser, chunks: list[bytes]) -> tuple[list, type | None]:
    """Frames (as bytes) until the end or an AmqpProtocolError; and that error's type."""
    frames = []
    try:
        for chunk in chunks:
            frames += [(t, c, buf[start:end]) for t, c, buf, start, end in parser.feed(chunk)]
    except AmqpProtocolError as exc:
        return frames, type(exc)
    return frames, None


def check_frame(frame_type: int, channel: int, payload: bytes, limit: int) -> None:
    if not (0 <= frame_type <= 255 and 0 <= channel <= 65535):
        raise Mismatch(f"frame ({frame_type}, {channel}) out of range")
    if limit and len(payload) + 8 > limit:
        raise Mismatch(f"a {len(payload) + 8}-byte frame passed frame_max {limit}")


def gen_frames(rng: random.Random):
    kind = pick_kind(rng)
    frames = r_frames(rng)
    if kind == "random":
        stream = random_payload(rng, 600)
        if rng.random() < 0.3:  # a plausible frame start, random after it
            stream = _FRAME_START.pack(rng.randrange(1, 9), 1, len(stream)) + stream
    else:
        valid, size_fields = serialize(frames)
        stream = valid if kind == "valid" else mutate(rng, valid, length_at=size_fields)
    largest = max((len(p) + 8 for _, _, p in frames), default=8)
    frame_max = rng.choice((0, 0, 131072, 4096, 8, largest, largest - 1, rng.randint(0, 700)))
    chunks = split(rng, stream)
    retune = None
    if kind != "valid" and rng.random() < 0.05:  # frame_max changes between reads (tuning)
        retune = (rng.randrange(len(chunks) + 1), rng.choice((0, 8, 4096, 131072)))

    def call():
        parser = FrameParser(frame_max)
        got, error = [], None
        try:
            for i, chunk in enumerate(chunks):
                if retune is not None and i == retune[0]:
                    parser.frame_max = retune[1]
                for frame_type, channel, buf, start, end in parser.feed(chunk):
                    payload = buf[start:end]
                    check_frame(frame_type, channel, payload, parser.frame_max)
                    got.append((frame_type, channel, payload))
        except AmqpProtocolError as exc:
            error = type(exc)
        read, read_error = read_frames(frame_max, chunks, retune)
        if retune is not None:  # the two may apply a new frame_max to a frame in progress or not
            return
        # The client's read buffer on the same chunks: the parser's frames, or it refuses too
        # (its frames before the refusal may differ by the reads it cut further).
        if read_error != error:
            raise Mismatch(f"the read buffer ended with {read_error}, the parser with {error}")
        shorter, longer = sorted((read, got), key=len) if error else (read, got)
        if longer[: len(shorter)] != shorter or (error is None and read != got):
            raise Mismatch(f"the read buffer gave {len(read)} frames, the parser {len(got)}")
        # Differential: the same stream in one read gives the same frames, or the same error.
        whole, whole_error = feed_all(FrameParser(frame_max), [stream])
        if whole_error != error or (error is None and whole != got):
            raise Mismatch(
                f"split feeding gave {len(got)} frames / {error}, "
                f"one read gave {len(whole)} frames / {whole_error}"
            )
        if kind == "valid" and (frame_max == 0 or largest <= frame_max) and got != frames:
            raise Mismatch(f"valid stream parsed as {len(got)} frames, not the {len(frames)} sent")

    def describe():
        cuts = [len(c) for c in chunks]
        return (
            f"FrameParser/FrameReader({frame_max}) fed chunks of sizes {cuts} (retune {retune}): "
            f"{hexdump(stream)}"
        )

    return f"frames/{kind}", call, describe


TARGETS: list[tuple[str, Callable[[random.Random], Any], int]] = [
    ("frames", gen_frames, 25),
    ("method", gen_method, 40),
    ("properties", gen_properties, 15),
    ("table", lambda rng: gen_wire(rng, "table"), 10),
    ("shortstr", lambda rng: gen_wire(rng, "shortstr"), 5),
    ("longstr", lambda rng: gen_wire(rng, "longstr"), 5),
]
_TARGET_GENS = [gen for _, gen, _ in TARGETS]
_TARGET_WEIGHTS = [weight for _, _, weight in TARGETS]


def make_input(seed: int, index: int):
    rng = random.Random(seed * SEED_STRIDE + index)
    (gen,) = rng.choices(_TARGET_GENS, _TARGET_WEIGHTS)
    return gen(rng)


# -- running ----------------------------------------------------------------------------------


def _on_alarm(signum, frame):
    raise Hang()


def run_one(seed: int, index: int, alarm: float) -> tuple[str, str, str | None]:
    """(label, outcome, report): outcome is ok, rejected, crash or hang."""
    label, call, describe = make_input(seed, index)
    outcome, text = "ok", ""
    signal.setitimer(signal.ITIMER_REAL, alarm)
    try:
        call()
    except AmqpProtocolError:
        outcome = "rejected"
    except Hang:
        outcome, text = "hang", traceback.format_exc()
    except Exception:  # the whole point: anything else is a crash
        outcome, text = "crash", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if not text:
        return label, outcome, None
    kind = "HANG (over the alarm)" if outcome == "hang" else "CRASH"
    report = (
        f"{kind} in {label}, input {index} of seed {seed}\n"
        f"input: {describe()}\n{text}"
        f"replay: {sys.executable} tests/fuzz_run.py --seed {seed} --replay {index}\n"
    )
    return label, outcome, report


def worker(wid, jobs, seed, count, seconds, alarm, memory_mb, results, current) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    signal.signal(signal.SIGALRM, _on_alarm)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    deadline = time.monotonic() + seconds if seconds else None
    counts: Counter[str] = Counter()
    index = wid
    done = 0
    while not count or index < count:
        current[wid] = index
        label, outcome, report = run_one(seed, index, alarm)
        counts[label] += 1
        counts[f"outcome:{outcome}"] += 1
        if report is not None:
            results.put(("report", wid, report))
        index += jobs
        done += 1
        if done % REPORT_EVERY == 0:
            results.put(("counts", wid, dict(counts)))
            counts.clear()
            if deadline is not None and time.monotonic() >= deadline:
                break
    results.put(("counts", wid, dict(counts)))
    results.put(("done", wid, None))


def run(args) -> int:
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    jobs = max(1, args.jobs)
    print(
        f"fuzz: seed {seed}, {args.count or 'unlimited'} inputs"
        f"{f', at most {args.seconds} s' if args.seconds else ''}, {jobs} job(s), "
        f"alarm {args.alarm} s per input, memory limit {args.memory_mb or 'none'} MB",
        flush=True,
    )
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    current = context.RawArray("q", jobs)
    procs = [
        context.Process(
            target=worker,
            args=(
                w,
                jobs,
                seed,
                args.count,
                args.seconds,
                args.alarm,
                args.memory_mb,
                results,
                current,
            ),
            daemon=True,
        )
        for w in range(jobs)
    ]
    start = time.monotonic()
    for proc in procs:
        proc.start()
    totals: Counter[str] = Counter()
    reports: list[str] = []
    signatures: set[str] = set()
    last_heard = {w: time.monotonic() for w in range(jobs)}
    running = set(range(jobs))

    def handle(what: str, wid: int, data: Any) -> None:
        last_heard[wid] = time.monotonic()
        if what == "counts":
            totals.update(data)
        elif what == "report":
            reports.append(data)
            signature = data.strip().splitlines()[-2]  # the exception line of the traceback
            if signature not in signatures or args.verbose:
                signatures.add(signature)
                print(data, flush=True)
        elif what == "done":
            running.discard(wid)

    def lost(wid: int, why: str) -> None:
        running.discard(wid)
        index = current[wid]
        report = (
            f"{why} on input {index} of seed {seed}\n"
            f"replay: {sys.executable} tests/fuzz_run.py --seed {seed} --replay {index}\n"
        )
        reports.append(report)
        print(report, flush=True)

    next_progress = start + args.progress
    try:
        while running:
            try:
                handle(*results.get(timeout=1.0))
            except queue.Empty:
                pass
            now = time.monotonic()
            for wid in list(running):
                if not procs[wid].is_alive():
                    try:  # what it sent before it ended
                        while wid in running:
                            handle(*results.get(timeout=1.0))
                    except queue.Empty:
                        pass
                    if wid in running:
                        totals["outcome:crash"] += 1
                        lost(wid, f"CRASH: worker {wid} died (exit code {procs[wid].exitcode})")
                elif now - last_heard[wid] > args.watchdog:
                    procs[wid].kill()
                    totals["outcome:hang"] += 1
                    lost(wid, f"HANG: worker {wid} silent for {args.watchdog} s (stuck in C code)")
            if now >= next_progress:
                next_progress = now + args.progress
                done = sum(v for k, v in totals.items() if k.startswith("outcome:"))
                print(
                    f"  {done:>9} inputs  {now - start:7.1f} s  {done / (now - start):7.0f}/s  "
                    f"crashes {totals['outcome:crash']}  hangs {totals['outcome:hang']}",
                    flush=True,
                )
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        for proc in procs:
            proc.kill()
    for proc in procs:
        proc.join(timeout=5)
    elapsed = time.monotonic() - start
    done = sum(v for k, v in totals.items() if k.startswith("outcome:"))
    per_target = Counter()
    per_kind = Counter()
    for key, value in totals.items():
        if "/" in key:
            target, kind = key.split("/")
            per_target[target] += value
            per_kind[kind] += value
    print("per target: " + ", ".join(f"{t} {per_target[t]}" for t, _, _ in TARGETS))
    print("per kind:   " + ", ".join(f"{k} {v}" for k, v in sorted(per_kind.items())))
    print(f"outcomes:   ok {totals['outcome:ok']}, rejected {totals['outcome:rejected']}")
    crashes, hangs = totals["outcome:crash"], totals["outcome:hang"]
    print(
        f"fuzz summary: seed {seed}, {done} inputs, {elapsed:.1f} s, "
        f"{done / elapsed:.0f} inputs/s, {crashes} crashes, {hangs} hangs, "
        + ", ".join(f"{t} {per_target[t]}" for t, _, _ in TARGETS),
        flush=True,
    )
    return 1 if crashes or hangs or reports else 0


def replay(args) -> int:
    """Regenerate one input, describe it and run it in this process, tracebacks and all."""
    signal.signal(signal.SIGALRM, _on_alarm)
    label, call, describe = make_input(args.seed, args.replay)
    print(f"{label}, input {args.replay} of seed {args.seed}\ninput: {describe()}")
    signal.setitimer(signal.ITIMER_REAL, args.alarm)
    try:
        call()
    except AmqpProtocolError as exc:
        print(f"rejected (allowed): {type(exc).__name__}: {exc}")
        return 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    print("decoded without error")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="inputs (0: no limit)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long too")
    parser.add_argument("--seed", type=int, help="default: random (printed)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--alarm", type=float, default=1.0, help="seconds per input")
    parser.add_argument("--watchdog", type=float, default=60.0, help="seconds of worker silence")
    parser.add_argument("--memory-mb", type=int, default=1024, help="worker address space, 0: off")
    parser.add_argument("--progress", type=float, default=10.0, help="seconds between lines")
    parser.add_argument("--replay", type=int, help="run only this input (needs --seed)")
    parser.add_argument("--verbose", action="store_true", help="print every report, not 1/kind")
    args = parser.parse_args(argv)
    if args.count == 0 and not args.seconds and args.replay is None:
        parser.error("--count 0 needs --seconds")
    if args.replay is not None:
        if args.seed is None:
            parser.error("--replay needs --seed")
        return replay(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
