"""AMQP frames: a parser for the broker's byte stream, and writers for outgoing frames.

A frame is type (octet), channel (short), payload size (long), payload, frame-end octet 0xCE.
"""

from __future__ import annotations

import struct
from typing import Any

from .exceptions import FrameError, FrameTooLarge

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
HEARTBEAT_FRAME = b"\x08\x00\x00\x00\x00\x00\x00\xce"

_METHOD, _HEADER, _BODY = 1, 2, 3
_FRAME_END = 0xCE
_FRAME_END_OCTET = b"\xce"
_VIEW_SIZE = 65536  # an unparsed rest of a read this large waits as a view, not a copy
_FRAME_START = struct.Struct(">BHI")  # type, channel, payload size
_HEADER_FRAME_START = struct.Struct(">BHIHHQ")  # ... then class id, weight, body size
# A frame-end octet, then the start of the next frame.
_END_FRAME_START = struct.Struct(">BBHI")
_END_HEADER_FRAME_START = struct.Struct(">BBHIHHQ")
_START_SIZE = _FRAME_START.size
_FRAME_OVERHEAD = _START_SIZE + 1
_CONTENT_HEADER_SIZE = _HEADER_FRAME_START.size - _START_SIZE
_unpack_frame_start = _FRAME_START.unpack_from
_pack_frame_start = _FRAME_START.pack
_pack_end_header_start = _END_HEADER_FRAME_START.pack
_pack_end_frame_start = _END_FRAME_START.pack

Body = bytes | bytearray | memoryview  # or any other object with the buffer protocol


def byte_view(body: Body) -> Body:
    """body as an object whose len() counts bytes, without copying it: bytes and bytearray as
    they are, any other buffer as a flat view of its bytes (len() of a memoryview counts its
    items, 4 bytes each for array('i')). A buffer that is not C-contiguous raises TypeError."""
    if isinstance(body, (bytes, bytearray)):
        return body
    view = body if isinstance(body, memoryview) else memoryview(body)
    if not view.c_contiguous:
        raise TypeError(
            "a message body must be a contiguous buffer; "
            f"this {type(body).__name__} is not (bytes(body) copies it into one)"
        )
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


class _FrameLimit:
    """frame_max, the whole frame size limit (0 for none); tuning may change it."""

    _frame_max: int
    _max_size: int

    @property
    def frame_max(self) -> int:
        return self._frame_max

    @frame_max.setter
    def frame_max(self, frame_max: int) -> None:
        self._frame_max = frame_max
        # size + _FRAME_OVERHEAD > frame_max as one comparison; a size never exceeds 2**32 - 1
        self._max_size = frame_max - _FRAME_OVERHEAD if frame_max else 0xFFFFFFFF

    def _too_large(self, size: int) -> FrameError:
        return FrameError(f"frame of {size + _FRAME_OVERHEAD} bytes exceeds {self.frame_max}")


def _bad_end(octet: int) -> FrameError:
    return FrameError(f"frame-end octet is {octet:#04x}, not 0xce")


