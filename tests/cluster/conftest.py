"""Tests against a local three-node RabbitMQ cluster: scripts/cluster.sh, AMQP on 127.0.0.1 ports
5682, 5683 and 5684 (guest/guest, vhost "/").

Skipped unless AIOAMQP_CLUSTER=1 is set (`make test-cluster` sets it), so that a plain `pytest`
does not start three more brokers. The first test that needs the cluster starts it with
`scripts/cluster.sh start` (as root) unless all three nodes already accept AMQP.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import os
import subprocess
import uuid
from pathlib import Path

import pytest

import aioamqp
from scenario import cluster_sh
from support import ErrorRecords, with_deadline

HOST = "127.0.0.1"
PORTS = (5682, 5683, 5684)  # node 1, 2, 3
ENABLED = os.environ.get("AIOAMQP_CLUSTER") == "1"
START_TIMEOUT = 300  # seconds for `cluster.sh start` (it needs ~20 s from scratch)
DEFAULT_DEADLINE = 120.0  # seconds per test; @pytest.mark.timeout(n) changes it
LEFTOVER_GRACE = 5.0  # seconds for a test's tasks to end once its connections are closed
_HERE = Path(__file__).resolve().parent
CLUSTER_SH = _HERE.parents[1] / "scripts" / "cluster.sh"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cluster: needs the three-node RabbitMQ cluster of scripts/cluster.sh (AIOAMQP_CLUSTER=1)",
    )
    # tests/integration registers it too (there the default is 60 s).
    if not any(line.startswith("timeout(") for line in config.getini("markers")):
        config.addinivalue_line("markers", "timeout(seconds): hard deadline of a test")


def _in_cluster_dir(item) -> bool:
    return _HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="cluster tests run with AIOAMQP_CLUSTER=1 (make test-cluster)")
    for item in items:
        if not _in_cluster_dir(item):
            continue
        item.add_marker(pytest.mark.cluster)
        if not ENABLED:
            item.add_marker(skip)
            continue
        func = getattr(item, "obj", None)
        if inspect.iscoroutinefunction(func):
            marker = item.get_closest_marker("timeout")
            item.obj = with_deadline(func, marker.args[0] if marker else DEFAULT_DEADLINE)


_asyncio_errors = ErrorRecords()


@pytest.fixture(autouse=True)
async def _clean_finish():
    """At teardown (after the other fixtures closed their connections): no task left running,
    and no ERROR record from asyncio ("Task exception was never retrieved", ...)."""
    gc.collect()
    _asyncio_errors.records.clear()
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
    gc.collect()  # "Task was destroyed but it is pending" and the like are logged now
    records = _asyncio_errors.take()
    formatter = logging.Formatter("%(name)s %(levelname)s: %(message)s")
    text = "\n".join(formatter.format(record) for record in records)
    assert not records, f"asyncio logged {len(records)} error(s):\n{text}"


class Cluster:
    """The running cluster: its addresses, and crashes and restarts of its nodes."""

    host = HOST
    ports = PORTS

    @property
    def hosts(self) -> list[str]:
        """["127.0.0.1:5682", ...]: node 1 first."""
        return [f"{HOST}:{port}" for port in PORTS]

    @staticmethod
    def node_of(protocol) -> int:
        """The node (1, 2 or 3) a connection's protocol talks to, from the peer's port."""
        port = protocol._transport.get_extra_info("peername")[1]
        return PORTS.index(port) + 1

    async def kill(self, node: int) -> None:
        """kill -9 the node's beam process: a crash."""
        await cluster_sh("kill", str(node))

    async def restart(self, node: int) -> None:
        """Start the node again and wait until it is back in the cluster and accepts AMQP."""
        await cluster_sh("restart", str(node))


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    """The three-node cluster, started by scripts/cluster.sh unless all its nodes accept AMQP."""
    status = subprocess.run([str(CLUSTER_SH), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        if os.geteuid() != 0:
            pytest.fail(
                f"the cluster is not running and starting it needs root:\n{status.stdout}"
                "run scripts/cluster.sh start as root",
                pytrace=False,
            )
        try:
            start = subprocess.run(
                [str(CLUSTER_SH), "start"], capture_output=True, text=True, timeout=START_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"scripts/cluster.sh start took over {START_TIMEOUT} s", pytrace=False)
        if start.returncode != 0:
            pytest.fail(f"scripts/cluster.sh start failed:\n{start.stderr}", pytrace=False)
    return Cluster()


async def close_quietly(transport, protocol) -> None:
    """Close a connection whatever state it is in, bounded in time."""
    if protocol.state == aioamqp.protocol.OPEN:
        try:
            await protocol.close(timeout=5)
        except (aioamqp.AmqpClosedConnection, TimeoutError):
            pass
    transport.close()


async def delete_queue(queue_name: str) -> None:
    """Delete a queue through the first node that takes a connection (one may be down)."""
    errors: list[BaseException] = []
    for port in PORTS:
        try:
            transport, protocol = await aioamqp.connect(HOST, port, connection_timeout=5)
        except (OSError, TimeoutError, aioamqp.AmqpClosedConnection) as exc:
            errors.append(exc)
            continue
        try:
            channel = await protocol.channel()
            await channel.queue_delete(queue_name, timeout=15)
            return
        finally:
            await close_quietly(transport, protocol)
    raise RuntimeError(f"no node took a connection to delete queue {queue_name}: {errors}")


@pytest.fixture
async def queue_name(request, cluster):
    """A unique queue name; the queue is deleted after the test."""
    name = f"cluster.{request.node.name[:60]}.{uuid.uuid4().hex[:8]}"
    yield name
    await delete_queue(name)


@pytest.fixture
async def connect(cluster):
    """await connect(node) -> (transport, protocol) to node 1, 2 or 3; closed after the test."""
    opened = []

    async def connect_(node: int):
        transport, protocol = await aioamqp.connect(HOST, PORTS[node - 1], connection_timeout=15)
        opened.append((transport, protocol))
        return transport, protocol

    yield connect_
    for transport, protocol in opened:
        await close_quietly(transport, protocol)
