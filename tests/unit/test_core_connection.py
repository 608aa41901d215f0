"""The connection core (aioamqp.core.connection), driven with bytes only: no socket, no loop.

The broker's side is written with the generated encoders; what the core sends is parsed back
with the frame parser and the generated decoder.
"""

import struct

import pytest

from aioamqp._generated import methods as m
from aioamqp._generated.properties import encode_basic_properties
from aioamqp.core import auth
from aioamqp.core.connection import CLOSED, CLOSING, CONNECTING, OPEN, Connection
from aioamqp.exceptions import NoChannelAvailable
from aioamqp.frames import PROTOCOL_HEADER, FrameParser, method_frame, publish_frames
from support import header_frame

START = m.ConnectionStart(0, 9, {"product": "RabbitMQ"}, b"PLAIN AMQPLAIN", b"en_US")
TUNE = m.ConnectionTune(2047, 131072, 60)


class Events:
    """Records what the core reports, in order."""

    def __init__(self):
        self.seen = []
        self.connection = None

    def opened(self):
        self.seen.append("opened")

    def ended(self, reason):
        self.seen.append(("ended", reason.reply_code, str(reason)))
        self.connection.end()  # as the shell does once the socket is closed

    def close_ok(self):
        self.seen.append("close_ok")

    def blocked(self, reason):
        self.seen.append(("blocked", reason))

    def unblocked(self):
        self.seen.append("unblocked")

    def secret_ok(self):
        self.seen.append("secret_ok")


class Receiver:
    def __init__(self):
        self.methods = []
        self.messages = []

    def on_method(self, method):
        self.methods.append(method)

    def on_message(self, method, properties, body):
        self.messages.append((method, properties, body))


def sent(connection):
    """The methods the core queued, decoded: [(channel_id, method)]."""
    data = connection.data_to_send()
    if data.startswith(PROTOCOL_HEADER):
        data = data[len(PROTOCOL_HEADER) :]
    frames = FrameParser(0).feed(data)
    return [(channel, m.decode_method(buf, start, end)) for _, channel, buf, start, end in frames]


def frame(method, channel_id=0):
    return method_frame(channel_id, method.encode())


def new_connection(**requested):
    events = Events()
    connection = Connection(events, requested, {"connection_name": "unit"})
    events.connection = connection
    return connection, events


def open_connection(**requested):
    connection, events = new_connection(**requested)
    connection.login(auth.Plain("guest", "secret"), "/vhost")
    connection.receive_data(frame(START) + frame(TUNE) + frame(m.ConnectionOpenOk()))
    connection.data_to_send()
    return connection, events


def test_the_handshake_from_protocol_header_to_open_ok():
    connection, events = new_connection(channel_max=10, heartbeat=0)
    assert connection.data_to_send() == PROTOCOL_HEADER
    connection.receive_data(frame(START))  # before login: the answer waits for it
    assert connection.data_to_send() == b"" and connection.state == CONNECTING
    connection.login(auth.Plain("guest", "secret"), "/vhost")
    ((channel, start_ok),) = sent(connection)
    assert channel == 0 and isinstance(start_ok, m.ConnectionStartOk)
    assert start_ok.mechanism == "PLAIN" and start_ok.response == b"\0guest\0secret"
    assert start_ok.client_properties["connection_name"] == "unit"
    assert start_ok.client_properties["capabilities"]["publisher_confirms"] is True
    assert connection.server_properties == {"product": "RabbitMQ"}
    assert connection.server_mechanisms == "PLAIN AMQPLAIN"

    connection.receive_data(frame(TUNE))
    (_, tune_ok), (_, open_) = sent(connection)
    assert (tune_ok.channel_max, tune_ok.frame_max, tune_ok.heartbeat) == (10, 131072, 0)
    assert open_.virtual_host == "/vhost"
    assert connection.offered == (2047, 131072, 60) and connection.tuning == (10, 131072, 0)

    connection.receive_data(frame(m.ConnectionOpenOk()))
    assert connection.state == OPEN and events.seen == ["opened"]


def test_handshake_frames_split_anywhere_and_coalesced():
    connection, events = new_connection()
    connection.login(auth.AmqPlain("guest", "guest"), "/")
    data = frame(START) + frame(TUNE) + frame(m.ConnectionOpenOk())
    for offset in range(0, len(data), 5):
        connection.receive_data(data[offset : offset + 5])
    assert [type(method) for _, method in sent(connection)] == [
        m.ConnectionStartOk,
        m.ConnectionTuneOk,
        m.ConnectionOpen,
    ]
    assert events.seen == ["opened"]


