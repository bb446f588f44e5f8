"""send_job against in-memory fakes: what is sent, to whom, and what happens after each answer."""

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from stoppress.contracts.jobs import PushJob, Recipient
from stoppress.contracts.keys import subscription_id
from stoppress.contracts.payload import ELLIPSIS, encode_payload
from stoppress.core import base64url
from stoppress.send.model import (
    DeliveryReport,
    JobInProgressError,
    PushResponse,
    SendOptions,
    SendPart,
)
from stoppress.send.parallel import send_in_parts
from stoppress.send.retries import parse_retry_after, retry_delay
from stoppress.send.service import send_job
from stoppress.webpush.encryption import encrypt
from stoppress.webpush.headers import Urgency, topic_header
from stoppress.webpush.vapid import VapidAuthorizer
from tests.fakes.browser import BrowserKeys
from tests.fakes.queue import FakeQueue
from tests.fakes.send import FakeClaims, FakeMembers, FakePushClient, FakeStats

PAYLOAD: dict[str, Any] = {
    "web_push": 8030,
    "notification": {
        "title": "Storm closes the harbour",
        "body": "Ferries are cancelled until Friday. " * 20,
        "navigate": "https://news.example/articles/storm",
        "tag": "article-storm",
        "timestamp": 1_800_000_000_000,
        "lang": "en",
    },
    "article": {"id": "storm", "version": 2, "change": "update"},
}


@dataclass
class Browser:
    recipient: Recipient
    keys: BrowserKeys

    def decrypt(self, body: bytes) -> dict:
        return json.loads(self.keys.decrypt(body))


def make_browser(n: int, host: str = "fcm.googleapis.com") -> Browser:
    keys = BrowserKeys.new(auth_secret=bytes([n % 256]) * 16)
    endpoint = f"https://{host}/fcm/send/device-{n}"
    recipient = Recipient(
        sub_id=subscription_id(endpoint), endpoint=endpoint, p256dh=keys.p256dh, auth=keys.auth
    )
    return Browser(recipient, keys)


@dataclass
class World:
    browsers: list[Browser]
    client: FakePushClient
    members: FakeMembers
    queue: FakeQueue
    stats: FakeStats
    claims: FakeClaims
    vapid: VapidAuthorizer
    options: SendOptions = field(default_factory=lambda: SendOptions(max_in_flight=8, page_size=4))

    def by_url(self, url: str) -> Browser:
        return next(b for b in self.browsers if b.recipient.endpoint == url)

    def send(self, job: PushJob, part: SendPart | None = None) -> DeliveryReport:
        return asyncio.run(
            send_job(
                job,
                client=self.client,
                vapid=self.vapid,
                members=self.members,
                claims=self.claims,
                queue=self.queue,
                stats=self.stats,
                options=self.options,
                part=part,
            )
        )


def make_job(**changes: object) -> PushJob:
    job = PushJob(
        article_id="storm",
        version=2,
        topic="all",
        shard=3,
        payload=PAYLOAD,
        urgency=Urgency.HIGH,
        ttl=3600,
        topic_header=topic_header("storm"),
    )
    return job.model_copy(update=changes)


@pytest.fixture
def world() -> World:
    browsers = [make_browser(n) for n in range(10)]
    key = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return World(
        browsers=browsers,
        client=FakePushClient(),
        members=FakeMembers([b.recipient for b in browsers]),
        queue=FakeQueue(),
        stats=FakeStats(),
        claims=FakeClaims(),
        vapid=VapidAuthorizer(base64url.encode(key.to_bytes(32, "big")), "mailto:push@example.com"),
    )


def test_every_member_gets_the_encrypted_payload_once_with_the_push_headers(world: World) -> None:
    report = world.send(make_job())

    assert sorted(world.client.urls()) == sorted(b.recipient.endpoint for b in world.browsers)
    for url, body, headers in world.client.requests:
        assert world.by_url(url).decrypt(body) == PAYLOAD
        assert headers["TTL"] == "3600"
        assert headers["Urgency"] == "high"
        assert headers["Topic"] == topic_header("storm")
        assert headers["Content-Encoding"] == "aes128gcm"
        assert headers["Authorization"].startswith("vapid t=")
    assert len({body for _, body, _ in world.client.requests}) == 10  # fresh key and salt each
    assert world.vapid.signatures == 1
    assert (report.sent, report.expired, report.failed, report.retried) == (10, 0, 0, 0)
    assert world.stats.totals == {"sent": 10, "expired": 0, "failed": 0, "retried": 0}
    assert world.claims.state[make_job().job_id] == "done"
    assert world.queue.sent == []


