"""Topics: a topic exchange routes on dotted keys with * (one word) and # (zero or more).

python examples/topics.py
"""

import asyncio
import os

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
EXCHANGE = "topic_logs"
BINDINGS = {"kern-all": ["kern.*"], "critical": ["*.critical"], "everything": ["#"]}
MESSAGES = ["kern.critical", "kern.info", "cron.critical", "auth.info.extra"]


def matches(pattern, key):
    """What the broker does, for the summary: * is one word, # zero or more."""
    if not pattern:
        return not key
    if pattern[0] == "#":
        return any(matches(pattern[1:], key[i:]) for i in range(len(key) + 1))
    return bool(key) and pattern[0] in ("*", key[0]) and matches(pattern[1:], key[1:])


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    channel = await protocol.channel()
    await channel.exchange_declare(exchange_name=EXCHANGE, type_name="topic")
    received = []
    for name, patterns in BINDINGS.items():
        queue = (await channel.queue_declare(queue_name="", exclusive=True))["queue"]
        for pattern in patterns:
            await channel.queue_bind(queue, EXCHANGE, routing_key=pattern)

        async def on_log(channel, body, envelope, properties, name=name):
            received.append((name, envelope.routing_key))

        await channel.basic_consume(on_log, queue_name=queue, no_ack=True)
    for key in MESSAGES:
        await channel.publish(f"message for {key}", EXCHANGE, routing_key=key)
        print(f" [x] Sent {key}")
    expected = sum(
        any(matches(p.split("."), key.split(".")) for p in patterns)
        for patterns in BINDINGS.values()
        for key in MESSAGES
    )
    async with asyncio.timeout(30):
        while len(received) < expected:
            await asyncio.sleep(0.01)
    for name, key in sorted(received):
        print(f" [{name}] {key}")
    await channel.exchange_delete(EXCHANGE)
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
