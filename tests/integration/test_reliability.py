"""Bad input, broker resource alarms, update-secret and secrets, against the real broker."""

import asyncio
import logging
import shutil
import subprocess

import pytest

import aioamqp
from aioamqp import exceptions


async def still_usable(protocol, channel=None):
    channel = channel or await protocol.channel()
    result = await channel.queue_declare("", exclusive=True)
    assert result["queue"]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda ch: ch.publish(b"x", "", "r" * 256), exceptions.ShortStrTooLong),
        (lambda ch: ch.queue_declare("q" * 256), exceptions.ShortStrTooLong),
        (lambda ch: ch.basic_qos(prefetch_count=-1), exceptions.IntegerOutOfRange),
        (lambda ch: ch.basic_qos(prefetch_count=65536), exceptions.IntegerOutOfRange),
        (lambda ch: ch.publish(b"x", "", "q", {"headers": {"k": object()}}), TypeError),
        (lambda ch: ch.publish(b"x", "", "q", {"colour": "red"}), exceptions.UnknownProperty),
        (lambda ch: ch.queue_declare("q", arguments={"x-max-length": 2**64}), TypeError),
    ],
    ids=[
        "routing key over 255 bytes",
        "queue name over 255 bytes",
        "negative prefetch_count",
        "prefetch_count over 65535",
        "unsupported header value type",
        "unknown property",
        "table integer beyond 64 bits",
    ],
)
async def test_bad_input_raises_before_the_wire_and_the_connection_stays_usable(
    protocol, call, error
):
    channel = await protocol.channel()
    with pytest.raises(error):
        await call(channel)
    assert channel.is_open
    await still_usable(protocol, channel)


async def test_out_of_range_integers_are_type_errors(channel):
    with pytest.raises(TypeError):
        await channel.basic_client_ack(-1)
    await still_usable(channel.protocol, channel)


def rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=30)


needs_rabbitmqctl = pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl on this machine (local broker)"
)


@needs_rabbitmqctl
@pytest.mark.timeout(90)
async def test_connection_blocked_by_a_resource_alarm(open_connection, name):
    """A disk alarm blocks publishers: is_blocked, the callbacks, publish waits, then resumes;
    with blocked_timeout set, publish raises ConnectionBlocked instead of waiting."""
    events = []
    _, protocol = await open_connection(
        on_blocked=lambda reason: events.append(("blocked", reason)),
        on_unblocked=lambda: events.append(("unblocked",)),
    )
    _, impatient = await open_connection(blocked_timeout=0.5)
    channel = await protocol.channel()
    await channel.queue_declare(name, auto_delete=True)
    impatient_channel = await impatient.channel()
    await channel.publish(b"before", "", name)  # RabbitMQ blocks a connection once it publishes
    await impatient_channel.publish(b"before", "", name)
    assert rabbitmqctl("set_disk_free_limit", "1000000GB").returncode == 0
    try:
        async with asyncio.timeout(30):
            while not (protocol.is_blocked and impatient.is_blocked):
                await channel.publish(b"probe", "", name)
                await impatient_channel.publish(b"probe", "", name)
                await asyncio.sleep(0.1)
        assert events[0][0] == "blocked" and "disk" in events[0][1].lower()
        waiting = asyncio.ensure_future(channel.publish(b"while blocked", "", name))
        with pytest.raises(exceptions.ConnectionBlocked):
            await impatient_channel.publish(b"impatient", "", name)
        await asyncio.sleep(0.3)
        assert not waiting.done()
    finally:
        assert rabbitmqctl("set_disk_free_limit", "50MB").returncode == 0
    await asyncio.wait_for(waiting, 30)
    assert events[-1] == ("unblocked",) and not protocol.is_blocked
    await still_usable(protocol)


async def test_update_secret(open_connection):
    _, protocol = await open_connection()
    assert await protocol.update_secret("guest", reason="rotation") is True
    await still_usable(protocol)


async def test_password_never_appears(amqp_url, caplog):
    """Not in logs, reprs or exception messages, whatever the outcome."""
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-Pa55"
    with pytest.raises(aioamqp.AmqpClosedConnection) as refused:
        await aioamqp.connect("127.0.0.1", login="guest", password=secret)
    with pytest.raises(aioamqp.AmqpClosedConnection) as unreachable:
        await aioamqp.connect("127.0.0.1", port=1, login="guest", password=secret)
    seen = [str(refused.value), repr(refused.value), str(unreachable.value), caplog.text]
    transport, protocol = await aioamqp.connect("127.0.0.1")
    seen += [repr(protocol), str(vars(protocol))]
    await protocol.close()
    transport.close()
    assert not any(secret in text for text in seen)
    assert not any("guest:guest" in text for text in seen)