def test_answers_decide_delete_retry_shrink_or_fail(world: World) -> None:
    b = [x.recipient for x in world.browsers]
    world.client.script = {
        b[0].endpoint: [PushResponse(410)],
        b[1].endpoint: [PushResponse(404)],
        b[2].endpoint: [PushResponse(429, retry_after="120")],
        b[3].endpoint: [PushResponse(500)],
        b[4].endpoint: [PushResponse(None, error="ServerTimeoutError")],
        b[5].endpoint: [PushResponse(503, retry_after="7")],
        b[6].endpoint: [PushResponse(400)],
        b[7].endpoint: [PushResponse(413)],
    }

    report = world.send(make_job())

    assert sorted(world.members.deleted) == sorted([b[0].sub_id, b[1].sub_id])
    (jobs, delay), *rest = world.queue.sent
    assert rest == []
    assert delay == 120  # the longest Retry-After beats the 30 s backoff of attempt 0
    [retry] = jobs
    assert retry.attempt == 1
    assert retry.recipients is not None
    assert {r.sub_id for r in retry.recipients} == {x.sub_id for x in b[2:6]}
    # 413: one more try with a shorter body, which decrypts to a still-valid payload.
    sends_413 = [(u, body) for u, body, _ in world.client.requests if u == b[7].endpoint]
    assert len(sends_413) == 2
    shrunk = world.browsers[7].decrypt(sends_413[1][1])
    assert shrunk["article"] == PAYLOAD["article"]
    assert len(shrunk["notification"]["body"]) < len(PAYLOAD["notification"]["body"])
    assert (report.sent, report.expired, report.failed, report.retried) == (3, 2, 1, 4)
    assert world.stats.totals == {"sent": 3, "expired": 2, "failed": 1, "retried": 4}


def _short_payload(title: str, body: str) -> dict[str, Any]:
    notification = dict(PAYLOAD["notification"], title=title, body=body)
    return dict(PAYLOAD, notification=notification)


def test_a_short_payload_refused_as_too_large_is_retried_once_with_half_its_body(
    world: World,
) -> None:
    browser = world.browsers[0]
    world.members = FakeMembers([browser.recipient])
    body = ("Ferries are cancelled until Friday while the storm passes. " * 3)[:150]
    payload = _short_payload("Storm closes the harbour", body)
    plaintext = encode_payload(payload)
    refused = len(encrypt(plaintext, browser.recipient.p256dh, browser.recipient.auth))
    world.client.too_large_above = refused - 1

    report = world.send(make_job(payload=payload))

    first, second = (sent for _, sent, _ in world.client.requests)
    assert len(first) == refused
    shrunk = browser.decrypt(second)
    notification = shrunk["notification"]
    assert notification["title"] == "Storm closes the harbour"
    assert 0 < len(notification["body"]) <= len(body) // 2 + len(ELLIPSIS)
    assert body.startswith(notification["body"].removesuffix(ELLIPSIS))
    assert shrunk["article"] == payload["article"]
    assert notification["navigate"] == payload["notification"]["navigate"]
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)


def test_a_payload_with_no_text_to_cut_fails_on_413_without_a_retry(world: World) -> None:
    browser = world.browsers[0]
    world.members = FakeMembers([browser.recipient])
    world.client.too_large_above = 0

    report = world.send(make_job(payload=_short_payload("", "")))

    assert len(world.client.requests) == 1
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    assert world.stats.totals == {"sent": 0, "expired": 0, "failed": 1, "retried": 0}


def test_a_retry_job_sends_only_to_its_recipients(world: World) -> None:
    chosen = (world.browsers[2].recipient, world.browsers[7].recipient)
    report = world.send(make_job(recipients=chosen, attempt=1))
    assert sorted(world.client.urls()) == sorted(r.endpoint for r in chosen)
    assert world.members.pages_read == 0
    assert report.sent == 2


