"""Merging a consumer's acks: a run of single acks that settles every delivery up to its last tag
goes to the broker as one basic.ack(last tag, multiple=True).

The broker numbers a channel's deliveries (basic.deliver and basic.get-ok) 1, 2, 3... and, for an
ack with multiple set, settles every unsettled delivery up to the tag given, which must itself be
unsettled. So the merge is exact only when every tag at or below `floor` is settled or merged,
and the merged ack's tag is one the broker has not seen acked. Anything else (an ack out of
order, a nack, a reject, an ack with multiple) is sent as it is, and it ends the merge: a later
merged ack must not move ahead of it in the byte stream, where it would settle a tag that frame
settles.

Acking every message in order, as most consumers do, then sends one ack per loop turn instead of
one per message (make bench consume: the broker's work per ack was the bottleneck).
"""

from __future__ import annotations


class Acks:
    """The settlement state of one channel's delivery tags, as far as merging needs it."""

    __slots__ = ("floor", "merge_id", "_settled")

    def __init__(self) -> None:
        self.floor = 0  # every tag up to this one is settled, or acked in the merge
        self.merge_id = 0  # changes whenever a merge ends: the next merged ack starts anew
        self._settled: set[int] = set()  # settled tags above floor (out of order)

    def ack(self, delivery_tag: int, multiple: bool) -> bool:
        """The consumer acks: True if the ack joins the merged one (which then carries this
        tag, with multiple set); False if it must be sent as it is."""
        if not multiple and delivery_tag == self.floor + 1:
            self.floor = delivery_tag
            if self._settled:
                self._absorb()
            return True
        self.settled(delivery_tag, multiple)
        return False

    def settled(self, delivery_tag: int, multiple: bool) -> None:
        """A frame that settles deliveries is sent as it is (an ack not merged, a nack, a
        reject): the merge ends before it."""
        self.merge_id += 1
        if multiple:
            if delivery_tag > self.floor:
                self.floor = delivery_tag
            self._settled = {tag for tag in self._settled if tag > delivery_tag}
        else:
            self._arrived_settled(delivery_tag)
        if self._settled:
            self._absorb()

    def arrived_settled(self, delivery_tag: int) -> None:
        """A delivery the broker settled as it sent it (no_ack): nothing will ack it."""
        if delivery_tag == self.floor + 1:
            self.floor = delivery_tag
            if self._settled:
                self._absorb()
        else:
            self._arrived_settled(delivery_tag)

    def _arrived_settled(self, delivery_tag: int) -> None:
        if delivery_tag > self.floor:
            self._settled.add(delivery_tag)

    def _absorb(self) -> None:
        settled = self._settled
        while self.floor + 1 in settled:
            self.floor += 1
            settled.discard(self.floor)
