"""A local Web Push service that plays many browsers, for tests, the demo and benchmarks.

It runs an aiohttp server on 127.0.0.1 in a background thread. Each subscriber
is a simulated browser with its own P-256 key pair and 16-byte auth secret; its
``subscription_info()`` is what ``PushSubscription.toJSON()`` would give. For
every push the service does what a real one does before accepting it: it checks
the ``Authorization: vapid t=..., k=...`` header (ES256 signature with the
configured public key, ``aud`` equal to its own origin, ``exp`` in the future
and at most 24 h away, ``sub`` a mailto: or https: URI), the ``TTL``,
``Urgency``, ``Topic`` and ``Content-Encoding`` headers and the body size, then
decrypts the aes128gcm body with ``http_ece`` and records the JSON it finds.

Each subscriber can be told how to answer: 201 (default), 404, 410, 413, 429
with ``Retry-After``, 500, 503, an answer with a body of any size, a slow
answer, a reset connection, or no answer at all; for a number of requests or
for good. ``latency_ms`` delays every answer, like a push service across the
Internet.

    with PushService(vapid_public_key=public_b64) as service:
        alice = service.new_subscriber("alice")
        alice.respond_with(429, retry_after=2, times=1)
        ...  # send to alice.subscription_info()
        service.wait_for_deliveries(1)
        assert alice.deliveries[0].payload["notification"]["title"] == "..."
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import struct
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stoppress.core import base64url
from stoppress_dev.push_checks import (
    DEFAULT_MAX_BODY,
    Rejected,
    check_headers,
    decrypt_payload,
    verify_vapid,
)


@dataclass(frozen=True)
class Behaviour:
    """How a subscriber's endpoint answers one request."""

    status: int = 201
    retry_after: int | None = None
    hang: bool = False
    # The connection is reset (TCP RST) before any answer; the push is not accepted.
    reset: bool = False
    # The answer (and, for 201, the acceptance) comes this much later.
    delay_ms: float = 0
    # A body of this many bytes follows the status, streamed without a Content-Length.
    answer_bytes: int = 0


@dataclass(frozen=True)
class Delivery:
    """One accepted push, as the browser would get it."""

    headers: dict[str, str]  # names lower-cased
    payload: dict[str, Any] | None  # None when the service skipped decryption (sampling)
    body_size: int
    received_at: float


@dataclass(frozen=True)
class Attempt:
    """Any request to an endpoint, accepted or not, and why it got its status."""

    status: int
    reason: str
    headers: dict[str, str]


