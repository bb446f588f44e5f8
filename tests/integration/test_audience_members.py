"""Member items carry their subscription's topics, so a version sent to several reaches it once."""

from datetime import UTC, datetime
from typing import Any

import boto3

from stoppress.contracts.keys import (
    FOLLOW_TOPIC_PARTITIONS,
    shard_of,
    subscription_id,
    topic_member_sk,
    topic_partitions,
    topic_pk,
)
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore

SUB_ID = "cd" * 16
TOPICS = ("all", "article:a", "article:b")


def member(table: str, topic: str) -> dict[str, Any] | None:
    key = {"pk": {"S": topic_pk(topic, 0)}, "sk": {"S": topic_member_sk(SUB_ID)}}
    item: dict[str, Any] | None = (
        boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    )
    return item


def topics_of(item: dict[str, Any] | None) -> list[str] | None:
    assert item is not None
    return [t["S"] for t in item["topics"]["L"]] if "topics" in item else None


def test_members_carry_the_topics_and_follow_an_unfollow(table: str) -> None:
    store = SubscriptionStore(table, topic_shards=1)
    now = datetime.now(UTC)
    store.put(
        Subscription(
            sub_id=SUB_ID,
            endpoint="https://fcm.googleapis.com/fcm/send/members",
            p256dh="p" * 87,
            auth="a" * 22,
            topics=TOPICS,
            created_at=now,
            updated_at=now,
        )
    )
    # "all" comes first in every audience: its (largest) member list carries nothing extra.
    assert topics_of(member(table, "all")) is None
    assert topics_of(member(table, "article:a")) == list(TOPICS)
    [page] = list(store.members("article:a", 0, page_size=10))
    assert page[0].topics == TOPICS

    assert store.remove_topics(SUB_ID, {"article:b"}, now=now) == ("all", "article:a")
    assert topics_of(member(table, "article:a")) == ["all", "article:a"]
    assert member(table, "article:b") is None

    assert store.remove_topics(SUB_ID, {"all"}, now=now) == ("article:a",)
    assert topics_of(member(table, "article:a")) is None


def store_readers(
    store: SubscriptionStore, readers: dict[str, tuple[str, ...]], now: datetime
) -> None:
    """One subscription per sub id, with its topics."""
    for sub_id, topics in readers.items():
        store.put(
            Subscription(
                sub_id=sub_id,
                endpoint=f"https://fcm.googleapis.com/fcm/send/{sub_id}",
                p256dh="p" * 87,
                auth="a" * 22,
                topics=topics,
                created_at=now,
                updated_at=now,
            )
        )


def test_members_an_earlier_topic_reaches_are_left_out_by_the_read(table: str) -> None:
    store = SubscriptionStore(table, topic_shards=1)
    now = datetime.now(UTC)
    readers = {
        "a" * 32: ("all", "article:a"),
        "b" * 32: ("article:a",),
        "c" * 32: ("tag:x", "article:a"),
        "d" * 32: ("article:a", "article:b"),
    }
    store_readers(store, readers, now)

    def read(**kwargs: Any) -> list[str]:
        return [r.sub_id for page in store.members("article:a", 0, **kwargs) for r in page]

    assert read(page_size=10) == sorted(readers)
    assert read(page_size=10, excluding={"all"}) == ["b" * 32, "c" * 32, "d" * 32]
    assert read(page_size=10, excluding={"all", "tag:x"}) == ["b" * 32, "d" * 32]
    # A page filtered empty is skipped, and paging goes on past it.
    assert read(page_size=1, excluding={"all", "tag:x"}) == ["b" * 32, "d" * 32]
    assert read(page_size=1, excluding={"all"}, start_after="b" * 32) == ["c" * 32, "d" * 32]


def test_every_reader_of_an_audience_is_in_one_read_partition_however_many_shards(
    table: str,
) -> None:
    # 64 shards: "all" over all of them, every other topic folded onto eight.
    store = SubscriptionStore(table, topic_shards=64)
    now = datetime.now(UTC)
    kinds = [("all",), ("all", "article:a"), ("article:a",), ("tag:x", "article:a"), ("tag:x",)]
    readers = {subscription_id(f"reader{n}"): kinds[n % len(kinds)] for n in range(60)}
    assert len({shard_of(s, 64) for s in readers}) > 2 * FOLLOW_TOPIC_PARTITIONS
    store_readers(store, readers, now)

    def reached(audience: tuple[str, ...]) -> list[str]:
        found = []
        for index, topic in enumerate(audience):
            for partition in range(topic_partitions(topic, 64)):
                pages = store.members(topic, partition, excluding=audience[:index])
                found += [r.sub_id for page in pages for r in page]
        return found

    for audience in [("all", "article:a"), ("article:a",), ("all", "tag:x"), ("tag:x",)]:
        found = reached(audience)
        assert len(found) == len(set(found))
        assert set(found) == {s for s, topics in readers.items() if set(topics) & set(audience)}

    # Leaving finds every membership where it was written.
    for sub_id, topics in readers.items():
        if "article:a" in topics and len(topics) > 1:
            store.remove_topics(sub_id, {"article:a"}, now=now)
        else:
            store.delete(sub_id)
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    left = [i for i in items if i["pk"]["S"].startswith("TOPIC#")]
    assert {tuple(readers[i["sub_id"]["S"]]) for i in left} == {
        ("all", "article:a"),
        ("tag:x", "article:a"),
    }
    assert all("article:a" not in i["pk"]["S"] for i in left)
