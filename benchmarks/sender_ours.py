"""Our send path, from an SQS job body to pushes, with in-memory ports and no moto."""

from __future__ import annotations

import asyncio
import json
import resource
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.process_memory import max_rss_mb
from benchmarks.sender_phase import ARTICLE_ID, SUBJECT, PhaseResult, sample_payload

if TYPE_CHECKING:
    from stoppress.contracts.jobs import PushJob, Recipient
    from stoppress.send.model import Claim, DeliveryReport, PushResponse, SendPart


class _MemoryMembers:
    """Pages of member items, mapped to recipients the way the table adapter does."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = sorted(items, key=lambda i: i["sub_id"])
        self.deleted: list[str] = []
        self.failed: list[str] = []

    def members(
        self,
        topic: str,
        shard: int,
        *,
        page_size: int,
        start_after: str | None = None,
        excluding: Collection[str] = (),
    ) -> Iterator[list[Recipient]]:
        # One topic's members: nothing to leave out.
        from stoppress.subscriptions.table import member_from_item

        items = self._items
        if start_after is not None:
            items = [i for i in items if i["sub_id"] > start_after]
        for i in range(0, len(items), page_size):
            yield [member_from_item(item) for item in items[i : i + page_size]]

    def delete(self, sub_id: str) -> bool:
        self.deleted.append(sub_id)
        return True

    def record_failed_version(self, sub_id: str, version_mark: str, *, now: datetime) -> None:
        self.failed.append(sub_id)

    def record_success(self, sub_id: str, *, now: datetime) -> None:
        pass

    def confirm(self, sub_id: str, *, now: datetime) -> bool:
        return False

    def extend_follow(self, sub_id: str, topic: str, shard: int, *, now: datetime) -> bool:
        return False


class _NoClaims:
    def claim(self, job: PushJob, key: str) -> Claim:
        from stoppress.send.model import Claim

        return Claim()

    def checkpoint(self, job: PushJob, key: str, cursor: str) -> None:
        pass

    def complete(self, job: PushJob, key: str) -> None:
        pass

    def release(self, job: PushJob, key: str) -> None:
        pass


class _MemoryQueue:
    def __init__(self) -> None:
        self.jobs: list[PushJob] = []

    def enqueue(self, jobs: Sequence[PushJob], *, delay_seconds: int | None = None) -> int:
        self.jobs.extend(jobs)
        return len(jobs)


class _MemoryStats:
    def add(self, article_id: str, version: int, **counts: Any) -> None:
        pass


class _TimedClient:
    """Wraps the real client to record each request's latency and answer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PushResponse:
        start = time.perf_counter()
        response: PushResponse = await self.inner.post(url, body, headers)
        self.latencies.append((time.perf_counter() - start) * 1000)
        key = str(response.status or response.error)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        return response


def ours(
    infos: Sequence[Mapping[str, Any]],
    private_key: str,
    latency_ms: float,
    max_in_flight: int,
    page_size: int,
    processes: int,
) -> PhaseResult:
    """SendFunction's path: ``PushJob.from_message``, then ``send_job`` over ``processes``."""
    from stoppress.contracts.jobs import PushJob
    from stoppress.contracts.keys import subscription_id
    from stoppress.core.settings import PushEndpointSettings
    from stoppress.send.model import SendOptions
    from stoppress.send.parallel import send_in_parts
    from stoppress.send.push_http import AiohttpPushClient
    from stoppress.send.service import send_job
    from stoppress.webpush.headers import topic_header
    from stoppress.webpush.vapid import VapidAuthorizer

    # Subscribers confirmed a moment ago, as most are: no success is due a write.
    expires_at = int(time.time()) + 300 * 86_400
    items = [
        {
            "sub_id": subscription_id(info["endpoint"]),
            "endpoint": info["endpoint"],
            "p256dh": info["keys"]["p256dh"],
            "auth": info["keys"]["auth"],
            "expires_at": expires_at,
        }
        for info in infos
    ]
    # The SQS message body exactly as NotifyFunction enqueues it.
    body = PushJob(
        article_id=ARTICLE_ID,
        version=1,
        topic="all",
        shard=0,
        payload=sample_payload(),
        urgency="high",
        ttl=86400,
        topic_header=topic_header(ARTICLE_ID),
    ).to_message()
    members = _MemoryMembers(items)
    options = SendOptions(
        max_in_flight=max_in_flight,
        page_size=page_size,
        endpoint_settings=PushEndpointSettings(allow_loopback_endpoints=True),
    )
    samples = Path(tempfile.mkdtemp(prefix="sender-bench-"))

    def send_part(job: PushJob, part: SendPart) -> DeliveryReport:
        # What SendFunction does per part (in a forked process when there are several).
        async def run() -> DeliveryReport:
            client = _TimedClient(
                AiohttpPushClient(max_in_flight=max_in_flight, timeout_seconds=10)
            )
            try:
                return await send_job(
                    job,
                    client=client,
                    vapid=VapidAuthorizer(private_key, SUBJECT),
                    members=members,
                    claims=_NoClaims(),
                    queue=_MemoryQueue(),
                    stats=_MemoryStats(),
                    options=options,
                    part=part,
                )
            finally:
                await client.inner.close()
                (samples / f"{part.index}.json").write_text(
                    json.dumps({"latencies": client.latencies, "statuses": client.statuses})
                )

        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(run())
        finally:
            loop.close()

    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = send_in_parts(PushJob.from_message(body), processes, send_part)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (children.ru_utime - children0.ru_utime) + (children.ru_stime - children0.ru_stime)
    assert report.sent + report.expired + report.failed + report.retried == len(infos), report
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    for sample in samples.glob("*.json"):
        data = json.loads(sample.read_text())
        latencies += data["latencies"]
        for status, n in data["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
        sample.unlink()
    samples.rmdir()
    peak = max(max_rss_mb(), children.ru_maxrss / 1024)
    name = "stoppress send_job" + (f" ({processes} processes)" if processes > 1 else "")
    return PhaseResult(name, latency_ms, len(infos), seconds, cpu, peak, latencies, statuses)


def our_encrypt_only(infos: Sequence[Mapping[str, Any]], latency_ms: float) -> PhaseResult:
    """``stoppress.webpush.encryption.encrypt`` per message, the encryption the sender uses."""
    from stoppress.webpush.encryption import encrypt

    data = json.dumps(sample_payload()).encode()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        encrypt(data, info["keys"]["p256dh"], info["keys"]["auth"])
    return PhaseResult(
        "encrypt only (stoppress encrypt)",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        max_rss_mb(),
    )
