"""Reading the stack's table back: versions, rejections, job ledgers and delivery counters.

For progress lines, the demo page and tests. Every key comes from
``stoppress.contracts.keys``, as the handlers' own do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from stoppress.aws.items import from_attrs
from stoppress.contracts.keys import (
    ARTICLE_ID_PATTERN,
    HEAD_SK,
    VERSION_SK_PREFIX,
    article_pk,
    delivery_sk,
    job_ledger_prefix,
    rejection_pk,
    version_sk,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The DELIVERY#n counters send keeps for a version, in the order progress lines give them.
COUNTS = ("sent", "expired", "failed", "retried")


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class TableItems:
    """Read-only views of the items ingest, notify and send write."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._ddb = dynamodb
        self._table = table

    def head_version(self, article_id: str) -> int:
        """The article's latest version number; 0 before its first."""
        head = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": HEAD_SK}},
        ).get("Item")
        return int(head["version"]["N"]) if head and "version" in head else 0

    def rejection_count(self, source_key: str) -> int:
        """How many uploads to this key ingest has rejected."""
        return self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": rejection_pk(source_key)}},
            Select="COUNT",
        )["Count"]

    def latest_rejection(self, source_key: str) -> str:
        """Why ingest rejected the last upload to this key ("?" when it did not say)."""
        items = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": rejection_pk(source_key)}},
            ScanIndexForward=False,
            Limit=1,
        )["Items"]
        return str(from_attrs(items[0]).get("reason", "?")) if items else "?"

    def planned_jobs(self, article_id: str, number: int) -> list[str]:
        """The topic of each push job notify recorded in the version's job ledger."""
        entries = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={
                ":pk": {"S": article_pk(article_id)},
                ":sk": {"S": job_ledger_prefix(number)},
            },
            ProjectionExpression="#topic",
            ExpressionAttributeNames={"#topic": "topic"},
        )["Items"]
        return [str(from_attrs(e).get("topic", "?")) for e in entries]

    def delivery_counts(self, article_id: str, number: int) -> dict[str, int]:
        """The DELIVERY#n counters send keeps for a version (zeros before any send)."""
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(number)}},
            ConsistentRead=True,
        ).get("Item")
        plain = from_attrs(item or {})
        return {k: int_or_none(plain.get(k)) or 0 for k in COUNTS}

    def version_item(self, article_id: str, number: int) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": version_sk(number)}},
            ConsistentRead=True,
        ).get("Item")
        return from_attrs(item) if item else None

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every stored version of an article, oldest first (plain values)."""
        paginator = self._ddb.get_paginator("query")
        out: list[dict[str, Any]] = []
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={
                ":pk": {"S": article_pk(article_id)},
                ":v": {"S": VERSION_SK_PREFIX},
            },
        ):
            out.extend(from_attrs(i) for i in page["Items"])
        return out

    def latest_article(self, article_id: str) -> dict[str, Any] | None:
        """What the demo article page shows of the latest version; None for an unknown id."""
        if not re.fullmatch(ARTICLE_ID_PATTERN, article_id):
            return None
        number = self.head_version(article_id)
        item = self.version_item(article_id, number) if number else None
        if item is None:
            return None
        return {
            "headline": item.get("headline"),
            "dateline": item.get("dateline"),
            "body": item.get("body") or item.get("summary"),
            "updated": item.get("article_updated_at") or item.get("created_at"),
            "version": number,
            # The page's "Follow <section>" buttons.
            "tags": list(item.get("tags") or ()),
        }
