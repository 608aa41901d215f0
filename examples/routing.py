"""Routing: a direct exchange delivers each message to the queues bound with its severity.

python examples/routing.py
"""

import asyncio
import os

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
EXCHANGE = "direct_logs"
LOGS = [("info", "all is well"), ("warning", "disk at 80%"), ("error", "disk full")]
SUBSCRIPTIONS = {"errors-only": ["error"], "everything": ["info", "warning", "error"]}


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    channel = await protocol.channel()
    await channel.exchange_declare(exchange_name=EXCHANGE, type_name="direct")
    received = []
    for name, severities in SUBSCRIPTIONS.items():
        queue = (await channel.queue_declare(queue_name="", exclusive=True))["queue"]
        for severity in severities:
            await channel.queue_bind(queue, EXCHANGE, routing_key=severity)

        async def on_log(channel, body, envelope, properties, name=name):
            received.append((name, envelope.routing_key, body.decode()))

        await channel.basic_consume(on_log, queue_name=queue, no_ack=True)
    for severity, message in LOGS:
        await channel.publish(message, EXCHANGE, routing_key=severity)
        print(f" [x] Sent {severity}:{message!r}")
    expected = sum(len(severities) for severities in SUBSCRIPTIONS.values())
    async with asyncio.timeout(30):
        while len(received) < expected:
            await asyncio.sleep(0.01)
    for name, severity, message in sorted(received):
        print(f" [{name}] {severity}:{message!r}")
    await channel.exchange_delete(EXCHANGE)
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
