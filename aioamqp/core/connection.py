"""One AMQP connection's protocol state, without I/O: bytes in (written into `get_buffer()`
then `buffer_updated(n)`, or `receive_data(bytes)`), bytes out (`data_to_send`), and what
happened reported to the shell through `Events`.

It runs the handshake (protocol header, start, tune, open), holds the tuning, the blocked
state and the channel table, closes in both directions (a close crossing the broker's
included), and dispatches every frame: channel 0 to itself, the rest through each channel's
content assembly to that channel. Channels' own methods are written by the shell's outbound
path; what is queued here are the connection's.
"""

from __future__ import annotations

import logging
import platform
import struct
from typing import Any, Mapping, Protocol

from .. import exceptions
from .._generated import methods as m
from .._generated.constants import FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD
from .._generated.properties import BasicProperties
from .._version import __version__ as VERSION
from ..frames import PROTOCOL_HEADER, FrameReader, method_frame
from .auth import Mechanism
from .content import Content
from .tuning import ChannelIds, Tuning, negotiate

logger = logging.getLogger("aioamqp.protocol")  # the shell's logger: one name per connection

CONNECTING, OPEN, CLOSING, CLOSED = "CONNECTING", "OPEN", "CLOSING", "CLOSED"

CAPABILITIES = {
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
    "basic.nack": True,
    "consumer_cancel_notify": True,
    "connection.blocked": True,
    "authentication_failure_close": True,
    "per_consumer_qos": True,
}
HANDSHAKE_FRAME_MAX = 131072  # before tuning, accept frames up to RabbitMQ's default size


class Events(Protocol):
    """What the connection reports to its shell, as it happens."""

    def opened(self) -> None:
        """open-ok: the connection is usable."""

    def ended(self, reason: exceptions.AmqpClosedConnection) -> None:
        """The connection is over from the protocol's side (the broker closed it, bad bytes,
        a refused handshake): send data_to_send(), then close the socket."""

    def close_ok(self) -> None:
        """The broker answered our connection.close."""

    def blocked(self, reason: str) -> None: ...

    def unblocked(self) -> None: ...

    def secret_ok(self) -> None: ...


class Receiver(Protocol):
    """A channel, as the frame dispatch sees it."""

    def on_method(self, method: Any) -> None:
        """A method without content, on this channel."""

    def on_message(self, method: Any, properties: BasicProperties, body: bytes) -> None:
        """A complete message: the method that carried it, its header's properties, its body."""