def test_the_last_attempt_counts_failures_instead_of_retrying(world: World) -> None:
    world.options = SendOptions(max_attempts=3)
    target = world.browsers[0].recipient
    world.client.script = {target.endpoint: [PushResponse(500)]}
    report = world.send(make_job(recipients=(target,), attempt=2))
    assert world.queue.sent == []
    assert (report.failed, report.retried) == (1, 0)
    assert world.stats.totals["failed"] == 1


def test_a_job_already_done_sends_nothing(world: World) -> None:
    job = make_job()
    world.send(job)
    first = len(world.client.requests)
    report = world.send(job)
    assert report.duplicate
    assert len(world.client.requests) == first == 10


def test_a_job_held_by_another_sender_is_refused(world: World) -> None:
    job = make_job()
    world.claims.state[job.job_id] = "sending"
    with pytest.raises(JobInProgressError):
        world.send(job)
    assert world.client.requests == []


def test_a_resumed_job_starts_after_the_checkpoint(world: World) -> None:
    ordered = sorted((b.recipient for b in world.browsers), key=lambda r: r.sub_id)
    world.claims.resume_from = ordered[5].sub_id
    world.send(make_job())
    assert sorted(world.client.urls()) == sorted(r.endpoint for r in ordered[6:])


def test_progress_is_checkpointed_page_by_page(world: World) -> None:
    world.options = SendOptions(max_in_flight=2, page_size=3, checkpoint_seconds=0)
    world.client.delay = 0.001
    world.send(make_job())
    ordered = sorted(b.recipient.sub_id for b in world.browsers)
    page_ends = {ordered[i] for i in (2, 5, 8, 9)}
    assert world.claims.cursors
    assert set(world.claims.cursors) <= page_ends
    assert world.claims.cursors == sorted(world.claims.cursors)


def test_an_endpoint_that_no_longer_passes_the_rules_is_skipped_not_deleted(world: World) -> None:
    hostile = make_browser(99, host="fcm.googleapis.com.evil.example").recipient
    world.members.shard.append(hostile)
    report = world.send(make_job())
    assert hostile.endpoint not in world.client.urls()
    assert world.members.deleted == []
    assert (report.sent, report.failed) == (10, 1)


def test_in_flight_requests_are_bounded(world: World) -> None:
    world.members.shard = [make_browser(n).recipient for n in range(60)]
    world.options = SendOptions(max_in_flight=5, page_size=7)
    world.client.delay = 0.002
    report = world.send(make_job())
    assert report.sent == 60
    assert world.client.max_in_flight == 5


def test_many_failures_are_split_into_bounded_retry_jobs(world: World) -> None:
    world.members.shard = [make_browser(n).recipient for n in range(450)]
    world.client.script = {r.endpoint: [PushResponse(500)] for r in world.members.shard}
    world.options = SendOptions(max_in_flight=64, page_size=100)
    report = world.send(make_job())
    jobs = [job for batch, _ in world.queue.sent for job in batch]
    assert [len(job.recipients or ()) for job in jobs] == [200, 200, 50]
    assert report.retried == 450
    assert report.retry_jobs == 3


def test_retry_delay_backs_off_and_is_capped() -> None:
    assert [retry_delay(a, 0) for a in range(6)] == [30, 60, 120, 240, 480, 900]
    assert retry_delay(0, 300) == 300
    assert retry_delay(0, 5000) == 900


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("17") == 17
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10
    assert parse_retry_after("soon") == 0
    assert parse_retry_after(None) == 0


def test_parts_split_the_sub_id_space_without_gaps_or_overlap() -> None:
    ids = [subscription_id(f"https://fcm.googleapis.com/fcm/send/{n}") for n in range(2000)]
    ids += ["0" * 32, "f" * 32, "7" + "f" * 31, "8" + "0" * 31]
    for count in (1, 2, 3, 7):
        parts = [SendPart(i, count) for i in range(count)]
        for sub_id in ids:
            owners = [
                p
                for p in parts
                if (p.start_after is None or sub_id > p.start_after)
                and (p.stop_at is None or sub_id < p.stop_at)
            ]
            assert len(owners) == 1, (sub_id, count)
    with pytest.raises(ValueError, match="does not exist"):
        SendPart(2, 2)


