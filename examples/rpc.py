"""RPC with aioamqp.rpc: a server computes Fibonacci numbers, a client calls it over direct
reply-to (no reply queue to declare). examples/rpc_plain.py does it by hand.

python examples/rpc.py
"""

import asyncio
import os

import aioamqp
from aioamqp.exceptions import RpcError
from aioamqp.rpc import RpcClient, RpcServer

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
QUEUE = "rpc_queue"


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


async def on_request(body, properties):
    n = int(body)  # a ValueError here is logged, and reaches the caller as an RpcError
    print(f" [.] fib({n})")
    return str(fib(n))


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    server_channel = await protocol.channel()
    await server_channel.queue_declare(queue_name=QUEUE, auto_delete=True)
    async with RpcServer(server_channel, QUEUE, on_request, prefetch_count=10):
        async with RpcClient(await protocol.channel()) as client:
            for n in (10, 20, 30):
                print(f" [x] Requesting fib({n})")
                print(f" [.] Got {int(await client.call(QUEUE, str(n), timeout=10))}")
            # Calls may run at once; each reply finds its call by correlation id.
            replies = await asyncio.gather(*(client.call(QUEUE, str(n)) for n in range(10)))
            print(f" [.] Got {[int(reply) for reply in replies]}")
            try:
                await client.call(QUEUE, "ten")
            except RpcError as exc:
                print(f" [!] {exc}")
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
