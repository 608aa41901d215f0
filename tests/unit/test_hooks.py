"""aioamqp.hooks: what a hook sees of a publish and of a consumer callback, and that the client
behaves as without it (no broker: the channel writes to a stub of its connection)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from aioamqp import hooks
from aioamqp.exceptions import ChannelClosed
from aioamqp.channel import Channel
from aioamqp.consumer import Consumer
from aioamqp.envelope import Envelope
from aioamqp.properties import Properties
from support import LinkStub, open_channel


@pytest.fixture
def installed():
    """install(hooks) for the test; the process's hooks are back to none after it."""
    yield hooks.install
    hooks.install(None)


class Recording(hooks.Hooks):
    """Records each call, then does what the base class does."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def publish(self, proceed, channel, *args):
        self.calls.append(("publish", channel, *args))
        await super().publish(proceed, channel, *args)

    async def consume(self, proceed, channel, *args):
        self.calls.append(("consume", channel, *args))
        await super().consume(proceed, channel, *args)


class AddHeader(hooks.Hooks):
    async def publish(self, proceed, channel, payload, exchange, key, properties, *flags):
        headers = {**(properties or {}).get("headers", {}), "x-hooked": 1}
        await proceed(
            channel, payload, exchange, key, {**(properties or {}), "headers": headers}, *flags
        )


def test_install_returns_the_hooks_it_replaces(installed):
    first, second = hooks.Hooks(), hooks.Hooks()
    assert installed(first) is None and hooks.active is first
    assert installed(second) is first and hooks.active is second
    assert installed(None) is second and hooks.active is None


async def test_without_hooks_publish_sends_the_properties_as_given():
    link = LinkStub()
    properties = {"headers": {"a": 1}}
    await open_channel(link).publish(b"x", "ex", "rk", properties)
    assert link.sent == [("ex", "rk", Properties(headers={"a": 1}), b"x")]


async def test_the_publish_hook_gets_the_call_and_publishes_once(installed):
    recording = Recording()
    installed(recording)
    link = LinkStub()
    channel = open_channel(link)
    await channel.publish("body", "ex", "rk", None, mandatory=True)
    assert recording.calls == [("publish", channel, "body", "ex", "rk", None, True, False)]
    assert link.sent == [("ex", "rk", Properties(), b"body")]
    assert not hooks.proceeding.get()


async def test_properties_the_hook_replaces_are_the_ones_sent(installed):
    installed(AddHeader())
    link = LinkStub()
    await open_channel(link).basic_publish(b"x", "", "q", {"message_id": "m1"})
    assert link.sent == [("", "q", Properties(message_id="m1", headers={"x-hooked": 1}), b"x")]


async def test_a_subclass_override_of_publish_runs_once_around_the_hook(installed):
    installed(AddHeader())
    overrides = []

    class Counting(Channel):
        async def publish(self, *args, **kwargs):
            overrides.append(args)
            await super().publish(*args, **kwargs)

    link = LinkStub()
    await open_channel(link, Counting).publish(b"x", "", "q")
    assert len(overrides) == 1 and len(link.sent) == 1


async def test_what_publish_raises_passes_through_the_hook(installed):
    installed(Recording())
    channel = open_channel(LinkStub())
    with pytest.raises(TypeError):
        await channel.publish(12, "", "q")  # not bytes-like: raised before anything is sent
    channel.is_open = False
    with pytest.raises(ChannelClosed):
        await channel.publish(b"x", "", "q")


async def consume(callback, *items):
    """Run a consumer over items, (body, envelope, properties) each, until it has handled them."""
    consumer = Consumer(open_channel(LinkStub()), "ctag", callback)
    for item in items:
        consumer.push(item)
    consumer.finish()
    await asyncio.wait_for(consumer.task, 5)
    return consumer


def delivery(tag: int) -> tuple:
    return (b"body%d" % tag, Envelope("ctag", tag, "ex", "rk", False), Properties())


async def test_the_consume_hook_runs_around_each_callback_on_the_consumer_task(installed):
    recording = Recording()
    installed(recording)
    seen = []

    def callback(channel, body, envelope, properties):  # a plain function is called too
        seen.append((body, asyncio.current_task()))

    items = [delivery(1), delivery(2)]
    consumer = await consume(callback, *items)
    assert [body for body, _ in seen] == [b"body1", b"body2"]
    assert {task for _, task in seen} == {consumer.task}
    assert [call[2:] for call in recording.calls] == items


async def test_a_callback_error_is_logged_and_the_next_message_still_handled(installed, caplog):
    installed(Recording())
    seen = []

    async def callback(channel, body, envelope, properties):
        seen.append(body)
        if envelope.delivery_tag == 1:
            raise ValueError("bad message")

    with caplog.at_level(logging.ERROR, "aioamqp.channel"):
        await consume(callback, delivery(1), delivery(2))
    assert seen == [b"body1", b"body2"]
    assert "callback failed" in caplog.text and "bad message" in caplog.text