class FrameParser(_FrameLimit):
    """Cuts a byte stream into frames, whatever way the reads split or coalesce it, for bytes
    already in hand (test peers, the benchmark's wire ceiling); the client reads through
    FrameReader, which tests/unit/test_fuzz_decoders.py checks against this.

    Bytes of an incomplete frame wait as a list of chunks. Once a read completes the frame,
    only that frame is joined (not the rest of the read), so a large frame arriving over many
    reads is copied once, and a read is never copied whole.
    """

    def __init__(self, frame_max: int) -> None:
        self.frame_max = frame_max
        self._pending: list[bytes | memoryview] = []
        self._pending_size = 0
        self._needed = _START_SIZE  # pending bytes required before parsing can progress
        self._sized = False  # the pending bytes hold a whole frame start: _needed is its size

    def feed(self, data: bytes) -> list[tuple[int, int, bytes, int, int]]:
        """Every frame completed by data, as (frame_type, channel_id, buf, start, end).

        The payload is buf[start:end], left in place: decoders read it by offset, and only a
        body is ever copied out. buf is a bytes object shared by the frames of one read.
        """
        frames: list[tuple[int, int, bytes, int, int]] = []
        offset = 0
        pending = self._pending
        if pending:
            pending_size = self._pending_size
            if pending_size + len(data) < self._needed:
                pending.append(data)
                self._pending_size = pending_size + len(data)
                return frames
            self._pending = []
            self._pending_size = 0
            if self._sized:  # join the frame that data completes, and only it
                offset = self._needed - pending_size
                pending.append(memoryview(data)[:offset])
                frames.append(self._whole(b"".join(pending)))
            else:  # a frame start split across reads: rare, and a few bytes
                pending.append(data)
                data = b"".join(pending)

        max_size = self._max_size
        available = len(data)
        last_start = available - 7  # _START_SIZE: the last offset a frame start fits at
        while offset <= last_start:
            frame_type, channel_id, size = _unpack_frame_start(data, offset)
            if size > max_size:
                raise self._too_large(size)
            start = offset + 7  # _START_SIZE
            offset = start + size  # the frame-end octet
            if offset >= available:
                offset = start - 7
                needed = size + _FRAME_OVERHEAD
                sized = True
                break
            if data[offset] != 0xCE:  # _FRAME_END
                raise _bad_end(data[offset])
            frames.append((frame_type, channel_id, data, start, offset))
            offset += 1
        else:
            if offset == available:  # the read ended with a frame, the usual case
                return frames
            needed = _START_SIZE
            sized = False

        if not offset:
            tail: bytes | memoryview = data
        elif available - offset < _VIEW_SIZE:
            tail = data[offset:]
        else:  # the start of a large frame: kept as a view, copied once when it is complete
            tail = memoryview(data)[offset:]
        self._pending = [tail]
        self._pending_size = available - offset
        self._needed = needed
        self._sized = sized
        return frames

    def _whole(self, frame: bytes) -> tuple[int, int, bytes, int, int]:
        """A frame joined from the reads it spanned; its size is checked again, as frame_max
        may have changed (tuning) since it started."""
        frame_type, channel_id, size = _unpack_frame_start(frame)
        if size > self._max_size:
            raise self._too_large(size)
        end = len(frame) - 1
        if frame[end] != 0xCE:  # _FRAME_END
            raise _bad_end(frame[end])
        return frame_type, channel_id, frame, _START_SIZE, end


# A connection's read buffer starts small (an idle connection keeps little) and doubles while
# reads fill it, up to the 256 KiB that asyncio's own reads take; it grows further only to hold
# a large body, and one grown past _KEEP is let go once it is empty.
_FIRST_SIZE = 16384
_READ_SIZE = 262144
_KEEP = 16 << 20
_CHUNK = 4096  # small frames are copied out of the read buffer this many bytes at a time