def test_a_part_sends_only_to_its_slice_under_its_own_claim(world: World) -> None:
    world.members.shard = [make_browser(n).recipient for n in range(40)]
    job = make_job()
    sent: list[str] = []
    for index in range(3):
        part = SendPart(index, 3)
        before = len(world.client.requests)
        world.send(job, part)
        urls = world.client.urls()[before:]
        ids = {r.sub_id for r in world.members.shard if r.endpoint in urls}
        assert all(part.start_after is None or i > part.start_after for i in ids)
        assert all(part.stop_at is None or i < part.stop_at for i in ids)
        sent += urls
    assert sorted(sent) == sorted(r.endpoint for r in world.members.shard)
    assert sorted(world.claims.state) == [f"{job.job_id}-{i}of3" for i in (1, 2, 3)]


def _fake_part(job: PushJob, part: SendPart) -> DeliveryReport:
    if job.attempt == 9 and part.index == 1:
        raise JobInProgressError(f"part {part.index}")
    return DeliveryReport(
        job_id=job.job_id,
        article_id=job.article_id,
        version=job.version,
        topic=job.topic,
        shard=job.shard,
        attempt=job.attempt,
        sent=10 + part.index,
        failed=1,
        duration_seconds=float(part.index),
    )


def test_parts_run_in_processes_and_their_reports_add_up() -> None:
    report = send_in_parts(make_job(), 3, _fake_part)
    assert (report.sent, report.failed, report.duration_seconds) == (33, 3, 2.0)
    assert send_in_parts(make_job(), 1, _fake_part).sent == 10


def test_a_failed_part_fails_the_job_after_the_others_finish() -> None:
    with pytest.raises(JobInProgressError, match="part 1"):
        send_in_parts(make_job(attempt=9), 3, _fake_part)


def test_a_failed_checkpoint_stops_the_job(world: World) -> None:
    class LostLease(FakeClaims):
        def checkpoint(self, job: PushJob, key: str, cursor: str) -> None:
            raise JobInProgressError("taken over")

    world.claims = LostLease()
    world.members.shard = [make_browser(n).recipient for n in range(30)]
    world.options = SendOptions(max_in_flight=2, page_size=3, checkpoint_seconds=0)
    world.client.delay = 0.002
    with pytest.raises(JobInProgressError, match="taken over"):
        world.send(make_job())
    assert len(world.client.requests) < 30
    assert world.claims.state[make_job().job_id] == "sending"


def test_running_out_of_time_hands_the_rest_to_a_new_invocation(world: World) -> None:
    world.members.shard = [make_browser(n).recipient for n in range(20)]
    world.options = SendOptions(max_in_flight=4, page_size=5, handoff_seconds=30)
    budget = iter([100.0, 100.0, 10.0])  # two pages fit, then the invocation is nearly over
    job = make_job()

    first = asyncio.run(
        send_job(
            job,
            client=world.client,
            vapid=world.vapid,
            members=world.members,
            claims=world.claims,
            queue=world.queue,
            stats=world.stats,
            options=world.options,
            time_left=lambda: next(budget),
        )
    )

    assert first.continued
    assert first.sent == 10
    [([again], delay)] = world.queue.sent
    assert (again, delay) == (job, 0)
    second = world.send(again)
    assert (second.sent, second.continued) == (10, False)
    urls = world.client.urls()
    assert sorted(urls) == sorted(r.endpoint for r in world.members.shard)  # each exactly once
    assert world.claims.state[job.job_id] == "done"


def test_a_final_failure_is_counted_once_against_its_subscription(world: World) -> None:
    world.options = SendOptions(max_attempts=2)
    refused, dead = world.browsers[0].recipient, world.browsers[1].recipient
    world.client.script = {
        refused.endpoint: [PushResponse(400)],
        dead.endpoint: [PushResponse(503)],
    }
    world.send(make_job())
    [retry] = world.queue.jobs
    world.client.script = {dead.endpoint: [PushResponse(None, error="ClientConnectorDNSError")]}
    world.send(retry)

    assert sorted(world.members.failures) == sorted(
        [(refused.sub_id, "storm#2"), (dead.sub_id, "storm#2")]
    )
    assert world.members.deleted == []


