"""Hooks around every publish and every consumer callback, for instrumentation (aioamqp.otel
is one): a hook sees the message, may replace its properties before they are encoded, and
runs code around the publish or the callback.

One set of hooks serves the whole process, not one per connection: instrumentation is turned
on once at start-up (OpenTelemetry's tracer provider and propagators are process-wide too),
and then it covers every connection, those that libraries open and those that aioamqp.robust
opens again after a loss included, with nothing to pass to connect(). A hook that must treat
connections apart can tell them by `channel.protocol`.

Without hooks (`active` is None), a publish and a delivery each cost one check of `active`.
"""

from __future__ import annotations

import contextvars
from typing import Any, Awaitable, Callable

Proceed = Callable[..., Awaitable[None]]


class Hooks:
    """Subclass and override either method. Each gets `proceed` and must await it once, with
    the arguments it was given or replacements for them, and let what it raises through: the
    client then behaves as it would without the hook."""

    async def publish(
        self,
        proceed: Proceed,
        channel: Any,
        payload: Any,
        exchange_name: str,
        routing_key: str,
        properties: Any,
        mandatory: bool,
        immediate: bool,
    ) -> None:
        """Channel.publish calls this in its place, before it encodes anything; proceed(channel,
        payload, exchange_name, routing_key, properties, mandatory, immediate) publishes. A new
        properties must be a copy: the caller's may be reused for other messages."""
        await proceed(
            channel, payload, exchange_name, routing_key, properties, mandatory, immediate
        )

    async def consume(
        self, proceed: Proceed, channel: Any, body: bytes, envelope: Any, properties: Any
    ) -> None:
        """A consumer calls this in place of its callback, on the consumer's task;
        proceed(channel, body, envelope, properties) calls the callback. Returned messages
        come this way too, to the return_callback, with a ReturnEnvelope."""
        await proceed(channel, body, envelope, properties)


active: Hooks | None = None

# Set while a publish hook's proceed runs Channel.publish, so that this call publishes instead
# of calling the hook again.
proceeding: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aioamqp.hooks.proceeding", default=False
)


def install(hooks: Hooks | None) -> Hooks | None:
    """Make `hooks` the process's hooks (None: no hooks) for every publish and delivery from
    now on, on every connection; returns the hooks it replaces."""
    global active
    previous, active = active, hooks
    return previous


__all__ = ["Hooks", "Proceed", "install"]  # and `active`, read as hooks.active
