"""What the aioamqp.otel tests share: the OpenTelemetry SDK, with finished spans kept in memory.

A test module that imports this is skipped, with the reason, when the otel extra or the SDK is
missing; under CI (CI set) the import error stands instead, since CI installs them
(`make` installs the dev and otel extras).
"""

from __future__ import annotations

import os

import pytest

try:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from aioamqp import otel
except ImportError as exc:
    if os.environ.get("CI"):
        raise
    pytest.skip(
        f"OpenTelemetry is not installed ({exc}): pip install -e '.[dev,otel]'",
        allow_module_level=True,
    )


class Tracing:
    """A tracer provider whose finished spans are kept: `finished()`; `tracer` makes a test's
    own spans."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("tests")

    def finished(self, kind: trace.SpanKind | None = None) -> list[ReadableSpan]:
        spans = self.exporter.get_finished_spans()
        return [span for span in spans if kind is None or span.kind == kind]


@pytest.fixture
def tracing():
    """aioamqp.otel.instrument() with a Tracing's provider for the test, uninstrumented after."""
    tracing = Tracing()
    otel.instrument(tracer_provider=tracing.provider)
    yield tracing
    otel.uninstrument()
