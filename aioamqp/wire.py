"""AMQP 0-9-1 field primitives: short and long strings, field tables, timestamps.

Encoders validate user input and return ``bytes`` including any length prefix. Decoders read
``(buf, offset)`` from ``bytes``, ``bytearray`` or ``memoryview`` without copying the buffer,
return ``(value, new_offset)`` and raise only ``AmqpDecodeError`` on truncated or corrupt input.
Field-table type letters are RabbitMQ's, which differ from the 0-9-1 spec's for some integers.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .exceptions import (
    AmqpDecodeError,
    FieldEncodeError,
    IntegerOutOfRange,
    ShortStrTooLong,
    UnsupportedFieldType,
)

Buffer = bytes | bytearray | memoryview

MAX_NESTING = 64
"""Deepest nesting of tables and arrays accepted, so hostile input cannot exhaust the stack."""

_LONG = struct.Struct(">I")
_unpack_long = _LONG.unpack_from
_DECIMAL = struct.Struct(">Bi")
_LONGLONG = struct.Struct(">Q")
_INT32_FIELD = struct.Struct(">ci")
_STR_FIELD_HEAD = struct.Struct(">cI")
_INT64_FIELD = struct.Struct(">cq")
_DOUBLE_FIELD = struct.Struct(">cd")
_DECIMAL_FIELD = struct.Struct(">cBi")
_TIMESTAMP_FIELD = struct.Struct(">cQ")

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT64_MAX = 2**64 - 1
_EMPTY_TABLE = b"\x00\x00\x00\x00"
OCTETS = tuple(bytes((n,)) for n in range(256))
"""The one-octet bytes of each value 0..255: shortstr length prefixes, flag octets."""
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_SECOND = timedelta(seconds=1)

# Python errors that mean "the bytes are short or corrupt" when raised while decoding.
_MALFORMED = (struct.error, IndexError, ValueError, KeyError, OverflowError)


# Encoding


def _text_bytes(value: str | bytes, what: str) -> bytes:
    """UTF-8 of a str; bytes and bytearray pass through; other types are refused."""
    if isinstance(value, str):
        try:
            return value.encode()
        except UnicodeEncodeError as exc:
            raise FieldEncodeError(f"{what} {value!r} cannot be encoded as UTF-8") from exc
    if isinstance(value, (bytes, bytearray)):
        return value
    raise UnsupportedFieldType(f"{what} must be str or bytes, not {type(value).__name__}")


def _long_prefixed(raw: bytes) -> bytes:
    """raw behind its uint32 length, as long strings, tables and arrays are sent."""
    try:
        return _LONG.pack(len(raw)) + raw
    except struct.error:
        raise FieldEncodeError(f"{len(raw)} bytes do not fit a 32-bit length") from None


def encode_shortstr(value: str | bytes) -> bytes:
    if type(value) is str:  # the common case, without the general path's calls
        try:
            raw = value.encode()
        except UnicodeEncodeError as exc:
            raise FieldEncodeError(f"shortstr {value!r} cannot be encoded as UTF-8") from exc
    else:
        raw = _text_bytes(value, "shortstr")
    try:
        return OCTETS[len(raw)] + raw
    except IndexError:
        raise ShortStrTooLong(f"shortstr is {len(raw)} UTF-8 bytes, the limit is 255") from None


def encode_longstr(value: str | bytes) -> bytes:
    return _long_prefixed(_text_bytes(value, "longstr"))


def encode_table(value: Mapping[str, Any] | None) -> bytes:
    if value is None:
        return _EMPTY_TABLE
    if type(value) is not dict and not isinstance(value, Mapping):
        raise UnsupportedFieldType(f"a field table must be a mapping, not {type(value).__name__}")
    return _encode_table(value, 0)


def encode_timestamp(value: datetime | int | float) -> int:
    """Seconds since the epoch as the uint64 AMQP sends; a naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=timezone.utc)
        seconds = (value - _EPOCH) // _ONE_SECOND
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = int(value)
        except (ValueError, OverflowError) as exc:
            raise FieldEncodeError(f"timestamp {value!r} is not a finite number") from exc
    else:
        raise UnsupportedFieldType(
            f"a timestamp must be a datetime or a number, not {type(value).__name__}"
        )
    if not 0 <= seconds <= _UINT64_MAX:
        raise IntegerOutOfRange(f"timestamp {value!r} is outside 1970 .. 2**64 seconds")
    return seconds


