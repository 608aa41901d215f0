# generated from spec/amqp0-9-1.xml by codegen; do not edit
"""One class per AMQP method, each with its own specialised encoder and decoder."""

from __future__ import annotations

import datetime
import struct
from typing import Any, Callable, ClassVar, Mapping, Self

from aioamqp.exceptions import AmqpDecodeError, CommandInvalid, IntegerOutOfRange
from aioamqp.wire import (
    OCTETS,
    encode_longstr,
    encode_shortstr,
    encode_table,
    read_table_entries,
)

Buffer = bytes | bytearray | memoryview
_new = object.__new__
_INDEX = struct.Struct(">I")  # class id and method id, as one key

_S_BBI = struct.Struct(">BBI")
_S_BI = struct.Struct(">BI")
_S_HB = struct.Struct(">HB")
_S_HH = struct.Struct(">HH")
_S_HHB = struct.Struct(">HHB")
_S_HHBB = struct.Struct(">HHBB")
_S_HHH = struct.Struct(">HHH")
_S_HHHIH = struct.Struct(">HHHIH")
_S_HHI = struct.Struct(">HHI")
_S_HHIHB = struct.Struct(">HHIHB")
_S_HHQB = struct.Struct(">HHQB")
_S_HIH = struct.Struct(">HIH")
_S_I = struct.Struct(">I")
_S_IHB = struct.Struct(">IHB")
_S_II = struct.Struct(">II")
_S_QB = struct.Struct(">QB")
_S_QBB = struct.Struct(">QBB")


