"""Publisher confirms and returns of one channel, as one unit: delivery tags, acks and nacks
(single or multiple), and the pairing of each basic.return with the publish it belongs to."""

from __future__ import annotations

import logging
from typing import Generic, NamedTuple, TypeVar

from .. import exceptions
from .._generated.properties import (
    BasicProperties,
    decode_basic_properties,
    encode_basic_properties,
)

logger = logging.getLogger("aioamqp.channel")

W = TypeVar("W")  # what the shell waits on for a publish (a future)


class Sent(NamedTuple):
    """What identifies a mandatory publish when the broker returns it."""

    exchange_name: str
    routing_key: str
    properties: bytes  # as encoded
    body: bytes | bytearray | memoryview  # a reference, not a copy


class Settled(NamedTuple, Generic[W]):
    delivery_tag: int
    waiter: W
    returned: bool  # the broker returned the message before confirming it


class Confirms(Generic[W]):
    """Counts publishes from confirm.select on and settles them from acks and nacks.

    The broker numbers the publishes of a channel in confirm mode 1, 2, 3...; an ack or nack
    settles one tag or, with multiple, every tag up to it. Memory is bounded by the publishes
    in flight: a settled tag is forgotten.
    """

    def __init__(self) -> None:
        self.delivery_tag = 0  # the tag of the latest publish
        self._waiting: dict[int, W] = {}  # insertion order is tag order
        self._mandatory: dict[int, Sent] = {}  # unconfirmed, not yet returned
        self._returned: set[int] = set()

    @property
    def pending(self) -> int:
        """Publishes waiting for their ack or nack."""
        return len(self._waiting)

    @property
    def idle(self) -> bool:
        """Nothing waits: no publish, no mandatory identity, no return to report."""
        return not (self._waiting or self._mandatory or self._returned)

    def publish(self, waiter: W, mandatory: Sent | None = None) -> int:
        """Count one publish; returns its delivery tag."""
        tag = self.delivery_tag = self.delivery_tag + 1
        self._waiting[tag] = waiter
        if mandatory is not None:
            self._mandatory[tag] = mandatory
        return tag

    def acked(self, delivery_tag: int, multiple: bool) -> list[Settled[W]]:
        returned = self._returned
        settled = []
        for tag, waiter in self._settle(delivery_tag, multiple):
            was_returned = tag in returned
            if was_returned:
                returned.discard(tag)
            settled.append(Settled(tag, waiter, was_returned))
        return settled

    def nacked(self, delivery_tag: int, multiple: bool) -> list[Settled[W]]:
        settled = []
        for tag, waiter in self._settle(delivery_tag, multiple):
            self._returned.discard(tag)
            settled.append(Settled(tag, waiter, False))
        return settled

    def clear(self) -> list[W]:
        """Forget everything (the channel ended); returns the waiters still unsettled."""
        waiters = list(self._waiting.values())
        self._waiting.clear()
        self._mandatory.clear()
        self._returned.clear()
        return waiters

    def _settle(self, delivery_tag: int, multiple: bool) -> list[tuple[int, W]]:
        waiting = self._waiting
        if not multiple:
            waiter = waiting.pop(delivery_tag, None)
            settled = [] if waiter is None else [(delivery_tag, waiter)]
        else:
            settled = []
            for tag in waiting:
                if tag > delivery_tag:
                    break
                settled.append((tag, waiting[tag]))
            for tag, _ in settled:
                del waiting[tag]
        if self._mandatory:
            for tag, _ in settled:
                self._mandatory.pop(tag, None)
        return settled

    def returned(
        self, exchange_name: str, routing_key: str, properties: BasicProperties, body: bytes
    ) -> int:
        """Pair a basic.return with its publish, so that its ack reports it; returns the
        publish's tag, or 0 when none can be told.

        RabbitMQ returns a message while routing it, before the ack that covers it: the
        message is an unconfirmed mandatory publish not paired yet, with the same exchange,
        routing key, properties and body. RabbitMQ passes the properties through unchanged,
        except that it removes a BCC header, so they are compared as encoded first, and only
        when no publish matches that way as decoded, without BCC. Of identical publishes the
        oldest is taken: they cannot be told apart, and each return takes one of them.

        If still none matches (a broker or plugin that changes messages in other ways), a
        lone publish with the same exchange, routing key and body is taken; several such
        publishes are ambiguous and none is blamed: wrong blame would report a lost message
        as delivered and fail a delivered one.
        """
        if not self._mandatory:
            return 0
        try:
            encoded = encode_basic_properties(properties)
        except exceptions.FieldEncodeError:  # not as sent: no header equals it
            encoded = b""
        candidates: list[tuple[int, bytes]] = []
        for tag, sent in self._mandatory.items():
            if (
                sent.routing_key == routing_key
                and sent.exchange_name == exchange_name
                and sent.body == body
            ):
                if sent.properties == encoded:
                    break
                candidates.append((tag, sent.properties))
        else:
            tag = next((tag for tag, sent in candidates if _as_returned(sent) == properties), 0)
            if not tag and len(candidates) == 1:
                tag = candidates[0][0]
            if not tag:
                logger.warning(
                    "basic.return from %r with routing key %r matches %s unconfirmed publishes",
                    exchange_name,
                    routing_key,
                    len(candidates) or "no",
                )
                return 0
        del self._mandatory[tag]
        self._returned.add(tag)
        return tag


def _as_returned(encoded: bytes) -> BasicProperties:
    """Encoded properties as RabbitMQ returns a message that has them: without a BCC header."""
    properties = decode_basic_properties(encoded)
    headers = properties.headers
    if headers and "BCC" in headers:
        properties.headers = {key: value for key, value in headers.items() if key != "BCC"}
    return properties
