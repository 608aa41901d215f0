"""Content assembly of one channel, as explicit states: a method that carries content, then its
header frame, then body frames until the header's body size is reached (none for an empty body).
Any other order is an UnexpectedFrame."""

from __future__ import annotations

from typing import Any

from .. import exceptions
from .._generated.properties import BasicProperties, decode_basic_header
from ..frames import FrameReader

IDLE, HEADER_DUE, BODY_DUE = "idle", "header due", "body due"

# A complete message: (method, properties, body)
Message = tuple[Any, BasicProperties, bytes]


class Content:
    """Frames in, complete messages out. Bodies are read in place: a body in one frame is
    sliced out of the read once; one spread over frames is kept as views and joined once."""

    __slots__ = (
        "channel_id",
        "state",
        "_method",
        "_properties",
        "_size",
        "_parts",
        "_reader",
        "_held",
        "_received",
    )

    def __init__(self, channel_id: int, reader: FrameReader | None = None) -> None:
        self.channel_id = channel_id
        self._reader = reader  # where body frames left in place are (buf None)
        self.state = IDLE
        self._method: Any = None
        self._properties: BasicProperties | None = None
        self._size = 0
        self._parts: list[Any] = []  # views, and spans held in the reader's buffer
        self._held = False  # the reader holds some of the body
        self._received = 0

    def method(self, method: Any) -> None:
        """A method that carries content: its header is due next."""
        if self.state is not IDLE:
            raise self._unexpected(method.NAME)
        self._method = method
        self.state = HEADER_DUE

    def check_idle(self, name: str) -> None:
        """A method without content is only allowed between messages."""
        if self.state is not IDLE:
            raise self._unexpected(name)

    def header(self, buf: bytes, start: int, end: int) -> Message | None:
        if self.state is not HEADER_DUE:
            raise exceptions.UnexpectedFrame(f"content header on channel {self.channel_id}")
        self._size, self._properties = decode_basic_header(buf, start, end)
        if not self._size:
            return self._complete(b"")
        self._parts = []
        self._received = 0
        self.state = BODY_DUE
        return None

    def body(self, buf: bytes | None, start: int, end: int) -> Message | None:
        """A body frame: buf[start:end], or, buf being None, the reader's buffer [start:end] (a
        large frame, frames.FrameReader). A body in one frame is copied out once; one spread
        over frames is kept as views and spans held in the reader's buffer, joined once."""
        if self.state is not BODY_DUE:
            raise exceptions.UnexpectedFrame(f"content body on channel {self.channel_id}")
        received = self._received + end - start
        whole = received == self._size and not self._parts  # the whole body in one frame
        if received > self._size:
            raise exceptions.UnexpectedFrame(f"content body too long on channel {self.channel_id}")
        reader = self._reader
        if buf is not None:
            if whole:
                return self._complete(buf[start:end])
            self._parts.append(memoryview(buf)[start:end])
        else:
            assert reader is not None  # only a FrameReader leaves a frame in its buffer
            if whole:
                return self._complete(reader.payload(start, end))
            self._parts.append(reader.hold(self.channel_id, start, end))
            self._held = True
        self._received = received
        if received < self._size:
            return None
        if not self._held:
            return self._complete(b"".join(self._parts))
        assert reader is not None
        body = reader.join(self._parts)
        reader.release(self.channel_id)
        self._held = False
        return self._complete(body)

    def _complete(self, body: bytes) -> Message:
        message = (self._method, self._properties, body)
        self._method = self._properties = None
        self._parts = []
        self.state = IDLE
        return message  # type: ignore[return-value]

    def _unexpected(self, name: str) -> exceptions.UnexpectedFrame:
        return exceptions.UnexpectedFrame(
            f"{name} on channel {self.channel_id} while content was due"
        )
