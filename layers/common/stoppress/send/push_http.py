"""HTTP to push services: one shared aiohttp session per sender process.

Imported only by SendFunction (aiohttp costs import time the other functions
should not pay). The session is created inside the running event loop and
reused by warm invocations: its connector keeps at most ``max_in_flight``
connections, caches DNS answers, and keeps connections to each push service
alive between messages and between jobs. Every request has a total timeout,
and redirects are never followed (an endpoint must not bounce us elsewhere).
"""

from collections.abc import Mapping

import aiohttp
from yarl import URL

from stoppress.send.model import PushResponse

DNS_CACHE_SECONDS = 300
# Only the status and Retry-After of an answer are used. Its body is read only so the
# connection can go back to the pool, and only this much of it: a push service (or
# anyone answering for an endpoint) must not be able to fill the sender's memory.
MAX_ANSWER_BYTES = 4096


class AiohttpPushClient:
    """``PushClient`` over a shared ``aiohttp.ClientSession``."""

    def __init__(self, *, max_in_flight: int, timeout_seconds: float) -> None:
        self._max_in_flight = max_in_flight
        self._timeout = aiohttp.ClientTimeout(
            total=timeout_seconds, connect=min(timeout_seconds, 5.0)
        )
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_in_flight,
            ttl_dns_cache=DNS_CACHE_SECONDS,
            keepalive_timeout=30,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PushResponse:
        session = self._session
        if session is None or session.closed:
            session = self._open()
        try:
            # The endpoint passed validate_endpoint (printable ASCII, no spaces):
            # taking it as already encoded skips re-quoting it per message.
            async with session.post(
                URL(url, encoded=True), data=body, headers=headers, allow_redirects=False
            ) as response:
                await _discard_answer(response)
                return PushResponse(response.status, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as e:
            return PushResponse(None, error=type(e).__name__)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _discard_answer(response: aiohttp.ClientResponse) -> None:
    """Read a short body to its end, so the connection is reused; close the connection otherwise.

    The status has arrived by now: a body that is long, broken or slow does not
    turn an accepted push into a failed one (which would be sent again).
    """
    if response.content_length is not None and response.content_length > MAX_ANSWER_BYTES:
        response.close()
        return
    read = 0
    try:
        while read <= MAX_ANSWER_BYTES:
            chunk = await response.content.read(MAX_ANSWER_BYTES + 1 - read)
            if not chunk:
                return
            read += len(chunk)
    except (aiohttp.ClientError, TimeoutError):
        pass
    response.close()