class Method:
    """Common behaviour; each subclass carries its own ids, fields and codec."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    CLASS_ID: ClassVar[int]
    METHOD_ID: ClassVar[int]
    INDEX: ClassVar[int]
    NAME: ClassVar[str]
    SYNCHRONOUS: ClassVar[bool]
    RESPONSES: ClassVar[tuple[int, ...]]
    HAS_CONTENT: ClassVar[bool]

    def encode(self) -> bytes:
        """The method frame payload: class id, method id, arguments."""
        raise NotImplementedError

    @classmethod
    def decode(cls, buf: Buffer, offset: int = 0, end: int | None = None) -> Self:
        """Read a payload of this method (class id, method id, arguments) from buf[offset:end]
        through decode_method; a payload of another method raises AmqpDecodeError."""
        method = decode_method(buf, offset, end)
        if not isinstance(method, cls):
            raise AmqpDecodeError(f"{cls.NAME} expected, the payload is {method.NAME}")
        return method

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> Method:
        """The method whose payload is buf[offset:end], its ids already read. Malformed
        arguments surface as struct.error, IndexError, ValueError...: decode_method turns them
        into AmqpDecodeError.

        Readers read at distances from `offset` worked out at generation time, moving `offset`
        only past strings and tables; comments name the fields wherever a distance is folded in
        ("+N": N bytes after `offset` as it stands on that line).
        """
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"<{self.NAME} {args}>"


def _truncated(name: str) -> AmqpDecodeError:
    return AmqpDecodeError(f"{name}: truncated or corrupt arguments")


class ConnectionStart(Method):
    """connection.start (class 10, method 10); answered by connection.start-ok.

    :param version_major: spec field ``version-major``: an integer 0..255
    :param version_minor: spec field ``version-minor``: an integer 0..255
    :param server_properties: spec field ``server-properties``, domain ``peer-properties``: a field table (dict)
    :param mechanisms: spec field ``mechanisms``: bytes or a string
    :param locales: spec field ``locales``: bytes or a string
    """

    __slots__ = (
        "version_major",
        "version_minor",
        "server_properties",
        "mechanisms",
        "locales",
    )
    CLASS_ID = 10
    METHOD_ID = 10
    INDEX = 655370
    NAME = "connection.start"
    SYNCHRONOUS = True
    RESPONSES = (655371,)
    HAS_CONTENT = False

    def __init__(
        self,
        version_major: int = 0,
        version_minor: int = 0,
        server_properties: Mapping[str, Any] | None = None,
        mechanisms: bytes | str = b"",
        locales: bytes | str = b"",
    ) -> None:
        self.version_major = version_major
        self.version_minor = version_minor
        self.server_properties = server_properties
        self.mechanisms = mechanisms
        self.locales = locales

    def encode(self) -> bytes:
        return self.pack(
            self.version_major,
            self.version_minor,
            self.server_properties,
            self.mechanisms,
            self.locales,
        )

    @staticmethod
    def pack(
        version_major: int = 0,
        version_minor: int = 0,
        server_properties: Mapping[str, Any] | None = None,
        mechanisms: bytes | str = b"",
        locales: bytes | str = b"",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    _S_HHBB.pack(10, 10, version_major, version_minor),
                    encode_table(server_properties),
                    encode_longstr(mechanisms),
                    encode_longstr(locales),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"connection.start: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionStart:
        self = _new(ConnectionStart)
        # version_major at +4, version_minor at +5, length of server_properties at +6
        self.version_major, self.version_minor, _length = _S_BBI.unpack_from(buf, offset + 4)
        # server_properties at +10, its length read with the struct above
        start = offset + 10
        offset = start + _length
        self.server_properties = read_table_entries(buf, start, offset)
        start = offset + 4
        offset = start + _S_I.unpack_from(buf, offset)[0]
        self.mechanisms = buf[start:offset]
        start = offset + 4
        offset = start + _S_I.unpack_from(buf, offset)[0]
        self.locales = buf[start:offset]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionStartOk(Method):
    """connection.start-ok (class 10, method 11).

    :param client_properties: spec field ``client-properties``, domain ``peer-properties``: a field table (dict)
    :param mechanism: spec field ``mechanism``: a string of up to 255 UTF-8 bytes
    :param response: spec field ``response``: bytes or a string
    :param locale: spec field ``locale``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = (
        "client_properties",
        "mechanism",
        "response",
        "locale",
    )
    CLASS_ID = 10
    METHOD_ID = 11
    INDEX = 655371
    NAME = "connection.start-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        client_properties: Mapping[str, Any] | None = None,
        mechanism: str = "",
        response: bytes | str = b"",
        locale: str = "",
    ) -> None:
        self.client_properties = client_properties
        self.mechanism = mechanism
        self.response = response
        self.locale = locale

    def encode(self) -> bytes:
        return self.pack(self.client_properties, self.mechanism, self.response, self.locale)

    @staticmethod
    def pack(
        client_properties: Mapping[str, Any] | None = None,
        mechanism: str = "",
        response: bytes | str = b"",
        locale: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x0a\x00\x0b",
                encode_table(client_properties),
                encode_shortstr(mechanism),
                encode_longstr(response),
                encode_shortstr(locale),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionStartOk:
        self = _new(ConnectionStartOk)
        # client_properties at +8, after its length at +4
        start = offset + 8
        offset = start + _S_I.unpack_from(buf, offset + 4)[0]
        self.client_properties = read_table_entries(buf, start, offset)
        start = offset + 1
        offset = start + buf[offset]
        self.mechanism = buf[start:offset].decode()
        start = offset + 4
        offset = start + _S_I.unpack_from(buf, offset)[0]
        self.response = buf[start:offset]
        start = offset + 1
        offset = start + buf[offset]
        self.locale = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionSecure(Method):
    """connection.secure (class 10, method 20); answered by connection.secure-ok.

    :param challenge: spec field ``challenge``: bytes or a string
    """

    __slots__ = ("challenge",)
    CLASS_ID = 10
    METHOD_ID = 20
    INDEX = 655380
    NAME = "connection.secure"
    SYNCHRONOUS = True
    RESPONSES = (655381,)
    HAS_CONTENT = False

    def __init__(
        self,
        challenge: bytes | str = b"",
    ) -> None:
        self.challenge = challenge

    def encode(self) -> bytes:
        return self.pack(self.challenge)

    @staticmethod
    def pack(
        challenge: bytes | str = b"",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x14" + encode_longstr(challenge)

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionSecure:
        self = _new(ConnectionSecure)
        # challenge at +8, after its length at +4
        start = offset + 8
        offset = start + _S_I.unpack_from(buf, offset + 4)[0]
        self.challenge = buf[start:offset]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionSecureOk(Method):
    """connection.secure-ok (class 10, method 21).

    :param response: spec field ``response``: bytes or a string
    """

    __slots__ = ("response",)
    CLASS_ID = 10
    METHOD_ID = 21
    INDEX = 655381
    NAME = "connection.secure-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        response: bytes | str = b"",
    ) -> None:
        self.response = response

    def encode(self) -> bytes:
        return self.pack(self.response)

    @staticmethod
    def pack(
        response: bytes | str = b"",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x15" + encode_longstr(response)

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionSecureOk:
        self = _new(ConnectionSecureOk)
        # response at +8, after its length at +4
        start = offset + 8
        offset = start + _S_I.unpack_from(buf, offset + 4)[0]
        self.response = buf[start:offset]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionTune(Method):
    """connection.tune (class 10, method 30); answered by connection.tune-ok.

    :param channel_max: spec field ``channel-max``: an integer 0..65535
    :param frame_max: spec field ``frame-max``: an integer 0..4294967295
    :param heartbeat: spec field ``heartbeat``: an integer 0..65535
    """

    __slots__ = (
        "channel_max",
        "frame_max",
        "heartbeat",
    )
    CLASS_ID = 10
    METHOD_ID = 30
    INDEX = 655390
    NAME = "connection.tune"
    SYNCHRONOUS = True
    RESPONSES = (655391,)
    HAS_CONTENT = False

    def __init__(
        self,
        channel_max: int = 0,
        frame_max: int = 0,
        heartbeat: int = 0,
    ) -> None:
        self.channel_max = channel_max
        self.frame_max = frame_max
        self.heartbeat = heartbeat

    def encode(self) -> bytes:
        return self.pack(self.channel_max, self.frame_max, self.heartbeat)

    @staticmethod
    def pack(
        channel_max: int = 0,
        frame_max: int = 0,
        heartbeat: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHHIH.pack(10, 30, channel_max, frame_max, heartbeat)
        except struct.error as exc:
            raise IntegerOutOfRange(f"connection.tune: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionTune:
        self = _new(ConnectionTune)
        # channel_max at +4, frame_max at +6, heartbeat at +10
        self.channel_max, self.frame_max, self.heartbeat = _S_HIH.unpack_from(buf, offset + 4)
        if offset + 12 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionTuneOk(Method):
    """connection.tune-ok (class 10, method 31).

    :param channel_max: spec field ``channel-max``: an integer 0..65535
    :param frame_max: spec field ``frame-max``: an integer 0..4294967295
    :param heartbeat: spec field ``heartbeat``: an integer 0..65535
    """

    __slots__ = (
        "channel_max",
        "frame_max",
        "heartbeat",
    )
    CLASS_ID = 10
    METHOD_ID = 31
    INDEX = 655391
    NAME = "connection.tune-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        channel_max: int = 0,
        frame_max: int = 0,
        heartbeat: int = 0,
    ) -> None:
        self.channel_max = channel_max
        self.frame_max = frame_max
        self.heartbeat = heartbeat

    def encode(self) -> bytes:
        return self.pack(self.channel_max, self.frame_max, self.heartbeat)

    @staticmethod
    def pack(
        channel_max: int = 0,
        frame_max: int = 0,
        heartbeat: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHHIH.pack(10, 31, channel_max, frame_max, heartbeat)
        except struct.error as exc:
            raise IntegerOutOfRange(f"connection.tune-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionTuneOk:
        self = _new(ConnectionTuneOk)
        # channel_max at +4, frame_max at +6, heartbeat at +10
        self.channel_max, self.frame_max, self.heartbeat = _S_HIH.unpack_from(buf, offset + 4)
        if offset + 12 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionOpen(Method):
    """connection.open (class 10, method 40); answered by connection.open-ok.

    :param virtual_host: spec field ``virtual-host``, domain ``path``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = ("virtual_host",)
    CLASS_ID = 10
    METHOD_ID = 40
    INDEX = 655400
    NAME = "connection.open"
    SYNCHRONOUS = True
    RESPONSES = (655401,)
    HAS_CONTENT = False

    def __init__(
        self,
        virtual_host: str = "",
    ) -> None:
        self.virtual_host = virtual_host

    def encode(self) -> bytes:
        return self.pack(self.virtual_host)

    @staticmethod
    def pack(
        virtual_host: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join((b"\x00\x0a\x00\x28", encode_shortstr(virtual_host), b"\x00\x00"))

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionOpen:
        self = _new(ConnectionOpen)
        # virtual_host at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.virtual_host = buf[start:offset].decode()
        offset = offset + 1 + buf[offset]
        # reserved bit at +0: not read
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionOpenOk(Method):
    """connection.open-ok (class 10, method 41)."""

    __slots__ = ()
    CLASS_ID = 10
    METHOD_ID = 41
    INDEX = 655401
    NAME = "connection.open-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x29\x00"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionOpenOk:
        self = _new(ConnectionOpenOk)
        # reserved shortstr at +5, after its length at +4
        offset = offset + 5 + buf[offset + 4]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionClose(Method):
    """connection.close (class 10, method 50); answered by connection.close-ok.

    :param reply_code: spec field ``reply-code``, domain ``reply-code``: an integer 0..65535
    :param reply_text: spec field ``reply-text``, domain ``reply-text``: a string of up to 255 UTF-8 bytes
    :param class_id: spec field ``class-id``, domain ``class-id``: an integer 0..65535
    :param method_id: spec field ``method-id``, domain ``method-id``: an integer 0..65535
    """

    __slots__ = (
        "reply_code",
        "reply_text",
        "class_id",
        "method_id",
    )
    CLASS_ID = 10
    METHOD_ID = 50
    INDEX = 655410
    NAME = "connection.close"
    SYNCHRONOUS = True
    RESPONSES = (655411,)
    HAS_CONTENT = False

    def __init__(
        self,
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
    ) -> None:
        self.reply_code = reply_code
        self.reply_text = reply_text
        self.class_id = class_id
        self.method_id = method_id

    def encode(self) -> bytes:
        return self.pack(self.reply_code, self.reply_text, self.class_id, self.method_id)

    @staticmethod
    def pack(
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    _S_HHH.pack(10, 50, reply_code),
                    encode_shortstr(reply_text),
                    _S_HH.pack(class_id, method_id),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"connection.close: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionClose:
        self = _new(ConnectionClose)
        # reply_code at +4, length of reply_text at +6
        self.reply_code, _length = _S_HB.unpack_from(buf, offset + 4)
        # reply_text at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.reply_text = buf[start:offset].decode()
        # class_id at +0, method_id at +2
        self.class_id, self.method_id = _S_HH.unpack_from(buf, offset)
        if offset + 4 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionCloseOk(Method):
    """connection.close-ok (class 10, method 51)."""

    __slots__ = ()
    CLASS_ID = 10
    METHOD_ID = 51
    INDEX = 655411
    NAME = "connection.close-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x33"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionCloseOk:
        self = _new(ConnectionCloseOk)
        return self


class ConnectionBlocked(Method):
    """connection.blocked (class 10, method 60).

    :param reason: spec field ``reason``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = ("reason",)
    CLASS_ID = 10
    METHOD_ID = 60
    INDEX = 655420
    NAME = "connection.blocked"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        reason: str = "",
    ) -> None:
        self.reason = reason

    def encode(self) -> bytes:
        return self.pack(self.reason)

    @staticmethod
    def pack(
        reason: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x3c" + encode_shortstr(reason)

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionBlocked:
        self = _new(ConnectionBlocked)
        # reason at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.reason = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionUnblocked(Method):
    """connection.unblocked (class 10, method 61)."""

    __slots__ = ()
    CLASS_ID = 10
    METHOD_ID = 61
    INDEX = 655421
    NAME = "connection.unblocked"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x3d"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionUnblocked:
        self = _new(ConnectionUnblocked)
        return self


class ConnectionUpdateSecret(Method):
    """connection.update-secret (class 10, method 70); answered by connection.update-secret-ok.

    :param new_secret: spec field ``new-secret``: bytes or a string
    :param reason: spec field ``reason``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = (
        "new_secret",
        "reason",
    )
    CLASS_ID = 10
    METHOD_ID = 70
    INDEX = 655430
    NAME = "connection.update-secret"
    SYNCHRONOUS = True
    RESPONSES = (655431,)
    HAS_CONTENT = False

    def __init__(
        self,
        new_secret: bytes | str = b"",
        reason: str = "",
    ) -> None:
        self.new_secret = new_secret
        self.reason = reason

    def encode(self) -> bytes:
        return self.pack(self.new_secret, self.reason)

    @staticmethod
    def pack(
        new_secret: bytes | str = b"",
        reason: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join((b"\x00\x0a\x00\x46", encode_longstr(new_secret), encode_shortstr(reason)))

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionUpdateSecret:
        self = _new(ConnectionUpdateSecret)
        # new_secret at +8, after its length at +4
        start = offset + 8
        offset = start + _S_I.unpack_from(buf, offset + 4)[0]
        self.new_secret = buf[start:offset]
        start = offset + 1
        offset = start + buf[offset]
        self.reason = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConnectionUpdateSecretOk(Method):
    """connection.update-secret-ok (class 10, method 71)."""

    __slots__ = ()
    CLASS_ID = 10
    METHOD_ID = 71
    INDEX = 655431
    NAME = "connection.update-secret-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x0a\x00\x47"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConnectionUpdateSecretOk:
        self = _new(ConnectionUpdateSecretOk)
        return self


class ChannelOpen(Method):
    """channel.open (class 20, method 10); answered by channel.open-ok."""

    __slots__ = ()
    CLASS_ID = 20
    METHOD_ID = 10
    INDEX = 1310730
    NAME = "channel.open"
    SYNCHRONOUS = True
    RESPONSES = (1310731,)
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x14\x00\x0a\x00"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelOpen:
        self = _new(ChannelOpen)
        # reserved shortstr at +5, after its length at +4
        offset = offset + 5 + buf[offset + 4]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ChannelOpenOk(Method):
    """channel.open-ok (class 20, method 11)."""

    __slots__ = ()
    CLASS_ID = 20
    METHOD_ID = 11
    INDEX = 1310731
    NAME = "channel.open-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x14\x00\x0b\x00\x00\x00\x00"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelOpenOk:
        self = _new(ChannelOpenOk)
        # reserved longstr at +8, after its length at +4
        offset = offset + 8 + _S_I.unpack_from(buf, offset + 4)[0]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ChannelFlow(Method):
    """channel.flow (class 20, method 20); answered by channel.flow-ok.

    :param active: spec field ``active``: a flag
    """

    __slots__ = ("active",)
    CLASS_ID = 20
    METHOD_ID = 20
    INDEX = 1310740
    NAME = "channel.flow"
    SYNCHRONOUS = True
    RESPONSES = (1310741,)
    HAS_CONTENT = False

    def __init__(
        self,
        active: bool = False,
    ) -> None:
        self.active = active

    def encode(self) -> bytes:
        return self.pack(self.active)

    @staticmethod
    def pack(
        active: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHB.pack(20, 20, (1 if active else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"channel.flow: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelFlow:
        self = _new(ChannelFlow)
        # active at +4
        _bits0 = buf[offset + 4]
        self.active = _bits0 & 1 != 0
        if offset + 5 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ChannelFlowOk(Method):
    """channel.flow-ok (class 20, method 21).

    :param active: spec field ``active``: a flag
    """

    __slots__ = ("active",)
    CLASS_ID = 20
    METHOD_ID = 21
    INDEX = 1310741
    NAME = "channel.flow-ok"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        active: bool = False,
    ) -> None:
        self.active = active

    def encode(self) -> bytes:
        return self.pack(self.active)

    @staticmethod
    def pack(
        active: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHB.pack(20, 21, (1 if active else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"channel.flow-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelFlowOk:
        self = _new(ChannelFlowOk)
        # active at +4
        _bits0 = buf[offset + 4]
        self.active = _bits0 & 1 != 0
        if offset + 5 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ChannelClose(Method):
    """channel.close (class 20, method 40); answered by channel.close-ok.

    :param reply_code: spec field ``reply-code``, domain ``reply-code``: an integer 0..65535
    :param reply_text: spec field ``reply-text``, domain ``reply-text``: a string of up to 255 UTF-8 bytes
    :param class_id: spec field ``class-id``, domain ``class-id``: an integer 0..65535
    :param method_id: spec field ``method-id``, domain ``method-id``: an integer 0..65535
    """

    __slots__ = (
        "reply_code",
        "reply_text",
        "class_id",
        "method_id",
    )
    CLASS_ID = 20
    METHOD_ID = 40
    INDEX = 1310760
    NAME = "channel.close"
    SYNCHRONOUS = True
    RESPONSES = (1310761,)
    HAS_CONTENT = False

    def __init__(
        self,
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
    ) -> None:
        self.reply_code = reply_code
        self.reply_text = reply_text
        self.class_id = class_id
        self.method_id = method_id

    def encode(self) -> bytes:
        return self.pack(self.reply_code, self.reply_text, self.class_id, self.method_id)

    @staticmethod
    def pack(
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    _S_HHH.pack(20, 40, reply_code),
                    encode_shortstr(reply_text),
                    _S_HH.pack(class_id, method_id),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"channel.close: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelClose:
        self = _new(ChannelClose)
        # reply_code at +4, length of reply_text at +6
        self.reply_code, _length = _S_HB.unpack_from(buf, offset + 4)
        # reply_text at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.reply_text = buf[start:offset].decode()
        # class_id at +0, method_id at +2
        self.class_id, self.method_id = _S_HH.unpack_from(buf, offset)
        if offset + 4 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ChannelCloseOk(Method):
    """channel.close-ok (class 20, method 41)."""

    __slots__ = ()
    CLASS_ID = 20
    METHOD_ID = 41
    INDEX = 1310761
    NAME = "channel.close-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x14\x00\x29"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ChannelCloseOk:
        self = _new(ChannelCloseOk)
        return self


class ExchangeDeclare(Method):
    """exchange.declare (class 40, method 10); answered by exchange.declare-ok.

    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param type_name: spec field ``type``: a string of up to 255 UTF-8 bytes
    :param passive: spec field ``passive``: a flag
    :param durable: spec field ``durable``: a flag
    :param auto_delete: spec field ``auto-delete``: a flag
    :param internal: spec field ``internal``: a flag
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "exchange_name",
        "type_name",
        "passive",
        "durable",
        "auto_delete",
        "internal",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 40
    METHOD_ID = 10
    INDEX = 2621450
    NAME = "exchange.declare"
    SYNCHRONOUS = True
    RESPONSES = (2621451,)
    HAS_CONTENT = False

    def __init__(
        self,
        exchange_name: str = "",
        type_name: str = "direct",
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.exchange_name = exchange_name
        self.type_name = type_name
        self.passive = passive
        self.durable = durable
        self.auto_delete = auto_delete
        self.internal = internal
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.exchange_name,
            self.type_name,
            self.passive,
            self.durable,
            self.auto_delete,
            self.internal,
            self.no_wait,
            self.arguments,
        )

    @staticmethod
    def pack(
        exchange_name: str = "",
        type_name: str = "direct",
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x28\x00\x0a\x00\x00",
                encode_shortstr(exchange_name),
                encode_shortstr(type_name),
                OCTETS[
                    (1 if passive else 0)
                    | (2 if durable else 0)
                    | (4 if auto_delete else 0)
                    | (8 if internal else 0)
                    | (16 if no_wait else 0)
                ],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeDeclare:
        self = _new(ExchangeDeclare)
        # reserved short at +4, length of exchange_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # exchange_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.type_name = buf[start:offset].decode()
        # passive/durable/auto_delete/internal/no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.passive = _bits0 & 1 != 0
        self.durable = _bits0 & 2 != 0
        self.auto_delete = _bits0 & 4 != 0
        self.internal = _bits0 & 8 != 0
        self.no_wait = _bits0 & 16 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ExchangeDeclareOk(Method):
    """exchange.declare-ok (class 40, method 11)."""

    __slots__ = ()
    CLASS_ID = 40
    METHOD_ID = 11
    INDEX = 2621451
    NAME = "exchange.declare-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x28\x00\x0b"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeDeclareOk:
        self = _new(ExchangeDeclareOk)
        return self


class ExchangeDelete(Method):
    """exchange.delete (class 40, method 20); answered by exchange.delete-ok.

    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param if_unused: spec field ``if-unused``: a flag
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    """

    __slots__ = (
        "exchange_name",
        "if_unused",
        "no_wait",
    )
    CLASS_ID = 40
    METHOD_ID = 20
    INDEX = 2621460
    NAME = "exchange.delete"
    SYNCHRONOUS = True
    RESPONSES = (2621461,)
    HAS_CONTENT = False

    def __init__(
        self,
        exchange_name: str = "",
        if_unused: bool = False,
        no_wait: bool = False,
    ) -> None:
        self.exchange_name = exchange_name
        self.if_unused = if_unused
        self.no_wait = no_wait

    def encode(self) -> bytes:
        return self.pack(self.exchange_name, self.if_unused, self.no_wait)

    @staticmethod
    def pack(
        exchange_name: str = "",
        if_unused: bool = False,
        no_wait: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x28\x00\x14\x00\x00",
                encode_shortstr(exchange_name),
                OCTETS[(1 if if_unused else 0) | (2 if no_wait else 0)],
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeDelete:
        self = _new(ExchangeDelete)
        # reserved short at +4, length of exchange_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # exchange_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.exchange_name = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.if_unused = _bits0 & 1 != 0
        self.no_wait = _bits0 & 2 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ExchangeDeleteOk(Method):
    """exchange.delete-ok (class 40, method 21)."""

    __slots__ = ()
    CLASS_ID = 40
    METHOD_ID = 21
    INDEX = 2621461
    NAME = "exchange.delete-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x28\x00\x15"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeDeleteOk:
        self = _new(ExchangeDeleteOk)
        return self


class ExchangeBind(Method):
    """exchange.bind (class 40, method 30); answered by exchange.bind-ok.

    :param exchange_destination: spec field ``destination``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param exchange_source: spec field ``source``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "exchange_destination",
        "exchange_source",
        "routing_key",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 40
    METHOD_ID = 30
    INDEX = 2621470
    NAME = "exchange.bind"
    SYNCHRONOUS = True
    RESPONSES = (2621471,)
    HAS_CONTENT = False

    def __init__(
        self,
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.exchange_destination = exchange_destination
        self.exchange_source = exchange_source
        self.routing_key = routing_key
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.exchange_destination,
            self.exchange_source,
            self.routing_key,
            self.no_wait,
            self.arguments,
        )

    @staticmethod
    def pack(
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x28\x00\x1e\x00\x00",
                encode_shortstr(exchange_destination),
                encode_shortstr(exchange_source),
                encode_shortstr(routing_key),
                OCTETS[(1 if no_wait else 0)],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeBind:
        self = _new(ExchangeBind)
        # reserved short at +4, length of exchange_destination at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # exchange_destination at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.exchange_destination = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.exchange_source = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        # no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.no_wait = _bits0 & 1 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ExchangeBindOk(Method):
    """exchange.bind-ok (class 40, method 31)."""

    __slots__ = ()
    CLASS_ID = 40
    METHOD_ID = 31
    INDEX = 2621471
    NAME = "exchange.bind-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x28\x00\x1f"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeBindOk:
        self = _new(ExchangeBindOk)
        return self


class ExchangeUnbind(Method):
    """exchange.unbind (class 40, method 40); answered by exchange.unbind-ok.

    :param exchange_destination: spec field ``destination``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param exchange_source: spec field ``source``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "exchange_destination",
        "exchange_source",
        "routing_key",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 40
    METHOD_ID = 40
    INDEX = 2621480
    NAME = "exchange.unbind"
    SYNCHRONOUS = True
    RESPONSES = (2621491,)
    HAS_CONTENT = False

    def __init__(
        self,
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.exchange_destination = exchange_destination
        self.exchange_source = exchange_source
        self.routing_key = routing_key
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.exchange_destination,
            self.exchange_source,
            self.routing_key,
            self.no_wait,
            self.arguments,
        )

    @staticmethod
    def pack(
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x28\x00\x28\x00\x00",
                encode_shortstr(exchange_destination),
                encode_shortstr(exchange_source),
                encode_shortstr(routing_key),
                OCTETS[(1 if no_wait else 0)],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeUnbind:
        self = _new(ExchangeUnbind)
        # reserved short at +4, length of exchange_destination at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # exchange_destination at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.exchange_destination = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.exchange_source = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        # no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.no_wait = _bits0 & 1 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ExchangeUnbindOk(Method):
    """exchange.unbind-ok (class 40, method 51)."""

    __slots__ = ()
    CLASS_ID = 40
    METHOD_ID = 51
    INDEX = 2621491
    NAME = "exchange.unbind-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x28\x00\x33"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ExchangeUnbindOk:
        self = _new(ExchangeUnbindOk)
        return self


class QueueDeclare(Method):
    """queue.declare (class 50, method 10); answered by queue.declare-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param passive: spec field ``passive``: a flag
    :param durable: spec field ``durable``: a flag
    :param exclusive: spec field ``exclusive``: a flag
    :param auto_delete: spec field ``auto-delete``: a flag
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "queue_name",
        "passive",
        "durable",
        "exclusive",
        "auto_delete",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 50
    METHOD_ID = 10
    INDEX = 3276810
    NAME = "queue.declare"
    SYNCHRONOUS = True
    RESPONSES = (3276811,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.queue_name = queue_name
        self.passive = passive
        self.durable = durable
        self.exclusive = exclusive
        self.auto_delete = auto_delete
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.queue_name,
            self.passive,
            self.durable,
            self.exclusive,
            self.auto_delete,
            self.no_wait,
            self.arguments,
        )

    @staticmethod
    def pack(
        queue_name: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x32\x00\x0a\x00\x00",
                encode_shortstr(queue_name),
                OCTETS[
                    (1 if passive else 0)
                    | (2 if durable else 0)
                    | (4 if exclusive else 0)
                    | (8 if auto_delete else 0)
                    | (16 if no_wait else 0)
                ],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueDeclare:
        self = _new(QueueDeclare)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        # passive/durable/exclusive/auto_delete/no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.passive = _bits0 & 1 != 0
        self.durable = _bits0 & 2 != 0
        self.exclusive = _bits0 & 4 != 0
        self.auto_delete = _bits0 & 8 != 0
        self.no_wait = _bits0 & 16 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueDeclareOk(Method):
    """queue.declare-ok (class 50, method 11).

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param message_count: spec field ``message-count``, domain ``message-count``: an integer 0..4294967295
    :param consumer_count: spec field ``consumer-count``: an integer 0..4294967295
    """

    __slots__ = (
        "queue_name",
        "message_count",
        "consumer_count",
    )
    CLASS_ID = 50
    METHOD_ID = 11
    INDEX = 3276811
    NAME = "queue.declare-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        message_count: int = 0,
        consumer_count: int = 0,
    ) -> None:
        self.queue_name = queue_name
        self.message_count = message_count
        self.consumer_count = consumer_count

    def encode(self) -> bytes:
        return self.pack(self.queue_name, self.message_count, self.consumer_count)

    @staticmethod
    def pack(
        queue_name: str = "",
        message_count: int = 0,
        consumer_count: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    b"\x00\x32\x00\x0b",
                    encode_shortstr(queue_name),
                    _S_II.pack(message_count, consumer_count),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"queue.declare-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueDeclareOk:
        self = _new(QueueDeclareOk)
        # queue_name at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.queue_name = buf[start:offset].decode()
        # message_count at +0, consumer_count at +4
        self.message_count, self.consumer_count = _S_II.unpack_from(buf, offset)
        if offset + 8 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueBind(Method):
    """queue.bind (class 50, method 20); answered by queue.bind-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "queue_name",
        "exchange_name",
        "routing_key",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 50
    METHOD_ID = 20
    INDEX = 3276820
    NAME = "queue.bind"
    SYNCHRONOUS = True
    RESPONSES = (3276821,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.queue_name = queue_name
        self.exchange_name = exchange_name
        self.routing_key = routing_key
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.queue_name, self.exchange_name, self.routing_key, self.no_wait, self.arguments
        )

    @staticmethod
    def pack(
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x32\x00\x14\x00\x00",
                encode_shortstr(queue_name),
                encode_shortstr(exchange_name),
                encode_shortstr(routing_key),
                OCTETS[(1 if no_wait else 0)],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueBind:
        self = _new(QueueBind)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        # no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.no_wait = _bits0 & 1 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueBindOk(Method):
    """queue.bind-ok (class 50, method 21)."""

    __slots__ = ()
    CLASS_ID = 50
    METHOD_ID = 21
    INDEX = 3276821
    NAME = "queue.bind-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x32\x00\x15"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueBindOk:
        self = _new(QueueBindOk)
        return self


class QueueUnbind(Method):
    """queue.unbind (class 50, method 50); answered by queue.unbind-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "queue_name",
        "exchange_name",
        "routing_key",
        "arguments",
    )
    CLASS_ID = 50
    METHOD_ID = 50
    INDEX = 3276850
    NAME = "queue.unbind"
    SYNCHRONOUS = True
    RESPONSES = (3276851,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.queue_name = queue_name
        self.exchange_name = exchange_name
        self.routing_key = routing_key
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(self.queue_name, self.exchange_name, self.routing_key, self.arguments)

    @staticmethod
    def pack(
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x32\x00\x32\x00\x00",
                encode_shortstr(queue_name),
                encode_shortstr(exchange_name),
                encode_shortstr(routing_key),
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueUnbind:
        self = _new(QueueUnbind)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        start = offset + 4
        offset = start + _S_I.unpack_from(buf, offset)[0]
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueUnbindOk(Method):
    """queue.unbind-ok (class 50, method 51)."""

    __slots__ = ()
    CLASS_ID = 50
    METHOD_ID = 51
    INDEX = 3276851
    NAME = "queue.unbind-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x32\x00\x33"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueUnbindOk:
        self = _new(QueueUnbindOk)
        return self


class QueuePurge(Method):
    """queue.purge (class 50, method 30); answered by queue.purge-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    """

    __slots__ = (
        "queue_name",
        "no_wait",
    )
    CLASS_ID = 50
    METHOD_ID = 30
    INDEX = 3276830
    NAME = "queue.purge"
    SYNCHRONOUS = True
    RESPONSES = (3276831,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        no_wait: bool = False,
    ) -> None:
        self.queue_name = queue_name
        self.no_wait = no_wait

    def encode(self) -> bytes:
        return self.pack(self.queue_name, self.no_wait)

    @staticmethod
    def pack(
        queue_name: str = "",
        no_wait: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x32\x00\x1e\x00\x00",
                encode_shortstr(queue_name),
                OCTETS[(1 if no_wait else 0)],
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueuePurge:
        self = _new(QueuePurge)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.no_wait = _bits0 & 1 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueuePurgeOk(Method):
    """queue.purge-ok (class 50, method 31).

    :param message_count: spec field ``message-count``, domain ``message-count``: an integer 0..4294967295
    """

    __slots__ = ("message_count",)
    CLASS_ID = 50
    METHOD_ID = 31
    INDEX = 3276831
    NAME = "queue.purge-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        message_count: int = 0,
    ) -> None:
        self.message_count = message_count

    def encode(self) -> bytes:
        return self.pack(self.message_count)

    @staticmethod
    def pack(
        message_count: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHI.pack(50, 31, message_count)
        except struct.error as exc:
            raise IntegerOutOfRange(f"queue.purge-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueuePurgeOk:
        self = _new(QueuePurgeOk)
        # message_count at +4
        (self.message_count,) = _S_I.unpack_from(buf, offset + 4)
        if offset + 8 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueDelete(Method):
    """queue.delete (class 50, method 40); answered by queue.delete-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param if_unused: spec field ``if-unused``: a flag
    :param if_empty: spec field ``if-empty``: a flag
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    """

    __slots__ = (
        "queue_name",
        "if_unused",
        "if_empty",
        "no_wait",
    )
    CLASS_ID = 50
    METHOD_ID = 40
    INDEX = 3276840
    NAME = "queue.delete"
    SYNCHRONOUS = True
    RESPONSES = (3276841,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        if_unused: bool = False,
        if_empty: bool = False,
        no_wait: bool = False,
    ) -> None:
        self.queue_name = queue_name
        self.if_unused = if_unused
        self.if_empty = if_empty
        self.no_wait = no_wait

    def encode(self) -> bytes:
        return self.pack(self.queue_name, self.if_unused, self.if_empty, self.no_wait)

    @staticmethod
    def pack(
        queue_name: str = "",
        if_unused: bool = False,
        if_empty: bool = False,
        no_wait: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x32\x00\x28\x00\x00",
                encode_shortstr(queue_name),
                OCTETS[(1 if if_unused else 0) | (2 if if_empty else 0) | (4 if no_wait else 0)],
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueDelete:
        self = _new(QueueDelete)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.if_unused = _bits0 & 1 != 0
        self.if_empty = _bits0 & 2 != 0
        self.no_wait = _bits0 & 4 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class QueueDeleteOk(Method):
    """queue.delete-ok (class 50, method 41).

    :param message_count: spec field ``message-count``, domain ``message-count``: an integer 0..4294967295
    """

    __slots__ = ("message_count",)
    CLASS_ID = 50
    METHOD_ID = 41
    INDEX = 3276841
    NAME = "queue.delete-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        message_count: int = 0,
    ) -> None:
        self.message_count = message_count

    def encode(self) -> bytes:
        return self.pack(self.message_count)

    @staticmethod
    def pack(
        message_count: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHI.pack(50, 41, message_count)
        except struct.error as exc:
            raise IntegerOutOfRange(f"queue.delete-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> QueueDeleteOk:
        self = _new(QueueDeleteOk)
        # message_count at +4
        (self.message_count,) = _S_I.unpack_from(buf, offset + 4)
        if offset + 8 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicQos(Method):
    """basic.qos (class 60, method 10); answered by basic.qos-ok.

    :param prefetch_size: spec field ``prefetch-size``: an integer 0..4294967295
    :param prefetch_count: spec field ``prefetch-count``: an integer 0..65535
    :param connection_global: spec field ``global``: a flag
    """

    __slots__ = (
        "prefetch_size",
        "prefetch_count",
        "connection_global",
    )
    CLASS_ID = 60
    METHOD_ID = 10
    INDEX = 3932170
    NAME = "basic.qos"
    SYNCHRONOUS = True
    RESPONSES = (3932171,)
    HAS_CONTENT = False

    def __init__(
        self,
        prefetch_size: int = 0,
        prefetch_count: int = 0,
        connection_global: bool = False,
    ) -> None:
        self.prefetch_size = prefetch_size
        self.prefetch_count = prefetch_count
        self.connection_global = connection_global

    def encode(self) -> bytes:
        return self.pack(self.prefetch_size, self.prefetch_count, self.connection_global)

    @staticmethod
    def pack(
        prefetch_size: int = 0,
        prefetch_count: int = 0,
        connection_global: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHIHB.pack(
                60, 10, prefetch_size, prefetch_count, (1 if connection_global else 0)
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.qos: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicQos:
        self = _new(BasicQos)
        # prefetch_size at +4, prefetch_count at +8, connection_global at +10
        self.prefetch_size, self.prefetch_count, _bits2 = _S_IHB.unpack_from(buf, offset + 4)
        self.connection_global = _bits2 & 1 != 0
        if offset + 11 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicQosOk(Method):
    """basic.qos-ok (class 60, method 11)."""

    __slots__ = ()
    CLASS_ID = 60
    METHOD_ID = 11
    INDEX = 3932171
    NAME = "basic.qos-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x3c\x00\x0b"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicQosOk:
        self = _new(BasicQosOk)
        return self


class BasicConsume(Method):
    """basic.consume (class 60, method 20); answered by basic.consume-ok.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
    :param no_local: spec field ``no-local``, domain ``no-local``: a flag
    :param no_ack: spec field ``no-ack``, domain ``no-ack``: a flag
    :param exclusive: spec field ``exclusive``: a flag
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    :param arguments: spec field ``arguments``: a field table (dict)
    """

    __slots__ = (
        "queue_name",
        "consumer_tag",
        "no_local",
        "no_ack",
        "exclusive",
        "no_wait",
        "arguments",
    )
    CLASS_ID = 60
    METHOD_ID = 20
    INDEX = 3932180
    NAME = "basic.consume"
    SYNCHRONOUS = True
    RESPONSES = (3932181,)
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.queue_name = queue_name
        self.consumer_tag = consumer_tag
        self.no_local = no_local
        self.no_ack = no_ack
        self.exclusive = exclusive
        self.no_wait = no_wait
        self.arguments = arguments

    def encode(self) -> bytes:
        return self.pack(
            self.queue_name,
            self.consumer_tag,
            self.no_local,
            self.no_ack,
            self.exclusive,
            self.no_wait,
            self.arguments,
        )

    @staticmethod
    def pack(
        queue_name: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x3c\x00\x14\x00\x00",
                encode_shortstr(queue_name),
                encode_shortstr(consumer_tag),
                OCTETS[
                    (1 if no_local else 0)
                    | (2 if no_ack else 0)
                    | (4 if exclusive else 0)
                    | (8 if no_wait else 0)
                ],
                encode_table(arguments),
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicConsume:
        self = _new(BasicConsume)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.consumer_tag = buf[start:offset].decode()
        # no_local/no_ack/exclusive/no_wait at +0, length of arguments at +1
        _bits0, _length = _S_BI.unpack_from(buf, offset)
        self.no_local = _bits0 & 1 != 0
        self.no_ack = _bits0 & 2 != 0
        self.exclusive = _bits0 & 4 != 0
        self.no_wait = _bits0 & 8 != 0
        # arguments at +5, its length read with the struct above
        start = offset + 5
        offset = start + _length
        self.arguments = read_table_entries(buf, start, offset)
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicConsumeOk(Method):
    """basic.consume-ok (class 60, method 21).

    :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = ("consumer_tag",)
    CLASS_ID = 60
    METHOD_ID = 21
    INDEX = 3932181
    NAME = "basic.consume-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        consumer_tag: str = "",
    ) -> None:
        self.consumer_tag = consumer_tag

    def encode(self) -> bytes:
        return self.pack(self.consumer_tag)

    @staticmethod
    def pack(
        consumer_tag: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x3c\x00\x15" + encode_shortstr(consumer_tag)

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicConsumeOk:
        self = _new(BasicConsumeOk)
        # consumer_tag at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.consumer_tag = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicCancel(Method):
    """basic.cancel (class 60, method 30); answered by basic.cancel-ok.

    :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
    :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
    """

    __slots__ = (
        "consumer_tag",
        "no_wait",
    )
    CLASS_ID = 60
    METHOD_ID = 30
    INDEX = 3932190
    NAME = "basic.cancel"
    SYNCHRONOUS = True
    RESPONSES = (3932191,)
    HAS_CONTENT = False

    def __init__(
        self,
        consumer_tag: str = "",
        no_wait: bool = False,
    ) -> None:
        self.consumer_tag = consumer_tag
        self.no_wait = no_wait

    def encode(self) -> bytes:
        return self.pack(self.consumer_tag, self.no_wait)

    @staticmethod
    def pack(
        consumer_tag: str = "",
        no_wait: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (b"\x00\x3c\x00\x1e", encode_shortstr(consumer_tag), OCTETS[(1 if no_wait else 0)])
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicCancel:
        self = _new(BasicCancel)
        # consumer_tag at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.consumer_tag = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.no_wait = _bits0 & 1 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicCancelOk(Method):
    """basic.cancel-ok (class 60, method 31).

    :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = ("consumer_tag",)
    CLASS_ID = 60
    METHOD_ID = 31
    INDEX = 3932191
    NAME = "basic.cancel-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        consumer_tag: str = "",
    ) -> None:
        self.consumer_tag = consumer_tag

    def encode(self) -> bytes:
        return self.pack(self.consumer_tag)

    @staticmethod
    def pack(
        consumer_tag: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x3c\x00\x1f" + encode_shortstr(consumer_tag)

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicCancelOk:
        self = _new(BasicCancelOk)
        # consumer_tag at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.consumer_tag = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicPublish(Method):
    """basic.publish (class 60, method 40), followed by content.

    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param mandatory: spec field ``mandatory``: a flag
    :param immediate: spec field ``immediate``: a flag
    """

    __slots__ = (
        "exchange_name",
        "routing_key",
        "mandatory",
        "immediate",
    )
    CLASS_ID = 60
    METHOD_ID = 40
    INDEX = 3932200
    NAME = "basic.publish"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = True

    def __init__(
        self,
        exchange_name: str = "",
        routing_key: str = "",
        mandatory: bool = False,
        immediate: bool = False,
    ) -> None:
        self.exchange_name = exchange_name
        self.routing_key = routing_key
        self.mandatory = mandatory
        self.immediate = immediate

    def encode(self) -> bytes:
        return self.pack(self.exchange_name, self.routing_key, self.mandatory, self.immediate)

    @staticmethod
    def pack(
        exchange_name: str = "",
        routing_key: str = "",
        mandatory: bool = False,
        immediate: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (
                b"\x00\x3c\x00\x28\x00\x00",
                encode_shortstr(exchange_name),
                encode_shortstr(routing_key),
                OCTETS[(1 if mandatory else 0) | (2 if immediate else 0)],
            )
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicPublish:
        self = _new(BasicPublish)
        # reserved short at +4, length of exchange_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # exchange_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.mandatory = _bits0 & 1 != 0
        self.immediate = _bits0 & 2 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicReturn(Method):
    """basic.return (class 60, method 50), followed by content.

    :param reply_code: spec field ``reply-code``, domain ``reply-code``: an integer 0..65535
    :param reply_text: spec field ``reply-text``, domain ``reply-text``: a string of up to 255 UTF-8 bytes
    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = (
        "reply_code",
        "reply_text",
        "exchange_name",
        "routing_key",
    )
    CLASS_ID = 60
    METHOD_ID = 50
    INDEX = 3932210
    NAME = "basic.return"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = True

    def __init__(
        self,
        reply_code: int = 0,
        reply_text: str = "",
        exchange_name: str = "",
        routing_key: str = "",
    ) -> None:
        self.reply_code = reply_code
        self.reply_text = reply_text
        self.exchange_name = exchange_name
        self.routing_key = routing_key

    def encode(self) -> bytes:
        return self.pack(self.reply_code, self.reply_text, self.exchange_name, self.routing_key)

    @staticmethod
    def pack(
        reply_code: int = 0,
        reply_text: str = "",
        exchange_name: str = "",
        routing_key: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    _S_HHH.pack(60, 50, reply_code),
                    encode_shortstr(reply_text),
                    encode_shortstr(exchange_name),
                    encode_shortstr(routing_key),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.return: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicReturn:
        self = _new(BasicReturn)
        # reply_code at +4, length of reply_text at +6
        self.reply_code, _length = _S_HB.unpack_from(buf, offset + 4)
        # reply_text at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.reply_text = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicDeliver(Method):
    """basic.deliver (class 60, method 60), followed by content.

    :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
    :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
    :param redelivered: spec field ``redelivered``, domain ``redelivered``: a flag
    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    """

    __slots__ = (
        "consumer_tag",
        "delivery_tag",
        "redelivered",
        "exchange_name",
        "routing_key",
    )
    CLASS_ID = 60
    METHOD_ID = 60
    INDEX = 3932220
    NAME = "basic.deliver"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = True

    def __init__(
        self,
        consumer_tag: str = "",
        delivery_tag: int = 0,
        redelivered: bool = False,
        exchange_name: str = "",
        routing_key: str = "",
    ) -> None:
        self.consumer_tag = consumer_tag
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange_name = exchange_name
        self.routing_key = routing_key

    def encode(self) -> bytes:
        return self.pack(
            self.consumer_tag,
            self.delivery_tag,
            self.redelivered,
            self.exchange_name,
            self.routing_key,
        )

    @staticmethod
    def pack(
        consumer_tag: str = "",
        delivery_tag: int = 0,
        redelivered: bool = False,
        exchange_name: str = "",
        routing_key: str = "",
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    b"\x00\x3c\x00\x3c",
                    encode_shortstr(consumer_tag),
                    _S_QB.pack(delivery_tag, (1 if redelivered else 0)),
                    encode_shortstr(exchange_name),
                    encode_shortstr(routing_key),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.deliver: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicDeliver:
        self = _new(BasicDeliver)
        # consumer_tag at +5, after its length at +4
        start = offset + 5
        offset = start + buf[offset + 4]
        self.consumer_tag = buf[start:offset].decode()
        # delivery_tag at +0, redelivered at +8, length of exchange_name at +9
        self.delivery_tag, _bits1, _length = _S_QBB.unpack_from(buf, offset)
        self.redelivered = _bits1 & 1 != 0
        # exchange_name at +10, its length read with the struct above
        start = offset + 10
        offset = start + _length
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicGet(Method):
    """basic.get (class 60, method 70); answered by basic.get-ok or basic.get-empty.

    :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
    :param no_ack: spec field ``no-ack``, domain ``no-ack``: a flag
    """

    __slots__ = (
        "queue_name",
        "no_ack",
    )
    CLASS_ID = 60
    METHOD_ID = 70
    INDEX = 3932230
    NAME = "basic.get"
    SYNCHRONOUS = True
    RESPONSES = (
        3932231,
        3932232,
    )
    HAS_CONTENT = False

    def __init__(
        self,
        queue_name: str = "",
        no_ack: bool = False,
    ) -> None:
        self.queue_name = queue_name
        self.no_ack = no_ack

    def encode(self) -> bytes:
        return self.pack(self.queue_name, self.no_ack)

    @staticmethod
    def pack(
        queue_name: str = "",
        no_ack: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"".join(
            (b"\x00\x3c\x00\x46\x00\x00", encode_shortstr(queue_name), OCTETS[(1 if no_ack else 0)])
        )

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicGet:
        self = _new(BasicGet)
        # reserved short at +4, length of queue_name at +6
        _, _length = _S_HB.unpack_from(buf, offset + 4)
        # queue_name at +7, its length read with the struct above
        start = offset + 7
        offset = start + _length
        self.queue_name = buf[start:offset].decode()
        _bits0 = buf[offset]
        self.no_ack = _bits0 & 1 != 0
        if offset + 1 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicGetOk(Method):
    """basic.get-ok (class 60, method 71), followed by content.

    :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
    :param redelivered: spec field ``redelivered``, domain ``redelivered``: a flag
    :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
    :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
    :param message_count: spec field ``message-count``, domain ``message-count``: an integer 0..4294967295
    """

    __slots__ = (
        "delivery_tag",
        "redelivered",
        "exchange_name",
        "routing_key",
        "message_count",
    )
    CLASS_ID = 60
    METHOD_ID = 71
    INDEX = 3932231
    NAME = "basic.get-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = True

    def __init__(
        self,
        delivery_tag: int = 0,
        redelivered: bool = False,
        exchange_name: str = "",
        routing_key: str = "",
        message_count: int = 0,
    ) -> None:
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange_name = exchange_name
        self.routing_key = routing_key
        self.message_count = message_count

    def encode(self) -> bytes:
        return self.pack(
            self.delivery_tag,
            self.redelivered,
            self.exchange_name,
            self.routing_key,
            self.message_count,
        )

    @staticmethod
    def pack(
        delivery_tag: int = 0,
        redelivered: bool = False,
        exchange_name: str = "",
        routing_key: str = "",
        message_count: int = 0,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return b"".join(
                (
                    _S_HHQB.pack(60, 71, delivery_tag, (1 if redelivered else 0)),
                    encode_shortstr(exchange_name),
                    encode_shortstr(routing_key),
                    _S_I.pack(message_count),
                )
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.get-ok: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicGetOk:
        self = _new(BasicGetOk)
        # delivery_tag at +4, redelivered at +12, length of exchange_name at +13
        self.delivery_tag, _bits1, _length = _S_QBB.unpack_from(buf, offset + 4)
        self.redelivered = _bits1 & 1 != 0
        # exchange_name at +14, its length read with the struct above
        start = offset + 14
        offset = start + _length
        self.exchange_name = buf[start:offset].decode()
        start = offset + 1
        offset = start + buf[offset]
        self.routing_key = buf[start:offset].decode()
        (self.message_count,) = _S_I.unpack_from(buf, offset)
        if offset + 4 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicGetEmpty(Method):
    """basic.get-empty (class 60, method 72)."""

    __slots__ = ()
    CLASS_ID = 60
    METHOD_ID = 72
    INDEX = 3932232
    NAME = "basic.get-empty"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x3c\x00\x48\x00"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicGetEmpty:
        self = _new(BasicGetEmpty)
        # reserved shortstr at +5, after its length at +4
        offset = offset + 5 + buf[offset + 4]
        if offset > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicAck(Method):
    """basic.ack (class 60, method 80).

    :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
    :param multiple: spec field ``multiple``: a flag
    """

    __slots__ = (
        "delivery_tag",
        "multiple",
    )
    CLASS_ID = 60
    METHOD_ID = 80
    INDEX = 3932240
    NAME = "basic.ack"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        delivery_tag: int = 0,
        multiple: bool = False,
    ) -> None:
        self.delivery_tag = delivery_tag
        self.multiple = multiple

    def encode(self) -> bytes:
        return self.pack(self.delivery_tag, self.multiple)

    @staticmethod
    def pack(
        delivery_tag: int = 0,
        multiple: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHQB.pack(60, 80, delivery_tag, (1 if multiple else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.ack: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicAck:
        self = _new(BasicAck)
        # delivery_tag at +4, multiple at +12
        self.delivery_tag, _bits1 = _S_QB.unpack_from(buf, offset + 4)
        self.multiple = _bits1 & 1 != 0
        if offset + 13 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicReject(Method):
    """basic.reject (class 60, method 90).

    :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
    :param requeue: spec field ``requeue``: a flag
    """

    __slots__ = (
        "delivery_tag",
        "requeue",
    )
    CLASS_ID = 60
    METHOD_ID = 90
    INDEX = 3932250
    NAME = "basic.reject"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        delivery_tag: int = 0,
        requeue: bool = False,
    ) -> None:
        self.delivery_tag = delivery_tag
        self.requeue = requeue

    def encode(self) -> bytes:
        return self.pack(self.delivery_tag, self.requeue)

    @staticmethod
    def pack(
        delivery_tag: int = 0,
        requeue: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHQB.pack(60, 90, delivery_tag, (1 if requeue else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.reject: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicReject:
        self = _new(BasicReject)
        # delivery_tag at +4, requeue at +12
        self.delivery_tag, _bits1 = _S_QB.unpack_from(buf, offset + 4)
        self.requeue = _bits1 & 1 != 0
        if offset + 13 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicRecoverAsync(Method):
    """basic.recover-async (class 60, method 100).

    :param requeue: spec field ``requeue``: a flag
    """

    __slots__ = ("requeue",)
    CLASS_ID = 60
    METHOD_ID = 100
    INDEX = 3932260
    NAME = "basic.recover-async"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        requeue: bool = True,
    ) -> None:
        self.requeue = requeue

    def encode(self) -> bytes:
        return self.pack(self.requeue)

    @staticmethod
    def pack(
        requeue: bool = True,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHB.pack(60, 100, (1 if requeue else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.recover-async: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicRecoverAsync:
        self = _new(BasicRecoverAsync)
        # requeue at +4
        _bits0 = buf[offset + 4]
        self.requeue = _bits0 & 1 != 0
        if offset + 5 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicRecover(Method):
    """basic.recover (class 60, method 110); answered by basic.recover-ok.

    :param requeue: spec field ``requeue``: a flag
    """

    __slots__ = ("requeue",)
    CLASS_ID = 60
    METHOD_ID = 110
    INDEX = 3932270
    NAME = "basic.recover"
    SYNCHRONOUS = True
    RESPONSES = (3932271,)
    HAS_CONTENT = False

    def __init__(
        self,
        requeue: bool = True,
    ) -> None:
        self.requeue = requeue

    def encode(self) -> bytes:
        return self.pack(self.requeue)

    @staticmethod
    def pack(
        requeue: bool = True,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHB.pack(60, 110, (1 if requeue else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.recover: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicRecover:
        self = _new(BasicRecover)
        # requeue at +4
        _bits0 = buf[offset + 4]
        self.requeue = _bits0 & 1 != 0
        if offset + 5 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class BasicRecoverOk(Method):
    """basic.recover-ok (class 60, method 111)."""

    __slots__ = ()
    CLASS_ID = 60
    METHOD_ID = 111
    INDEX = 3932271
    NAME = "basic.recover-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x3c\x00\x6f"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicRecoverOk:
        self = _new(BasicRecoverOk)
        return self


class BasicNack(Method):
    """basic.nack (class 60, method 120).

    :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
    :param multiple: spec field ``multiple``: a flag
    :param requeue: spec field ``requeue``: a flag
    """

    __slots__ = (
        "delivery_tag",
        "multiple",
        "requeue",
    )
    CLASS_ID = 60
    METHOD_ID = 120
    INDEX = 3932280
    NAME = "basic.nack"
    SYNCHRONOUS = False
    RESPONSES = ()
    HAS_CONTENT = False

    def __init__(
        self,
        delivery_tag: int = 0,
        multiple: bool = False,
        requeue: bool = True,
    ) -> None:
        self.delivery_tag = delivery_tag
        self.multiple = multiple
        self.requeue = requeue

    def encode(self) -> bytes:
        return self.pack(self.delivery_tag, self.multiple, self.requeue)

    @staticmethod
    def pack(
        delivery_tag: int = 0,
        multiple: bool = False,
        requeue: bool = True,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHQB.pack(
                60, 120, delivery_tag, (1 if multiple else 0) | (2 if requeue else 0)
            )
        except struct.error as exc:
            raise IntegerOutOfRange(f"basic.nack: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> BasicNack:
        self = _new(BasicNack)
        # delivery_tag at +4, multiple/requeue at +12
        self.delivery_tag, _bits1 = _S_QB.unpack_from(buf, offset + 4)
        self.multiple = _bits1 & 1 != 0
        self.requeue = _bits1 & 2 != 0
        if offset + 13 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class TxSelect(Method):
    """tx.select (class 90, method 10); answered by tx.select-ok."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 10
    INDEX = 5898250
    NAME = "tx.select"
    SYNCHRONOUS = True
    RESPONSES = (5898251,)
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x0a"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxSelect:
        self = _new(TxSelect)
        return self


class TxSelectOk(Method):
    """tx.select-ok (class 90, method 11)."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 11
    INDEX = 5898251
    NAME = "tx.select-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x0b"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxSelectOk:
        self = _new(TxSelectOk)
        return self


class TxCommit(Method):
    """tx.commit (class 90, method 20); answered by tx.commit-ok."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 20
    INDEX = 5898260
    NAME = "tx.commit"
    SYNCHRONOUS = True
    RESPONSES = (5898261,)
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x14"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxCommit:
        self = _new(TxCommit)
        return self


class TxCommitOk(Method):
    """tx.commit-ok (class 90, method 21)."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 21
    INDEX = 5898261
    NAME = "tx.commit-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x15"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxCommitOk:
        self = _new(TxCommitOk)
        return self


class TxRollback(Method):
    """tx.rollback (class 90, method 30); answered by tx.rollback-ok."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 30
    INDEX = 5898270
    NAME = "tx.rollback"
    SYNCHRONOUS = True
    RESPONSES = (5898271,)
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x1e"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxRollback:
        self = _new(TxRollback)
        return self


class TxRollbackOk(Method):
    """tx.rollback-ok (class 90, method 31)."""

    __slots__ = ()
    CLASS_ID = 90
    METHOD_ID = 31
    INDEX = 5898271
    NAME = "tx.rollback-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x5a\x00\x1f"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> TxRollbackOk:
        self = _new(TxRollbackOk)
        return self


class ConfirmSelect(Method):
    """confirm.select (class 85, method 10); answered by confirm.select-ok.

    :param no_wait: spec field ``nowait``: a flag
    """

    __slots__ = ("no_wait",)
    CLASS_ID = 85
    METHOD_ID = 10
    INDEX = 5570570
    NAME = "confirm.select"
    SYNCHRONOUS = True
    RESPONSES = (5570571,)
    HAS_CONTENT = False

    def __init__(
        self,
        no_wait: bool = False,
    ) -> None:
        self.no_wait = no_wait

    def encode(self) -> bytes:
        return self.pack(self.no_wait)

    @staticmethod
    def pack(
        no_wait: bool = False,
    ) -> bytes:
        """The payload for these arguments, without building a method object."""
        try:
            return _S_HHB.pack(85, 10, (1 if no_wait else 0))
        except struct.error as exc:
            raise IntegerOutOfRange(f"confirm.select: {exc}") from None

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConfirmSelect:
        self = _new(ConfirmSelect)
        # no_wait at +4
        _bits0 = buf[offset + 4]
        self.no_wait = _bits0 & 1 != 0
        if offset + 5 > end:  # the fields ran past the frame
            raise _truncated(self.NAME)
        return self


class ConfirmSelectOk(Method):
    """confirm.select-ok (class 85, method 11)."""

    __slots__ = ()
    CLASS_ID = 85
    METHOD_ID = 11
    INDEX = 5570571
    NAME = "confirm.select-ok"
    SYNCHRONOUS = True
    RESPONSES = ()
    HAS_CONTENT = False

    def encode(self) -> bytes:
        return self.pack()

    @staticmethod
    def pack() -> bytes:
        """The payload for these arguments, without building a method object."""
        return b"\x00\x55\x00\x0b"

    @staticmethod
    def _read(buf: bytes, offset: int, end: int) -> ConfirmSelectOk:
        self = _new(ConfirmSelectOk)
        return self


METHODS: dict[int, type[Method]] = {
    655370: ConnectionStart,
    655371: ConnectionStartOk,
    655380: ConnectionSecure,
    655381: ConnectionSecureOk,
    655390: ConnectionTune,
    655391: ConnectionTuneOk,
    655400: ConnectionOpen,
    655401: ConnectionOpenOk,
    655410: ConnectionClose,
    655411: ConnectionCloseOk,
    655420: ConnectionBlocked,
    655421: ConnectionUnblocked,
    655430: ConnectionUpdateSecret,
    655431: ConnectionUpdateSecretOk,
    1310730: ChannelOpen,
    1310731: ChannelOpenOk,
    1310740: ChannelFlow,
    1310741: ChannelFlowOk,
    1310760: ChannelClose,
    1310761: ChannelCloseOk,
    2621450: ExchangeDeclare,
    2621451: ExchangeDeclareOk,
    2621460: ExchangeDelete,
    2621461: ExchangeDeleteOk,
    2621470: ExchangeBind,
    2621471: ExchangeBindOk,
    2621480: ExchangeUnbind,
    2621491: ExchangeUnbindOk,
    3276810: QueueDeclare,
    3276811: QueueDeclareOk,
    3276820: QueueBind,
    3276821: QueueBindOk,
    3276850: QueueUnbind,
    3276851: QueueUnbindOk,
    3276830: QueuePurge,
    3276831: QueuePurgeOk,
    3276840: QueueDelete,
    3276841: QueueDeleteOk,
    3932170: BasicQos,
    3932171: BasicQosOk,
    3932180: BasicConsume,
    3932181: BasicConsumeOk,
    3932190: BasicCancel,
    3932191: BasicCancelOk,
    3932200: BasicPublish,
    3932210: BasicReturn,
    3932220: BasicDeliver,
    3932230: BasicGet,
    3932231: BasicGetOk,
    3932232: BasicGetEmpty,
    3932240: BasicAck,
    3932250: BasicReject,
    3932260: BasicRecoverAsync,
    3932270: BasicRecover,
    3932271: BasicRecoverOk,
    3932280: BasicNack,
    5898250: TxSelect,
    5898251: TxSelectOk,
    5898260: TxCommit,
    5898261: TxCommitOk,
    5898270: TxRollback,
    5898271: TxRollbackOk,
    5570570: ConfirmSelect,
    5570571: ConfirmSelectOk,
}

# Each method's reader by INDEX: decode_method's per-frame lookup.
_READERS: dict[int, Callable[[bytes, int, int], Method]] = {
    index: cls._read for index, cls in METHODS.items()
}


def decode_method(buf: Buffer, offset: int = 0, end: int | None = None) -> Method:
    """The method whose frame payload (class id, method id, arguments) is buf[offset:end].

    The one way in for method frames: it reads the ids, dispatches to that method's reader and
    turns every way its arguments can be malformed (truncated, a length running past the
    frame, bad UTF-8, a corrupt table) into AmqpDecodeError; unknown ids raise CommandInvalid.
    buf is bytes, a bytearray or a memoryview; end defaults to the end of buf.
    """
    if type(buf) is not bytes:
        buf = bytes(buf)
    if end is None:
        end = len(buf)
    if end - offset < 4:
        raise AmqpDecodeError(
            f"a method frame payload of {end - offset} bytes has no room for its ids"
        )
    try:
        index = _INDEX.unpack_from(buf, offset)[0]
        read = _READERS[index]
    except struct.error:
        raise AmqpDecodeError("a method frame payload runs past the data") from None
    except KeyError:
        raise CommandInvalid(f"unknown method {index >> 16}.{index & 0xFFFF}") from None
    try:
        return read(buf, offset, end)
    except (struct.error, IndexError, KeyError, ValueError, OverflowError):
        raise _truncated(METHODS[index].NAME) from None
