"""What a warm sender reuses: one event loop, the HTTP session bound to it, VAPID signers.

aiohttp (and its import time) belongs to the send function only, so it is
imported when the first runtime is built, not when this module is.
"""

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stoppress.core import warm
from stoppress.webpush.vapid import VapidAuthorizer

if TYPE_CHECKING:
    import asyncio

    from stoppress.send.push_http import AiohttpPushClient

SHUTDOWN_SECONDS = 10.0


@dataclass
class SenderRuntime:
    loop: "asyncio.AbstractEventLoop"
    client: "AiohttpPushClient"


def _shut_down(runtime: SenderRuntime) -> None:
    """Close the HTTP session and its loop, as a runtime shutdown would.

    Lambda freezes and discards the process; a test or the local stack lives on,
    and an open aiohttp session would be reported as leaked at exit.
    """
    loop = runtime.loop
    if loop.is_closed():
        return

    def close() -> None:
        loop.run_until_complete(runtime.client.close())
        loop.close()

    # A thread of its own: the caller's thread may be running an event loop already.
    closer = threading.Thread(target=close, name="sender-runtime-shutdown", daemon=True)
    closer.start()
    closer.join(SHUTDOWN_SECONDS)


@warm.cached_closing(_shut_down)
def sender_runtime(max_in_flight: int, timeout_seconds: float) -> SenderRuntime:
    import asyncio

    from stoppress.send.push_http import AiohttpPushClient

    return SenderRuntime(
        loop=asyncio.new_event_loop(),
        client=AiohttpPushClient(max_in_flight=max_in_flight, timeout_seconds=timeout_seconds),
    )


@warm.cached
def authorizer(private_key: str, subject: str) -> VapidAuthorizer:
    # Keyed by the key itself: a rotated key (re-read from SSM every few minutes)
    # gets a new authorizer and new tokens.
    return VapidAuthorizer(private_key, subject)
