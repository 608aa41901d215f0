"""Every exception aioamqp raises. Names and base classes of aioamqp 0.15 are kept."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from ._generated.constants import NOT_ALLOWED

_E = TypeVar("_E", bound=BaseException)


def fresh(exc: _E) -> _E:
    """A copy of a stored exception to raise again: each raise then gets its own traceback,
    instead of every failed call growing (and keeping alive) the same one."""
    return copy.copy(exc)


class AioamqpException(Exception):
    """Base of every aioamqp exception."""


class ConfigurationError(AioamqpException):
    """A connection or channel option is invalid."""


class AmqpClosedConnection(AioamqpException):
    """The connection is closed: by us, by the broker (code and text set) or by a failure."""

    def __init__(
        self, message: str = "connection closed", reply_code: int = 0, reply_text: str = ""
    ):
        super().__init__(message)
        self.reply_code = reply_code
        self.reply_text = reply_text


class AmqpConnectionFailed(AmqpClosedConnection, OSError):
    """connect() could not reach or log in to the broker in time (also an OSError)."""

    def __init__(self, message: str):
        AmqpClosedConnection.__init__(self, message)


class ConnectionBlocked(AioamqpException):
    """The broker blocked publishing (resource alarm) for longer than blocked_timeout."""


class SynchronizationError(AioamqpException):
    """A reply arrived that no request was waiting for."""


class EmptyQueue(AioamqpException):
    """basic_get found no message."""


class NoChannelAvailable(AioamqpException):
    """Every channel id up to channel_max is in use."""


class ChannelClosed(AioamqpException):
    """The channel is closed, by us or by the broker (code and message set)."""

    def __init__(self, code: int = 0, message: str = "Channel is closed", frame: Any = None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.frame = frame


class ChannelConnectionClosed(AmqpClosedConnection, ChannelClosed):
    """A channel call failed because the connection ended (the broker closed it, the socket was
    lost, ...). Both an AmqpClosedConnection (reply_code, reply_text) and, as aioamqp 0.15
    raised for pending channel calls, a ChannelClosed (code, message): either handler works."""

    def __init__(
        self, message: str = "connection closed", reply_code: int = 0, reply_text: str = ""
    ) -> None:
        # Not the bases' __init__: each passes its own arguments up the shared chain. args are
        # ChannelClosed's, (code, message); str() is the connection's description.
        self.code = self.reply_code = reply_code
        self.reply_text = reply_text
        self.message = reply_text or message
        self.frame = None
        self._description = message
        AioamqpException.__init__(self, reply_code, self.message)

    def __str__(self) -> str:
        return self._description

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle
        args = (self._description, self.reply_code, self.reply_text)
        return type(self), args, self.__dict__


def closed_for_channels(exc: Exception) -> Exception:
    """The connection ended with exc: what a channel call raises, a ChannelConnectionClosed
    carrying exc's message, reply_code and reply_text (exc itself if it is one already)."""
    if isinstance(exc, AmqpClosedConnection) and not isinstance(exc, ChannelClosed):
        return ChannelConnectionClosed(str(exc), exc.reply_code, exc.reply_text)
    return exc


class DuplicateConsumerTag(ChannelClosed):
    """basic_consume with a consumer tag already active on the channel. A ChannelClosed with
    530 NOT_ALLOWED, the broker's answer to it, but raised before sending: the channel stays
    open."""

    def __init__(self, consumer_tag: str) -> None:
        super().__init__(
            NOT_ALLOWED, f"NOT_ALLOWED - attempt to reuse consumer tag '{consumer_tag}'"
        )
        self.consumer_tag = consumer_tag

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle: args are (code, message)
        return type(self), (self.consumer_tag,), self.__dict__


class ConsumerCancelled(AioamqpException):
    """The broker cancelled the consumer."""


class PublishFailed(AioamqpException):
    """The broker nacked a published message (publisher confirms), or returned a mandatory one
    (returned is then True: no queue matched, which republishing cannot fix)."""

    def __init__(self, delivery_tag: int, returned: bool = False):
        super().__init__(delivery_tag)
        self.delivery_tag = delivery_tag
        self.returned = returned


class PublishTimeout(PublishFailed, TimeoutError):
    """aioamqp.robust with republish=True: the broker did not confirm a message within
    publish_timeout, however often it was republished."""

    def __init__(self, message: str):
        AioamqpException.__init__(self, message)
        self.delivery_tag = 0
        self.returned = False


class RpcError(AioamqpException):
    """aioamqp.rpc: the server's handler raised. str() is the reply's x-aioamqp-rpc-error
    header, "<ExceptionType>: <message>"; the request was answered and acked, not retried."""


class RpcClientClosed(AioamqpException):
    """aioamqp.rpc: the RpcClient is not started, or was closed while the call waited."""


# Bad input: raised before any byte reaches the wire.


class FieldEncodeError(AioamqpException, ValueError):
    """A value cannot be encoded into its AMQP field."""


class ShortStrTooLong(FieldEncodeError):
    """A short string is longer than 255 UTF-8 bytes."""


class IntegerOutOfRange(FieldEncodeError, TypeError):
    """An integer does not fit its field's wire type (a TypeError, as aioamqp users catch)."""


class UnsupportedFieldType(FieldEncodeError, TypeError):
    """A field-table value has a type AMQP cannot carry."""


class FrameTooLarge(FieldEncodeError):
    """A method or its properties would not fit in one frame of the negotiated frame_max."""


class UnknownProperty(FieldEncodeError, TypeError):
    """A message property name that the content class does not have."""


# Bad data from the peer.


class AmqpProtocolError(AioamqpException):
    """The peer sent bytes that break the protocol; reply_code is the spec's code for it."""

    reply_code = 505


class FrameError(AmqpProtocolError):
    """Malformed frame: bad frame-end octet, or a frame over frame_max."""

    reply_code = 501


class AmqpDecodeError(AmqpProtocolError):
    """Method or property arguments are truncated or corrupt."""

    reply_code = 502


class CommandInvalid(AmqpProtocolError):
    """Unknown class or method."""

    reply_code = 503


class UnexpectedFrame(AmqpProtocolError):
    """A frame arrived where the protocol does not allow it."""

    reply_code = 505
