"""Tuning negotiation and channel ids (aioamqp.core.tuning), without I/O."""

import pytest

from aioamqp.core.tuning import ChannelIds, Tuning, negotiate
from aioamqp.exceptions import NoChannelAvailable


def test_the_lower_non_zero_limit_of_each_side_wins():
    assert negotiate({}, 2047, 131072, 60) == Tuning(2047, 131072, 60)
    assert negotiate({"channel_max": 10, "frame_max": 8192}, 2047, 131072, 60) == (10, 8192, 60)
    assert negotiate({"channel_max": 4000, "frame_max": 0}, 2047, 131072, 60)[:2] == (2047, 131072)
    assert negotiate({"channel_max": 10}, 0, 0, 60)[:2] == (10, 0)
    assert negotiate({}, 0, 0, 0).channel_max == 65535  # no limit on either side


def test_the_clients_heartbeat_wins_even_zero():
    assert negotiate({"heartbeat": 100}, 0, 0, 60).heartbeat == 100
    assert negotiate({"heartbeat": 0}, 0, 0, 60).heartbeat == 0


def test_released_ids_are_reused_first_and_the_count_is_of_ids_in_use():
    ids = ChannelIds()
    assert [ids.allocate(3) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(NoChannelAvailable):
        ids.allocate(3)
    ids.release(2)
    assert ids.in_use == 2 and ids.allocate(3) == 2 and ids.in_use == 3
