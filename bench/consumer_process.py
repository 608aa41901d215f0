"""The sweep's consumer runs in a process of its own, so that the publishing process's peak RSS
is the publisher's alone (a consumer holds up to a prefetch window of bodies).

The publishing workload starts its own script again with --consume-queue (same interpreter,
same client); the child declares the queue, starts consuming and prints READY, then prints DONE
after its n-th message. Standard library only, like bench/common.py.
"""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType

READY = "ready"
DONE = "done"
EXIT_TIMEOUT = 60.0  # s for the child to clean up and exit after DONE


def signal(word: str) -> None:
    """In the consumer process: tell the publishing process (our stdout is its pipe)."""
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


class ConsumerProcess:
    """In the publishing process: the consumer child of this client's script.

    async with ConsumerProcess(queue, n, size) as consumer:  # returns once it consumes
        ...publish n messages to queue...
        await consumer.done()
    """

    def __init__(self, queue: str, n: int, size: int) -> None:
        self.command = [
            sys.executable,
            "-m",
            sys.modules["__main__"].__spec__.name,  # this client's script
            "--workload",
            "sweep",
            "--consume-queue",
            queue,
            "--n",
            str(n),
            "--size",
            str(size),
        ]
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> "ConsumerProcess":
        # stderr is inherited: the child's traceback reaches the runner with the parent's.
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdout=asyncio.subprocess.PIPE
        )
        await self._expect(READY)
        return self

    @property
    def pid(self) -> int:
        """The consumer process's pid (the sweep counts its CPU time with the publisher's)."""
        return self.process.pid

    async def done(self) -> None:
        """Wait for the consumer's n-th message."""
        await self._expect(DONE)

    async def _expect(self, word: str) -> None:
        line = (await self.process.stdout.readline()).decode().strip()
        if line != word:
            code = await self.process.wait()
            raise RuntimeError(f"consumer process said {line!r}, not {word!r} (exit {code})")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            if self.process.returncode is None:
                self.process.kill()
            await self.process.wait()
            return
        code = await asyncio.wait_for(self.process.wait(), EXIT_TIMEOUT)
        if code != 0:
            raise RuntimeError(f"consumer process exited with {code}")
