"""The examples of the API documentation (../shared/aioamqp-api.txt), run as written.

Each snippet is kept as the documentation gives it, inside a function: `aioamqp.connect()` with
its defaults reaches the local test broker on localhost.
"""

import asyncio
import socket

import aioamqp


async def test_starting_a_connection(capsys):
    async def connect():
        try:
            transport, protocol = await aioamqp.connect()  # use default parameters
        except aioamqp.AmqpClosedConnection:
            print("closed connections")
            return

        print("connected !")
        await asyncio.sleep(1)

        print("close connection")
        await protocol.close()
        transport.close()

    await connect()
    assert capsys.readouterr().out == "connected !\nclose connection\n"


async def test_handling_errors(capsys):
    async def error_callback(exception):
        print(exception)

    async def connect():
        try:
            transport, protocol = await aioamqp.connect(
                host="nonexistant.com",
                on_error=error_callback,
                client_properties={
                    "program_name": "test",
                    "hostname": socket.gethostname(),
                },
            )
        except aioamqp.AmqpClosedConnection:
            print("closed connections")
            return

    await connect()
    assert capsys.readouterr().out == "closed connections\n"


async def test_publishing_and_consuming(protocol):
    channel = await protocol.channel()
    await channel.queue_declare("my_queue")
    await channel.publish("aioamqp hello", "", "my_queue")

    received = asyncio.get_running_loop().create_future()

    async def callback(channel, body, envelope, properties):
        print(body)
        if not received.done():
            received.set_result((body, envelope, properties))

    channel = await protocol.channel()
    await channel.basic_consume(callback, queue_name="my_queue", no_ack=True)
    body, envelope, properties = await asyncio.wait_for(received, 10)
    assert body == b"aioamqp hello"
    assert envelope.routing_key == "my_queue" and envelope.exchange_name == ""
    assert envelope.consumer_tag and envelope.delivery_tag >= 1 and not envelope.is_redeliver
    await channel.queue_delete("my_queue")


async def test_server_cancellation(protocol):
    cancelled = asyncio.get_running_loop().create_future()

    async def consumer_cancelled(channel, consumer_tag):
        # implement required cleanup here
        cancelled.set_result(consumer_tag)

    async def consumer(channel, body, envelope, properties):
        await channel.basic_client_ack(envelope.delivery_tag)

    channel = await protocol.channel()
    await channel.queue_declare("my_queue")
    channel.add_cancellation_callback(consumer_cancelled)
    result = await channel.basic_consume(consumer, queue_name="my_queue")

    other = await protocol.channel()
    await other.queue_delete("my_queue")
    assert await asyncio.wait_for(cancelled, 10) == result["consumer_tag"]
    assert channel.is_open


async def test_queue_declare_with_arguments(channel):
    result = await channel.queue_declare(
        queue_name="", durable=True, arguments={"x-max-priority": 4}
    )
    assert result["queue"].startswith("aioamqp.gen-")  # named by the client, as in 0.15
    assert result["message_count"] == 0 and result["consumer_count"] == 0
    await channel.queue_delete(result["queue"])


async def test_queue_bind_example(protocol):
    channel = await protocol.channel()
    await channel.queue_declare(queue_name="queue")
    await channel.exchange_declare(exchange_name="exchange")

    await channel.queue_bind("queue", "exchange", routing_key="")

    await channel.queue_delete("queue")
    await channel.exchange_delete("exchange")


async def test_exchange_declare_example(protocol):
    channel = await protocol.channel()
    await channel.exchange_declare(exchange_name="exchange", auto_delete=True)
    await channel.exchange_delete("exchange")
