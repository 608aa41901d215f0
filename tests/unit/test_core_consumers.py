"""Consumer bookkeeping (aioamqp.core.consumers): what a consumer owes its callback and what
goes back to the broker, without a task or an event loop."""

from types import SimpleNamespace

from aioamqp.core.consumers import ITEM_OVERHEAD, Owed


def delivery(tag: int, body: bytes = b"body"):
    return (body, SimpleNamespace(delivery_tag=tag), None)


def test_deliveries_are_owed_in_arrival_order_with_their_bytes():
    owed = Owed(no_ack=False)
    assert owed.offer(delivery(1, b"abc")) == 3 + ITEM_OVERHEAD
    owed.offer(delivery(2))
    item, size = owed.take()
    assert item[1].delivery_tag == 1 and size == 3 + ITEM_OVERHEAD
    assert owed.held == 4 + ITEM_OVERHEAD


def test_cancel_in_ack_mode_gives_back_the_queue_and_every_later_delivery():
    owed = Owed(no_ack=False)
    for tag in (1, 2, 3):
        owed.offer(delivery(tag))
    owed.take()  # 1 is in the callback's hands: it finishes
    assert [item[1].delivery_tag for item in owed.cancel()] == [2, 3]
    assert owed.held == 0 and not owed.items
    assert owed.offer(delivery(4)) == -1  # crossing the cancel: back to the broker


def test_cancel_in_no_ack_mode_keeps_every_delivery_for_the_callback():
    owed = Owed(no_ack=True)
    owed.offer(delivery(1))
    assert owed.cancel() == []
    assert owed.offer(delivery(2)) > 0
    assert [item[1].delivery_tag for item in owed.items] == [1, 2]


def test_drop_counts_what_it_drops():
    owed = Owed(no_ack=True)
    owed.offer(delivery(1, b"xy"))
    owed.offer(delivery(2, b""))
    assert owed.drop() == (2, 2 + 2 * ITEM_OVERHEAD)
    assert owed.held == 0 and not owed.items
