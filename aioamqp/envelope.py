"""Delivery metadata handed to consumer and return callbacks (aioamqp 0.15 names)."""

from __future__ import annotations


class Envelope:
    """Where a delivered message came from, and the tag to acknowledge it with."""

    __slots__ = ("consumer_tag", "delivery_tag", "exchange_name", "routing_key", "is_redeliver")

    def __init__(
        self,
        consumer_tag: str,
        delivery_tag: int,
        exchange_name: str,
        routing_key: str,
        is_redeliver: bool,
    ) -> None:
        self.consumer_tag = consumer_tag
        self.delivery_tag = delivery_tag
        self.exchange_name = exchange_name
        self.routing_key = routing_key
        self.is_redeliver = is_redeliver

    def __repr__(self) -> str:
        return (
            f"Envelope(consumer_tag={self.consumer_tag!r}, delivery_tag={self.delivery_tag}, "
            f"exchange_name={self.exchange_name!r}, routing_key={self.routing_key!r}, "
            f"is_redeliver={self.is_redeliver})"
        )


class ReturnEnvelope:
    """Why the broker returned a mandatory or immediate message it could not route."""

    __slots__ = ("reply_code", "reply_text", "exchange_name", "routing_key")

    def __init__(self, reply_code: int, reply_text: str, exchange_name: str, routing_key: str):
        self.reply_code = reply_code
        self.reply_text = reply_text
        self.exchange_name = exchange_name
        self.routing_key = routing_key

    def __repr__(self) -> str:
        return (
            f"ReturnEnvelope(reply_code={self.reply_code}, reply_text={self.reply_text!r}, "
            f"exchange_name={self.exchange_name!r}, routing_key={self.routing_key!r})"
        )
