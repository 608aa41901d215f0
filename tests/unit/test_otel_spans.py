"""aioamqp.otel without a broker: the spans and headers of publishes (a channel writing to a stub
of its connection) and of consumer callbacks (a consumer fed deliveries by hand)."""

from __future__ import annotations

import asyncio
import copy
import logging

import pytest

from otel_support import Tracing, otel, trace, tracing  # noqa: F401  (tracing: a fixture)
from opentelemetry import baggage, context
from opentelemetry.trace import SpanKind, StatusCode

from aioamqp import hooks
from aioamqp.consumer import Consumer
from aioamqp.envelope import Envelope, ReturnEnvelope
from aioamqp.exceptions import ChannelClosed, ConfigurationError
from aioamqp.properties import Properties
from support import LinkStub, open_channel


def traceparent(span) -> str:
    span_context = span.context
    ids = f"{span_context.trace_id:032x}-{span_context.span_id:016x}"
    return f"00-{ids}-{span_context.trace_flags:02x}"


async def publish(*args, **kwargs) -> tuple[str, str, Properties, bytes]:
    """Publish on a channel of a LinkStub: what was sent."""
    link = LinkStub()
    await open_channel(link).publish(*args, **kwargs)
    (sent,) = link.sent
    return sent


async def consume(callback, *items, around=None) -> None:
    """Run a consumer (created inside the span `around`, if given) over items until done."""
    if around is None:
        consumer = Consumer(open_channel(LinkStub()), "ctag", callback)
    else:
        with around:
            consumer = Consumer(open_channel(LinkStub()), "ctag", callback)
    for item in items:
        consumer.push(item)
    consumer.finish()
    await asyncio.wait_for(consumer.task, 5)


async def test_a_publish_gets_a_producer_span_whose_context_goes_in_the_headers(tracing):
    properties = {"message_id": "m1", "correlation_id": "c1", "headers": {"app": "x"}}
    original = copy.deepcopy(properties)
    _, _, sent, body = await publish("héllo", "orders", "eu.new", properties)
    (span,) = tracing.finished()
    assert span.name == "publish orders" and span.kind == SpanKind.PRODUCER
    assert dict(span.attributes) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.name": "publish",
        "messaging.operation.type": "send",
        "messaging.destination.name": "orders",
        "messaging.rabbitmq.destination.routing_key": "eu.new",
        "messaging.message.id": "m1",
        "messaging.message.conversation_id": "c1",
        "messaging.message.body.size": len("héllo".encode()),
    }
    assert span.status.status_code == StatusCode.UNSET
    assert sent.headers == {"app": "x", "traceparent": traceparent(span)}
    assert (sent.message_id, sent.correlation_id, body) == ("m1", "c1", "héllo".encode())
    assert properties == original  # the caller's dict and headers are not changed


async def test_spans_name_the_broker_the_connection_was_opened_to(tracing):
    link = LinkStub()
    link.server_address = ("rabbit.example", 5671)
    channel = open_channel(link)
    await channel.publish(b"x", "orders", "eu.new")
    consumer = Consumer(channel, "ctag", lambda *args: None)
    consumer.push((b"y", Envelope("ctag", 1, "orders", "eu.new", False), Properties()))
    consumer.finish()
    await asyncio.wait_for(consumer.task, 5)
    spans = tracing.finished()
    assert [span.kind for span in spans] == [SpanKind.PRODUCER, SpanKind.CONSUMER]
    for span in spans:
        assert span.attributes["server.address"] == "rabbit.example"
        assert span.attributes["server.port"] == 5671


async def test_a_properties_object_is_copied_not_changed(tracing):
    properties = Properties(message_id="m2", headers={"keep": 1})
    _, _, sent, _ = await publish(b"x", "", "tasks", properties)
    (span,) = tracing.finished()
    assert properties == Properties(message_id="m2", headers={"keep": 1})
    assert sent == Properties(
        message_id="m2", headers={"keep": 1, "traceparent": traceparent(span)}
    )


async def test_the_default_exchange_has_no_name_to_add_to_the_span_name(tracing):
    await publish(b"x", "", "tasks")
    (span,) = tracing.finished()
    assert span.name == "publish"
    assert span.attributes["messaging.destination.name"] == ""
    assert span.attributes["messaging.rabbitmq.destination.routing_key"] == "tasks"


async def test_a_message_published_again_carries_the_new_trace_context(tracing):
    old = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    _, _, sent, _ = await publish(b"x", "", "q", {"headers": {"traceparent": old}})
    (span,) = tracing.finished()
    assert sent.headers == {"traceparent": traceparent(span)}


async def test_the_span_is_the_child_of_the_current_span(tracing):
    with tracing.tracer.start_as_current_span("request") as request:
        await publish(b"x", "ex", "rk")
    publish_span = tracing.finished(SpanKind.PRODUCER)[0]
    assert publish_span.parent.span_id == request.get_span_context().span_id


async def test_a_failed_publish_is_recorded_on_its_span_and_raised(tracing):
    channel = open_channel(LinkStub())
    channel.is_open = False
    with pytest.raises(ChannelClosed):
        await channel.publish(b"x", "ex", "rk")
    (span,) = tracing.finished()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "ChannelClosed"
    assert [event.name for event in span.events] == ["exception"]


