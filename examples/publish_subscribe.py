"""Publish/subscribe: a fanout exchange copies each log message to every bound queue.

python examples/publish_subscribe.py
"""

import asyncio
import os

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
EXCHANGE = "logs"
MESSAGES = ["info: hello", "warning: disk", "error: boom"]


async def subscriber(protocol, name, received):
    channel = await protocol.channel()
    queue = (await channel.queue_declare(queue_name="", exclusive=True))["queue"]
    await channel.queue_bind(queue, EXCHANGE, routing_key="")

    async def on_log(channel, body, envelope, properties):
        received.append((name, body.decode()))

    await channel.basic_consume(on_log, queue_name=queue, no_ack=True)


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    channel = await protocol.channel()
    await channel.exchange_declare(exchange_name=EXCHANGE, type_name="fanout")
    received = []
    for name in ("subscriber-1", "subscriber-2"):
        await subscriber(protocol, name, received)
    for message in MESSAGES:
        await channel.publish(message, EXCHANGE, routing_key="")
        print(f" [x] Sent {message!r}")
    async with asyncio.timeout(30):
        while len(received) < 2 * len(MESSAGES):
            await asyncio.sleep(0.01)
    for name, message in sorted(received):
        print(f" [{name}] {message!r}")
    await channel.exchange_delete(EXCHANGE)
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
