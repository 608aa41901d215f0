"""Async integration tests run once per event loop (see conftest): the id says which, and the
test really ran on it."""

import asyncio


async def test_running_loop_matches_the_test_id(request, protocol):
    loop_module = type(asyncio.get_running_loop()).__module__
    assert loop_module.startswith("uvloop") == ("[uvloop" in request.node.name), loop_module
    assert protocol.state == "OPEN"
