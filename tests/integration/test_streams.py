"""Stream queues: declared with x-queue-type stream, consumed over AMQP 0-9-1 from each kind of
x-stream-offset (first, last, next, a number, a timestamp, an interval), with the prefetch and
manual acks RabbitMQ requires. Body i is published as the i-th message, so it sits at offset i,
and RabbitMQ puts each delivery's offset in its x-stream-offset header: the tests check both.
Every stream is deleted after its test (the cleanup fixture, on a connection of its own)."""

import asyncio
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest

import aioamqp
from aioamqp import streams

T = 10  # seconds for one broker round trip
SIZE = 300
PREFETCH = 50


def w(awaitable, timeout=T):
    return asyncio.wait_for(awaitable, timeout)


async def publish(channel, stream, indexes):
    """Publish body str(i) for each i, in order; returns once the broker confirmed them all."""
    await w(asyncio.gather(*(channel.publish(str(i), "", stream) for i in indexes)))


@pytest.fixture
async def stream(channel, name, cleanup):
    """An empty stream, deleted after the test; the channel has publisher confirms on."""
    result = await w(
        channel.queue_declare(name, durable=True, arguments=streams.stream_arguments())
    )
    assert result["queue"] == name
    cleanup.queue(name)
    await w(channel.confirm_select())
    return name


@pytest.fixture
async def filled(channel, stream):
    """The stream with messages 0 to 299. The last one is published once the others are
    confirmed, so it is alone in the stream's last chunk (what "last" starts from)."""
    await publish(channel, stream, range(SIZE - 1))
    await publish(channel, stream, [SIZE - 1])
    return stream


async def consume(channel, stream, offset, make_inbox):
    """A consumer from offset (None: no x-stream-offset argument) that acks each delivery."""
    await w(channel.basic_qos(prefetch_count=PREFETCH))  # a stream refuses consumers without
    inbox = make_inbox(ack=True)
    arguments = None if offset is None else {"x-stream-offset": streams.offset(offset)}
    await w(channel.basic_consume(inbox, queue_name=stream, arguments=arguments))
    return inbox


async def received(inbox, count):
    """(body index, x-stream-offset header) of the first count deliveries."""
    items = await inbox.wait_for(count)
    return [(int(body), props.headers["x-stream-offset"]) for _, body, _, props in items[:count]]


async def received_through(inbox, last):
    """(body index, header) of every delivery up to the one of body last."""
    while not inbox.items or int(inbox.items[-1][1]) != last:
        await inbox.wait_for(len(inbox.items) + 1)
    return [(int(body), props.headers["x-stream-offset"]) for _, body, _, props in inbox.items]


def at(indexes):
    """What a delivery of each index carries: its body's index and the same offset."""
    return [(i, i) for i in indexes]


async def test_first_delivers_the_whole_stream(channel, filled, make_inbox):
    inbox = await consume(channel, filled, "first", make_inbox)
    assert await received(inbox, SIZE) == at(range(SIZE))


@pytest.mark.parametrize("number", [0, 127, 128, 255, 256, 299])
async def test_number_starts_at_that_offset(channel, filled, make_inbox, number):
    """128 to 255 included: a codec that sent them as one signed octet made them negative,
    which RabbitMQ takes for "first" (aio-pika issue 487)."""
    inbox = await consume(channel, filled, number, make_inbox)
    assert await received(inbox, SIZE - number) == at(range(number, SIZE))


async def test_last_starts_at_the_last_chunk(channel, filled, make_inbox):
    inbox = await consume(channel, filled, "last", make_inbox)
    assert await received(inbox, 1) == at([299])
    await publish(channel, filled, [300])
    assert await received(inbox, 2) == at([299, 300])


@pytest.mark.parametrize("offset", ["next", None], ids=["next", "no-argument"])
async def test_next_delivers_only_what_comes_after(channel, filled, make_inbox, offset):
    inbox = await consume(channel, filled, offset, make_inbox)
    # Published on the consumer's channel: the broker handles its basic.consume (where "next"
    # is resolved) before these publishes, so none of them can be missed.
    await publish(channel, filled, range(SIZE, SIZE + 10))
    assert await received(inbox, 10) == at(range(SIZE, SIZE + 10))