def _encode_table(table: Mapping[str, Any], depth: int) -> bytes:
    """The table's entries behind their uint32 length; its values are at depth."""
    # str keys, str values and int32 values, the usual headers, are inlined: this is the hot path.
    parts: list[bytes] = []
    append = parts.append
    for key, value in table.items():
        if type(key) is str:
            try:
                raw = key.encode()
            except UnicodeEncodeError as exc:
                raise FieldEncodeError(f"shortstr {key!r} cannot be encoded as UTF-8") from exc
            try:
                append(OCTETS[len(raw)])
            except IndexError:
                raise ShortStrTooLong(
                    f"shortstr is {len(raw)} UTF-8 bytes, the limit is 255"
                ) from None
            append(raw)
        elif isinstance(key, str):
            append(encode_shortstr(key))
        else:
            raise UnsupportedFieldType(f"field table keys must be str, not {type(key).__name__}")
        value_type = type(value)
        if value_type is str:
            try:
                raw = value.encode()
            except UnicodeEncodeError as exc:
                raise FieldEncodeError(
                    f"field-table string {value!r} cannot be encoded as UTF-8"
                ) from exc
            try:
                append(_STR_FIELD_HEAD.pack(b"S", len(raw)))
            except struct.error:
                raise FieldEncodeError(f"{len(raw)} bytes do not fit a 32-bit length") from None
            append(raw)
        elif value_type is int and _INT32_MIN <= value <= _INT32_MAX:
            append(_INT32_FIELD.pack(b"I", value))
        else:
            append(_encode_field_value(value, depth))
    body = b"".join(parts)
    try:
        return _LONG.pack(len(body)) + body
    except struct.error:
        raise FieldEncodeError(f"{len(body)} bytes do not fit a 32-bit length") from None


def _encode_field_value(value: Any, depth: int) -> bytes:
    encoder = _FIELD_ENCODERS.get(type(value)) or _encoder_for_subclass(value)
    return encoder(value, depth)


def _encoder_for_subclass(value: Any) -> Callable[[Any, int], bytes]:
    """Subclasses (IntEnum, StrEnum, OrderedDict...) are sent as their base type."""
    for base, encoder in _FIELD_ENCODERS.items():  # bool comes before int
        if isinstance(value, base):
            return encoder
    if isinstance(value, Mapping):
        return _encode_table_field
    raise UnsupportedFieldType(f"{type(value).__name__} cannot be sent in a field table")


def _encode_bool_field(value: bool, depth: int) -> bytes:
    return b"t\x01" if value else b"t\x00"


def _encode_int_field(value: int, depth: int) -> bytes:
    if _INT32_MIN <= value <= _INT32_MAX:
        return _INT32_FIELD.pack(b"I", value)
    if _INT64_MIN <= value <= _INT64_MAX:
        return _INT64_FIELD.pack(b"l", value)
    raise IntegerOutOfRange(f"{value} does not fit a signed 64-bit field-table integer")


def _encode_float_field(value: float, depth: int) -> bytes:
    return _DOUBLE_FIELD.pack(b"d", value)


