"""Articles in the table: heads, versions and rejected uploads.

The one write that matters is ``put_version``: the new VERSION item and the
moved HEAD go in a single transaction conditioned on the head still being at
the version the caller read (or on there being no head yet). Two uploads racing
for the same article therefore cannot both become version n: the loser gets a
``VersionConflictError``, re-reads the head and tries again.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Final

from botocore.exceptions import ClientError

from stoppress.articles.draft import cut_reason
from stoppress.articles.items import (
    head_from_item,
    head_to_item,
    version_from_item,
    version_to_item,
)
from stoppress.articles.model import Head, SourceObject, Version
from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.aws.items import from_attrs, to_attrs
from stoppress.contracts.keys import (
    COOLDOWN_HELD,
    COOLDOWN_PUSHED,
    COOLDOWN_SK,
    HEAD_SK,
    VERSION_SK_PREFIX,
    article_pk,
    rejection_pk,
    version_sk,
)
from stoppress.core.errors import TransientError, VersionConflictError

REJECTION_TTL: Final = timedelta(days=30)

# Per-item reasons inside a cancelled transaction.
_CONFLICT_REASONS: Final = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_TRANSIENT_REASONS: Final = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


class ArticleStore:
    """Reads and writes article items in one table through the low-level DynamoDB client."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        # Looked up per call, so a warm process reuses the cached client and
        # tests that reset the client cache never hold a stale one.
        return self._client or clients.dynamodb()

    def _call(self, action: str, **kwargs: Any) -> dict[str, Any]:
        with translated(action):
            return getattr(self.client, action)(TableName=self.table_name, **kwargs)

    def get_head(self, article_id: str) -> Head | None:
        response = self._call(
            "get_item",
            Key=to_attrs({"pk": article_pk(article_id), "sk": HEAD_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return head_from_item(from_attrs(item)) if item else None

    def pushed_while_held(self, article_id: str) -> int | None:
        """The version the followers last got while a later update waits in the story's
        cooldown window (notify's ``COOLDOWN`` item); None when nothing waits."""
        response = self._call(
            "get_item",
            Key=to_attrs({"pk": article_pk(article_id), "sk": COOLDOWN_SK}),
            ConsistentRead=True,
            ProjectionExpression="#p, #h",
            ExpressionAttributeNames={"#p": COOLDOWN_PUSHED, "#h": COOLDOWN_HELD},
        )
        item = from_attrs(response.get("Item") or {})
        pushed, held = int(item.get(COOLDOWN_PUSHED, 0)), int(item.get(COOLDOWN_HELD, 0))
        return pushed if pushed and held else None

    def get_version(self, article_id: str, number: int) -> Version | None:
        response = self._call(
            "get_item",
            Key=to_attrs({"pk": article_pk(article_id), "sk": version_sk(number)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return version_from_item(from_attrs(item)) if item else None

    def latest_version(self, article_id: str) -> Version | None:
        head = self.get_head(article_id)
        return self.get_version(article_id, head.version) if head else None

    def versions(self, article_id: str) -> Iterator[Version]:
        """Every stored version, oldest first, read page by page."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_attrs(
                {":pk": article_pk(article_id), ":prefix": VERSION_SK_PREFIX}
            ),
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                yield version_from_item(from_attrs(item))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_version(self, version: Version, head: Head, *, expected_head: int | None) -> None:
        """Write ``version`` and move the head to it, if the head is still at ``expected_head``.

        ``expected_head`` None means "there is no head yet" (a new article).
        Raises ``VersionConflictError`` when another writer moved the head first.
        """
        if expected_head is None:
            head_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            head_condition = {
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": to_attrs({":expected": expected_head}),
            }
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_attrs(version_to_item(version)),
                    # Versions are immutable: never overwrite one.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_attrs(head_to_item(head)),
                    **head_condition,
                }
            },
        ]
        with translated("transact_write_items"):
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as e:
                code = e.response.get("Error", {}).get("Code", "")
                if code == "TransactionCanceledException":
                    reasons = {
                        str(r.get("Code")) for r in e.response.get("CancellationReasons", [])
                    }
                    if reasons & _CONFLICT_REASONS:
                        raise VersionConflictError(
                            f"head of {version.article_id} moved from {expected_head}"
                        ) from e
                    if reasons & _TRANSIENT_REASONS:
                        raise TransientError(f"transaction throttled: {sorted(reasons)}") from e
                raise

    def advance_head_source(self, head: Head, source: SourceObject) -> None:
        """Record a newer S3 event for unchanged content, so older events stay recognisable.

        Conditioned on the head still being at ``head.version``; raises
        ``VersionConflictError`` otherwise.
        """
        moved = head.model_copy(update={"source": source})
        with translated("put_item"):
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item=to_attrs(head_to_item(moved)),
                    ConditionExpression="#version = :expected",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues=to_attrs({":expected": head.version}),
                )
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    raise VersionConflictError(f"head of {head.article_id} moved") from e
                raise

    def record_rejection(self, source: SourceObject, reason: str, *, now: datetime) -> None:
        """Keep a visible record (for 30 days) of an upload that could not become a version."""
        where = source.sequencer or source.version_id or "-"
        item = {
            "pk": rejection_pk(source.key),
            "sk": f"{source.event_time.isoformat(timespec='milliseconds')}#{where}",
            "type": "rejection",
            "reason": cut_reason(reason),
            "bucket": source.bucket,
            "key": source.key,
            "rejected_at": now.isoformat(),
            "expires_at": int((now + REJECTION_TTL).timestamp()),
        }
        if source.version_id is not None:
            item["version_id"] = source.version_id
        self._call("put_item", Item=to_attrs(item))

    def rejections(self, key: str) -> list[dict[str, Any]]:
        """The rejection records for one S3 key, oldest first."""
        page = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_attrs({":pk": rejection_pk(key)}),
        )
        return [from_attrs(item) for item in page.get("Items", [])]
