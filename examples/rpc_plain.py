"""RPC by hand: a server computes Fibonacci numbers; the client declares its own reply queue and
waits for replies by correlation id. examples/rpc.py does the same with aioamqp.rpc.

python examples/rpc_plain.py
"""

import asyncio
import os
import uuid

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
QUEUE = "rpc_queue"


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


async def serve(protocol):
    channel = await protocol.channel()
    await channel.queue_declare(queue_name=QUEUE, auto_delete=True)
    await channel.basic_qos(prefetch_count=1)

    async def on_request(channel, body, envelope, properties):
        n = int(body)
        print(f" [.] fib({n})")
        await channel.publish(
            str(fib(n)),
            exchange_name="",
            routing_key=properties.reply_to,
            properties={"correlation_id": properties.correlation_id},
        )
        await channel.basic_client_ack(envelope.delivery_tag)

    await channel.basic_consume(on_request, queue_name=QUEUE)


class FibonacciClient:
    def __init__(self, protocol):
        self.protocol = protocol
        self.waiting = {}

    async def start(self):
        self.channel = await self.protocol.channel()
        self.reply_queue = (await self.channel.queue_declare(queue_name="", exclusive=True))[
            "queue"
        ]
        await self.channel.basic_consume(self.on_reply, queue_name=self.reply_queue, no_ack=True)

    async def on_reply(self, channel, body, envelope, properties):
        future = self.waiting.pop(properties.correlation_id, None)
        if future is not None:
            future.set_result(int(body))

    async def call(self, n):
        correlation_id = str(uuid.uuid4())
        self.waiting[correlation_id] = asyncio.get_running_loop().create_future()
        await self.channel.publish(
            str(n),
            exchange_name="",
            routing_key=QUEUE,
            properties={"reply_to": self.reply_queue, "correlation_id": correlation_id},
        )
        return await asyncio.wait_for(self.waiting[correlation_id], 30)


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    await serve(protocol)
    client = FibonacciClient(protocol)
    await client.start()
    for n in (10, 20, 30):
        print(f" [x] Requesting fib({n})")
        print(f" [.] Got {await client.call(n)}")
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
