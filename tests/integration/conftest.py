"""Integration tests run against a real RabbitMQ: AMQP_URL, or the local broker on 127.0.0.1.

What this conftest adds to every test in this directory:

- a hard deadline: each async test runs under `asyncio.timeout` (60 s, or the seconds of a
  `@pytest.mark.timeout(n)` marker) so that nothing can hang the suite;
- asyncio debug mode on the test's event loop;
- a check that no task is left running once the test's connections are closed (consumer
  tasks, heartbeat workers, callbacks): the test errors at teardown otherwise;
- a check that asyncio logged no ERROR record during the test ("Task exception was never
  retrieved", "Task was destroyed but it is pending", "Exception in callback", ...): the test
  errors at teardown if it did;
- a wait (up to 60 s) for the broker's port at the start of the session, since other sessions
  may be restarting the shared broker.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import inspect
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

import aioamqp
from support import ErrorRecords, with_deadline

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT_URL = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672/api")
MANAGEMENT_AUTH = ("guest", "guest")
DEFAULT_DEADLINE = 60.0  # seconds per test; @pytest.mark.timeout(n) changes it
RPC_TIMEOUT = 10.0  # seconds for a single broker round trip in a test
LEFTOVER_GRACE = 5.0  # seconds for a test's tasks to end once its connections are closed
_HERE = Path(__file__).resolve().parent


# -- deadlines, debug mode, asyncio error records ---------------------------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds): hard deadline of an integration test (default 60 s)"
    )


def _is_integration(item) -> bool:
    return _HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not _is_integration(item):
            continue
        item.add_marker(pytest.mark.integration)
        func = getattr(item, "obj", None)
        if inspect.iscoroutinefunction(func):
            marker = item.get_closest_marker("timeout")
            item.obj = with_deadline(func, marker.args[0] if marker else DEFAULT_DEADLINE)


_asyncio_errors = ErrorRecords()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    if _is_integration(item):
        gc.collect()  # what earlier tests left behind is not this test's fault
        _asyncio_errors.records.clear()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    if _is_integration(item):
        gc.collect()  # makes "Task was destroyed" / "never retrieved" reports happen now
        records = _asyncio_errors.take()
        if records:
            formatter = logging.Formatter("%(name)s %(levelname)s: %(message)s")
            text = "\n".join(formatter.format(record) for record in records)
            raise AssertionError(f"asyncio logged {len(records)} error(s):\n{text}")
    return result


@pytest.fixture(autouse=True)
async def _asyncio_debug():
    """Debug mode on; at teardown (after every other fixture closed its connections), no task
    may be left running: consumers, heartbeats, callbacks all end with their connection."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    yield
    current = asyncio.current_task()
    deadline = loop.time() + LEFTOVER_GRACE
    while True:
        leftover = [task for task in asyncio.all_tasks() if task is not current]
        if not leftover or loop.time() > deadline:
            break
        await asyncio.sleep(0.01)
    assert not leftover, f"tasks still running after the test and its fixtures: {leftover}"


@pytest.fixture(scope="session", autouse=True)
def _broker_reachable():
    parts = urllib.parse.urlsplit(AMQP_URL)
    host, port = parts.hostname or "localhost", parts.port or 5672
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                pytest.fail(f"no AMQP broker at {host}:{port} ({exc}); run scripts/broker.sh start")
            time.sleep(1)


# -- connections ------------------------------------------------------------------------------


async def close_quietly(transport, protocol) -> None:
    """Close a connection whatever state it is in, bounded in time."""
    if protocol.state == aioamqp.protocol.OPEN:
        try:
            await protocol.close(timeout=5)
        except aioamqp.AmqpClosedConnection:
            pass
    transport.close()


@pytest.fixture
def amqp_url():
    return AMQP_URL


@pytest.fixture
async def amqp():
    """(transport, protocol), closed after the test."""
    transport, protocol = await aioamqp.from_url(AMQP_URL)
    yield transport, protocol
    await close_quietly(transport, protocol)


@pytest.fixture
async def protocol(amqp):
    return amqp[1]


@pytest.fixture
async def channel(protocol):
    return await protocol.channel()


@pytest.fixture
def name(request):
    """A unique queue/exchange name per test; deleted by the broker when auto_delete is set."""
    return f"test.{request.node.name[:60]}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def connections():
    """A list to append extra (transport, protocol) pairs to; all are closed after the test."""
    opened: list[tuple[Any, Any]] = []
    yield opened
    for transport, protocol in opened:
        await close_quietly(transport, protocol)


@pytest.fixture
async def open_connection(connections):
    """await open_connection(url=None, **kwargs): from_url(url or AMQP_URL), closed after."""

    async def open_(url: str | None = None, **kwargs):
        transport, protocol = await asyncio.wait_for(
            aioamqp.from_url(url or AMQP_URL, **kwargs), 15
        )
        connections.append((transport, protocol))
        return transport, protocol

    return open_


