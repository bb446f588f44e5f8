"""What a subscription follows, read from the table for ``service.lookup``.

Three reads, none of them a scan: the SUB item (GetItem), its memberships in
the shard the SUB item names (one BatchGetItem of at most ``MAX_TOPICS`` keys),
and the HEAD items of the stories among them (one more). Only the attributes
the answer needs are fetched: never a member's endpoint or keys.

DynamoDB removes an item whose ``expires_at`` (epoch seconds) has passed up to
two days late, and moto never does, so an item is gone here as soon as its
``expires_at`` is not in the future, whether or not it is still stored.
"""

import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Final

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.aws.items import from_attrs
from stoppress.contracts.keys import (
    HEAD_SK,
    SUB_SK,
    article_pk,
    subscription_pk,
    topic_member_sk,
    topic_pk,
)
from stoppress.core.errors import TransientError
from stoppress.subscribe.service import Followed
from stoppress.subscriptions.table import EXPIRES_AT

# The HEAD item's current headline (stoppress.articles.items.head_to_item).
HEADLINE: Final = "headline"
# A batch read DynamoDB only partly served (throttling) is retried for its unread
# keys, briefly: a reader is waiting on the answer.
BATCH_ATTEMPTS: Final = 4
BATCH_BACKOFF_S: Final = 0.05


def _expired(item: Mapping[str, Any], now: datetime) -> bool:
    expires_at = item.get(EXPIRES_AT)
    return expires_at is not None and int(expires_at) <= now.timestamp()


class FollowsTable:
    """Implements ``service.FollowsRepository`` on the one table."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def followed(self, sub_id: str, *, now: datetime) -> Followed | None:
        with translated("reading a subscription"):
            response = clients.dynamodb().get_item(
                TableName=self.table_name,
                Key={"pk": {"S": subscription_pk(sub_id)}, "sk": {"S": SUB_SK}},
                ConsistentRead=True,
                # "auth" is a DynamoDB reserved word, so every name goes through a placeholder.
                ProjectionExpression="#a, #t, #s, #x",
                ExpressionAttributeNames={
                    "#a": "auth",
                    "#t": "topics",
                    "#s": "shard",
                    "#x": EXPIRES_AT,
                },
            )
        raw = response.get("Item")
        item = from_attrs(raw) if raw else None
        if item is None or _expired(item, now):
            return None
        return Followed(
            auth=str(item["auth"]),
            topics=tuple(item.get("topics") or ()),
            shard=int(item["shard"]),
            expires_at=int(item[EXPIRES_AT]) if item.get(EXPIRES_AT) is not None else None,
        )

    def live_topics(
        self, sub_id: str, shard: int, topics: Collection[str], *, now: datetime
    ) -> frozenset[str]:
        member = topic_member_sk(sub_id)
        wanted = {(topic_pk(t, shard), member): t for t in topics}
        # Consistent, like the SUB item read: a follow made a moment ago is listed.
        items = self._batch_get(list(wanted), [EXPIRES_AT], consistent=True)
        return frozenset(
            wanted[(item["pk"], item["sk"])]
            for item in items
            if (item["pk"], item["sk"]) in wanted and not _expired(item, now)
        )

    def headlines(self, article_ids: Collection[str]) -> dict[str, str]:
        wanted = {article_pk(a): a for a in article_ids}
        # A headline a second old is as good as the latest: no consistent read needed.
        items = self._batch_get([(pk, HEAD_SK) for pk in wanted], [HEADLINE], consistent=False)
        return {
            wanted[item["pk"]]: str(item[HEADLINE])
            for item in items
            if item["pk"] in wanted and item.get(HEADLINE)
        }

    def _batch_get(
        self, keys: list[tuple[str, str]], attributes: list[str], *, consistent: bool
    ) -> list[dict[str, Any]]:
        """The items at ``keys`` that exist (keys and ``attributes`` only), in no order."""
        if not keys:
            return []
        names = {"#pk": "pk", "#sk": "sk", **{f"#a{i}": a for i, a in enumerate(attributes)}}
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys],
                "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names,
                "ConsistentRead": consistent,
            }
        }
        found: list[dict[str, Any]] = []
        for attempt in range(BATCH_ATTEMPTS):
            if attempt:
                time.sleep(BATCH_BACKOFF_S * 2 ** (attempt - 1))
            with translated("reading follows"):
                response = clients.dynamodb().batch_get_item(RequestItems=request)
            found += [from_attrs(i) for i in response.get("Responses", {}).get(self.table_name, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise TransientError("reading follows: keys left unread after retries")
