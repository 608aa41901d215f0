"""Fault-injection tests against a scripted fake peer (fake_broker.FakeBroker); no RabbitMQ.

For every test in this directory:

- a hard deadline: the test body runs under `asyncio.timeout` (DEADLINE seconds, or the
  seconds of a `@pytest.mark.deadline(n)` marker), so a client that hangs fails instead;
- asyncio debug mode on the test's loop;
- at teardown of a passing test, after the fake broker and every client connection made
  through it are closed: no task may still be running, and the 'asyncio' logger must not have
  recorded an unretrieved task/future exception or a pending task being destroyed.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import sys
from pathlib import Path

import pytest
from support import with_deadline
from fake_broker import FakeBroker

DEADLINE = 15.0  # seconds per test unless @pytest.mark.deadline(n)
LEFTOVER_GRACE = 2.0  # seconds for the client's tasks to end once its connection is gone
_HERE = Path(__file__).resolve().parent
_FORBIDDEN = (
    "Task exception was never retrieved",
    "Future exception was never retrieved",
    "Task was destroyed but it is pending",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "deadline(seconds): hard time bound of a fault test")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE not in Path(str(item.path)).resolve().parents:
            continue
        func = getattr(item, "obj", None)
        if inspect.iscoroutinefunction(func):
            marker = item.get_closest_marker("deadline")
            item.obj = with_deadline(func, marker.args[0] if marker else DEADLINE, "scenario")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.scenario_failed = report.failed or hasattr(report, "wasxfail")
    return report


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
async def _asyncio_hygiene(request):
    """Debug mode; no leftover task and no unretrieved exception once the scenario is over
    (checked when the scenario passed: a failed one may leave anything behind)."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    # What earlier (failed) tests left behind is not this test's fault: drop the last failure's
    # traceback, which pytest keeps for post-mortem debugging, and collect it now.
    sys.last_type = sys.last_value = sys.last_traceback = None
    gc.collect()
    records = _Records()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(records)
    try:
        yield
        if getattr(request.node, "scenario_failed", True):
            return
        current = asyncio.current_task()
        deadline = loop.time() + LEFTOVER_GRACE
        while True:
            await asyncio.sleep(0)
            leftover = [task for task in asyncio.all_tasks() if task is not current]
            if not leftover or loop.time() > deadline:
                break
            await asyncio.sleep(0.01)
        assert not leftover, f"tasks still running after the scenario: {leftover}"
        await asyncio.sleep(0)
        gc.collect()  # unreferenced failed futures and pending tasks report now
        bad = [r.getMessage() for r in records.records if r.getMessage().startswith(_FORBIDDEN)]
        assert not bad, "asyncio reported:\n" + "\n".join(bad)
    finally:
        asyncio_logger.removeHandler(records)


@pytest.fixture
async def broker():
    """A started FakeBroker; stopped (client connections closed too) after the test."""
    fake = FakeBroker()
    await fake.start()
    yield fake
    await asyncio.wait_for(fake.stop(), 5)
