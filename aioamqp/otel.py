"""OpenTelemetry tracing, so that a trace crosses the broker: `instrument()` turns it on for the
whole process, `uninstrument()` turns it off. Needs the otel extra (pip install aioamqp[otel]).

Each publish gets a PRODUCER span, and the current context (the trace context the configured
propagators write: W3C traceparent and baggage by default) goes into a copy of the message's
headers. Each consumer callback runs in a CONSUMER span whose parent is the context read from
the delivered message's headers, and which is the current span while the callback runs, so
what the callback publishes joins the same trace. Attributes follow OpenTelemetry's messaging
conventions (semantic conventions 1.28, RabbitMQ's included).
"""

from __future__ import annotations

from typing import Any, Mapping

try:
    from opentelemetry import context, propagate, trace
    from opentelemetry.propagators.textmap import Getter
    from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
    from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
    from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
    from opentelemetry.semconv.schemas import Schemas
    from opentelemetry.util.types import AttributeValue
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        f"aioamqp.otel needs the otel extra: pip install 'aioamqp[otel]' ({exc})"
    ) from exc

from . import exceptions, hooks
from ._generated.properties import BasicProperties
from ._version import __version__
from .envelope import Envelope


class _HeaderGetter(Getter[Mapping[str, Any]]):
    """Reads propagation fields from a message's headers. They arrive as str; a value of any
    other type was not written by a propagator and is skipped."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


_GETTER = _HeaderGetter()


def _property(properties: Any, name: str) -> Any:
    """One property of what publish takes (None, a mapping or a BasicProperties)."""
    if isinstance(properties, BasicProperties):
        return getattr(properties, name)
    if isinstance(properties, Mapping):
        return properties.get(name)
    return None


def _attributes(
    channel: Any,
    operation: str,
    operation_type: str,
    exchange_name: str,
    routing_key: str,
    properties: Any,
    size: int | None,
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        messaging.MESSAGING_SYSTEM: messaging.MessagingSystemValues.RABBITMQ.value,
        messaging.MESSAGING_OPERATION_NAME: operation,
        messaging.MESSAGING_OPERATION_TYPE: operation_type,
        messaging.MESSAGING_DESTINATION_NAME: exchange_name,  # "" for the default exchange
    }
    server = channel.protocol.server_address  # as the application named it, host and port
    if server is not None:
        attributes[SERVER_ADDRESS], attributes[SERVER_PORT] = server
    if routing_key:
        attributes[messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = routing_key
    message_id = _property(properties, "message_id")
    if isinstance(message_id, str):
        attributes[messaging.MESSAGING_MESSAGE_ID] = message_id
    correlation_id = _property(properties, "correlation_id")
    if isinstance(correlation_id, str):
        attributes[messaging.MESSAGING_MESSAGE_CONVERSATION_ID] = correlation_id
    if size is not None:
        attributes[messaging.MESSAGING_MESSAGE_BODY_SIZE] = size
    return attributes


def _span_name(operation: str, exchange_name: str) -> str:
    """The conventions' "{operation} {destination}"; the default exchange has no name to add
    (the routing key, a queue's name then, may be one of many: reply queues, ...)."""
    return f"{operation} {exchange_name}" if exchange_name else operation


def _body_size(payload: Any) -> int | None:
    """The bytes publish sends for payload, computed without raising: what publish does with
    a payload it rejects is left to publish."""
    if isinstance(payload, str):
        return len(payload.encode("utf-8", "surrogatepass"))
    try:
        return memoryview(payload).nbytes
    except TypeError:  # not bytes-like: publish raises, and the span records it
        return None


def _with_context(properties: Any) -> Any:
    """A copy of properties whose headers carry the current context. properties as given when
    there is nothing to add (no span to propagate), or when they are not of a shape publish
    accepts, so that it raises as it would without tracing."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier:
        return properties
    if properties is None:
        return {"headers": carrier}
    fields = properties.to_dict() if isinstance(properties, BasicProperties) else properties
    if not isinstance(fields, Mapping):
        return properties
    headers = fields.get("headers")
    if headers is None:
        headers = {}
    elif not isinstance(headers, Mapping):
        return properties
    # A header a propagator writes is replaced: a message consumed and published again carries
    # its old trace context, and this publish is its new parent.
    return {**fields, "headers": {**headers, **carrier}}


def _failed(span: trace.Span, exc: Exception) -> None:
    """The conventions' error.type, beside the exception event and the error status that the
    span's context manager records."""
    span.set_attribute(ERROR_TYPE, type(exc).__qualname__)


class _Tracing(hooks.Hooks):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    async def publish(
        self,
        proceed: hooks.Proceed,
        channel: Any,
        payload: Any,
        exchange_name: str,
        routing_key: str,
        properties: Any,
        mandatory: bool,
        immediate: bool,
    ) -> None:
        attributes = _attributes(
            channel, "publish", "send", exchange_name, routing_key, properties, _body_size(payload)
        )
        with self._tracer.start_as_current_span(
            _span_name("publish", exchange_name),
            kind=trace.SpanKind.PRODUCER,
            attributes=attributes,
        ) as span:
            try:
                await proceed(
                    channel,
                    payload,
                    exchange_name,
                    routing_key,
                    _with_context(properties),
                    mandatory,
                    immediate,
                )
            except Exception as exc:
                _failed(span, exc)
                raise

    async def consume(
        self, proceed: hooks.Proceed, channel: Any, body: bytes, envelope: Any, properties: Any
    ) -> None:
        if not isinstance(envelope, Envelope):  # a returned message: no delivery to process
            await proceed(channel, body, envelope, properties)
            return
        # The message's context alone, not the consumer task's (inherited from whatever called
        # basic_consume): a message without one starts a trace of its own.
        headers = properties.headers
        parent = context.Context()
        if headers:
            parent = propagate.extract(headers, parent, _GETTER)
        attributes = _attributes(
            channel,
            "process",
            "process",
            envelope.exchange_name,
            envelope.routing_key,
            properties,
            len(body),
        )
        attributes[messaging.MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = envelope.delivery_tag
        token = context.attach(parent)  # its baggage too is the callback's
        try:
            with self._tracer.start_as_current_span(
                _span_name("process", envelope.exchange_name),
                kind=trace.SpanKind.CONSUMER,
                attributes=attributes,
            ) as span:
                try:
                    await proceed(channel, body, envelope, properties)
                except Exception as exc:
                    _failed(span, exc)
                    raise
        finally:
            context.detach(token)


def instrument(tracer_provider: trace.TracerProvider | None = None) -> None:
    """Trace every publish and consumer callback of this process from now on, on every
    connection, with spans from tracer_provider (None: the global one). Calling it again
    replaces the provider. Raises ConfigurationError if other hooks (aioamqp.hooks) are
    installed: there is one set of hooks per process."""
    if hooks.active is not None and not isinstance(hooks.active, _Tracing):
        raise exceptions.ConfigurationError(f"other hooks are installed: {hooks.active!r}")
    tracer = trace.get_tracer(
        "aioamqp", __version__, tracer_provider, schema_url=Schemas.V1_28_0.value
    )
    hooks.install(_Tracing(tracer))


def uninstrument() -> None:
    """Stop tracing: publishes and callbacks from now on get no span and no added header."""
    if isinstance(hooks.active, _Tracing):
        hooks.install(None)


__all__ = ["instrument", "uninstrument"]
