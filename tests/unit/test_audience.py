"""Audience counts from stream records: what each record changes, a batch summed per topic,
a retried batch applied once, and the handler's answer when the write fails."""

from typing import Any

import pytest

from stoppress.core.errors import TransientError
from stoppress.subscriptions.audience import (
    TTL_PRINCIPAL,
    AudienceChange,
    count_audience,
    is_expiry,
    is_unsubscribe,
    member_delta,
    summarise,
)
from tests.fakes.lambda_context import lambda_context

TTL = {"type": "Service", "principalId": TTL_PRINCIPAL}


def record(event: str, pk: str, sk: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {
        "eventName": event,
        "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}, "SequenceNumber": str(seq)},
        **extra,
    }


def member(event: str, topic: str, sub: str, seq: int, **extra: Any) -> dict[str, Any]:
    return record(event, f"TOPIC#{topic}#3", f"SUB#{sub}", seq, **extra)


class RecordingCounters:
    """An in-memory ``AudienceCounters``: applied changes by first sequence number."""

    def __init__(self) -> None:
        self.applied: dict[str, AudienceChange] = {}
        self.counts: dict[str, int] = {}

    def apply(self, change: AudienceChange) -> str | None:
        if change.first_sequence in self.applied:
            return self.applied[change.first_sequence].last_sequence
        self.applied[change.first_sequence] = change
        for topic, delta in change.deltas.items():
            self.counts[topic] = self.counts.get(topic, 0) + delta
        return None


def test_member_inserts_add_removes_subtract_and_modifies_change_nothing() -> None:
    assert member_delta(member("INSERT", "all", "a", 1)) == ("all", 1)
    assert member_delta(member("REMOVE", "tag:world", "a", 2)) == ("tag:world", -1)
    assert member_delta(member("REMOVE", "article:x", "a", 3, userIdentity=TTL)) == (
        "article:x",
        -1,
    )
    assert member_delta(member("MODIFY", "all", "a", 4)) is None
    assert member_delta(record("INSERT", "SUB#a", "SUB", 5)) is None
    assert member_delta(record("INSERT", "ARTICLE#x", "VERSION#000001", 6)) is None
    assert member_delta(record("INSERT", "TOPIC#all", "SUB#a", 7)) is None


def test_unsubscribes_are_sub_items_removed_other_than_by_expiry() -> None:
    assert is_unsubscribe(record("REMOVE", "SUB#a", "SUB", 1))
    assert not is_unsubscribe(record("REMOVE", "SUB#a", "SUB", 2, userIdentity=TTL))
    assert is_expiry(record("REMOVE", "SUB#a", "SUB", 2, userIdentity=TTL))
    assert not is_unsubscribe(record("INSERT", "SUB#a", "SUB", 3))
    assert not is_unsubscribe(member("REMOVE", "all", "a", 4))


def test_a_batch_is_summed_per_topic_and_net_zero_topics_are_left_out() -> None:
    change = summarise(
        [
            member("INSERT", "all", "a", 10),
            member("INSERT", "all", "b", 11),
            member("INSERT", "tag:world", "a", 12),
            member("REMOVE", "tag:world", "c", 13),
            member("MODIFY", "all", "a", 14),
            member("REMOVE", "all", "d", 15),
            record("REMOVE", "SUB#d", "SUB", 16),
        ]
    )
    assert change.deltas == {"all": 1}
    assert change.subscribers == 1
    assert change.unsubscribes == 1
    assert (change.first_sequence, change.last_sequence) == ("10", "16")


def test_a_retried_batch_is_applied_once_and_only_its_new_records_counted() -> None:
    counters = RecordingCounters()
    batch = [member("INSERT", "all", s, n) for n, s in enumerate("abc", start=100)]

    first = count_audience(batch[:2], counters)
    assert first is not None
    assert first.deltas == {"all": 2}
    assert count_audience(batch[:2], counters) is None
    # From the same first record with one more: only the new one counts.
    again = count_audience(batch, counters)
    assert again is not None
    assert again.deltas == {"all": 1}
    assert again.first_sequence == "102"
    assert counters.counts == {"all": 3}


def test_a_batch_with_no_membership_writes_nothing() -> None:
    counters = RecordingCounters()
    assert count_audience([], counters) is None
    assert count_audience([member("MODIFY", "all", "a", 1)], counters) is None
    only_unsubscribe = count_audience([record("REMOVE", "SUB#a", "SUB", 2)], counters)
    assert only_unsubscribe is not None
    assert only_unsubscribe.unsubscribes == 1
    assert counters.applied == {}


def test_the_handler_fails_the_whole_batch_when_the_counts_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.audience import app

    class Throttled:
        def __init__(self, table_name: str) -> None:
            self.table_name = table_name

        def apply(self, change: AudienceChange) -> str | None:
            raise TransientError("throttled")

    monkeypatch.setenv("TABLE_NAME", "stoppress-test")
    monkeypatch.setattr(app, "AudienceTable", Throttled)
    batch = [member("INSERT", "all", "a", 7), member("INSERT", "all", "b", 8)]

    answer = app.lambda_handler({"Records": batch}, lambda_context("AudienceFunction"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}, {"itemIdentifier": "8"}]}