class FrameReader(_FrameLimit):
    """Cuts frames out of one reusable buffer that the socket reads into (asyncio's
    BufferedProtocol), so that reads allocate nothing.

    get_buffer() gives the free space; buffer_updated(n) counts what a read wrote there;
    frames() then returns the complete frames as (frame_type, channel_id, buf, start, end):
    - small frames (every method and header) are copied out in runs (4 KiB, doubling while
      only small frames come), buf being that bytes copy, which the decoders read by offset;
    - a body frame of 4 KiB or more stays in the buffer (buf is None, start and end are
      buffer offsets, valid until the next get_buffer()): payload() copies it out, or
      hold() keeps it in the buffer until join() copies a whole body at once.

    Writing a large body's frames into its final bytes as they come instead (the buffer then
    stays at 256 KiB) measured slower: glibc then returns the freed bodies' memory to the
    kernel and maps it afresh, 8k -> 59k-190k page faults per 300 x 4 MiB, consumer CPU twice
    as high in the sweep. A buffer grown to hold a body, and freed, raises glibc's thresholds.
    """

    def __init__(self, frame_max: int) -> None:
        self.frame_max = frame_max
        self._buffer = bytearray(_FIRST_SIZE)
        # Kept for slicing: the buffer is replaced when it grows, never resized in place.
        self._view = memoryview(self._buffer)
        self._offered = 0  # the space the last get_buffer() gave
        self._filled = False  # the last read took all of it
        self._start = 0  # the first byte not cut into a frame yet
        self._end = 0  # the first free byte
        self._base = 0  # the stream position of the buffer's first byte
        self._holds: dict[int, int] = {}  # channel id: stream position of its first held byte
        self._window = _CHUNK  # how much the next copy of small frames takes

    def get_buffer(self) -> memoryview:
        """Where the next read goes: a quarter of the buffer at least, after what is still
        needed."""
        buffer = self._buffer
        grow = self._filled and len(buffer) < _READ_SIZE
        self._filled = False
        if self._start == self._end and not self._holds and not grow:  # nothing kept
            self._base += self._start
            self._start = self._end = 0
            if len(buffer) > _KEEP:  # the large body that grew it is gone
                self._buffer = bytearray(_READ_SIZE)
                self._view = memoryview(self._buffer)
        elif grow or len(buffer) - self._end < len(buffer) >> 2:
            self._make_room(grow)
        space = self._view[self._end :]
        self._offered = len(space)
        return space

    def buffer_updated(self, nbytes: int) -> None:
        self._end += nbytes
        self._filled = nbytes == self._offered  # more was waiting, likely

    def unparsed(self) -> bytes:
        """The bytes received and not cut into frames yet (a few, at the handshake)."""
        return bytes(self._view[self._start : self._end])

    def frames(self) -> list[tuple[int, int, bytes | None, int, int]]:
        """The frames completed since the last call (see the class)."""
        buffer, view = self._buffer, self._view
        frames: list[tuple[int, int, bytes | None, int, int]] = []
        append = frames.append
        max_size = self._max_size
        available = self._end
        offset = self._start
        window = self._window
        while offset + 7 <= available:  # _START_SIZE
            # A rest of _CHUNK bytes or less (a read of a message or two: RPC, low rates)
            # holds no complete large body frame: it is copied and cut at once.
            rest_is_small = available - offset <= _CHUNK
            if rest_is_small:
                chunk_end = available
            else:
                frame_type, channel_id, size = _unpack_frame_start(buffer, offset)
                if size > max_size:
                    raise self._too_large(size)
                frame_end = offset + 7 + size
                if frame_end >= available:
                    break
                if size >= _CHUNK and frame_type == 3:  # _BODY: left in the buffer
                    if buffer[frame_end] != 0xCE:
                        raise _bad_end(buffer[frame_end])
                    append((3, channel_id, None, offset + 7, frame_end))
                    offset = frame_end + 1
                    window = _CHUNK
                    continue
                # Small frames: copy a window out and cut them from the copy. The window
                # doubles while small frames fill it, and shrinks back at a large body frame.
                chunk_end = min(available, offset + max(window, size + 8))
            chunk = bytes(view[offset:chunk_end])
            position = 0
            last_start = len(chunk) - 7
            while position <= last_start:
                frame_type, channel_id, size = _unpack_frame_start(chunk, position)
                if size > max_size:
                    raise self._too_large(size)
                start = position + 7
                end = start + size
                if end >= len(chunk) or (size >= _CHUNK and frame_type == 3):
                    break
                if chunk[end] != 0xCE:
                    raise _bad_end(chunk[end])
                append((frame_type, channel_id, chunk, start, end))
                position = end + 1
            offset += position
            if rest_is_small:
                break
            window = min(2 * window, _READ_SIZE) if 2 * position > len(chunk) else _CHUNK
        self._start = offset
        self._window = window
        return frames

    def payload(self, start: int, end: int) -> bytes:
        return bytes(self._view[start:end])

    def hold(self, channel_id: int, start: int, end: int) -> tuple[int, int]:
        """Keep a body frame's payload in the buffer for the channel until it is released;
        its span, for join()."""
        base = self._base
        self._holds.setdefault(channel_id, base + start)
        return base + start, base + end

    def release(self, channel_id: int) -> None:
        self._holds.pop(channel_id, None)

    def join(self, pieces: list[Any]) -> bytes:
        """One bytes of a body's pieces, in order: spans from hold() and views of copies."""
        base, view = self._base, self._view
        return b"".join(
            [
                view[piece[0] - base : piece[1] - base] if type(piece) is tuple else piece
                for piece in pieces
            ]
        )

    def _make_room(self, grow: bool) -> None:
        keep = self._start
        if self._holds:
            keep = min(keep, min(self._holds.values()) - self._base)
        used = self._end - keep
        size = len(self._buffer) * 2 if grow else len(self._buffer)
        if size - used < max(size >> 2, used):
            # A large body is held: a buffer twice its size, so that moving it to the front
            # again costs at most one more copy of what is read meanwhile.
            size = max(2 * size, 2 * used + _READ_SIZE)
        if size != len(self._buffer):  # a new buffer, never a resize: asyncio may hold a view
            larger = bytearray(size)
            larger[:used] = self._view[keep : self._end]
            self._buffer, self._view = larger, memoryview(larger)
        elif keep:  # move what is still needed to the front
            self._view[:used] = self._view[keep : self._end]
        self._base += keep
        self._start -= keep
        self._end = used


