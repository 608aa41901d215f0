"""The cluster works as one broker: a quorum queue declared on one node is used from the others."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cluster


async def test_each_node_accepts_connections(cluster, connect):
    for node in (1, 2, 3):
        _, protocol = await connect(node)
        assert cluster.node_of(protocol) == node
        channel = await protocol.channel()
        await channel.close()


async def test_quorum_queue_across_nodes(cluster, connect, queue_name):
    _, protocol1 = await connect(1)
    _, protocol2 = await connect(2)
    _, protocol3 = await connect(3)

    declaring = await protocol1.channel()
    declared = await declaring.queue_declare(
        queue_name, durable=True, arguments={"x-queue-type": "quorum"}
    )
    assert declared["queue"] == queue_name

    publishing = await protocol2.channel()
    await publishing.confirm_select()
    await publishing.publish(b"across the cluster", "", queue_name)  # returns once confirmed

    getting = await protocol3.channel()
    message = await getting.basic_get(queue_name)
    assert message["message"] == b"across the cluster"
    assert not message["redelivered"]
    await getting.basic_client_ack(message["delivery_tag"])

    # The same queue, seen from node 3: a quorum queue, now empty.
    again = await getting.queue_declare(
        queue_name, durable=True, arguments={"x-queue-type": "quorum"}, passive=True
    )
    assert again["message_count"] == 0