class Connection:
    """The state of one connection, driven by bytes and by the shell's calls."""

    def __init__(
        self,
        events: Events,
        requested: Mapping[str, int],
        client_properties: Mapping[str, Any] | None = None,
    ) -> None:
        self.events = events
        self.requested = requested  # channel_max, frame_max, heartbeat the client asked for
        self.client_properties = dict(client_properties or {})
        self.state = CONNECTING
        # From connection.start.
        self.version_major: int | None = None
        self.version_minor: int | None = None
        self.server_properties: dict[str, Any] | None = None
        self.server_mechanisms: str | None = None
        self.server_locales: str | None = None
        self.offered: Tuning | None = None  # the broker's connection.tune
        self.tuning = Tuning(0, 0, 0)  # what tune-ok sent and the connection lives by
        self.is_blocked = False
        self.close_reason: exceptions.AmqpClosedConnection | None = None
        self.unexpected_end = False  # set once ended: not a close the client asked for
        self.channel_ids = ChannelIds()
        self.channels: dict[int, Receiver] = {}
        self._contents: dict[int, Content] = {}
        self.outgoing: list[bytes] = [PROTOCOL_HEADER]
        self._reader = FrameReader(HANDSHAKE_FRAME_MAX)
        self._login: tuple[Mechanism, str] | None = None
        self._early_start: m.ConnectionStart | None = None

    # -- bytes out ----------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """The connection's frames queued since the last call, in order."""
        data = b"".join(self.outgoing)
        self.outgoing.clear()
        return data

    def _send(self, method: m.Method) -> None:
        self.outgoing.append(method_frame(0, method.encode()))

    # -- the shell's calls --------------------------------------------------------------------

    def login(self, mechanism: Mechanism, virtualhost: str) -> None:
        """How to log in; answers a connection.start that came first."""
        self._login = (mechanism, virtualhost)
        if self._early_start is not None:
            self._on_start(self._early_start)

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Start closing: no new channel or publish; the broker's close-ok is due."""
        self.state = CLOSING
        self._send(m.ConnectionClose(reply_code, reply_text, 0, 0))

    def update_secret(self, new_secret: str, reason: str) -> None:
        self._send(m.ConnectionUpdateSecret(new_secret, reason))

    def fail(self, reason: exceptions.AmqpClosedConnection) -> None:
        """The shell found the connection dead (a heartbeat timeout): why it ends."""
        if self.close_reason is None:
            self.close_reason = reason

    def end(self) -> bool:
        """The connection has ended, whatever ended it; False if it had already."""
        if self.state is CLOSED:
            return False
        self.unexpected_end = self.state is not CLOSING or self.close_reason is not None
        self.state = CLOSED
        return True

    def allocate_channel(self) -> int:
        """A channel id, a released one first; NoChannelAvailable past channel_max."""
        return self.channel_ids.allocate(self.tuning.channel_max)

    def attach(self, channel_id: int, receiver: Receiver) -> None:
        """Frames on channel_id go to receiver from now on, through a fresh content assembly."""
        self.channels[channel_id] = receiver
        self._contents[channel_id] = Content(channel_id, self._reader)
        self._reader.release(channel_id)

    def release(self, channel_id: int, receiver: Receiver) -> None:
        """The channel has ended on both sides: its id may be handed out again."""
        if self.channels.get(channel_id) is receiver:
            del self.channels[channel_id]
            del self._contents[channel_id]
            self._reader.release(channel_id)  # a body it was receiving is not needed
            self.channel_ids.release(channel_id)

    # -- bytes in -----------------------------------------------------------------------------

    def get_buffer(self) -> memoryview:
        """Where the next read goes (a buffered protocol's get_buffer)."""
        return self._reader.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        """A read wrote nbytes into get_buffer()'s space: dispatch every frame they complete.
        Bad bytes close the connection with the spec's reply code (events.ended); frames after
        an ending are ignored."""
        if self.state is CLOSED:
            return
        reader = self._reader
        reader.buffer_updated(nbytes)
        if self.state is CONNECTING:
            unparsed = reader.unparsed()
            if unparsed[:4] == b"AMQP":
                self._refused_protocol(unparsed)
                return
        decode_method = m.decode_method
        channels = self.channels
        contents = self._contents
        try:
            for frame_type, channel_id, buf, start, end in reader.frames():
                if frame_type == FRAME_METHOD:
                    method = decode_method(buf, start, end)  # type: ignore[arg-type]
                    if channel_id == 0:
                        self._on_connection_method(method)
                        if self.state is CLOSED:
                            return
                    elif method.HAS_CONTENT:
                        content = contents.get(channel_id)
                        if content is not None:
                            content.method(method)
                    else:
                        receiver = channels.get(channel_id)
                        if receiver is not None:
                            contents[channel_id].check_idle(method.NAME)
                            receiver.on_method(method)
                elif frame_type == FRAME_BODY:
                    content = contents.get(channel_id)
                    if content is not None:
                        message = content.body(buf, start, end)
                        if message is not None:
                            channels[channel_id].on_message(*message)
                elif frame_type == FRAME_HEADER:
                    content = contents.get(channel_id)
                    if content is not None:
                        message = content.header(buf, start, end)  # type: ignore[arg-type]
                        if message is not None:
                            channels[channel_id].on_message(*message)
                elif frame_type != FRAME_HEARTBEAT:
                    raise exceptions.FrameError(f"unknown frame type {frame_type}")
        except exceptions.AmqpProtocolError as exc:
            self._protocol_error(exc)
        except (struct.error, IndexError, ValueError) as exc:  # a frame too short for its fields
            self._protocol_error(exceptions.AmqpDecodeError(f"malformed frame: {exc}"))

    def receive_data(self, data: bytes) -> None:
        """buffer_updated for bytes that are already in hand: they are copied in first."""
        view = memoryview(data)
        while view and self.state is not CLOSED:
            with self.get_buffer() as space:
                count = min(len(space), len(view))
                space[:count] = view[:count]
            self.buffer_updated(count)
            view = view[count:]

    def _refused_protocol(self, data: bytes) -> None:
        """The peer answered our header with its own: it does not speak AMQP 0-9-1."""
        version = ".".join(str(octet) for octet in data[5:8])
        self._ended(f"the broker does not support AMQP 0-9-1 (it offers protocol {version})")

    def _protocol_error(self, exc: exceptions.AmqpProtocolError) -> None:
        """Bad bytes from the peer: tell it why (the spec's reply code), then end."""
        logger.error("protocol error, closing the connection: %s", exc)
        text = str(exc).encode()[:255].decode(errors="ignore")
        self._send(m.ConnectionClose(exc.reply_code, text, 0, 0))
        self._ended(f"protocol error: {exc}", exc.reply_code, str(exc))

    def _ended(self, message: str, reply_code: int = 0, reply_text: str = "") -> None:
        self.close_reason = exceptions.AmqpClosedConnection(message, reply_code, reply_text)
        self.events.ended(self.close_reason)

    # -- connection methods -------------------------------------------------------------------

    def _on_connection_method(self, method: m.Method) -> None:
        handler = self._HANDLERS.get(method.INDEX)
        if handler is None:
            raise exceptions.UnexpectedFrame(f"unexpected {method.NAME} on channel 0")
        handler(self, method)

    def _on_start(self, method: m.ConnectionStart) -> None:
        if self._login is None:  # the shell has not said how to log in yet
            self._early_start = method
            return
        mechanism, _ = self._login
        self.server_properties = dict(method.server_properties or {})
        self.version_major, self.version_minor = method.version_major, method.version_minor
        self.server_mechanisms = _text(method.mechanisms)
        self.server_locales = _text(method.locales)
        offered = self.server_mechanisms.split()
        if mechanism.name not in offered:
            self._ended(f"the broker does not offer {mechanism.name} (offers: {' '.join(offered)})")
            return
        client_properties = {
            "product": "aioamqp",
            "version": VERSION,
            "platform": f"Python {platform.python_version()}",
            **self.client_properties,
        }
        client_properties["capabilities"] = {
            **CAPABILITIES,
            **client_properties.get("capabilities", {}),
        }
        response = mechanism.response()
        self._send(m.ConnectionStartOk(client_properties, mechanism.name, response, "en_US"))
        mechanism.password = ""  # not kept once it has been used

    def _on_tune(self, method: m.ConnectionTune) -> None:
        self.offered = Tuning(method.channel_max, method.frame_max, method.heartbeat)
        self.tuning = negotiate(self.requested, *self.offered)
        self._reader.frame_max = self.tuning.frame_max
        assert self._login is not None  # start came first, and it needs the login
        self._send(m.ConnectionTuneOk(*self.tuning))
        self._send(m.ConnectionOpen(self._login[1]))

    def _on_open_ok(self, method: m.ConnectionOpenOk) -> None:
        self.state = OPEN
        self.events.opened()

    def _on_close(self, method: m.ConnectionClose) -> None:
        """The broker closes the connection (crossing our close or not): close-ok, then end."""
        self._send(m.ConnectionCloseOk())
        self._ended(
            f"closed by the broker: {method.reply_code} {method.reply_text}",
            method.reply_code,
            method.reply_text,
        )

    def _on_close_ok(self, method: m.ConnectionCloseOk) -> None:
        self.events.close_ok()

    def _on_blocked(self, method: m.ConnectionBlocked) -> None:
        self.is_blocked = True
        self.events.blocked(method.reason)

    def _on_unblocked(self, method: m.ConnectionUnblocked) -> None:
        self.is_blocked = False
        self.events.unblocked()

    def _on_update_secret_ok(self, method: m.ConnectionUpdateSecretOk) -> None:
        self.events.secret_ok()

    _HANDLERS: dict[int, Any] = {
        m.ConnectionStart.INDEX: _on_start,
        m.ConnectionTune.INDEX: _on_tune,
        m.ConnectionOpenOk.INDEX: _on_open_ok,
        m.ConnectionClose.INDEX: _on_close,
        m.ConnectionCloseOk.INDEX: _on_close_ok,
        m.ConnectionBlocked.INDEX: _on_blocked,
        m.ConnectionUnblocked.INDEX: _on_unblocked,
        m.ConnectionUpdateSecretOk.INDEX: _on_update_secret_ok,
    }


def _text(value: str | bytes) -> str:
    """mechanisms and locales are longstr: bytes on the wire, text here."""
    return value.decode(errors="replace") if isinstance(value, bytes) else value
