"""Ack merging (aioamqp.core.acks), without I/O: a merged stream of frames must settle exactly
what the consumer's own acks, nacks and rejects settle, and never name a settled tag."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aioamqp.core.acks import Acks


class Broker:
    """RabbitMQ's rules for a channel's unacked deliveries (rabbit_channel's collect_acks)."""

    def __init__(self) -> None:
        self.unacked: list[int] = []
        self.outcome: dict[int, str] = {}

    def deliver(self, tag: int, no_ack: bool) -> None:
        if not no_ack:
            self.unacked.append(tag)

    def frame(self, kind: str, tag: int, multiple: bool) -> None:
        if tag not in self.unacked:
            raise AssertionError(f"{kind}({tag}, multiple={multiple}): unknown delivery tag")
        settled = [t for t in self.unacked if t <= tag] if multiple else [tag]
        for t in settled:
            self.unacked.remove(t)
            self.outcome[t] = kind


class Channel:
    """The shell's use of Acks (channel.py's _write_ack): a merged ack is one slot in the
    queued frames, rewritten until a flush writes it or the merge ends."""

    def __init__(self, broker: Broker) -> None:
        self.acks = Acks()
        self.broker = broker
        self.queued: list[list] = []  # [kind, tag, multiple], in write order
        self.flushes = 0
        self.slot: list | None = None
        self.slot_at = (-1, -1)

    def ack(self, tag: int, multiple: bool) -> None:
        if not self.acks.ack(tag, multiple):
            self.queued.append(["ack", tag, multiple])
            return
        at = (self.acks.merge_id, self.flushes)
        if at == self.slot_at:
            self.slot[1:] = [tag, True]
            return
        self.slot = ["ack", tag, False]
        self.slot_at = at
        self.queued.append(self.slot)

    def other(self, kind: str, tag: int, multiple: bool) -> None:
        self.acks.settled(tag, multiple)
        self.queued.append([kind, tag, multiple])

    def flush(self) -> None:
        for kind, tag, multiple in self.queued:
            self.broker.frame(kind, tag, multiple)
        self.queued = []
        self.flushes += 1


def test_acks_in_order_become_one_multiple_ack_per_flush():
    broker = Broker()
    channel = Channel(broker)
    for tag in range(1, 101):
        broker.deliver(tag, False)
    for tag in range(1, 51):
        channel.ack(tag, False)
    assert channel.queued == [["ack", 50, True]]
    channel.flush()
    for tag in range(51, 101):
        channel.ack(tag, False)
    assert channel.queued == [["ack", 100, True]]
    channel.flush()
    assert broker.unacked == [] and set(broker.outcome.values()) == {"ack"}


def test_a_held_back_delivery_stops_the_merge_and_later_acks_go_as_they_are():
    acks = Acks()
    assert acks.ack(1, False) and acks.floor == 1
    assert not acks.ack(3, False)  # 2 is still held by the consumer
    assert not acks.ack(4, False)
    assert acks.ack(2, False) and acks.floor == 4  # 3 and 4 were settled already
    assert acks.ack(5, False)


def test_a_reject_ends_the_merge_so_a_later_merged_ack_cannot_pass_it():
    broker = Broker()
    channel = Channel(broker)
    for tag in range(1, 10):
        broker.deliver(tag, False)
    channel.ack(1, False)
    channel.other("reject", 3, False)
    channel.ack(2, False)  # floor 3 now: 2 and 3 settled
    channel.ack(4, False)
    assert channel.queued == [["ack", 1, False], ["reject", 3, False], ["ack", 4, True]]
    channel.flush()
    assert broker.outcome == {1: "ack", 2: "ack", 3: "reject", 4: "ack"}


def test_no_ack_deliveries_do_not_stop_the_merge():
    acks = Acks()
    acks.arrived_settled(1)
    acks.arrived_settled(3)
    assert acks.ack(2, False) and acks.floor == 3
    assert acks.ack(4, False)


def test_a_multiple_ack_or_nack_is_sent_as_it_is_and_moves_the_floor():
    acks = Acks()
    assert not acks.ack(5, True) and acks.floor == 5
    merge = acks.merge_id
    assert acks.ack(6, False) and acks.merge_id == merge
    acks.settled(9, True)
    assert acks.floor == 9 and acks.merge_id == merge + 1


@st.composite
def consumers(draw):
    """Deliveries (ack mode or no_ack) and the consumer's settlement of each ack-mode one,
    interleaved in a random order, with flushes anywhere."""
    n = draw(st.integers(1, 40))
    no_ack = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    order = draw(st.permutations([t for t in range(1, n + 1) if not no_ack[t - 1]]))
    kinds = draw(
        st.lists(
            st.sampled_from(["ack", "ack", "ack", "nack", "reject", "ack-multiple"]),
            min_size=len(order),
            max_size=len(order),
        )
    )
    steps = []
    delivered = 0
    for tag, kind in zip(order, kinds):
        while delivered < tag or draw(st.booleans()) and delivered < n:
            delivered += 1
            steps.append(("deliver", delivered, no_ack[delivered - 1]))
        steps.append((kind, tag, False))
        if draw(st.integers(0, 3)) == 0:
            steps.append(("flush", 0, False))
    steps += [("deliver", tag, no_ack[tag - 1]) for tag in range(delivered + 1, n + 1)]
    return steps


def run(steps, merged: bool) -> dict[int, str]:
    broker = Broker()
    channel = Channel(broker)
    owed: set[int] = set()  # ack-mode deliveries the consumer has not settled yet
    for kind, tag, no_ack in steps:
        if kind == "deliver":
            broker.deliver(tag, no_ack)
            if no_ack:
                channel.acks.arrived_settled(tag)
            else:
                owed.add(tag)
            continue
        if kind == "flush":
            channel.flush()
            continue
        owed.discard(tag)
        # A multiple ack only as a consumer may make it: when it settles this delivery alone.
        multiple = kind == "ack-multiple" and not any(t < tag for t in owed)
        kind = "ack" if kind == "ack-multiple" else kind
        if not merged:
            channel.queued.append([kind, tag, multiple])
        elif kind == "ack":
            channel.ack(tag, multiple)
        else:
            channel.other(kind, tag, multiple)
    channel.flush()
    assert broker.unacked == []
    return broker.outcome


@settings(max_examples=400, deadline=None)
@given(consumers())
def test_merged_frames_settle_exactly_what_the_consumer_settled(steps):
    assert run(steps, merged=True) == run(steps, merged=False)
