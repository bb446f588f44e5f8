"""Cooldown windows in the table: one ``Gate`` item per story, next to its versions.

``ARTICLE#<id>`` / ``COOLDOWN``, written whole under a condition on the
revision it was read at (or on there being none). It expires two days after
its window: by then every message and stream record about it is long gone.
"""

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from stoppress.articles.items import version_from_item
from stoppress.articles.model import Version
from stoppress.aws import clients
from stoppress.aws.errors import error_code, translated
from stoppress.aws.items import from_attrs, to_attrs
from stoppress.contracts.keys import (
    COOLDOWN_HELD,
    COOLDOWN_PUSHED,
    COOLDOWN_SK,
    article_pk,
    version_sk,
)
from stoppress.notify.cooldown import Gate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

GATE_TYPE: Final = "cooldown"
GATE_LIFETIME: Final = timedelta(days=2)
_FIELDS: Final = (
    "window_until",
    COOLDOWN_PUSHED,
    COOLDOWN_HELD,
    "held_count",
    "flush_due",
    "embargo_until",
)
_FLAGS: Final = ("held_new", "held_all", "released")


class CooldownGateTable:
    """The stories' cooldown gates, and the held versions they release."""

    def __init__(self, table_name: str, client: "DynamoDBClient | None" = None) -> None:
        self._table_name = table_name
        self._client = client or clients.dynamodb()

    def _key(self, article_id: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": article_pk(article_id)}, "sk": {"S": sk}}

    def read(self, article_id: str) -> Gate:
        with translated("reading a story's cooldown"):
            response = self._client.get_item(
                TableName=self._table_name,
                Key=self._key(article_id, COOLDOWN_SK),
                ConsistentRead=True,
            )
        raw = response.get("Item")
        if not raw:
            return Gate()
        item = from_attrs(raw)
        numbers = {name: item.get(name, 0) for name in _FIELDS}
        return Gate(
            window_until=float(numbers["window_until"]),
            pushed_version=int(numbers["pushed_version"]),
            held_version=int(numbers["held_version"]),
            held_count=int(numbers["held_count"]),
            flush_due=float(numbers["flush_due"]),
            revision=int(item.get("revision", 0)),
            embargo_until=float(numbers["embargo_until"]),
            # Absent on gates written before embargoes: none of them applied.
            **{name: bool(item.get(name, False)) for name in _FLAGS},
        )

    def write(self, article_id: str, gate: Gate, *, expected_revision: int) -> bool:
        item = {
            "pk": article_pk(article_id),
            "sk": COOLDOWN_SK,
            "type": GATE_TYPE,
            "article_id": article_id,
            "window_until": _seconds(gate.window_until),
            "pushed_version": gate.pushed_version,
            "held_version": gate.held_version,
            "held_count": gate.held_count,
            "flush_due": _seconds(gate.flush_due),
            "embargo_until": _seconds(gate.embargo_until),
            "held_new": gate.held_new,
            "held_all": gate.held_all,
            "released": gate.released,
            "revision": expected_revision + 1,
            "expires_at": int(gate.window_until + GATE_LIFETIME.total_seconds()),
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_revision == 0
            else {
                "ConditionExpression": "revision = :seen",
                "ExpressionAttributeValues": {":seen": {"N": str(expected_revision)}},
            }
        )
        with translated("writing a story's cooldown"):
            try:
                self._client.put_item(TableName=self._table_name, Item=to_attrs(item), **condition)
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def version(self, article_id: str, number: int) -> Version | None:
        with translated("reading a held version"):
            response = self._client.get_item(
                TableName=self._table_name,
                Key=self._key(article_id, version_sk(number)),
                ConsistentRead=True,
            )
        item = response.get("Item")
        return version_from_item(from_attrs(item)) if item else None


def _seconds(value: float) -> Decimal:
    """Epoch seconds to the millisecond, as DynamoDB numbers are written (no binary floats)."""
    return Decimal(str(round(value, 3)))
