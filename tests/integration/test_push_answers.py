"""What the push client reads of a push service's answer: its status, never an unbounded body.

The push services here are small aiohttp servers on loopback that answer in ways
the local push service does not: a huge streamed body, and a small one on a
connection that should then be reused.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from stoppress.send.model import PushResponse
from stoppress.send.push_http import AiohttpPushClient

HUGE_ANSWER_BYTES = 50 * 1024 * 1024
CHUNK = b"x" * 65536

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve_and_post(handler: Handler, posts: int) -> tuple[list[PushResponse], float]:
    app = web.Application()
    app.router.add_post("/push/{token}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = AiohttpPushClient(max_in_flight=4, timeout_seconds=10)
    answers = []
    try:
        started = time.monotonic()
        for _ in range(posts):
            answers.append(
                await client.post(f"http://127.0.0.1:{port}/push/tok", b"body", {"TTL": "60"})
            )
        elapsed = time.monotonic() - started
        # Give the server time to find out how much of its answer got through.
        await asyncio.sleep(0.3)
    finally:
        await client.close()
        await runner.cleanup()
    return answers, elapsed


def test_a_huge_answer_is_not_read_whole() -> None:
    sent: list[int] = []

    async def huge_answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(status=201, headers={"Retry-After": "7"})
        await response.prepare(request)
        sent.append(0)
        try:
            while sent[-1] < HUGE_ANSWER_BYTES:
                await response.write(CHUNK)
                sent[-1] += len(CHUNK)
        except ConnectionError:
            pass  # the client hung up: what this test wants
        return response

    # The second push shows the sender carries on after hanging up on the first.
    answers, elapsed = asyncio.run(_serve_and_post(huge_answer, posts=2))

    assert answers == [PushResponse(201, "7"), PushResponse(201, "7")]
    # What got through is what loopback socket buffers hold (a few MB); the client
    # itself read about 4 KiB of each answer and hung up.
    assert len(sent) == 2
    assert max(sent) < HUGE_ANSWER_BYTES // 3
    assert elapsed < 5


def test_a_small_answer_leaves_the_connection_for_the_next_push() -> None:
    peers: list[Any] = []

    async def small_answer(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        await request.read()
        return web.Response(status=201, text='{"id": "' + "a" * 2000 + '"}')

    answers, _ = asyncio.run(_serve_and_post(small_answer, posts=3))

    assert answers == [PushResponse(201)] * 3
    assert len(set(peers)) == 1