@pytest.mark.parametrize("properties", [{"headers": [("a", 1)]}, {"nonsense": 1}, ["x"]])
async def test_properties_publish_rejects_are_rejected_alike_with_tracing(properties, tracing):
    otel.uninstrument()
    with pytest.raises(Exception) as untraced:
        await publish(b"x", "", "q", properties)
    otel.instrument(tracer_provider=tracing.provider)
    with pytest.raises(type(untraced.value)):
        await publish(b"x", "", "q", properties)


async def test_nothing_is_added_when_there_is_no_span_context_to_propagate():
    otel.instrument(tracer_provider=trace.NoOpTracerProvider())
    try:
        _, _, sent, _ = await publish(b"x", "", "q", {"headers": {"a": 1}})
    finally:
        otel.uninstrument()
    assert sent.headers == {"a": 1}


async def test_with_tracing_off_there_is_no_span_and_no_header(tracing):
    otel.uninstrument()
    assert hooks.active is None
    _, _, sent, _ = await publish(b"x", "", "q")
    assert sent == Properties() and tracing.finished() == []


def test_instrument_again_replaces_the_provider_and_refuses_other_hooks(tracing):
    first = hooks.active
    otel.instrument(tracer_provider=Tracing().provider)
    assert hooks.active is not first
    otel.uninstrument()
    hooks.install(hooks.Hooks())
    try:
        with pytest.raises(ConfigurationError):
            otel.instrument()
        otel.uninstrument()  # not its hooks: left alone
        assert type(hooks.active) is hooks.Hooks
    finally:
        hooks.install(None)


async def test_a_callback_runs_in_a_consumer_span_whose_parent_is_the_message_context(tracing):
    token = context.attach(baggage.set_baggage("tenant", "t1"))
    try:
        with tracing.tracer.start_as_current_span("request"):
            _, _, properties, body = await publish(b"job", "jobs", "eu", {"message_id": "m3"})
    finally:
        context.detach(token)
    producer = tracing.finished(SpanKind.PRODUCER)[0]
    seen = []

    async def callback(channel, body, envelope, properties):
        current = trace.get_current_span().get_span_context().span_id
        seen.append((current, baggage.get_baggage("tenant")))

    envelope = Envelope("ctag", 7, "jobs", "eu", False)
    await consume(callback, (body, envelope, properties))
    (span,) = tracing.finished(SpanKind.CONSUMER)
    assert span.name == "process jobs"
    assert span.parent.span_id == producer.context.span_id
    assert span.context.trace_id == producer.context.trace_id
    assert seen == [(span.context.span_id, "t1")]  # the span is current, the baggage came along
    assert dict(span.attributes) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.name": "process",
        "messaging.operation.type": "process",
        "messaging.destination.name": "jobs",
        "messaging.rabbitmq.destination.routing_key": "eu",
        "messaging.message.id": "m3",
        "messaging.message.body.size": 3,
        "messaging.rabbitmq.message.delivery_tag": 7,
    }


async def test_a_message_without_trace_context_starts_a_trace_not_the_consumer_tasks(tracing):
    envelope = Envelope("ctag", 1, "", "q", False)
    seen = []

    def callback(channel, body, envelope, properties):
        seen.append(body)

    setup = tracing.tracer.start_as_current_span("setup")  # basic_consume called inside a span
    await consume(callback, (b"a", envelope, Properties()), around=setup)
    (span,) = tracing.finished(SpanKind.CONSUMER)
    assert span.parent is None and seen == [b"a"]


async def test_a_callback_error_is_recorded_on_its_span_and_logged_as_before(tracing, caplog):
    envelope = Envelope("ctag", 1, "ex", "rk", True)

    async def callback(channel, body, envelope, properties):
        raise ValueError("bad message")

    with caplog.at_level(logging.ERROR, "aioamqp.channel"):
        await consume(callback, (b"a", envelope, Properties()), (b"b", envelope, Properties()))
    spans = tracing.finished(SpanKind.CONSUMER)
    assert len(spans) == 2
    for span in spans:
        assert span.status.status_code == StatusCode.ERROR
        assert span.attributes["error.type"] == "ValueError"
        (event,) = span.events
        assert event.name == "exception"
        assert event.attributes["exception.message"] == "bad message"
    assert caplog.text.count("callback failed") == 2


async def test_a_returned_message_reaches_its_callback_without_a_span(tracing):
    seen = []

    def callback(channel, body, envelope, properties):
        seen.append(envelope.reply_code)

    returned = ReturnEnvelope(312, "NO_ROUTE", "ex", "rk")
    await consume(callback, (b"a", returned, Properties()))
    assert seen == [312] and tracing.finished() == []


async def test_trace_headers_that_cannot_be_read_leave_the_callback_a_trace_of_its_own(tracing):
    headers = {"traceparent": "not-a-traceparent", "tracestate": 5, "baggage": "%%%"}
    seen = []

    def callback(channel, body, envelope, properties):
        seen.append(body)

    envelope = Envelope("ctag", 1, "", "q", False)
    await consume(callback, (b"a", envelope, Properties(headers=headers)))
    (span,) = tracing.finished(SpanKind.CONSUMER)
    assert span.parent is None and seen == [b"a"]


async def test_a_text_payload_that_cannot_be_encoded_fails_as_without_tracing(tracing):
    channel = open_channel(LinkStub())
    with pytest.raises(UnicodeEncodeError):
        await channel.publish("\ud800", "", "q")
    channel.is_open = False
    with pytest.raises(ChannelClosed):  # the channel's own check comes first, as without tracing
        await channel.publish("\ud800", "", "q")
    assert [span.attributes["error.type"] for span in tracing.finished()] == [
        "UnicodeEncodeError",
        "ChannelClosed",
    ]