# -- broker-side cleanup ----------------------------------------------------------------------


@pytest.fixture
async def cleanup():
    """cleanup.queue(name) / cleanup.exchange(name): deleted after the test, on a fresh
    connection (the test's own connection may be closed by then). Missing ones are fine."""

    class Cleanup:
        def __init__(self) -> None:
            self.queues: list[str] = []
            self.exchanges: list[str] = []

        def queue(self, queue_name: str) -> str:
            self.queues.append(queue_name)
            return queue_name

        def exchange(self, exchange_name: str) -> str:
            self.exchanges.append(exchange_name)
            return exchange_name

    todo = Cleanup()
    yield todo
    if not todo.queues and not todo.exchanges:
        return
    transport, protocol = await asyncio.wait_for(aioamqp.from_url(AMQP_URL), 15)
    try:
        channel = await protocol.channel()
        for queue_name in todo.queues:
            await asyncio.wait_for(channel.queue_delete(queue_name), RPC_TIMEOUT)
        for exchange_name in todo.exchanges:
            await asyncio.wait_for(channel.exchange_delete(exchange_name), RPC_TIMEOUT)
    finally:
        await close_quietly(transport, protocol)


# -- management API ---------------------------------------------------------------------------


class Management:
    """The RabbitMQ management HTTP API (stdlib urllib, run in a thread)."""

    def __init__(self, base_url: str, login: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{login}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=self.headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return await asyncio.to_thread(self._request, method, path, body)

    @staticmethod
    def connection_name(transport) -> str:
        """RabbitMQ's name for a connection: "client ip:port -> server ip:port"."""
        client = transport.get_extra_info("sockname")
        server = transport.get_extra_info("peername")
        return f"{client[0]}:{client[1]} -> {server[0]}:{server[1]}"

    async def get_connection(self, transport, timeout: float = 15) -> dict[str, Any]:
        """The connection's management record; it appears with the next stats emission (~5 s)."""
        path = "/connections/" + urllib.parse.quote(self.connection_name(transport), safe="")
        async with asyncio.timeout(timeout):
            while True:
                status, body = await self.request("GET", path)
                if status == 200:
                    return body
                await asyncio.sleep(0.2)

    async def close_connection(self, transport, timeout: float = 15) -> None:
        """Have the broker close the connection (connection.close 320 CONNECTION_FORCED)."""
        await self.get_connection(transport, timeout)
        path = "/connections/" + urllib.parse.quote(self.connection_name(transport), safe="")
        status, body = await self.request("DELETE", path)
        assert status in (200, 204), (status, body)


@pytest.fixture
async def management():
    api = Management(MANAGEMENT_URL, *MANAGEMENT_AUTH)
    try:
        status, _ = await api.request("GET", "/overview")
    except OSError as exc:
        pytest.skip(f"RabbitMQ management API not reachable at {MANAGEMENT_URL}: {exc}")
    if status != 200:
        pytest.skip(f"RabbitMQ management API at {MANAGEMENT_URL} answered {status}")
    return api


# -- consumers --------------------------------------------------------------------------------


class Inbox:
    """A consumer callback that keeps (channel, body, envelope, properties) and lets a test wait
    for a number of them. `ack=True` acknowledges each message from inside the callback."""

    def __init__(self, ack: bool = False) -> None:
        self.ack = ack
        self.items: list[tuple[Any, bytes, Any, Any]] = []
        self._changed = asyncio.Event()

    async def __call__(self, channel, body, envelope, properties) -> None:
        self.items.append((channel, body, envelope, properties))
        self._changed.set()
        if self.ack:
            await channel.basic_client_ack(envelope.delivery_tag)

    @property
    def bodies(self) -> list[bytes]:
        return [item[1] for item in self.items]

    async def wait_for(self, count: int, timeout: float = RPC_TIMEOUT) -> list[tuple]:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.items


@pytest.fixture
async def observer(open_connection):
    """A channel on a connection of its own, to count queues from outside."""
    _, protocol = await open_connection()
    return await asyncio.wait_for(protocol.channel(), RPC_TIMEOUT)


@pytest.fixture
async def queue(observer, name):
    """A queue declared by the observer, deleted after the test."""
    await asyncio.wait_for(observer.queue_declare(name), RPC_TIMEOUT)
    yield name
    if observer.is_open:
        await asyncio.wait_for(observer.queue_delete(name), RPC_TIMEOUT)


@pytest.fixture
def make_inbox():
    """make_inbox(ack=False) -> Inbox, a consumer callback that records what it gets."""
    return Inbox


# -- event loops: every async integration test runs on asyncio's loop and on uvloop ------------


def pytest_asyncio_loop_factories(config, item):
    import uvloop

    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
