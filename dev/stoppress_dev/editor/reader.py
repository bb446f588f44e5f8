"""Everything the editor's commands read from a stack, and nothing they could write.

Versions, heads and cooldown gates are read through the stages' own adapters
(``ArticleStore``, ``CooldownGateTable``, ``ObjectStore``), so the commands see
the items exactly as ingest and notify map them. What no stage reads back
(delivery counters with their extra attributes, member counts, rejections across
keys) is read here, with every key built by ``stoppress.contracts.keys``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from stoppress.articles.model import Version
from stoppress.articles.parse import MAX_ARTICLE_BYTES, parse_article
from stoppress.aws.items import from_attrs, to_attrs
from stoppress.contracts.keys import article_pk, delivery_sk, rejection_pk, topic_pk
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.notify.cooldown import Gate
from stoppress.notify.cooldown_table import CooldownGateTable
from stoppress_dev.editor.target import Target

DELIVERY_COUNTS: Final = ("sent", "expired", "failed", "retried", "clicks", "unfollows")
# The highest version number a sort key can hold (``keys.version_sk`` pads to six digits).
_LAST_NUMBER: Final = 999_999
# Every rejection's pk starts so: ``rejection_pk`` of the empty key.
REJECTION_PK_PREFIX: Final = rejection_pk("")


@dataclass(frozen=True)
class ScanPage:
    """One page of the rejection scan: what matched, and how many items were read for it."""

    items: list[dict[str, Any]]
    scanned: int
    last: bool


class StackReader:
    """Read-only access to one stack's table and bucket."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.articles = ArticleStore(target.table, client=target.dynamodb)
        self._gates = CooldownGateTable(target.table, client=target.dynamodb)
        self._objects = ObjectStore(client=target.s3)

    def versions(self, article_id: str) -> list[Version]:
        return list(self.articles.versions(article_id))

    def gate(self, article_id: str) -> Gate:
        return self._gates.read(article_id)

    def deliveries(self, article_id: str) -> dict[int, dict[str, int]]:
        """Each version's DELIVERY#n counters (0 where the item has none yet)."""
        kwargs: dict[str, Any] = {
            "TableName": self.target.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_attrs(
                {
                    ":pk": article_pk(article_id),
                    ":first": delivery_sk(1),
                    ":last": delivery_sk(_LAST_NUMBER),
                }
            ),
        }
        counts: dict[int, dict[str, int]] = {}
        for item in self._query(kwargs):
            number = int(str(item["sk"]).rpartition("#")[2])
            counts[number] = {name: int(item.get(name) or 0) for name in DELIVERY_COUNTS}
        return counts

    def member_count(self, topic: str, shard: int) -> int:
        """How many subscriptions one shard of a topic holds (a COUNT query: no items read out)."""
        kwargs: dict[str, Any] = {
            "TableName": self.target.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_attrs({":pk": topic_pk(topic, shard)}),
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self.target.dynamodb.query(**kwargs)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def body(self, version: Version) -> str:
        """The version's body: stored inline, or read again from its source object version
        and parsed as ingest parsed it."""
        if version.body is not None:
            return version.body
        source = version.source
        stored = self._objects.read(
            source.bucket, source.key, version_id=source.version_id, max_bytes=MAX_ARTICLE_BYTES
        )
        return parse_article(stored.data, key=source.key).body

    def approximate_item_count(self) -> int | None:
        """DynamoDB's item count (refreshed about every six hours), for a progress total."""
        table = self.target.dynamodb.describe_table(TableName=self.target.table)["Table"]
        count = table.get("ItemCount")
        return int(count) if count else None

    def rejection_pages(self, *, page_size: int = 1_000) -> Iterator[ScanPage]:
        """The table scanned page by page, keeping the REJECTED# items."""
        kwargs: dict[str, Any] = {
            "TableName": self.target.table,
            "FilterExpression": "begins_with(pk, :prefix)",
            "ExpressionAttributeValues": to_attrs({":prefix": REJECTION_PK_PREFIX}),
            "Limit": page_size,
        }
        while True:
            page = self.target.dynamodb.scan(**kwargs)
            last = "LastEvaluatedKey" not in page
            yield ScanPage(
                items=[from_attrs(item) for item in page.get("Items", [])],
                scanned=int(page.get("ScannedCount", 0)),
                last=last,
            )
            if last:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _query(self, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page = self.target.dynamodb.query(**kwargs)
            for item in page.get("Items", []):
                yield from_attrs(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