def test_a_healthy_job_writes_no_delivery_record(world: World) -> None:
    world.send(make_job())
    assert (world.members.failures, world.members.recovered) == ([], [])


def test_a_failing_subscription_gets_one_attempt_but_a_429_is_still_retried(world: World) -> None:
    dead = world.browsers[0].recipient.model_copy(update={"failing": True})
    busy = world.browsers[1].recipient.model_copy(update={"failing": True})
    world.members.shard[:2] = [dead, busy]
    world.client.script = {
        dead.endpoint: [PushResponse(None, error="ClientConnectorDNSError")],
        busy.endpoint: [PushResponse(429, retry_after="5")],
    }
    report = world.send(make_job())

    [retry] = world.queue.jobs
    assert [r.endpoint for r in retry.recipients or ()] == [busy.endpoint]
    assert (report.failed, report.retried) == (1, 1)
    assert world.members.failures == [(dead.sub_id, "storm#2")]


def test_a_failing_subscription_reached_again_is_cleared(world: World) -> None:
    back = world.browsers[3].recipient.model_copy(update={"failing": True})
    world.members.shard[3] = back
    world.send(make_job())
    assert world.members.recovered == [back.sub_id]


def test_an_endpoint_our_allowlist_refuses_is_never_counted_against_it(world: World) -> None:
    outside = make_browser(99, host="push.example.org").recipient
    world.members.shard.append(outside)
    report = world.send(make_job())
    assert report.failed == 1
    assert world.members.failures == []


@pytest.mark.parametrize(("retire_after", "retired"), [(timedelta(0), 1), (timedelta(hours=1), 0)])
def test_retiring_needs_both_enough_versions_and_enough_time(
    world: World, retire_after: timedelta, retired: int
) -> None:
    world.options = SendOptions(max_attempts=1, retire_after_versions=3, retire_after=retire_after)
    dead = world.browsers[0].recipient
    reports = []
    for version in (1, 2, 3):
        world.client.script = {dead.endpoint: [PushResponse(500)]}
        reports.append(world.send(make_job(version=version)))

    assert [r.retired for r in reports] == [0, 0, retired]
    assert world.members.deleted == [dead.sub_id] * retired


def test_a_member_of_an_earlier_topic_is_left_to_that_topics_job(world: World) -> None:
    both = world.browsers[0].recipient.model_copy(update={"topics": ("all", "article:storm")})
    follower_only = world.browsers[1].recipient.model_copy(update={"topics": ("article:storm",)})
    other_story = world.browsers[2].recipient.model_copy(
        update={"topics": ("article:storm", "article:flood")}
    )
    world.members.shard = [both, follower_only, other_story]
    job = make_job(topic="article:storm", audience=("all", "article:storm"))

    report = world.send(job)

    assert sorted(world.client.urls()) == sorted([follower_only.endpoint, other_story.endpoint])
    assert report.sent == 2
    # The earlier topics go to the read, so those members are not even read.
    assert world.members.excluded == {"all"}


def test_the_first_topics_job_skips_nobody(world: World) -> None:
    both = world.browsers[0].recipient.model_copy(update={"topics": ("all", "article:storm")})
    world.members.shard = [both]
    report = world.send(make_job(topic="all", audience=("all", "article:storm")))
    assert report.sent == 1
    assert world.members.excluded == set()


def test_a_story_job_renews_due_follows_in_the_partition_it_read(world: World) -> None:
    # A day left of the follow's fourteen: due to be renewed by this push.
    tomorrow = int(time.time()) + 86_400
    world.members.shard = [
        b.recipient.model_copy(update={"expires_at": tomorrow}) for b in world.browsers
    ]
    world.send(make_job(topic="article:storm", shard=5))

    assert sorted(world.members.extended) == sorted(
        (b.recipient.sub_id, "article:storm", 5) for b in world.browsers
    )
