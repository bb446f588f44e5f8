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
with ``Retry-After``, 500, 503, or hang; for a number of requests or for good.
``latency_ms`` delays every answer, like a push service across the Internet.

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
import json
import re
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stoppress.core import base64url

MAX_JWT_LIFETIME = 24 * 3600
# RFC 8030 §7.2 asks services to accept at least 4096 bytes of (encrypted) payload.
DEFAULT_MAX_BODY = 4096
URGENCIES = frozenset({"very-low", "low", "normal", "high"})
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_VAPID_RE = re.compile(r"^vapid\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Behaviour:
    """How a subscriber's endpoint answers one request."""

    status: int = 201
    retry_after: int | None = None
    hang: bool = False


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
        self, status: int, *, retry_after: int | None = None, times: int | None = None
    ) -> None:
        """Answer ``status`` to the next ``times`` requests (then the default again), or always."""
        self._set(Behaviour(status=status, retry_after=retry_after), times)

    def hang(self, *, times: int | None = None) -> None:
        """Never answer (until the service stops) the next ``times`` requests, or always."""
        self._set(Behaviour(hang=True), times)

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


class _Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
                raise _Rejected(404, "unknown endpoint")
            self._check_vapid(request.headers.get("Authorization", ""))
            self._check_headers(request, body, sub)
            behaviour = sub._next_behaviour()
            if behaviour.hang:
                assert self._stopping is not None
                await self._stopping.wait()
                raise _Rejected(503, "hung until shutdown")
            if behaviour.status not in (201, 202):
                raise _Rejected(behaviour.status, "told to")
            payload = self._decrypt(body, sub)
        except _Rejected as r:
            self._count(r.status, delivered=False)
            resp_headers = {}
            if sub is not None and self.record:
                sub._record(Attempt(r.status, r.reason, _lower(request.headers)), None)
            if behaviour is not None and behaviour.retry_after is not None:
                resp_headers["Retry-After"] = str(behaviour.retry_after)
            return web.Response(status=r.status, text=r.reason, headers=resp_headers)
        if self.record:
            headers = _lower(request.headers)
            sub._record(
                Attempt(201, "accepted", headers),
                Delivery(headers, payload, len(body), time.time()),
            )
        self._count(201, delivered=True)
        return web.Response(
            status=201, headers={"Location": f"{self.origin}/message/{next(self._message_ids)}"}
        )

    def _count(self, status: int, *, delivered: bool) -> None:
        with self._changed:
            self._statuses[status] += 1
            if delivered:
                self._delivered += 1
                self._changed.notify_all()

    def _check_headers(self, request: web.Request, body: bytes, sub: Subscriber) -> None:
        ttl = request.headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            raise _Rejected(400, "missing or malformed TTL")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise _Rejected(400, "bad Urgency")
        topic = request.headers.get("Topic")
        if topic is not None and not TOPIC_RE.match(topic):
            raise _Rejected(400, "bad Topic")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            raise _Rejected(415, "Content-Encoding must be aes128gcm")
        limit = sub.max_body_bytes if sub.max_body_bytes is not None else self.max_body_bytes
        if len(body) > limit:
            raise _Rejected(413, "payload too large")

    def _check_vapid(self, authorization: str) -> None:
        now = int(time.time())
        # A header seen before was fully checked then; only its expiry can change.
        exp = self._verified_headers.get(authorization)
        if exp is None:
            exp = self._parse_and_verify(authorization, now)
            self._verified_headers[authorization] = exp
        if exp <= now:
            raise _Rejected(403, "vapid token expired")

    def _parse_and_verify(self, authorization: str, now: int) -> int:
        m = _VAPID_RE.match(authorization.strip())
        if not m:
            raise _Rejected(401, "missing vapid authorization")
        params: dict[str, str] = {}
        for part in m.group(1).split(","):
            name, eq, value = part.strip().partition("=")
            if eq:
                params[name.strip().lower()] = value.strip()
        token, key = params.get("t"), params.get("k")
        if not token or not key:
            raise _Rejected(401, "vapid authorization needs t and k")
        if self.vapid_public_key is not None and key != self.vapid_public_key:
            raise _Rejected(403, "unknown application server key")
        return self._verify_jwt(token, key, now)

    def _verify_jwt(self, token: str, key: str, now: int) -> int:
        try:
            header_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(base64url.decode(header_b64))
            claims = json.loads(base64url.decode(claims_b64))
            sig = base64url.decode(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), base64url.decode(key)
            )
        except ValueError as e:
            raise _Rejected(401, f"malformed vapid token: {e}") from e
        if header.get("alg") != "ES256" or len(sig) != 64:
            raise _Rejected(401, "vapid token must be ES256")
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as e:
            raise _Rejected(403, "bad vapid signature") from e
        if claims.get("aud") != self.origin:
            raise _Rejected(403, f"aud {claims.get('aud')!r} is not {self.origin!r}")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now or exp > now + MAX_JWT_LIFETIME:
            raise _Rejected(403, "exp must be in the future and at most 24 h away")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise _Rejected(403, "sub must be a mailto: or https: URI")
        return exp

    def _decrypt(self, body: bytes, sub: Subscriber) -> dict[str, Any] | None:
        if next(self._requests) % self.decrypt_every:
            return None
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=sub.private_key,
                auth_secret=sub.auth_secret,
                version="aes128gcm",
            )
        except (http_ece.ECEException, InvalidTag, ValueError) as e:
            raise _Rejected(400, "cannot decrypt") from e
        try:
            payload = json.loads(plaintext)
        except ValueError as e:
            raise _Rejected(400, "payload is not JSON") from e
        if not isinstance(payload, dict):
            raise _Rejected(400, "payload is not a JSON object")
        return payload
