"""Connection-level state that needs no I/O: tuning negotiation and channel id allocation."""

from __future__ import annotations

from typing import Mapping, NamedTuple

from ..exceptions import NoChannelAvailable

CHANNEL_MAX_NONE = 65535  # a channel_max of 0 means no limit: the largest id a short can hold


class Tuning(NamedTuple):
    """What tune-ok sends, and what the connection then lives by."""

    channel_max: int
    frame_max: int
    heartbeat: int


def lower_limit(client: int | None, server: int) -> int:
    """The lower non-zero value of each side (zero means no limit)."""
    if not client:
        return server
    if not server:
        return client
    return min(client, server)


def negotiate(
    requested: Mapping[str, int], channel_max: int, frame_max: int, heartbeat: int
) -> Tuning:
    """The tuning from the broker's offer (connection.tune) and the client's request: the lower
    limit of each side for channel_max and frame_max; the client's heartbeat if it asked for one
    (0 turns heartbeats off), else the broker's."""
    return Tuning(
        lower_limit(requested.get("channel_max"), channel_max) or CHANNEL_MAX_NONE,
        lower_limit(requested.get("frame_max"), frame_max),
        requested["heartbeat"] if "heartbeat" in requested else heartbeat,
    )


class ChannelIds:
    """Channel ids 1..channel_max: a released id is handed out again before a new one."""

    def __init__(self) -> None:
        self.ceil = 0  # the highest id handed out so far
        self.free: set[int] = set()

    @property
    def in_use(self) -> int:
        return self.ceil - len(self.free)

    def allocate(self, channel_max: int) -> int:
        if self.free:
            return self.free.pop()
        if self.ceil >= channel_max:
            raise NoChannelAvailable()
        self.ceil += 1
        return self.ceil

    def release(self, channel_id: int) -> None:
        self.free.add(channel_id)
