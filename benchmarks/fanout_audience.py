"""The fan-out's audience: each simulated browser stored as SubscriptionStore stores it.

Each subscriber is a SUB item and a TOPIC member item per topic (``all``
unless ``topics_of`` says otherwise), built by the store's own mapping
functions (``subscription_to_item``, ``member_to_item``) and sharded with
``keys.shard_of``. Each was last confirmed ``confirmed_days_ago`` days ago
(its expiry set from then, as the store sets it; story follows made now).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from benchmarks.moto_shortcuts import moto_table, put_items, stream_set_aside

if TYPE_CHECKING:
    from stoppress.subscriptions.model import Subscription

WRITERS = 4


TopicsOf = Callable[[int], tuple[str, ...]]


def subscription(
    info: Mapping[str, Any],
    now: datetime,
    topics: tuple[str, ...] | None = None,
    confirmed_at: datetime | None = None,
) -> Subscription:
    """The subscription a browser's ``subscription_info()`` makes (to every article by default)."""
    from stoppress.contracts.keys import TOPIC_ALL, subscription_id
    from stoppress.subscriptions.model import Subscription

    return Subscription(
        sub_id=subscription_id(info["endpoint"]),
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        topics=topics or (TOPIC_ALL,),
        created_at=confirmed_at or now,
        updated_at=confirmed_at or now,
        confirmed_at=confirmed_at or now,
    )


def _items(
    info: Mapping[str, Any],
    shards: int,
    now: datetime,
    topics: tuple[str, ...] | None = None,
    confirmed_days_ago: float = 0.0,
) -> list[dict[str, Any]]:
    """The SUB item and a member item per topic, as SubscriptionStore.put writes them."""
    from stoppress.contracts.keys import shard_of
    from stoppress.subscriptions.model import Expiry, is_story_follow
    from stoppress.subscriptions.table import member_to_item, subscription_to_item

    expiry = Expiry()
    confirmed = now - timedelta(days=confirmed_days_ago)
    sub = subscription(info, now, topics, confirmed)
    shard = shard_of(sub.sub_id, shards)
    until = expiry.subscription_until(confirmed)
    return [subscription_to_item(sub, shard=shard, expires_at=until)] + [
        member_to_item(
            sub,
            topic,
            shard,
            expires_at=expiry.follow_until(now) if is_story_follow(topic) else until,
        )
        for topic in sub.topics
    ]


def seed_api(
    table_name: str,
    infos: Sequence[Mapping[str, Any]],
    shards: int,
    topics_of: TopicsOf | None = None,
    confirmed_days_ago: float = 0.0,
) -> float:
    """BatchWriteItem through the stack's AWS endpoint; returns seconds.

    About 1 ms an item on moto, and every item is also a stream record the
    stack's notify poller reads (10 a call) and filters out: minutes for 100k.
    """
    import boto3

    now = datetime.now(UTC)

    def write(chunk: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
        table = boto3.session.Session().resource("dynamodb").Table(table_name)
        with table.batch_writer() as batch:
            for n, info in chunk:
                topics = topics_of(n) if topics_of else None
                for item in _items(info, shards, now, topics, confirmed_days_ago):
                    batch.put_item(Item=item)

    started = time.perf_counter()
    numbered = list(enumerate(infos))
    step = -(-len(infos) // WRITERS)
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, [numbered[i : i + step] for i in range(0, len(infos), step)]))
    return time.perf_counter() - started


def seed_direct(
    table_name: str,
    infos: Sequence[Mapping[str, Any]],
    shards: int,
    topics_of: TopicsOf | None = None,
    confirmed_days_ago: float = 0.0,
) -> float:
    """The same items put into moto's table in this process, without stream records.

    What BatchWriteItem does in moto (``Table.put_item`` per item) minus HTTP;
    ``moto_shortcuts`` says why leaving out the stream records changes nothing.
    """
    table = moto_table(table_name)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with stream_set_aside(table):
        put_items(
            table,
            (
                item
                for n, info in enumerate(infos)
                for item in _items(
                    info, shards, now, topics_of(n) if topics_of else None, confirmed_days_ago
                )
            ),
        )
    return time.perf_counter() - started
