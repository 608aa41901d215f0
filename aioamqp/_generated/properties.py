# generated from spec/amqp0-9-1.xml by codegen; do not edit
"""Content-header properties: one class per content class, a flag word, then present values."""

from __future__ import annotations

import datetime
import struct
from typing import Any, Mapping

from aioamqp.exceptions import AmqpDecodeError, IntegerOutOfRange, UnknownProperty
from aioamqp.wire import (
    decode_timestamp,
    encode_shortstr,
    encode_table,
    encode_timestamp,
    read_table_entries,
)

Buffer = bytes | bytearray | memoryview
_FLAGS = struct.Struct(">H")
_SIZE_FLAGS = struct.Struct(">QH")  # a content header's body size and flag word
_NO_HEADER_FIELDS = bytes(12)  # class id, weight, body size
_new = object.__new__
_S_B = struct.Struct(">B")
_S_I = struct.Struct(">I")
_S_Q = struct.Struct(">Q")


class BasicProperties:
    """Properties of a basic message; None means absent.

    Absent properties are class attributes, so decoding stores only what the message carries.
    """

    NAMES = (
        "content_type",
        "content_encoding",
        "headers",
        "delivery_mode",
        "priority",
        "correlation_id",
        "reply_to",
        "expiration",
        "message_id",
        "timestamp",
        "message_type",
        "user_id",
        "app_id",
        "cluster_id",
    )
    content_type: str | None = None
    content_encoding: str | None = None
    headers: Mapping[str, Any] | None = None
    delivery_mode: int | None = None
    priority: int | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    expiration: str | None = None
    message_id: str | None = None
    timestamp: int | datetime.datetime | None = None
    message_type: str | None = None
    user_id: str | None = None
    app_id: str | None = None
    cluster_id: str | None = None

    def __init__(
        self,
        content_type: str | None = None,
        content_encoding: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delivery_mode: int | None = None,
        priority: int | None = None,
        correlation_id: str | None = None,
        reply_to: str | None = None,
        expiration: str | None = None,
        message_id: str | None = None,
        timestamp: int | datetime.datetime | None = None,
        message_type: str | None = None,
        user_id: str | None = None,
        app_id: str | None = None,
        cluster_id: str | None = None,
    ) -> None:
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.headers = headers
        self.delivery_mode = delivery_mode
        self.priority = priority
        self.correlation_id = correlation_id
        self.reply_to = reply_to
        self.expiration = expiration
        self.message_id = message_id
        self.timestamp = timestamp
        self.message_type = message_type
        self.user_id = user_id
        self.app_id = app_id
        self.cluster_id = cluster_id

    def to_dict(self) -> dict[str, Any]:
        """The present properties, keyed as encode_basic_properties takes them."""
        return {name: value for name in self.NAMES if (value := getattr(self, name)) is not None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BasicProperties) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.to_dict().items())
        return f"BasicProperties({args})"


_BASIC_NAMES = frozenset(BasicProperties.NAMES)


