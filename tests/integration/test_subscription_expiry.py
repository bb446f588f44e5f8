"""Story follows that end when the story goes quiet, subscriptions that end unconfirmed, and
what keeping both costs in writes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from stoppress.contracts.keys import (
    SUB_SK,
    article_topic,
    subscription_pk,
    topic_member_sk,
    topic_pk,
)
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore
from stoppress_dev.pushservice import PushService
from tests.faults.inject import ACCESS_DENIED, THROUGHPUT_EXCEEDED, Fault, inject, raising
from tests.integration.test_send import (  # noqa: F401 - fixtures
    invoke,
    queue_url,
    sample_job,
    service,
    sqs_event,
    subscribe,
    vapid_public_key,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SUB_ID = "cd" * 16
# The story of the sample push job (events/sqs-push-job.json).
STORY = article_topic("2026-harbour-storm-closes-ferries")
DAY = 86_400


def subscription(at: datetime, topics: tuple[str, ...]) -> Subscription:
    return Subscription(
        sub_id=SUB_ID,
        endpoint="https://fcm.googleapis.com/fcm/send/expiry",
        p256dh="p" * 87,
        auth="a" * 22,
        topics=topics,
        created_at=at,
        updated_at=at,
    )


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def sub_item(table: str, sub_id: str = SUB_ID) -> dict[str, Any] | None:
    key = {"pk": {"S": subscription_pk(sub_id)}, "sk": {"S": SUB_SK}}
    item: dict[str, Any] | None = (
        boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    )
    return item


def member(table: str, topic: str, sub_id: str = SUB_ID) -> dict[str, Any] | None:
    key = {"pk": {"S": topic_pk(topic, 0)}, "sk": {"S": topic_member_sk(sub_id)}}
    item: dict[str, Any] | None = (
        boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    )
    return item


def expires(item: dict[str, Any] | None) -> int:
    assert item is not None
    return int(item["expires_at"]["N"])


def set_expiry(table: str, key: dict[str, Any], at: int) -> None:
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET expires_at = :at",
        ExpressionAttributeValues={":at": {"N": str(at)}},
    )


def member_key(topic: str, sub_id: str = SUB_ID) -> dict[str, Any]:
    return {"pk": {"S": topic_pk(topic, 0)}, "sk": {"S": topic_member_sk(sub_id)}}


def sub_key(sub_id: str = SUB_ID) -> dict[str, Any]:
    return {"pk": {"S": subscription_pk(sub_id)}, "sk": {"S": SUB_SK}}


@pytest.fixture
def store(table: str) -> SubscriptionStore:
    return SubscriptionStore(table, topic_shards=1)


# -- subscribing ---------------------------------------------------------------------------


def test_a_follow_lasts_14_days_and_the_rest_of_a_subscription_300(
    table: str, store: SubscriptionStore
) -> None:
    stored, replaced = store.put(subscription(T0, ("all", "tag:city-hall", STORY)))

    assert replaced is None
    assert stored.confirmed_at == T0
    assert expires(member(table, STORY)) == epoch(T0 + timedelta(days=14))
    for item in (sub_item(table), member(table, "all"), member(table, "tag:city-hall")):
        assert expires(item) == epoch(T0 + timedelta(days=300))
    assert sub_item(table)["confirmed_at"] == {"S": T0.isoformat()}  # type: ignore[index]


def test_a_resync_keeps_a_follows_expiry_and_confirms_the_rest(
    table: str, store: SubscriptionStore
) -> None:
    topics = ("all", STORY)
    store.put(subscription(T0, topics))
    # A failed version marked the members; sending the subscription again starts afresh.
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key=member_key(STORY),
        UpdateExpression="SET failing = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )

    later = T0 + timedelta(days=3)
    stored, replaced = store.put(subscription(later, topics))

    assert replaced is not None
    assert stored.topics == topics
    assert (stored.created_at, stored.confirmed_at) == (T0, later)
    follow = member(table, STORY)
    assert expires(follow) == epoch(T0 + timedelta(days=14))
    assert follow is not None
    assert "failing" not in follow
    assert follow["topics"] == {"L": [{"S": "all"}, {"S": STORY}]}
    assert expires(sub_item(table)) == epoch(later + timedelta(days=300))
    assert expires(member(table, "all")) == epoch(later + timedelta(days=300))


@pytest.mark.parametrize("swept", [True, False], ids=["deleted by the TTL", "expired, not yet"])
def test_a_resync_does_not_bring_back_a_follow_that_ended(
    table: str, store: SubscriptionStore, swept: bool
) -> None:
    store.put(subscription(T0, ("all", STORY)))
    if swept:
        boto3.client("dynamodb").delete_item(TableName=table, Key=member_key(STORY))

    # The browser sends the list it had before the follow ended.
    after = T0 + timedelta(days=15)
    stored, _ = store.put(subscription(after, ("all", STORY)))

    assert stored.topics == ("all",)
    assert member(table, STORY) is None
    assert sub_item(table)["topics"] == {"L": [{"S": "all"}]}  # type: ignore[index]

    # The browser adopted that list; following the story again is a new follow.
    again = after + timedelta(days=1)
    stored, _ = store.put(subscription(again, ("all", STORY)))
    assert stored.topics == ("all", STORY)
    assert expires(member(table, STORY)) == epoch(again + timedelta(days=14))


def test_a_resync_naming_only_ended_follows_removes_the_subscription(
    table: str, store: SubscriptionStore
) -> None:
    store.put(subscription(T0, (STORY,)))

    stored, replaced = store.put(subscription(T0 + timedelta(days=20), (STORY,)))

    assert stored.topics == ()
    assert replaced is not None
    assert sub_item(table) is None
    assert member(table, STORY) is None


def test_unfollowing_one_topic_keeps_the_others_expiry(
    table: str, store: SubscriptionStore
) -> None:
    store.put(subscription(T0, ("all", "tag:city-hall", STORY)))

    kept = store.remove_topics(SUB_ID, ["tag:city-hall"], now=T0 + timedelta(days=2))

    assert kept == ("all", STORY)
    assert expires(member(table, STORY)) == epoch(T0 + timedelta(days=14))
    assert expires(member(table, "all")) == epoch(T0 + timedelta(days=300))
    assert member(table, "tag:city-hall") is None


# -- confirming ----------------------------------------------------------------------------


def test_confirm_changes_nothing_until_due_then_renews_the_subscription_and_not_its_follows(
    table: str, store: SubscriptionStore
) -> None:
    store.put(subscription(T0, ("all", "tag:city-hall", STORY)))

    assert store.confirm(SUB_ID, now=T0 + timedelta(days=29)) is False
    assert sub_item(table)["confirmed_at"] == {"S": T0.isoformat()}  # type: ignore[index]
    assert expires(sub_item(table)) == epoch(T0 + timedelta(days=300))

    due = T0 + timedelta(days=31)
    assert store.confirm(SUB_ID, now=due) is True
    item = sub_item(table)
    assert item is not None
    assert item["confirmed_at"] == {"S": due.isoformat()}
    for renewed in (item, member(table, "all"), member(table, "tag:city-hall")):
        assert expires(renewed) == epoch(due + timedelta(days=300))
    assert expires(member(table, STORY)) == epoch(T0 + timedelta(days=14))
    assert store.confirm("0" * 32, now=due) is False


def test_a_confirmation_that_stopped_halfway_is_finished_by_the_next(
    table: str, store: SubscriptionStore
) -> None:
    store.put(subscription(T0, ("all",)))
    # The SUB item was renewed, its member was not (the sender stopped in between).
    set_expiry(table, sub_key(), epoch(T0 + timedelta(days=331)))

    assert store.confirm(SUB_ID, now=T0 + timedelta(days=31)) is False

    assert expires(member(table, "all")) == epoch(T0 + timedelta(days=331))


def test_a_recovered_subscription_is_confirmed(table: str, store: SubscriptionStore) -> None:
    store.put(subscription(T0, ("all", STORY)))
    store.record_failed_version(SUB_ID, "storm#1", now=T0 + timedelta(days=1))

    back = T0 + timedelta(days=2)
    store.record_success(SUB_ID, now=back)

    item = sub_item(table)
    assert item is not None
    assert item["confirmed_at"] == {"S": back.isoformat()}
    assert expires(item) == epoch(back + timedelta(days=300))
    assert expires(member(table, "all")) == epoch(back + timedelta(days=300))
    assert expires(member(table, STORY)) == epoch(T0 + timedelta(days=14))


# -- sending -------------------------------------------------------------------------------


def send(job_topic: str, version: int) -> None:
    job = sample_job().model_copy(update={"topic": job_topic, "version": version})
    assert invoke(sqs_event(job.to_message())) == {"batchItemFailures": []}


def test_a_push_extends_a_follow_only_when_less_than_half_is_left(
    service: PushService,  # noqa: F811
    table: str,
    subscription_writes: list[dict[str, Any]],
) -> None:
    follower = service.new_subscriber("follower")
    sub_id = subscribe(table, follower, topics=(STORY,))
    now = int(datetime.now(UTC).timestamp())

    set_expiry(table, member_key(STORY, sub_id), now + 8 * DAY)
    send(STORY, 2)
    assert expires(member(table, STORY, sub_id)) == now + 8 * DAY
    assert subscription_writes == []

    set_expiry(table, member_key(STORY, sub_id), now + 6 * DAY)
    send(STORY, 3)
    assert expires(member(table, STORY, sub_id)) >= now + 14 * DAY
    assert [w["Key"]["pk"]["S"] for w in subscription_writes] == [topic_pk(STORY, 0)]
    assert len(follower.deliveries) == 2


def test_a_push_confirms_a_subscription_when_due_and_then_writes_nothing(
    service: PushService,  # noqa: F811
    table: str,
    subscription_writes: list[dict[str, Any]],
) -> None:
    reader = service.new_subscriber("reader")
    sub_id = subscribe(table, reader, topics=("all", STORY))
    now = int(datetime.now(UTC).timestamp())
    # Last confirmed 61 days ago: due whatever share of the interval its id picks.
    for key in (sub_key(sub_id), member_key("all", sub_id)):
        set_expiry(table, key, now + 239 * DAY)

    send("all", 2)
    assert {w["Key"]["pk"]["S"] for w in subscription_writes} == {
        subscription_pk(sub_id),
        topic_pk("all", 0),
    }
    assert expires(sub_item(table, sub_id)) >= now + 300 * DAY
    assert expires(member(table, "all", sub_id)) >= now + 300 * DAY
    # The story follow ends on its own clock.
    assert expires(member(table, STORY, sub_id)) < now + 15 * DAY

    subscription_writes.clear()
    send("all", 3)
    assert subscription_writes == []
    assert len(reader.deliveries) == 2


def test_a_member_whose_expiry_has_passed_is_not_pushed(
    service: PushService,  # noqa: F811
    table: str,
) -> None:
    gone, kept = service.new_subscriber("gone"), service.new_subscriber("kept")
    gone_id = subscribe(table, gone, topics=(STORY,))
    subscribe(table, kept, topics=(STORY,))
    set_expiry(table, member_key(STORY, gone_id), int(datetime.now(UTC).timestamp()) - 1)

    send(STORY, 2)

    assert (len(gone.attempts), len(kept.deliveries)) == (0, 1)


@pytest.mark.parametrize(
    "error", [THROUGHPUT_EXCEEDED, ACCESS_DENIED], ids=["throttled", "access denied"]
)
def test_a_confirmation_that_fails_fails_no_push(
    service: PushService,  # noqa: F811
    queue_url: str,  # noqa: F811
    table: str,
    error: Any,
) -> None:
    readers = [service.new_subscriber(f"reader-{n}") for n in range(3)]
    ids = [subscribe(table, r) for r in readers]
    now = int(datetime.now(UTC).timestamp())
    for sub_id in ids:
        set_expiry(table, sub_key(sub_id), now + 200 * DAY)
        set_expiry(table, member_key("all", sub_id), now + 200 * DAY)

    def on_sub(params: Any) -> bool:
        return str(params["Key"]["pk"]["S"]).startswith("SUB#")

    with inject(Fault("UpdateItem", raising(error), times=None, when=on_sub)) as (fault,):
        send("all", 2)

    assert fault.hits >= 3
    assert [len(r.deliveries) for r in readers] == [1, 1, 1]
    assert boto3.client("sqs").receive_message(QueueUrl=queue_url).get("Messages") is None
    # Still due: the next push that reaches them tries again.
    assert all(expires(sub_item(table, i)) == now + 200 * DAY for i in ids)
