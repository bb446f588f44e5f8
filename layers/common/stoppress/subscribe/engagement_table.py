"""The engagement counters on the one table, for ``engagement.count_engagement``.

Two single-item calls per event, each naming the only attributes it touches: a read of
the HEAD item's ``version``, and an ADD of one to a counter of the ``DELIVERY#<n>``
item (which send's counters share, so ADD, never a read and a rewrite). The function's
policy allows exactly these attributes in an article's partition (template.yaml,
``ReadArticleVersions`` and ``CountEngagement``): IAM cannot limit a sort key, so it
limits the attributes instead.
"""

from typing import Any, Final

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.contracts.engagement import ENGAGEMENT_COUNTERS, EngagementAction
from stoppress.contracts.keys import HEAD_SK, article_pk, delivery_sk

# The HEAD item's latest version number (stoppress.articles.items.head_to_item).
HEAD_VERSION: Final = "version"


class EngagementTable:
    """Implements ``engagement.EngagementCounters`` on the one table."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client

    def _dynamodb(self) -> Any:
        return self._client or clients.dynamodb()

    def latest_version(self, article_id: str) -> int | None:
        with translated("reading an article head"):
            # Eventually consistent, at half the cost: a notification is shown only after
            # its version was stored and pushed, well before anyone can click it.
            response = self._dynamodb().get_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": HEAD_SK}},
                ProjectionExpression="#v",
                ExpressionAttributeNames={"#v": HEAD_VERSION},
            )
        item = response.get("Item") or {}
        number = item.get(HEAD_VERSION, {}).get("N")
        return int(number) if number is not None else None

    def add(self, article_id: str, version: int, action: EngagementAction) -> None:
        with translated("counting an engagement"):
            self._dynamodb().update_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(version)}},
                UpdateExpression="ADD #counter :one",
                ExpressionAttributeNames={"#counter": ENGAGEMENT_COUNTERS[action]},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
