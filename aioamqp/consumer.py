"""Consumers: each runs its callback over its messages in arrival order, on a task of its own,
so that the frame reader never awaits user code and a callback may call the channel freely."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .channel import Channel

logger = logging.getLogger("aioamqp.channel")

Callback = Callable[..., Any]


async def call_either(callback: Callback, *args: Any) -> None:
    """Call a plain function or a coroutine function alike."""
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


class Consumer:
    """Runs one callback over its messages in arrival order, on a task of its own."""

    def __init__(self, channel: Channel, tag: str, callback: Callback) -> None:
        self.channel = channel
        self.tag = tag
        self.callback = callback
        self.items: deque[tuple[Any, ...]] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.stopped = False
        self.task = asyncio.get_running_loop().create_task(self._run())

    def push(self, item: tuple[Any, ...]) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def stop(self, interrupt: bool = False) -> None:
        """Drop the queued messages (unacked, so the broker redelivers them). The callback in
        hand finishes, unless interrupt is set: then it is cancelled (the channel is gone)."""
        self.stopped = True
        self.items.clear()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)
        elif interrupt and self.task is not asyncio.current_task():
            self.task.cancel()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopped:
            while self.items:
                try:
                    await call_either(self.callback, self.channel, *self.items.popleft())
                except Exception:
                    logger.exception("consumer %r callback failed", self.tag)
            if self.stopped:
                return
            self.waiter = loop.create_future()
            await self.waiter
            self.waiter = None