# How a message goes to the transport, by body size (make bench sweep, msg/s, interleaved runs):
# - in one frame: joined into one bytes, one write;
# - over several frames but under LARGE_BODY: one bytes per frame, each a copy of its body chunk
#   with the framing around it. Joining the whole message page-faulted a fresh 1 MiB buffer per
#   publish (47-93k minor faults per 1,500 x 1 MiB against 6.7k): 1 MiB joined 733/978/946,
#   per frame 1,086/1,119/1,015, wire 1,245/1,323/1,297;
# - from LARGE_BODY up: the body as views, never copied (4 MiB, views 240/254/272, copied per
#   frame 229/219/254, wire 308/316/300).
LARGE_BODY = 2 << 20
_BEFORE_PROPERTIES = _START_SIZE + 1 + _CONTENT_HEADER_SIZE  # framing, class, weight, size


def checked_method_frame(channel_id: int, payload: bytes, frame_max: int, name: str) -> bytes:
    """The method frame of a payload; one over frame_max raises before anything is sent."""
    if len(payload) > frame_max - _FRAME_OVERHEAD and frame_max:
        raise FrameTooLarge(
            f"{name} needs a {len(payload) + _FRAME_OVERHEAD}-byte frame; frame_max is {frame_max}"
        )
    return method_frame(channel_id, payload)


def message_frames(
    channel_id: int, method_payload: bytes, properties_payload: bytes, body: Any, frame_max: int
) -> bytes | list[bytes | memoryview]:
    """A whole message's frames: one bytes for one write, or the pieces of publish_frame_parts
    for a body over several frames (LARGE_BODY's comment says which). Properties too large for
    one header frame raise before anything is sent."""
    if len(properties_payload) > frame_max - _BEFORE_PROPERTIES and frame_max:
        raise FrameTooLarge(
            f"message properties need a {len(properties_payload) + _BEFORE_PROPERTIES}-byte"
            f" frame; frame_max is {frame_max}"
        )
    body_size = len(body)
    if body_size >= LARGE_BODY:
        return publish_frame_parts(channel_id, method_payload, properties_payload, body, frame_max)
    if body_size <= frame_max - _FRAME_OVERHEAD or not frame_max:
        return publish_frames(channel_id, method_payload, properties_payload, body, frame_max)
    return publish_frame_parts(
        channel_id, method_payload, properties_payload, body, frame_max, copied=True
    )


