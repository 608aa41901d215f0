"""Work queues: tasks shared between two workers, fair dispatch (prefetch 1), manual acks.

python examples/work_queues.py
"""

import asyncio
import os

import aioamqp

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1/")
QUEUE = "task_queue"
TASKS = ["first.", "second..", "third...", "fourth.", "fifth.."]


async def worker(protocol, name, done, results):
    channel = await protocol.channel()
    await channel.basic_qos(prefetch_count=1)

    async def on_task(channel, body, envelope, properties):
        await asyncio.sleep(body.count(b".") * 0.01)  # a dot is a second of work, scaled down
        results.append((name, body.decode()))
        await channel.basic_client_ack(envelope.delivery_tag)
        if len(results) == len(TASKS):
            done.set_result(None)

    await channel.basic_consume(on_task, queue_name=QUEUE)


async def main():
    transport, protocol = await aioamqp.from_url(URL)
    channel = await protocol.channel()
    await channel.queue_declare(queue_name=QUEUE, durable=True)
    done, results = asyncio.get_running_loop().create_future(), []
    for name in ("worker-1", "worker-2"):
        await worker(protocol, name, done, results)
    for task in TASKS:
        await channel.publish(task, "", QUEUE, properties={"delivery_mode": 2})
        print(f" [x] Sent {task!r}")
    await asyncio.wait_for(done, 30)
    for name, task in results:
        print(f" [{name}] Done {task!r}")
    await channel.queue_delete(QUEUE)
    await protocol.close()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