def _encode_decimal_field(value: Decimal, depth: int) -> bytes:
    """A decimal is sent as (scale, int32 unscaled), so its value is unscaled / 10**scale."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise FieldEncodeError(f"{value!r} cannot be sent as an AMQP decimal")
    unscaled = int("".join(map(str, digits)))
    scale = -exponent
    if scale < 0:  # a positive exponent is multiplied out
        if unscaled and scale < -10:  # more than 10 digits never fit an int32
            raise FieldEncodeError(f"{value!r} does not fit an AMQP decimal")
        unscaled, scale = unscaled * 10**-scale if unscaled else 0, 0
    # Trailing zeros after the point can go without changing the value.
    while scale and unscaled % 10 == 0 and (scale > 255 or unscaled > _INT32_MAX):
        unscaled, scale = unscaled // 10, scale - 1
    if sign:
        unscaled = -unscaled
    if scale > 255 or not _INT32_MIN <= unscaled <= _INT32_MAX:
        raise FieldEncodeError(f"{value!r} does not fit an AMQP decimal")
    return _DECIMAL_FIELD.pack(b"D", scale, unscaled)


def _encode_str_field(value: str, depth: int) -> bytes:
    return b"S" + _long_prefixed(_text_bytes(value, "field-table string"))


def _encode_bytes_field(value: bytes, depth: int) -> bytes:
    return b"x" + _long_prefixed(value)


def _check_encode_depth(depth: int) -> None:
    if depth >= MAX_NESTING:
        raise FieldEncodeError(f"field tables and arrays nest deeper than {MAX_NESTING} levels")


def _encode_table_field(value: Mapping[str, Any], depth: int) -> bytes:
    _check_encode_depth(depth)
    return b"F" + _encode_table(value, depth + 1)


def _encode_array_field(value: list[Any] | tuple[Any, ...], depth: int) -> bytes:
    _check_encode_depth(depth)
    return b"A" + _long_prefixed(b"".join([_encode_field_value(v, depth + 1) for v in value]))


def _encode_void_field(value: None, depth: int) -> bytes:
    return b"V"


def _encode_timestamp_field(value: datetime, depth: int) -> bytes:
    return _TIMESTAMP_FIELD.pack(b"T", encode_timestamp(value))


_FIELD_ENCODERS: dict[type, Callable[[Any, int], bytes]] = {
    bool: _encode_bool_field,
    int: _encode_int_field,
    float: _encode_float_field,
    Decimal: _encode_decimal_field,
    str: _encode_str_field,
    bytes: _encode_bytes_field,
    bytearray: _encode_bytes_field,
    dict: _encode_table_field,
    list: _encode_array_field,
    tuple: _encode_array_field,
    type(None): _encode_void_field,
    datetime: _encode_timestamp_field,
}


# Decoding


def decode_shortstr(buf: Buffer, offset: int) -> tuple[str, int]:
    try:
        end = offset + 1 + buf[offset]
        if end > len(buf):
            raise AmqpDecodeError("shortstr runs past the end of the data")
        return str(buf[offset + 1 : end], "utf-8"), end
    except (IndexError, UnicodeDecodeError) as exc:
        raise AmqpDecodeError(f"corrupt shortstr: {exc}") from exc


def decode_longstr(buf: Buffer, offset: int) -> tuple[bytes, int]:
    try:
        return _read_long_bytes(buf, offset)
    except struct.error as exc:
        raise AmqpDecodeError(f"corrupt longstr: {exc}") from exc


def decode_table(buf: Buffer, offset: int) -> tuple[dict[str, Any], int]:
    if type(buf) is not bytes:  # memoryview has no .decode(): read a bytes copy of the table
        try:
            size = _LONG.unpack_from(buf, offset)[0]
        except struct.error as exc:
            raise AmqpDecodeError(f"corrupt field table: {exc}") from exc
        table, end = decode_table(bytes(buf[offset : offset + 4 + size]), 0)
        return table, offset + end
    try:
        return read_table(buf, offset, 0)
    except _MALFORMED as exc:
        raise AmqpDecodeError(f"corrupt field table: {exc}") from exc


def decode_timestamp(seconds: int) -> datetime | int:
    """A UTC datetime; the raw number when datetime cannot hold it (a publisher that wrote
    milliseconds must not break the consumer's connection)."""
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return seconds


def _read_long_bytes(buf: Buffer, offset: int) -> tuple[bytes, int]:
    start = offset + 4
    end = start + _LONG.unpack_from(buf, offset)[0]
    if end > len(buf):
        raise AmqpDecodeError("long string runs past the end of the data")
    return bytes(buf[start:end]), end


def read_table(buf: bytes, offset: int, depth: int = 0) -> tuple[dict[str, Any], int]:
    """The table at offset in buf (bytes) and the offset after it; raises _MALFORMED errors too.

    decode_table without its wrapper, for the generated decoders: they already hold bytes and
    turn those errors into AmqpDecodeError themselves.
    """
    start = offset + 4
    end = start + _unpack_long(buf, offset)[0]
    if end > len(buf):  # slices stop at the end of buf: without this, a string could seem whole
        raise AmqpDecodeError("field table runs past the end of the data")
    return read_table_entries(buf, start, end, depth), end


def read_table_entries(buf: bytes, offset: int, end: int, depth: int = 0) -> dict[str, Any]:
    """The entries of a table from offset to end, its values at depth.

    The generated decoders read a table's length themselves and call this directly: the
    content-header properties pass through here on every delivery. They check afterwards that
    the table ended inside their frame, as read_table checks it ends inside buf.
    """
    unpack_long = _unpack_long  # locals: this loop is the hot path of every delivery's headers
    octet_values = _OCTET_VALUES_BY_LETTER
    fixed_width = _FIXED_WIDTH_BY_LETTER
    table: dict[str, Any] = {}
    # Strings and fixed-width values, the usual headers, are read inline.
    while offset < end:
        start = offset + 1
        offset = start + buf[offset]
        key = buf[start:offset].decode()
        letter = buf[offset]
        if letter == 83:  # S
            start = offset + 5
            offset = start + unpack_long(buf, offset + 1)[0]
            raw = buf[start:offset]
            try:
                table[key] = raw.decode()
            except UnicodeDecodeError:
                table[key] = raw  # brokers and other clients put binary data here too
            continue
        values = octet_values[letter]
        if values is not None:  # t, b, B: looked up, cheaper than a struct call
            table[key] = values[buf[offset + 1]]
            offset += 2
            continue
        fixed = fixed_width[letter]
        if fixed is not None:
            unpack_from, size = fixed
            (table[key],) = unpack_from(buf, offset + 1)
            offset += 1 + size
        else:
            decoder = _FIELD_DECODERS.get(letter)
            if decoder is None:
                raise AmqpDecodeError(f"unknown field type {bytes([letter])!r}")
            table[key], offset = decoder(buf, offset + 1, depth)
    if offset != end:
        raise AmqpDecodeError("field table entries run past the table's length")
    return table


def _decode_array(buf: bytes, offset: int, depth: int) -> tuple[list[Any], int]:
    end = offset + 4 + _LONG.unpack_from(buf, offset)[0]
    if end > len(buf):
        raise AmqpDecodeError("field array runs past the end of the data")
    offset += 4
    decoders = _FIELD_DECODERS
    array: list[Any] = []
    while offset < end:
        decoder = decoders.get(buf[offset])
        if decoder is None:
            raise AmqpDecodeError(f"unknown field type {bytes([buf[offset]])!r}")
        value, offset = decoder(buf, offset + 1, depth)
        array.append(value)
    if offset != end:
        raise AmqpDecodeError("field array values run past the array's length")
    return array, end


_FIXED_WIDTH_FIELDS: dict[int, tuple[Callable[[Buffer, int], tuple[Any, ...]], int]] = {
    ord(letter): (struct.Struct(fmt).unpack_from, struct.calcsize(fmt))
    for letter, fmt in [
        ("t", ">?"),
        ("b", ">b"),
        ("B", ">B"),
        ("s", ">h"),
        ("u", ">H"),
        ("I", ">i"),
        ("i", ">I"),
        ("l", ">q"),
        ("f", ">f"),
        ("d", ">d"),
    ]
}
"""Type letter to (unpack_from, size) of the field types that are one struct value."""
_FIXED_WIDTH_BY_LETTER = tuple(_FIXED_WIDTH_FIELDS.get(letter) for letter in range(256))
_OCTET_VALUES: dict[int, tuple[Any, ...]] = {
    ord("t"): (False,) + (True,) * 255,
    ord("b"): tuple(range(128)) + tuple(range(-128, 0)),
    ord("B"): tuple(range(256)),
}
"""Type letter to the value of each octet, for the one-octet field types."""
_OCTET_VALUES_BY_LETTER = tuple(_OCTET_VALUES.get(letter) for letter in range(256))


def _fixed_width_decoder(letter: str) -> Callable[[Buffer, int, int], tuple[Any, int]]:
    unpack_from, size = _FIXED_WIDTH_FIELDS[ord(letter)]

    def decode(buf: Buffer, offset: int, depth: int) -> tuple[Any, int]:
        return unpack_from(buf, offset)[0], offset + size

    return decode


def _decode_decimal_field(buf: Buffer, offset: int, depth: int) -> tuple[Decimal, int]:
    scale, unscaled = _DECIMAL.unpack_from(buf, offset)
    return Decimal(f"{unscaled}E-{scale}"), offset + 5  # exact whatever the decimal context


def _decode_str_field(buf: Buffer, offset: int, depth: int) -> tuple[str | bytes, int]:
    raw, offset = _read_long_bytes(buf, offset)
    try:
        return raw.decode(), offset
    except UnicodeDecodeError:
        return raw, offset  # brokers and other clients put binary data here too


def _decode_bytes_field(buf: Buffer, offset: int, depth: int) -> tuple[bytes, int]:
    return _read_long_bytes(buf, offset)


def _decode_timestamp_field(buf: Buffer, offset: int, depth: int) -> tuple[datetime | int, int]:
    return decode_timestamp(_LONGLONG.unpack_from(buf, offset)[0]), offset + 8


def _check_decode_depth(depth: int) -> None:
    if depth >= MAX_NESTING:
        raise AmqpDecodeError(f"field tables and arrays nest deeper than {MAX_NESTING} levels")


def _decode_table_field(buf: bytes, offset: int, depth: int) -> tuple[dict[str, Any], int]:
    _check_decode_depth(depth)
    return read_table(buf, offset, depth + 1)


def _decode_array_field(buf: bytes, offset: int, depth: int) -> tuple[list[Any], int]:
    _check_decode_depth(depth)
    return _decode_array(buf, offset, depth + 1)


def _decode_void_field(buf: Buffer, offset: int, depth: int) -> tuple[None, int]:
    return None, offset


_FIELD_DECODERS: dict[int, Callable[[bytes, int, int], tuple[Any, int]]] = {
    **{letter: _fixed_width_decoder(chr(letter)) for letter in _FIXED_WIDTH_FIELDS},
    ord("D"): _decode_decimal_field,
    ord("S"): _decode_str_field,
    ord("A"): _decode_array_field,
    ord("T"): _decode_timestamp_field,
    ord("F"): _decode_table_field,
    ord("V"): _decode_void_field,
    ord("x"): _decode_bytes_field,
}
