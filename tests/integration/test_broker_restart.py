"""The broker's AMQP app restarts under a publisher with confirms on.

`rabbitmqctl stop_app`, about a second down, `rabbitmqctl start_app`, while a publisher streams
confirmed messages in windows. The connection dies; every publish() call must end, either
confirmed or raising AmqpClosedConnection / PublishFailed / ChannelClosed, none may hang, the
on_error callback runs once and the connection ends CLOSED.

Only for the local broker (skipped if rabbitmqctl is missing or cannot control it, or if
AMQP_URL names another host). Other sessions share that broker: the outage is kept short,
start_app always runs (in a finally, and again from the fixture's teardown), and the test waits
until the broker accepts AMQP connections again before it ends.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import urllib.parse

import pytest

import aioamqp
from aioamqp.exceptions import AmqpClosedConnection, ChannelClosed, PublishFailed

MESSAGES = 20_000
WINDOW = 100  # publishes in flight together
PAUSE = 0.05  # seconds between windows: the stream lasts long enough to be cut mid-way
RESTART_AFTER = 2_000  # confirmed publishes before stop_app
DOWN_FOR = 1.0  # seconds between stop_app and start_app
PUBLISH_DEADLINE = 30.0  # seconds for one publish() to confirm or fail
CTL_TIMEOUT = 120.0  # seconds for one rabbitmqctl command
RECONNECT_WITHIN = 60.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The CLI's Erlang distribution listens on loopback only, as scripts/broker.sh has it.
CTL_ENV = {
    **os.environ,
    "RABBITMQ_CTL_ERL_ARGS": os.environ.get(
        "RABBITMQ_CTL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"
    ),
}


def _ctl_sync(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["rabbitmqctl", "-q", *args],
        env=CTL_ENV,
        capture_output=True,
        text=True,
        timeout=CTL_TIMEOUT,
    )


async def _ctl(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "-q",
        *args,
        env=CTL_ENV,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CTL_TIMEOUT)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    assert proc.returncode == 0, f"rabbitmqctl {' '.join(args)} failed: {out!r} {err!r}"


async def _wait_for_broker(url: str) -> float:
    """Seconds until a new connection opens (and closes) again; fails after RECONNECT_WITHIN."""
    start = time.monotonic()
    while True:
        try:
            transport, protocol = await aioamqp.from_url(url, connection_timeout=5)
        except (OSError, AmqpClosedConnection) as exc:
            if time.monotonic() - start > RECONNECT_WITHIN:
                pytest.fail(f"broker not accepting connections {RECONNECT_WITHIN} s later: {exc}")
            await asyncio.sleep(0.5)
            continue
        await protocol.close(timeout=5)
        transport.close()
        return time.monotonic() - start


@pytest.fixture
def broker_control(amqp_url):
    """The local node's rabbitmqctl; at teardown start_app runs again unless it is known up."""
    host = urllib.parse.urlsplit(amqp_url).hostname or "localhost"
    if host not in LOCAL_HOSTS:
        pytest.skip(f"AMQP_URL points at {host}, not the local broker rabbitmqctl controls")
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed")
    try:
        status = _ctl_sync("status")
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"rabbitmqctl cannot reach the local node: {exc}")
    if status.returncode != 0:
        pytest.skip(f"rabbitmqctl cannot control the local node: {status.stderr.strip()[:200]}")
    state = {"stopped": False}
    yield state
    if state["stopped"]:  # the test did not get to start it again (deadline, failure)
        _ctl_sync("start_app")


