"""Reply matching (aioamqp.core.replies), driven with method INDEXes only."""

import pytest

from aioamqp._generated import methods as m
from aioamqp.core.replies import Replies
from aioamqp.exceptions import UnexpectedFrame

DECLARE_OK, BIND_OK = m.QueueDeclareOk.INDEX, m.QueueBindOk.INDEX


def test_replies_go_to_requests_in_the_order_they_were_sent():
    replies = Replies(1)
    replies.expect((DECLARE_OK,), "declare")
    replies.expect((BIND_OK,), "bind")
    assert replies.answer("queue.declare-ok", DECLARE_OK).waiter == "declare"
    assert replies.answer("queue.bind-ok", BIND_OK).waiter == "bind"
    assert len(replies) == 0


def test_a_reply_nobody_waits_for_or_out_of_order_is_unexpected():
    replies = Replies(3)
    with pytest.raises(UnexpectedFrame, match="on channel 3"):
        replies.answer("queue.declare-ok", DECLARE_OK)
    replies.expect((DECLARE_OK,), "declare")
    with pytest.raises(UnexpectedFrame, match="does not answer"):
        replies.answer("queue.bind-ok", BIND_OK)


def test_a_request_given_up_keeps_its_place_and_its_orphan_handler():
    replies = Replies(1)
    late = []
    replies.expect(m.BasicGet.RESPONSES, "get", late.append)
    replies.expect((DECLARE_OK,), "declare")
    pending = replies.answer("basic.get-ok", m.BasicGetOk.INDEX)
    pending.orphan("message")
    assert (
        late == ["message"] and replies.answer("queue.declare-ok", DECLARE_OK).waiter == "declare"
    )


def test_a_crossed_close_is_seen_and_clear_hands_back_the_waiters():
    replies = Replies(1)
    replies.expect(m.ChannelClose.RESPONSES, "close")
    replies.expect((DECLARE_OK,), "declare")
    assert replies.awaits(m.ChannelCloseOk.INDEX) and not replies.awaits(BIND_OK)
    assert replies.clear() == ["close", "declare"] and len(replies) == 0