@dataclass
class Subscriber:
    """A simulated browser: its own key pair, auth secret and push endpoint."""

    name: str
    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    default: Behaviour = field(default_factory=Behaviour)
    max_body_bytes: int | None = None
    _queued: deque[Behaviour] = field(default_factory=deque, repr=False)
    _deliveries: list[Delivery] = field(default_factory=list, repr=False)
    _attempts: list[Attempt] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def p256dh(self) -> str:
        return base64url.encode(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return base64url.encode(self.auth_secret)

    def subscription_info(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives in a browser."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def respond_with(
        self,
        status: int,
        *,
        retry_after: int | None = None,
        answer_bytes: int = 0,
        times: int | None = None,
    ) -> None:
        """Answer ``status`` to the next ``times`` requests (then the default again), or always.

        ``answer_bytes`` streams a body that long after the status.
        """
        self._set(
            Behaviour(status=status, retry_after=retry_after, answer_bytes=answer_bytes), times
        )

    def hang(self, *, times: int | None = None) -> None:
        """Never answer (until the service stops) the next ``times`` requests, or always."""
        self._set(Behaviour(hang=True), times)

    def reset_connection(self, *, times: int | None = None) -> None:
        """Reset the connection instead of answering the next ``times`` requests, or always."""
        self._set(Behaviour(reset=True), times)

    def answer_slowly(
        self, delay_ms: float, *, status: int = 201, times: int | None = None
    ) -> None:
        """Answer ``status`` only ``delay_ms`` after each of the next ``times`` requests."""
        self._set(Behaviour(status=status, delay_ms=delay_ms), times)

    def _set(self, behaviour: Behaviour, times: int | None) -> None:
        with self._lock:
            if times is None:
                self.default = behaviour
                self._queued.clear()
            else:
                self._queued.extend([behaviour] * times)

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queued.popleft() if self._queued else self.default

    def _record(self, attempt: Attempt, delivery: Delivery | None) -> None:
        with self._lock:
            self._attempts.append(attempt)
            if delivery is not None:
                self._deliveries.append(delivery)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection with a TCP RST, as a crashing or overloaded server does."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # Nothing reaches the client: the transport is gone.
    return web.Response(status=500)


async def _stream_answer(
    request: web.Request, status: int, headers: dict[str, str], size: int
) -> web.StreamResponse:
    """``size`` bytes of body after ``status``, chunked, until the client hangs up."""
    response = web.StreamResponse(status=status, headers=headers)
    await response.prepare(request)
    chunk = b"x" * 65536
    sent = 0
    try:
        while sent < size:
            part = chunk[: size - sent]
            await response.write(part)
            sent += len(part)
        await response.write_eof()
    except ConnectionError:
        pass  # the client stopped reading, as it should
    return response


class PushService:
    """Loopback push service; see the module docstring."""

    def __init__(
        self,
        *,
        vapid_public_key: str | None,
        latency_ms: float = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        decrypt_every: int = 1,
        record: bool = True,
        port: int = 0,
    ) -> None:
        # Without a public key the service still requires a well-formed VAPID
        # header and checks the signature against the key the header names.
        self.vapid_public_key = vapid_public_key
        self.latency_ms = latency_ms
        self.max_body_bytes = max_body_bytes
        # Benchmarks decrypt a sample (every n-th message) so the service is not
        # the bottleneck; tests decrypt everything.
        self.decrypt_every = max(1, decrypt_every)
        # Benchmarks only count; tests keep every attempt and delivery per subscriber.
        self.record = record
        self._message_ids = itertools.count()
        self._port = port
        self._subscribers: dict[str, Subscriber] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._statuses: Counter[int] = Counter()
        self._delivered = 0
        self._requests = itertools.count()
        self._verified_headers: dict[str, int] = {}  # Authorization -> exp, once verified
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self.origin = ""

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> PushService:
        if self._thread is not None:
            raise RuntimeError("push service already started")
        self._thread = threading.Thread(target=self._run, name="push-service", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._start_error is not None:
            raise RuntimeError("push service failed to start") from self._start_error
        if not self._ready.is_set():
            raise RuntimeError("push service did not start in time")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/push/{token}", self._handle_push)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        try:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", self._port, backlog=1024)
            await site.start()
            port = runner.addresses[0][1]
            self.origin = f"http://127.0.0.1:{port}"
        except BaseException as e:
            self._start_error = e
            self._ready.set()
            await runner.cleanup()
            raise
        self._runner = runner
        self._ready.set()
        await self._stopping.wait()
        await runner.cleanup()

    # -- subscribers ---------------------------------------------------------------

    def new_subscriber(self, name: str | None = None) -> Subscriber:
        """A new simulated browser subscribed at this service."""
        if not self.origin:
            raise RuntimeError("start the push service first")
        token = secrets.token_urlsafe(24)
        sub = Subscriber(
            name=name or token[:8],
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        with self._lock:
            self._subscribers[token] = sub
        return sub

    @property
    def subscribers(self) -> list[Subscriber]:
        with self._lock:
            return list(self._subscribers.values())

    # -- counters ------------------------------------------------------------------

    @property
    def delivered(self) -> int:
        """Pushes accepted (answered 201) so far, over all subscribers."""
        with self._lock:
            return self._delivered

    def status_counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self._statuses)

    def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> None:
        """Block until at least ``count`` pushes were accepted; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._delivered < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._delivered} of {count} pushes delivered")
                self._changed.wait(remaining)

    def reset_counters(self) -> None:
        with self._lock:
            self._statuses.clear()
            self._delivered = 0

    # -- the push endpoint ---------------------------------------------------------

    async def _handle_push(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        sub = self._subscribers.get(request.match_info["token"])
        behaviour: Behaviour | None = None
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        try:
            if sub is None:
                raise Rejected(404, "unknown endpoint")
            self._check_vapid(request.headers.get("Authorization", ""))
            self._check_headers(request, body, sub)
            behaviour = sub._next_behaviour()
            if behaviour.hang:
                assert self._stopping is not None
                await self._stopping.wait()
                raise Rejected(503, "hung until shutdown")
            if behaviour.delay_ms:
                await asyncio.sleep(behaviour.delay_ms / 1000)
            if behaviour.reset:
                if self.record:
                    sub._record(Attempt(0, "connection reset", _lower(request.headers)), None)
                return _reset(request)
            if behaviour.status not in (201, 202):
                raise Rejected(behaviour.status, "told to")
            payload = self._decrypt(body, sub)
        except Rejected as r:
            self._count(r.status, delivered=False)
            resp_headers = {}
            if sub is not None and self.record:
                sub._record(Attempt(r.status, r.reason, _lower(request.headers)), None)
            if behaviour is not None and behaviour.retry_after is not None:
                resp_headers["Retry-After"] = str(behaviour.retry_after)
            if behaviour is not None and behaviour.answer_bytes:
                return await _stream_answer(request, r.status, resp_headers, behaviour.answer_bytes)
            return web.Response(status=r.status, text=r.reason, headers=resp_headers)
        if self.record:
            headers = _lower(request.headers)
            sub._record(
                Attempt(201, "accepted", headers),
                Delivery(headers, payload, len(body), time.time()),
            )
        self._count(201, delivered=True)
        location = {"Location": f"{self.origin}/message/{next(self._message_ids)}"}
        if behaviour is not None and behaviour.answer_bytes:
            return await _stream_answer(request, 201, location, behaviour.answer_bytes)
        return web.Response(status=201, headers=location)

    def _count(self, status: int, *, delivered: bool) -> None:
        with self._changed:
            self._statuses[status] += 1
            if delivered:
                self._delivered += 1
                self._changed.notify_all()

    def _check_headers(self, request: web.Request, body: bytes, sub: Subscriber) -> None:
        limit = sub.max_body_bytes if sub.max_body_bytes is not None else self.max_body_bytes
        check_headers(request.headers, len(body), limit)

    def _check_vapid(self, authorization: str) -> None:
        now = int(time.time())
        # A header seen before was fully checked then; only its expiry can change.
        exp = self._verified_headers.get(authorization)
        if exp is None:
            exp = verify_vapid(
                authorization, now, origin=self.origin, expected_key=self.vapid_public_key
            )
            self._verified_headers[authorization] = exp
        if exp <= now:
            raise Rejected(403, "vapid token expired")

    def _decrypt(self, body: bytes, sub: Subscriber) -> dict[str, Any] | None:
        if next(self._requests) % self.decrypt_every:
            return None
        return decrypt_payload(body, sub.private_key, sub.auth_secret)