@pytest.mark.timeout(240)
async def test_publishes_all_settle_when_the_broker_restarts(
    open_connection, name, amqp_url, broker_control
):
    errors: list[Exception] = []
    _, protocol = await open_connection(on_error=errors.append)
    channel = await protocol.channel()
    await asyncio.wait_for(channel.queue_declare(name, exclusive=True), 10)
    await asyncio.wait_for(channel.confirm_select(), 10)

    counts = {"published": 0, "confirmed": 0, "failed": 0, "hung": 0}
    failures: dict[str, int] = {}
    restart_due = asyncio.Event()
    died_at: list[int] = []  # publishes made when the connection was first seen dead

    async def publish_one(seq: int) -> None:
        counts["published"] += 1
        try:
            await asyncio.wait_for(
                channel.publish(seq.to_bytes(8, "big"), "", name), PUBLISH_DEADLINE
            )
        except TimeoutError:
            counts["hung"] += 1
        except (AmqpClosedConnection, PublishFailed, ChannelClosed) as exc:
            counts["failed"] += 1
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            if not died_at:
                died_at.append(counts["published"])
        else:
            counts["confirmed"] += 1
            if counts["confirmed"] >= RESTART_AFTER:
                restart_due.set()

    async def publisher() -> float:
        for start in range(0, MESSAGES, WINDOW):
            await asyncio.gather(*(publish_one(seq) for seq in range(start, start + WINDOW)))
            if not died_at:  # once the connection is gone, the rest fail at once
                await asyncio.sleep(PAUSE)
        return time.monotonic()

    async def restart() -> dict[str, float]:
        await restart_due.wait()
        times = {"begin": time.monotonic()}
        broker_control["stopped"] = True
        try:
            await _ctl("stop_app")
            times["stopped"] = time.monotonic()
            await asyncio.sleep(DOWN_FOR)
        finally:
            times["starting"] = time.monotonic()
            await _ctl("start_app")
            broker_control["stopped"] = False
            times["started"] = time.monotonic()
        return times

    began = time.monotonic()
    publishing = asyncio.ensure_future(publisher())
    restarting = asyncio.ensure_future(restart())
    try:
        stream_time = await publishing - began
    finally:
        if not restart_due.is_set():
            restarting.cancel()  # the stream ended early: nothing to restart
        (times,) = await asyncio.gather(restarting, return_exceptions=True)
    back_after = await _wait_for_broker(amqp_url)
    await asyncio.sleep(0.2)  # any late callback would show up now
    assert not isinstance(times, BaseException), f"restart failed or never began: {times!r}"

    print(
        f"\nbroker restart: {counts['published']} publish() calls in {stream_time:.1f} s: "
        f"{counts['confirmed']} confirmed, {counts['failed']} failed {failures}, "
        f"{counts['hung']} hung; connection first seen dead at call {died_at[:1]}; "
        f"on_error called {len(errors)}x ({errors[0] if errors else None!r}); "
        f"stop_app took {times['stopped'] - times['begin']:.1f} s, start_app "
        f"{times['started'] - times['starting']:.1f} s (broker down "
        f"{times['started'] - times['begin']:.1f} s at most); new connections accepted "
        f"{back_after:.1f} s after start_app returned"
    )
    assert counts["published"] == MESSAGES
    assert counts["hung"] == 0, f"{counts['hung']} publishes neither confirmed nor failed"
    assert counts["confirmed"] + counts["failed"] == counts["published"]
    assert counts["confirmed"] >= RESTART_AFTER
    assert counts["failed"] > 0, "the connection outlived the stream: no restart mid-stream"
    assert len(errors) == 1, errors
    assert isinstance(errors[0], AmqpClosedConnection)
    assert protocol.state == aioamqp.protocol.CLOSED
    assert not channel.is_open
    assert not channel.confirms.pending
    with pytest.raises(AmqpClosedConnection):
        await channel.publish(b"after", "", name)


def _traceback_entries(exc: BaseException) -> int:
    count, tb = 0, exc.__traceback__
    while tb is not None:
        count, tb = count + 1, tb.tb_next
    return count


async def test_failing_calls_after_connection_loss_do_not_accumulate(open_connection):
    """A publisher that keeps trying on a dead connection (as after the restart above) must not
    grow memory: each failing call raises an exception with only its own traceback."""
    transport, protocol = await open_connection()
    channel = await protocol.channel()
    transport.abort()  # the connection is lost, as when the broker goes away
    async with asyncio.timeout(5):
        while protocol.state != aioamqp.protocol.CLOSED:
            await asyncio.sleep(0.01)
    caught: list[BaseException] = []
    for _ in range(1000):
        with pytest.raises(AmqpClosedConnection) as info:
            await channel.publish(b"x" * 1000, "", "nowhere")
        caught.append(info.value)
        with pytest.raises(AmqpClosedConnection) as info:
            await protocol.channel()
        caught.append(info.value)
    longest = max(_traceback_entries(exc) for exc in caught)
    assert longest < 20, f"a failing call's exception carries {longest} traceback entries"
