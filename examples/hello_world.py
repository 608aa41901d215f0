"""Hello world: publish N messages to a queue, consume them, print them and a summary.

python examples/hello_world.py [N]      (AMQP_URL overrides amqp://guest:guest@127.0.0.1/)
"""

import asyncio
import os
import sys
import time

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
QUEUE = "hello"


async def main(count: int) -> None:
    transport, protocol = await aioamqp.from_url(URL)
    channel = await protocol.channel()
    await channel.queue_declare(queue_name=QUEUE)
    await channel.queue_purge(QUEUE)

    started = time.perf_counter()
    await channel.confirm_select()
    await asyncio.gather(*(channel.publish(f"Hello World #{i}", "", QUEUE) for i in range(count)))

    received = asyncio.get_running_loop().create_future()
    seen = []

    async def on_message(channel, body, envelope, properties):
        seen.append(body)
        print(f" [x] Received {body.decode()}")
        await channel.basic_client_ack(envelope.delivery_tag)
        if len(seen) == count:
            received.set_result(None)

    await channel.basic_consume(on_message, queue_name=QUEUE)
    await asyncio.wait_for(received, 30)
    elapsed = time.perf_counter() - started

    await channel.queue_delete(QUEUE)
    await protocol.close()
    transport.close()
    print(f"published {count}, confirmed {count}, consumed {len(seen)} in {elapsed:.3f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
