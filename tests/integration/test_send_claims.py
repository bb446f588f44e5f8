"""Send claims and delivery counters on the template's table (moto)."""

from datetime import UTC, datetime, timedelta

import pytest

from stoppress.contracts.jobs import PushJob
from stoppress.send.claims import LeaseLostError, SendClaims
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.send.model import Claim, JobInProgressError
from stoppress.webpush.headers import Urgency
from tests.fakes.clock import Clock


def job() -> PushJob:
    return PushJob(
        article_id="storm",
        version=3,
        topic="all",
        shard=1,
        payload={"web_push": 8030},
        urgency=Urgency.NORMAL,
        topic_header="abc",
    )


def test_a_job_is_claimed_once_until_done(table: str) -> None:
    clock = Clock()
    first, second = SendClaims(table, clock=clock), SendClaims(table, clock=clock)
    key = job().job_id

    assert first.claim(job(), key) == Claim()
    with pytest.raises(JobInProgressError):
        second.claim(job(), key)
    first.complete(job(), key)
    assert second.claim(job(), key) == Claim(done=True)
    assert first.claim(job(), key) == Claim(done=True)


def test_an_expired_lease_is_taken_over_from_the_last_checkpoint(table: str) -> None:
    clock = Clock()
    crashed, next_sender = (SendClaims(table, clock=clock, lease_seconds=60) for _ in range(2))
    key = job().job_id
    crashed.claim(job(), key)
    crashed.checkpoint(job(), key, "7" * 32)

    clock.now += 59
    with pytest.raises(JobInProgressError):
        next_sender.claim(job(), key)
    clock.now += 2
    assert next_sender.claim(job(), key) == Claim(cursor="7" * 32)
    # The sender that lost its lease cannot move the job any more.
    with pytest.raises(LeaseLostError):
        crashed.checkpoint(job(), key, "9" * 32)
    with pytest.raises(LeaseLostError):
        crashed.complete(job(), key)
    next_sender.complete(job(), key)


def test_parts_and_retries_have_claims_of_their_own(table: str) -> None:
    claims = SendClaims(table)
    retry = job().model_copy(update={"attempt": 1})
    for key in (job().job_id, f"{job().job_id}-1of2", f"{job().job_id}-2of2", retry.job_id):
        assert claims.claim(job(), key) == Claim()


def test_delivery_counters_add_up_across_senders(table: str) -> None:
    stats = DeliveryStats(table)
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert stats.get("storm", 3) is None
    stats.add("storm", 3, sent=10, expired=1, failed=0, retried=2, at=start)
    stats.add("storm", 3, sent=5, expired=0, failed=1, retried=0, at=start + timedelta(seconds=9))
    assert stats.get("storm", 3) == {
        "sent": 15,
        "expired": 1,
        "failed": 1,
        "retried": 2,
        "clicks": 0,
        "unfollows": 0,
        "first_sent_at": start,
        "last_sent_at": start + timedelta(seconds=9),
    }