def encode_basic_properties(props: Mapping[str, Any] | BasicProperties | None) -> bytes:
    """Flag word and values of the present properties (a mapping or a properties object)."""
    if not props:
        return b"\x00\x00"
    if isinstance(props, BasicProperties):
        props = props.to_dict()
    flags = 0
    remaining = len(props)
    parts = [b""]
    get = props.get
    try:
        while True:  # left as soon as every given property is placed
            value = get("content_type")
            if value is not None:
                flags |= 32768
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("content_encoding")
            if value is not None:
                flags |= 16384
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("headers")
            if value is not None:
                flags |= 8192
                parts.append(encode_table(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("delivery_mode")
            if value is not None:
                flags |= 4096
                parts.append(_S_B.pack(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("priority")
            if value is not None:
                flags |= 2048
                parts.append(_S_B.pack(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("correlation_id")
            if value is not None:
                flags |= 1024
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("reply_to")
            if value is not None:
                flags |= 512
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("expiration")
            if value is not None:
                flags |= 256
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("message_id")
            if value is not None:
                flags |= 128
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("timestamp")
            if value is not None:
                flags |= 64
                parts.append(_S_Q.pack(encode_timestamp(value)))
                remaining -= 1
                if not remaining:
                    break
            value = get("message_type")
            if value is not None:
                flags |= 32
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("user_id")
            if value is not None:
                flags |= 16
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("app_id")
            if value is not None:
                flags |= 8
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            value = get("cluster_id")
            if value is not None:
                flags |= 4
                parts.append(encode_shortstr(value))
                remaining -= 1
                if not remaining:
                    break
            break
    except struct.error as exc:
        raise IntegerOutOfRange(f"basic properties: {exc}") from None
    if remaining:
        unknown = props.keys() - _BASIC_NAMES
        if unknown:
            raise UnknownProperty(f"unknown basic properties: {sorted(unknown)}")
    parts[0] = _FLAGS.pack(flags)
    return b"".join(parts)


def decode_basic_header(
    buf: Buffer, offset: int = 0, end: int | None = None
) -> tuple[int, BasicProperties]:
    """Read a content header frame's payload from buf[offset:end]: (body size, properties).

    The payload is class id, weight and body size, then a flag word and the properties it
    marks present.
    """
    props = _new(BasicProperties)
    if type(buf) is not bytes:
        buf = bytes(buf)
    if end is None:
        end = len(buf)
    try:
        body_size, flags = _SIZE_FLAGS.unpack_from(buf, offset + 4)
        offset += 14
        # Flags from the highest: each present one is compared and subtracted (int comparisons
        # cost less than masks); the loop is left as soon as none remains.
        while flags:
            if flags >= 32768:
                start = offset + 1
                offset = start + buf[offset]
                props.content_type = buf[start:offset].decode()
                flags -= 32768
                if not flags:
                    break
            if flags >= 16384:
                start = offset + 1
                offset = start + buf[offset]
                props.content_encoding = buf[start:offset].decode()
                flags -= 16384
                if not flags:
                    break
            if flags >= 8192:
                start = offset + 4
                offset = start + _S_I.unpack_from(buf, offset)[0]
                props.headers = read_table_entries(buf, start, offset)
                flags -= 8192
                if not flags:
                    break
            if flags >= 4096:
                props.delivery_mode = buf[offset]
                offset += 1
                flags -= 4096
                if not flags:
                    break
            if flags >= 2048:
                props.priority = buf[offset]
                offset += 1
                flags -= 2048
                if not flags:
                    break
            if flags >= 1024:
                start = offset + 1
                offset = start + buf[offset]
                props.correlation_id = buf[start:offset].decode()
                flags -= 1024
                if not flags:
                    break
            if flags >= 512:
                start = offset + 1
                offset = start + buf[offset]
                props.reply_to = buf[start:offset].decode()
                flags -= 512
                if not flags:
                    break
            if flags >= 256:
                start = offset + 1
                offset = start + buf[offset]
                props.expiration = buf[start:offset].decode()
                flags -= 256
                if not flags:
                    break
            if flags >= 128:
                start = offset + 1
                offset = start + buf[offset]
                props.message_id = buf[start:offset].decode()
                flags -= 128
                if not flags:
                    break
            if flags >= 64:
                (_stamp0,) = _S_Q.unpack_from(buf, offset)
                props.timestamp = decode_timestamp(_stamp0)
                offset += 8
                flags -= 64
                if not flags:
                    break
            if flags >= 32:
                start = offset + 1
                offset = start + buf[offset]
                props.message_type = buf[start:offset].decode()
                flags -= 32
                if not flags:
                    break
            if flags >= 16:
                start = offset + 1
                offset = start + buf[offset]
                props.user_id = buf[start:offset].decode()
                flags -= 16
                if not flags:
                    break
            if flags >= 8:
                start = offset + 1
                offset = start + buf[offset]
                props.app_id = buf[start:offset].decode()
                flags -= 8
                if not flags:
                    break
            if flags >= 4:
                start = offset + 1
                offset = start + buf[offset]
                props.cluster_id = buf[start:offset].decode()
            break
    except (struct.error, IndexError, KeyError, ValueError, OverflowError):
        raise AmqpDecodeError("basic properties: truncated or corrupt") from None
    if offset > end:
        raise AmqpDecodeError("basic properties: truncated")
    return body_size, props


def decode_basic_properties(buf: Buffer, offset: int = 0) -> BasicProperties:
    """Read properties alone (a flag word, then values) from offset, as encoded by
    encode_basic_properties: a content header without its first 12 bytes."""
    return decode_basic_header(_NO_HEADER_FIELDS + bytes(buf[offset:]))[1]
