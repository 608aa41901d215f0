"""Confirms and return pairing (aioamqp.core.confirms), driven with decoded methods only: no
socket, no event loop."""

from aioamqp._generated.properties import BasicProperties, encode_basic_properties
from aioamqp.core.confirms import Confirms, Sent


def sent(body: bytes, headers=None, exchange: str = "x", key: str = "k") -> Sent:
    return Sent(
        exchange, key, encode_basic_properties({"headers": headers} if headers else None), body
    )


def test_tags_count_from_one_and_single_acks_settle_one():
    confirms = Confirms()
    assert [confirms.publish(name) for name in "abc"] == [1, 2, 3]
    assert confirms.acked(2, False) == [(2, "b", False)]
    assert confirms.pending == 2 and confirms.acked(2, False) == []


def test_multiple_ack_and_nack_settle_every_tag_up_to_theirs():
    confirms = Confirms()
    for name in "abcde":
        confirms.publish(name)
    assert [s.waiter for s in confirms.acked(3, True)] == ["a", "b", "c"]
    assert [s.waiter for s in confirms.nacked(5, True)] == ["d", "e"]
    assert confirms.idle


def test_return_pairs_with_the_publish_whose_properties_match_not_the_oldest():
    confirms = Confirms()
    confirms.publish("routed", sent(b"m", {"h": 1}))
    confirms.publish("dropped", sent(b"m", {"h": 2}))
    assert confirms.returned("x", "k", BasicProperties(headers={"h": 2}), b"m") == 2
    assert confirms.acked(2, True) == [(1, "routed", False), (2, "dropped", True)]
    assert confirms.idle


def test_mixed_routed_and_unroutable_publishes_with_one_multiple_ack():
    confirms = Confirms()
    for n in range(30):
        confirms.publish(n, sent(str(n).encode(), key="nowhere" if n % 3 == 0 else "k"))
    for n in range(0, 30, 3):
        assert confirms.returned("x", "nowhere", BasicProperties(), str(n).encode()) == n + 1
    settled = confirms.acked(30, True)
    assert [s.waiter for s in settled if s.returned] == list(range(0, 30, 3))
    assert confirms.idle


def test_identical_publishes_are_counted_not_told_apart():
    confirms = Confirms()
    for name in "abc":
        confirms.publish(name, sent(b"same"))
    assert confirms.returned("x", "k", BasicProperties(), b"same") == 1
    assert confirms.returned("x", "k", BasicProperties(), b"same") == 2
    assert sum(s.returned for s in confirms.acked(3, True)) == 2


def test_a_bcc_header_removed_by_the_broker_still_pairs():
    confirms = Confirms()
    confirms.publish("a", sent(b"m", {"BCC": ["q2"], "k": 1}))
    assert confirms.returned("x", "k", BasicProperties(headers={"k": 1}), b"m") == 1


def test_an_ambiguous_return_blames_nobody():
    confirms = Confirms()
    confirms.publish("a", sent(b"m", {"h": 1}))
    confirms.publish("b", sent(b"m", {"h": 2}))
    assert confirms.returned("x", "k", BasicProperties(headers={"h": 3}), b"m") == 0
    assert not any(s.returned for s in confirms.acked(2, True))


def test_a_nacked_publish_forgets_its_return_and_clear_hands_back_the_waiters():
    confirms = Confirms()
    confirms.publish("a", sent(b"m"))
    confirms.publish("b", sent(b"n"))
    confirms.returned("x", "k", BasicProperties(), b"m")
    assert confirms.nacked(1, False) == [(1, "a", False)]
    assert confirms.clear() == ["b"] and confirms.idle