def test_a_mechanism_the_broker_does_not_offer_ends_without_a_reply():
    connection, events = new_connection()
    connection.data_to_send()
    connection.login(auth.External("", ""), "/")
    connection.receive_data(frame(START))
    assert connection.data_to_send() == b""
    assert events.seen == [
        ("ended", 0, "the broker does not offer EXTERNAL (offers: PLAIN AMQPLAIN)")
    ]
    assert connection.state == CLOSED


def test_a_broker_answering_with_another_protocol_header_is_refused():
    connection, events = new_connection()
    connection.receive_data(b"AMQP\x00\x00\x08\x00")
    assert events.seen == [
        ("ended", 0, "the broker does not support AMQP 0-9-1 (it offers protocol 0.8.0)")
    ]


def test_the_negotiated_frame_max_limits_incoming_frames():
    connection, events = open_connection(frame_max=4096)
    assert connection.tuning.frame_max == 4096
    too_large = struct.pack(">BHI", 3, 1, 4096) + bytes(4096) + b"\xce"
    connection.receive_data(too_large)
    ((_, close),) = sent(connection)
    assert isinstance(close, m.ConnectionClose) and close.reply_code == 501
    assert events.seen[-1][:2] == ("ended", 501) and connection.state == CLOSED


DELIVER = m.BasicDeliver("ctag", 1, False, "", "q")
HEADER_OF_5 = header_frame(1, 60, 5, b"\x00\x00")  # announces 5 body bytes


@pytest.mark.parametrize(
    "data, code",
    [
        (struct.pack(">BHI", 9, 0, 0) + b"\xce", 501),  # unknown frame type
        (struct.pack(">BHI", 8, 0, 0) + b"\x00", 501),  # bad frame-end octet
        (method_frame(0, struct.pack(">HH", 999, 1)), 503),  # unknown class
        (method_frame(1, struct.pack(">HH", 999, 1)), 503),  # ... on a channel
        (method_frame(1, struct.pack(">HH", 50, 99)), 503),  # queue class has no method 99
        (method_frame(1, m.QueueDeclareOk("q", 0, 0).encode()[:-3]), 502),  # arguments cut short
        (method_frame(1, b"\x00\x32"), 502),  # half a class id, no method id
        (frame(m.ChannelOpenOk()), 505),  # a channel method on channel 0
        (HEADER_OF_5, 505),  # a content header where a method was due
        (frame(DELIVER, 1) + HEADER_OF_5 + frame(DELIVER, 1), 505),  # a method where body was due
        (
            frame(DELIVER, 1) + HEADER_OF_5 + struct.pack(">BHI", 3, 1, 10) + bytes(10) + b"\xce",
            505,
        ),
        (frame(DELIVER, 1) + struct.pack(">BHI", 2, 1, 6) + bytes(6) + b"\xce", 502),  # header cut
    ],
    ids=[
        "unknown-frame-type",
        "bad-frame-end",
        "unknown-class",
        "unknown-class-on-channel",
        "unknown-method",
        "truncated-arguments",
        "too-short-for-ids",
        "channel-method-on-0",
        "header-where-method-due",
        "method-where-body-due",
        "body-longer-than-header",
        "truncated-header",
    ],
)
def test_bad_bytes_close_the_connection_with_the_spec_reply_code(data, code):
    connection, events = open_connection()
    receiver = Receiver()
    connection.attach(connection.allocate_channel(), receiver)
    connection.receive_data(data + frame(m.ConnectionBlocked("later")))
    ((_, close),) = sent(connection)
    assert isinstance(close, m.ConnectionClose) and close.reply_code == code
    assert [event[:2] for event in events.seen[1:]] == [("ended", code)]  # nothing after it
    assert receiver.messages == []
    connection.receive_data(frame(m.ConnectionBlocked("ignored")))
    assert events.seen[-1][0] == "ended" and connection.state == CLOSED


def test_a_frame_of_exactly_frame_max_is_accepted():
    # The boundary of the frame_max test above: a body frame of exactly frame_max bytes.
    connection, events = open_connection(frame_max=4096)
    receiver = Receiver()
    connection.attach(connection.allocate_channel(), receiver)
    body = b"b" * (4096 - 8)
    connection.receive_data(delivery(1, body))
    assert receiver.messages[0][2] == body and connection.state == OPEN


def test_the_broker_closing_gets_close_ok_and_ends_the_connection():
    connection, events = open_connection()
    receiver = Receiver()
    connection.attach(connection.allocate_channel(), receiver)
    close = m.ConnectionClose(320, "CONNECTION_FORCED - shutdown", 0, 0)
    connection.receive_data(frame(close) + frame(m.BasicCancel("ctag", False), 1))
    assert [type(method) for _, method in sent(connection)] == [m.ConnectionCloseOk]
    assert events.seen[-1] == (
        "ended",
        320,
        "closed by the broker: 320 CONNECTION_FORCED - shutdown",
    )
    assert receiver.methods == []  # frames after the close are not dispatched
    assert connection.unexpected_end


