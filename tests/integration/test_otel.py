"""aioamqp.otel against RabbitMQ: a trace crosses the broker, headers the application set are
kept, nothing is added with tracing off, and a callback's error is recorded on its span."""

from __future__ import annotations

import asyncio

import pytest

from otel_support import otel, tracing  # noqa: F401  (tracing: a fixture)
from opentelemetry.trace import SpanKind, StatusCode

import aioamqp

T = 10  # seconds for one broker round trip


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def spans_finished(tracing, count: int, timeout: float = T) -> list:
    """The finished spans, once there are count of them (a consumer's span ends after the
    callback has returned, so a test waiting for the callback may be a step ahead)."""
    async with asyncio.timeout(timeout):
        while len(tracing.finished()) < count:
            await asyncio.sleep(0.01)
    return tracing.finished()


async def test_one_trace_from_publish_through_a_callback_to_its_own_publish(
    tracing, channel, name, make_inbox
):
    first, second = f"{name}.first", f"{name}.second"
    for queue_name in (first, second):
        await w(channel.queue_declare(queue_name, exclusive=True))

    async def forward(channel, body, envelope, properties):
        await channel.publish(body + b" forwarded", "", second)
        await channel.basic_client_ack(envelope.delivery_tag)

    inbox = make_inbox(ack=True)
    await w(channel.basic_consume(forward, queue_name=first))
    await w(channel.basic_consume(inbox, queue_name=second))
    await w(channel.publish(b"order", "", first, {"message_id": "m1"}))
    await inbox.wait_for(1)
    assert inbox.bodies == [b"order forwarded"]

    spans = await spans_finished(tracing, 4)
    by_start = sorted(spans, key=lambda span: span.start_time)
    assert [(span.kind, span.name) for span in by_start] == [
        (SpanKind.PRODUCER, "publish"),
        (SpanKind.CONSUMER, "process"),
        (SpanKind.PRODUCER, "publish"),
        (SpanKind.CONSUMER, "process"),
    ]
    root, *rest = by_start
    assert root.parent is None
    for parent, child in zip(by_start, rest):  # each the child of the one before
        assert child.context.trace_id == root.context.trace_id
        assert child.parent.span_id == parent.context.span_id
    first_process = by_start[1]
    assert first_process.attributes["messaging.rabbitmq.destination.routing_key"] == first
    assert first_process.attributes["messaging.message.id"] == "m1"
    assert first_process.attributes["messaging.message.body.size"] == len(b"order")
    assert first_process.attributes["messaging.rabbitmq.message.delivery_tag"] == 1
    for span in spans:  # the broker as the application named it (aioamqp.connect's host)
        assert (span.attributes["server.address"], span.attributes["server.port"]) == (
            channel.protocol.server_address
        )


async def test_headers_the_application_set_are_kept(tracing, channel, make_inbox):
    queue_name = (await w(channel.queue_declare("", exclusive=True)))["queue"]
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue_name, no_ack=True))
    headers = {"tenant": "acme", "attempt": 2, "nested": {"a": [1, "b"]}}
    properties = {"headers": headers, "correlation_id": "c1"}
    await w(channel.publish(b"x", "", queue_name, properties))
    ((_, _, _, received),) = await inbox.wait_for(1)
    (producer,) = tracing.finished(SpanKind.PRODUCER)
    assert received.correlation_id == "c1"
    assert {key: received.headers[key] for key in headers} == headers
    assert received.headers["traceparent"].split("-")[1:3] == [
        f"{producer.context.trace_id:032x}",
        f"{producer.context.span_id:016x}",
    ]
    assert properties == {"headers": headers, "correlation_id": "c1"}
    assert "traceparent" not in headers


async def test_with_tracing_off_no_header_is_added(tracing, channel, make_inbox):
    otel.uninstrument()
    queue_name = (await w(channel.queue_declare("", exclusive=True)))["queue"]
    inbox = make_inbox()
    await w(channel.basic_consume(inbox, queue_name=queue_name, no_ack=True))
    await w(channel.publish(b"plain", "", queue_name))
    await w(channel.publish(b"with headers", "", queue_name, {"headers": {"a": 1}}))
    items = await inbox.wait_for(2)
    assert [item[3].headers for item in items] == [None, {"a": 1}]
    assert tracing.finished() == []


async def test_a_callback_error_is_recorded_on_its_span(tracing, channel, make_inbox):
    queue_name = (await w(channel.queue_declare("", exclusive=True)))["queue"]
    inbox = make_inbox()

    async def failing(channel, body, envelope, properties):
        await inbox(channel, body, envelope, properties)
        raise RuntimeError(f"cannot handle {body!r}")

    await w(channel.basic_consume(failing, queue_name=queue_name, no_ack=True))
    await w(channel.publish(b"poison", "", queue_name))
    await inbox.wait_for(1)
    await spans_finished(tracing, 2)
    (span,) = tracing.finished(SpanKind.CONSUMER)
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "RuntimeError"
    (event,) = span.events
    assert event.attributes["exception.message"] == "cannot handle b'poison'"


async def test_a_confirmed_publish_the_broker_returns_fails_its_span(tracing, channel):
    await w(channel.confirm_select())
    with pytest.raises(aioamqp.PublishFailed):
        await w(channel.publish(b"x", "amq.direct", "nobody.bound", mandatory=True))
    (span,) = tracing.finished(SpanKind.PRODUCER)
    assert span.name == "publish amq.direct"
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "PublishFailed"
