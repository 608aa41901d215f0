"""Reply matching of one channel: the broker answers a channel's synchronous requests in the
order it received them, so each reply belongs to the oldest request still waiting."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Generic, NamedTuple, TypeVar

from .. import exceptions

W = TypeVar("W")  # what the shell waits on for a reply (a future)
Orphan = Callable[[Any], None]  # handles a reply that arrives after its caller stopped waiting


class Pending(NamedTuple, Generic[W]):
    replies: tuple[int, ...]  # the INDEX of each method that may answer
    waiter: W
    orphan: Orphan | None


class Replies(Generic[W]):
    """Requests waiting for their reply, oldest first. A request whose caller gave up keeps its
    place: its reply is still matched (and handed to its orphan handler, if any)."""

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id
        self._pending: deque[Pending[W]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def expect(self, replies: tuple[int, ...], waiter: W, orphan: Orphan | None = None) -> None:
        self._pending.append(Pending(replies, waiter, orphan))

    def answer(self, name: str, index: int) -> Pending[W]:
        """The request a reply answers; UnexpectedFrame if none waits or it is not one of the
        oldest request's replies."""
        if not self._pending:
            raise exceptions.UnexpectedFrame(f"unexpected {name} on channel {self.channel_id}")
        pending = self._pending.popleft()
        if index not in pending.replies:
            raise exceptions.UnexpectedFrame(f"{name} does not answer the pending request")
        return pending

    def awaits(self, index: int) -> bool:
        """Whether a waiting request accepts this reply (a close crossing the broker's)."""
        return any(index in pending.replies for pending in self._pending)

    def clear(self) -> list[W]:
        """Forget every request (the channel ended); returns their waiters."""
        waiters = [pending.waiter for pending in self._pending]
        self._pending.clear()
        return waiters
