"""Content assembly (aioamqp.core.content), driven with frame bytes only: no socket, no loop."""

import pytest

from aioamqp._generated import methods as m
from aioamqp._generated.properties import encode_basic_properties
from aioamqp.core.content import BODY_DUE, HEADER_DUE, IDLE, Content
from aioamqp.exceptions import UnexpectedFrame
from aioamqp.frames import FrameParser, publish_frames

DELIVER = m.BasicDeliver("ctag", 7, False, "x", "k")


def frames(body: bytes, frame_max: int = 4096, properties=None):
    """(frame_type, buf, start, end) of one delivery's header and body frames."""
    data = publish_frames(1, DELIVER.encode(), encode_basic_properties(properties), body, frame_max)
    parsed = FrameParser(frame_max).feed(data)
    return [(kind, buf, start, end) for kind, _, buf, start, end in parsed[1:]]


def assemble(content: Content, body: bytes, **kwargs):
    content.method(DELIVER)
    assert content.state == HEADER_DUE
    done = []
    for kind, buf, start, end in frames(body, **kwargs):
        step = content.header if kind == 2 else content.body
        message = step(buf, start, end)
        if message is not None:
            done.append(message)
    return done


@pytest.mark.parametrize("size", [0, 1, 4000, 4088, 4089, 100_000])
def test_a_message_is_complete_after_its_last_body_frame(size):
    content = Content(1)
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    ((method, properties, got),) = assemble(content, body, properties={"message_id": "m"})
    assert method is DELIVER and got == body and properties.message_id == "m"
    assert content.state == IDLE


def test_a_method_while_content_is_due_is_unexpected():
    content = Content(1)
    content.method(DELIVER)
    with pytest.raises(UnexpectedFrame, match="while content was due"):
        content.check_idle("basic.ack")
    with pytest.raises(UnexpectedFrame):
        content.method(DELIVER)


def test_a_body_where_the_header_is_due_and_a_header_where_none_is_due():
    content = Content(1)
    (_, buf, start, end), (_, body, bstart, bend) = frames(b"abc")
    with pytest.raises(UnexpectedFrame, match="content header"):
        content.header(buf, start, end)
    content.method(DELIVER)
    with pytest.raises(UnexpectedFrame, match="content body"):
        content.body(body, bstart, bend)


def test_a_body_longer_than_its_header_said_is_unexpected():
    content = Content(1)
    header, *bodies = frames(b"a" * 5000)
    content.method(DELIVER)
    assert content.header(*header[1:]) is None and content.state == BODY_DUE
    _, buf, start, end = bodies[0]
    content.body(buf, start, end)
    with pytest.raises(UnexpectedFrame, match="too long"):
        content.body(buf, start, end)
