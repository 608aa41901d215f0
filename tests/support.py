"""Helpers the test layers share (imported as `support`: pyproject puts tests/ on the path)."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable


def with_deadline(
    func: Callable[..., Any], seconds: float, what: str = "test"
) -> Callable[..., Any]:
    """Wrap an async test so that it fails, instead of hanging, after seconds."""

    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(seconds) as deadline:
                return await func(*args, **kwargs)
        except TimeoutError:
            if deadline.expired():
                raise AssertionError(f"{what} did not finish within its {seconds} s deadline")
            raise

    return run


class ErrorRecords(logging.Handler):
    """Collects ERROR records of a logger (asyncio's: "Task exception was never retrieved")."""

    def __init__(self, logger: str = "asyncio") -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        logging.getLogger(logger).addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records
