"""Delivery counters per version: the DELIVERY#<version> item, updated with atomic ADDs.

Many senders work on one version at once (one job per shard, plus retries), so
counts are only ever added, never read and rewritten. ``first_sent_at`` is set
once (``if_not_exists``); ``last_sent_at`` moves with every update. The same item
counts what readers did with the notification (``clicks``, ``unfollows``: the
subscribe API adds those), so a reader's click may create it before a sender does.
"""

from datetime import datetime
from typing import Any, Final

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.contracts.engagement import ENGAGEMENT_COUNTERS
from stoppress.contracts.keys import article_pk, delivery_sk

DELIVERY_TYPE: Final = "delivery"
COUNTS: Final = ("sent", "expired", "failed", "retried", *ENGAGEMENT_COUNTERS.values())


class DeliveryStats:
    """Adds to a version's delivery counters."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._table_name = table_name
        self._client = client or clients.dynamodb()

    def add(
        self,
        article_id: str,
        version: int,
        *,
        sent: int = 0,
        expired: int = 0,
        failed: int = 0,
        retried: int = 0,
        at: datetime,
    ) -> None:
        when = at.isoformat()
        with translated("updating delivery stats"):
            self._client.update_item(
                TableName=self._table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(version)}},
                UpdateExpression=(
                    "ADD sent :sent, expired :expired, failed :failed, retried :retried "
                    "SET #type = :type, article_id = :article_id, #version = :version, "
                    "first_sent_at = if_not_exists(first_sent_at, :at), last_sent_at = :at"
                ),
                ExpressionAttributeNames={"#type": "type", "#version": "version"},
                ExpressionAttributeValues={
                    ":sent": {"N": str(sent)},
                    ":expired": {"N": str(expired)},
                    ":failed": {"N": str(failed)},
                    ":retried": {"N": str(retried)},
                    ":type": {"S": DELIVERY_TYPE},
                    ":article_id": {"S": article_id},
                    ":version": {"N": str(version)},
                    ":at": {"S": when},
                },
            )

    def get(self, article_id: str, version: int) -> dict[str, Any] | None:
        """The counters as plain values (0 where not yet counted), for reports and tests;
        None before the first push or click."""
        with translated("reading delivery stats"):
            response = self._client.get_item(
                TableName=self._table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(version)}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        if not item:
            return None
        counts = {k: int(item[k]["N"]) if k in item else 0 for k in COUNTS}
        times = {
            k: datetime.fromisoformat(item[k]["S"]) if k in item else None
            for k in ("first_sent_at", "last_sent_at")
        }
        return {**counts, **times}