async def test_number_past_the_end_waits_for_it(channel, filled, make_inbox):
    inbox = await consume(channel, filled, SIZE + 10, make_inbox)
    await publish(channel, filled, range(SIZE, SIZE + 15))
    assert await received(inbox, 5) == at(range(SIZE + 10, SIZE + 15))


async def test_large_numbers_reach_the_broker_as_sent(channel, filled, make_inbox, management):
    """Offsets past the end deliver nothing yet, so the broker's record of each consumer shows
    how it read the argument (sent as int32 up to 2**31 - 1, int64 beyond)."""
    numbers = [2**31 - 1, 2**31, 2**40, 2**63 - 1]
    inboxes = [await consume(channel, filled, number, make_inbox) for number in numbers]
    path = "/queues/%2F/" + urllib.parse.quote(filled, safe="")
    async with asyncio.timeout(30):  # consumers appear with the next stats emission (~5 s)
        while True:
            status, queue = await management.request("GET", path)
            if status == 200 and len(queue.get("consumer_details", ())) == len(numbers):
                break
            await asyncio.sleep(0.2)
    consumers = queue["consumer_details"]
    assert sorted(c["arguments"]["x-stream-offset"] for c in consumers) == numbers
    assert all(c["ack_required"] and c["prefetch_count"] == PREFETCH for c in consumers)
    assert all(inbox.items == [] for inbox in inboxes)  # read as negative, they would be "first"


async def test_timestamp_starts_at_the_first_chunk_written_in_or_after_its_second(
    channel, stream, make_inbox
):
    await publish(channel, stream, range(150))
    right_after_first_batch = datetime.now(timezone.utc)
    # Stream chunks carry the time they were written, and an AMQP timestamp is whole
    # seconds: more than a second between the two batches separates them for sure.
    await asyncio.sleep(1.1)
    between_batches = datetime.now(timezone.utc)
    await publish(channel, stream, range(150, SIZE))

    inbox = await consume(channel, stream, between_batches, make_inbox)
    assert await received(inbox, 150) == at(range(150, SIZE))

    # Taken right after the first batch, in the second some of its chunks were written in:
    # those come too (and maybe the whole first batch), so it starts at 150 or earlier.
    inbox = await consume(channel, stream, right_after_first_batch, make_inbox)
    delivered = await received_through(inbox, SIZE - 1)
    start = delivered[0][0]
    assert start <= 150 and delivered == at(range(start, SIZE))

    inbox = await consume(channel, stream, between_batches - timedelta(hours=1), make_inbox)
    assert await received(inbox, SIZE) == at(range(SIZE))

    # Past the last chunk: like "next", even for what is written before that time.
    inbox = await consume(channel, stream, between_batches + timedelta(days=1), make_inbox)
    await publish(channel, stream, range(SIZE, SIZE + 3))
    assert await received(inbox, 3) == at(range(SIZE, SIZE + 3))


@pytest.mark.parametrize("interval", ["1h", timedelta(hours=1)], ids=["1h", "timedelta"])
async def test_interval_counts_back_from_the_brokers_clock(channel, filled, make_inbox, interval):
    inbox = await consume(channel, filled, interval, make_inbox)
    assert await received(inbox, SIZE) == at(range(SIZE))


async def test_consumer_without_prefetch_is_refused(protocol, filled):
    channel = await w(protocol.channel())
    with pytest.raises(aioamqp.ChannelClosed) as caught:
        await w(channel.basic_consume(lambda *args: None, queue_name=filled))
    assert caught.value.code == 406  # PRECONDITION_FAILED: "consumer prefetch count is not set"
    assert not channel.is_open


async def test_no_ack_consumer_closes_the_connection(open_connection, filled):
    _, protocol = await open_connection()
    channel = await w(protocol.channel())
    await w(channel.basic_qos(prefetch_count=PREFETCH))
    with pytest.raises(aioamqp.AmqpClosedConnection) as caught:
        await w(channel.basic_consume(lambda *args: None, queue_name=filled, no_ack=True))
    assert caught.value.reply_code == 540  # NOT_IMPLEMENTED: no automatic acks on streams
