"""What storing a subscription costs in DynamoDB requests, and what a replacement keeps."""

from datetime import UTC, datetime, timedelta
from typing import Any

from stoppress.aws import clients
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def subscription(at: datetime, topics: tuple[str, ...] = ("all",)) -> Subscription:
    return Subscription(
        sub_id="ef" * 16,
        endpoint="https://fcm.googleapis.com/fcm/send/writes",
        p256dh="p" * 87,
        auth="a" * 22,
        topics=topics,
        created_at=at,
        updated_at=at,
    )


def test_a_new_subscription_is_one_request_and_a_replacement_keeps_its_history(
    table: str,
) -> None:
    store = SubscriptionStore(table, topic_shards=1)
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client = clients.dynamodb()
    client.meta.events.register("before-call.dynamodb", count)
    try:
        assert store.put(subscription(T0))[1] is None
        assert calls == ["TransactWriteItems"]

        calls.clear()
        later = T0 + timedelta(days=3)
        _, previous = store.put(subscription(later, ("all", "article:a")))
        # The unread write is refused, then the current item is read and replaced.
        assert calls == ["TransactWriteItems", "GetItem", "TransactWriteItems"]
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)

    assert previous is not None
    assert previous.topics == ("all",)
    stored = store.get("ef" * 16)
    assert stored is not None
    assert (stored.created_at, stored.updated_at) == (T0, later)
    assert stored.topics == ("all", "article:a")
