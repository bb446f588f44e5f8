"""When a success renews an expiry: half a follow's life, or a confirm interval, is the most
that goes unwritten."""

from datetime import UTC, datetime, timedelta

import pytest

from stoppress.core.settings import ExpirySettings
from stoppress.subscriptions.model import CONFIRM_INTERVAL, Expiry

NOW = datetime(2026, 11, 1, tzinfo=UTC)
T = NOW.timestamp()
DAY = 86_400


def test_the_deployed_defaults() -> None:
    expiry = Expiry.from_settings(ExpirySettings())
    assert (expiry.follow, expiry.subscription) == (timedelta(days=14), timedelta(days=300))
    assert expiry.confirm_interval == CONFIRM_INTERVAL == timedelta(days=30)
    assert expiry.follow_until(NOW) == int(T) + 14 * DAY
    assert expiry.subscription_until(NOW) == int(T) + 300 * DAY


@pytest.mark.parametrize(
    ("left_days", "due"), [(14, False), (7.01, False), (6.99, True), (0.5, True)]
)
def test_a_follow_is_renewed_once_less_than_half_is_left(left_days: float, due: bool) -> None:
    expires_at = int(T + left_days * DAY)
    assert Expiry().renewal_due("article:storm", expires_at, T) is due


@pytest.mark.parametrize(
    ("confirmed_days_ago", "due"), [(0, False), (29, False), (31, True), (299, True)]
)
def test_a_subscription_is_confirmed_once_its_last_confirmation_is_30_days_old(
    confirmed_days_ago: float, due: bool
) -> None:
    expires_at = int(T + (300 - confirmed_days_ago) * DAY)
    for topic in ("all", "tag:city-hall"):
        assert Expiry().renewal_due(topic, expires_at, T) is due


def test_members_with_no_expiry_yet_are_due() -> None:
    assert Expiry().follow_due(None, T)
    assert Expiry().confirm_due(None, T)


def test_a_shorter_expiry_shortens_the_interval_with_it() -> None:
    # The local stack and tests run expiry in seconds.
    expiry = Expiry.from_settings(ExpirySettings(SUBSCRIPTION_EXPIRY_DAYS=100 / DAY))
    assert expiry.confirm_interval == timedelta(seconds=10)
    assert not expiry.confirm_due(int(T) + 95, T)
    assert expiry.confirm_due(int(T) + 85, T)


def sub_ids(count: int) -> list[str]:
    import hashlib

    return [hashlib.sha256(str(n).encode()).hexdigest()[:32] for n in range(count)]


def test_subscribers_confirmed_together_come_due_over_a_whole_interval() -> None:
    expiry = Expiry()
    ids = sub_ids(3000)

    def due_after(days: float) -> float:
        expires_at = int(T + (300 - days) * DAY)
        return sum(expiry.confirm_due(expires_at, T, s) for s in ids) / len(ids)

    assert due_after(29.9) == 0
    assert 0.25 < due_after(40) < 0.42
    assert 0.6 < due_after(50) < 0.74
    assert due_after(60.1) == 1


def test_subscriptions_with_no_expiry_yet_come_due_a_slice_a_day() -> None:
    expiry = Expiry()
    ids = sub_ids(3000)
    days = [{s for s in ids if expiry.confirm_due(None, T + d * DAY + 60, s)} for d in range(30)]

    assert all(60 < len(day) < 140 for day in days)
    # Every one of them gets a turn within the interval, exactly one.
    assert sum(len(day) for day in days) == len(ids)
    assert set().union(*days) == set(ids)