def test_our_close_answered_by_close_ok_is_an_expected_end():
    connection, events = open_connection()
    connection.close()
    assert connection.state == CLOSING
    ((_, close),) = sent(connection)
    assert (close.reply_code, close.reply_text) == (200, "Normal shutdown")
    connection.receive_data(frame(m.ConnectionCloseOk()))
    assert events.seen[-1] == "close_ok"
    assert connection.end() and not connection.unexpected_end and connection.state == CLOSED
    assert not connection.end()  # ending twice: the second is a no-op


def test_closes_crossing_each_other():
    connection, events = open_connection()
    connection.close()
    sent(connection)
    connection.receive_data(frame(m.ConnectionClose(320, "forced", 0, 0)))
    assert [type(method) for _, method in sent(connection)] == [m.ConnectionCloseOk]
    assert events.seen[-1][:2] == ("ended", 320)
    assert connection.unexpected_end  # the broker's reason wins: on_error hears of it


def test_blocked_unblocked_and_update_secret():
    connection, events = open_connection()
    connection.receive_data(frame(m.ConnectionBlocked("low on memory")))
    assert connection.is_blocked and events.seen[-1] == ("blocked", "low on memory")
    connection.receive_data(frame(m.ConnectionUnblocked()))
    assert not connection.is_blocked and events.seen[-1] == "unblocked"
    connection.update_secret("token", "refresh")
    ((_, update),) = sent(connection)
    assert (update.new_secret, update.reason) == (b"token", "refresh")
    connection.receive_data(frame(m.ConnectionUpdateSecretOk()))
    assert events.seen[-1] == "secret_ok"


def delivery(channel_id, body, frame_max=4096):
    deliver = m.BasicDeliver("ctag", 1, False, "x", "rk")
    return publish_frames(
        channel_id, deliver.encode(), encode_basic_properties({"message_id": "a"}), body, frame_max
    )


def test_frames_go_to_their_channel_through_content_assembly():
    connection, events = open_connection(frame_max=4096)
    one, two = Receiver(), Receiver()
    connection.attach(connection.allocate_channel(), one)
    connection.attach(connection.allocate_channel(), two)
    data = delivery(1, b"a" * 10_000) + frame(m.BasicAck(1, False), 2) + delivery(2, b"")
    data += delivery(7, b"unknown channel")  # dropped: nothing is attached there
    connection.receive_data(data)
    ((method, properties, body),) = one.messages
    assert isinstance(method, m.BasicDeliver) and properties.message_id == "a"
    assert body == b"a" * 10_000
    assert [type(method) for method in two.methods] == [m.BasicAck]
    assert two.messages[0][2] == b""
    assert events.seen == ["opened"] and connection.data_to_send() == b""


def test_a_method_where_content_is_due_closes_with_505():
    connection, events = open_connection()
    receiver = Receiver()
    connection.attach(connection.allocate_channel(), receiver)
    method_only = delivery(1, b"body")[: len(frame(m.BasicDeliver("ctag", 1, False, "x", "rk"), 1))]
    connection.receive_data(method_only + frame(m.BasicAck(1, False), 1))
    ((_, close),) = sent(connection)
    assert close.reply_code == 505 and "while content was due" in close.reply_text
    assert receiver.methods == [] and receiver.messages == []


def test_channel_ids_are_reused_and_a_reused_id_starts_with_fresh_content():
    connection, _ = open_connection(channel_max=2)
    first, second = Receiver(), Receiver()
    connection.attach(connection.allocate_channel(), first)
    connection.attach(connection.allocate_channel(), second)
    with pytest.raises(NoChannelAvailable):
        connection.allocate_channel()
    # A message's method and header arrive on channel 1, then the channel ends.
    connection.receive_data(delivery(1, b"x" * 100)[: -(100 + 8)])
    connection.release(1, second)  # not the receiver attached there: nothing happens
    assert connection.channel_ids.in_use == 2
    connection.release(1, first)
    assert connection.channel_ids.in_use == 1 and 1 not in connection.channels
    reused = connection.allocate_channel()
    assert reused == 1 and connection.channel_ids.ceil == 2
    third = Receiver()
    connection.attach(reused, third)
    # The new channel assembles from scratch: the old body due does not carry over.
    connection.receive_data(delivery(1, b"new"))
    assert [message[2] for message in third.messages] == [b"new"]
    assert first.messages == [] and connection.data_to_send() == b""