# A basic.ack frame's delivery tag and bits, right after the class and method ids: rewritten in
# place while acks merge (core/acks.py); checked against the generated encoder in tests/unit.
_ACK_TAG = struct.Struct(">QB")
_ACK_TAG_OFFSET = _START_SIZE + 4


def retag_ack_frame(frame: bytearray, delivery_tag: int) -> None:
    """Make a basic.ack frame settle every delivery up to delivery_tag (multiple set)."""
    _ACK_TAG.pack_into(frame, _ACK_TAG_OFFSET, delivery_tag, 1)


def method_frame(channel_id: int, payload: bytes) -> bytes:
    return b"".join(
        (_FRAME_START.pack(_METHOD, channel_id, len(payload)), payload, _FRAME_END_OCTET)
    )


def publish_frames(
    channel_id: int, method_payload: bytes, properties_payload: bytes, body: Body, frame_max: int
) -> bytes:
    """A whole message (method, header and body frames) as one bytes, for one transport.write."""
    body_size = len(body)
    if type(body) is bytes and 0 < body_size <= frame_max - _FRAME_OVERHEAD:
        # One body frame, the usual case. Each frame's end octet is packed together with the
        # start of the frame after it.
        return b"".join(
            (
                _pack_frame_start(_METHOD, channel_id, len(method_payload)),
                method_payload,
                _pack_end_header_start(
                    _FRAME_END,
                    _HEADER,
                    channel_id,
                    _CONTENT_HEADER_SIZE + len(properties_payload),
                    (method_payload[0] << 8) | method_payload[1],  # the method's class
                    0,
                    body_size,
                ),
                properties_payload,
                _pack_end_frame_start(_FRAME_END, _BODY, channel_id, body_size),
                body,
                _FRAME_END_OCTET,
            )
        )
    return b"".join(
        publish_frame_parts(channel_id, method_payload, properties_payload, body, frame_max)
    )


def publish_frame_parts(
    channel_id: int,
    method_payload: bytes,
    properties_payload: bytes,
    body: Body,
    frame_max: int,
    copied: bool = False,
) -> list[bytes | memoryview]:
    """The pieces of publish_frames, for one write each: the body as views into it, so a large
    message goes to the socket without being copied; or, copied, one bytes per frame (its body
    chunk with the framing around it), so that no piece is a few bytes on its own."""
    body = byte_view(body)
    body_size = len(body)
    header_start = _END_HEADER_FRAME_START.pack(
        _FRAME_END,
        _HEADER,
        channel_id,
        _CONTENT_HEADER_SIZE + len(properties_payload),
        (method_payload[0] << 8) | method_payload[1],
        0,
        body_size,
    )
    chunk_size = frame_max - _FRAME_OVERHEAD if frame_max else body_size
    # The small pieces before each body chunk go as one bytes: a send of a few bytes each
    # would be a TCP segment each.
    head: list[bytes | memoryview] = [
        _FRAME_START.pack(_METHOD, channel_id, len(method_payload)),
        method_payload,
        header_start,
        properties_payload,
    ]
    parts: list[bytes | memoryview] = []
    if body_size:
        view = memoryview(body)  # slices without copying
        pack_start = _END_FRAME_START.pack
        starts = range(0, body_size, chunk_size)
        last = starts[-1]
        for start in starts:
            chunk = view[start : start + chunk_size]
            head.append(pack_start(_FRAME_END, _BODY, channel_id, len(chunk)))
            if not copied:
                parts += (b"".join(head), chunk)
            elif start == last:
                head.append(chunk)  # joined with the frame-end octet below
                break
            else:
                head.append(chunk)
                parts.append(b"".join(head))
            head = []
    head.append(_FRAME_END_OCTET)
    parts.append(b"".join(head))
    return parts
