"""Consumer bookkeeping, apart from the task that runs the callback: which deliveries one
consumer owes its callback, and which go back to the broker on cancel or close.

The rules (docs/guides/consumers.rst): once a consumer is being cancelled, an ack-mode delivery
that will not be handed to the callback goes back to the broker (reject with requeue) at once;
a no_ack delivery (the broker has let go of it) still reaches the callback, during and after
cancel and close. A closed channel's ack-mode deliveries are requeued by the broker itself.
"""

from __future__ import annotations

from collections import deque
from typing import Any

Item = tuple[Any, Any, Any]  # (body, envelope, properties)

# Memory a buffered delivery costs beyond its body (envelope, properties, strings, tuple): what
# the read-side flow control counts with the body's length.
ITEM_OVERHEAD = 512


class Buffered:
    """The bytes of deliveries waiting in all the consumers' queues of one connection, kept by
    their bookkeeping as it goes; the connection pauses reading above its limit."""

    __slots__ = ("size", "paused")

    def __init__(self) -> None:
        self.size = 0
        self.paused = False


class Owed:
    """The deliveries one consumer owes its callback, in arrival order, and their bytes."""

    __slots__ = (
        "no_ack",
        "buffered",
        "items",
        "held",
        "cancelling",
        "ending",
        "registered",
        "cancel_on_ok",
    )

    def __init__(self, no_ack: bool, buffered: Buffered | None = None) -> None:
        self.no_ack = no_ack
        self.buffered = buffered or Buffered()
        self.items: deque[Item] = deque()
        self.held = 0  # bytes of items (cost)
        self.cancelling = False  # no new ack-mode delivery reaches the callback
        self.ending = False  # no more deliveries will come: stop once the queue is empty
        self.registered = False  # the broker confirmed the consumer (consume-ok)
        self.cancel_on_ok = False  # abandoned before consume-ok: cancel it when that arrives

    def offer(self, item: Item) -> int:
        """A delivery arrived: the bytes it adds to the queue, or -1 if it goes back to the
        broker instead (ack mode, consumer being cancelled)."""
        if self.cancelling and not self.no_ack:
            return -1
        self.items.append(item)
        size = len(item[0]) + ITEM_OVERHEAD
        self.held += size
        self.buffered.size += size
        return size

    def take(self) -> tuple[Item, int]:
        """The next delivery for the callback, and the bytes it releases."""
        item = self.items.popleft()
        size = len(item[0]) + ITEM_OVERHEAD
        self.held -= size
        self.buffered.size -= size
        return item, size

    def cancel(self) -> list[Item]:
        """Cancelling: the queued ack-mode deliveries, which go back to the broker now."""
        self.cancelling = True
        if self.no_ack:
            return []
        given_back = list(self.items)
        self.drop()
        return given_back

    def drop(self) -> tuple[int, int]:
        """Empty the queue; returns (deliveries, bytes) dropped."""
        dropped = (len(self.items), self.held)
        self.items.clear()
        self.buffered.size -= self.held
        self.held = 0
        return dropped
