"""Issue 13: kill -9 of the node that holds both the producer's connection and the quorum queue's
leader, with the scenario of scenario.py (a producer and a manual-ack consumer, each on its own
robust connection; confirmed publishes at a steady rate with a bounded window).

Before the fix every publish after the reconnection was nacked: the restored channel's first
publish to the queue came before the queue had a new leader, and RabbitMQ 3.10 then nacks every
publish of that channel to that queue while the old leader's node is down. Now the restored
channel's first publish goes alone and, nacked, the channel is reopened; confirms resume.

CLUSTER_CRASH_MESSAGES (default 4000) sets the volume; the kill comes at 40 % of it.
"""

from __future__ import annotations

import os

import pytest

from scenario import Params, run_scenario

pytestmark = pytest.mark.cluster

MESSAGES = int(os.environ.get("CLUSTER_CRASH_MESSAGES", "4000"))
FIRST_CONFIRM_WITHIN = 2.0  # seconds from the producer seeing the loss
MAX_FAILED = 150  # publishes in flight at the loss (window 100) and a few lone first publishes


@pytest.mark.timeout(180)
async def test_confirms_resume_after_the_leader_node_is_killed(cluster):
    params = Params(messages=MESSAGES, kill_at=MESSAGES * 2 // 5)
    report = await run_scenario(params)
    print("\n" + report.summary())

    assert not report.unexpected, f"publish raised something unexpected: {report.unexpected}"
    assert report.published == MESSAGES
    assert report.confirmed + report.failed_total == report.published
    # Every confirmed message reached the consumer (manual acks) or is still in the queue.
    assert report.lost == 0
    # The producer failed over and its confirms resumed within the target, with few failures.
    assert report.producer_reconnects and report.producer_reconnects[0][1] != report.node
    assert report.loss_to_first_confirm <= FIRST_CONFIRM_WITHIN, report.summary()
    assert report.failed_total <= MAX_FAILED, report.failed
    assert report.nacked_after_reconnect <= 5, report.summary()


@pytest.mark.timeout(180)
async def test_republish_confirms_every_publish_across_the_crash(cluster):
    """robust.connect(republish=True): no retry code in the producer, every publish confirmed,
    nothing lost, and every duplicate is a marked republished copy or a redelivery."""
    params = Params(messages=MESSAGES, kill_at=MESSAGES * 2 // 5, republish=True)
    report = await run_scenario(params)
    print("\n" + report.summary())

    assert not report.unexpected, f"publish raised something unexpected: {report.unexpected}"
    assert report.published == MESSAGES
    assert report.confirmed == report.published and report.failed_total == 0, report.summary()
    assert report.lost == 0
    assert report.unexplained_duplicates == 0, report.summary()
