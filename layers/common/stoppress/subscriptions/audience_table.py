"""Audience counters in the table: per topic, ``COUNTER_ITEMS`` items whose ``members`` sum
to the topic's audience (``AUDIENCE#<topic>`` / ``COUNT#<n>``).

Each batch adds to one counter item per topic, picked at random, so the writes of
a topic everyone is in (``all``) spread over several items instead of queueing on
one. A batch's additions and its marker (``AUDIENCE#BATCH#<first sequence
number>``, which notes the last sequence number it covered and expires once the
stream no longer holds its records) go in one transaction: either all of a
batch's counts move or none do, and a retried batch finds its marker.
"""

import random
import time
from collections.abc import Callable, Iterable
from typing import Final

from botocore.exceptions import ClientError

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.contracts.keys import (
    AUDIENCE_BATCH_SK,
    audience_batch_pk,
    audience_count_sk,
    audience_pk,
)
from stoppress.subscriptions.audience import AudienceChange

COUNTER_ITEMS: Final = 10
MEMBERS: Final = "members"
# A stream keeps records 24 hours; a marker outliving that by a day covers any retry.
MARKER_SECONDS: Final = 2 * 86_400
# DynamoDB's limit on a transaction's items; one is the batch's marker.
_TRANSACTION_ITEMS: Final = 100


class AudienceTable:
    """Implements ``AudienceCounters``, and reads the counts back.

    ``choose(n)`` picks a counter item below ``n`` (random; tests pass their own).
    """

    def __init__(
        self,
        table_name: str,
        *,
        choose: Callable[[int], int] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self._choose = choose or _random_counter
        self._now = now

    def apply(self, change: AudienceChange) -> str | None:
        if len(change.deltas) >= _TRANSACTION_ITEMS:
            # The event source's BatchSize keeps a batch's topics below this.
            raise ValueError(f"{len(change.deltas)} topics do not fit one transaction")
        if self._apply(change.first_sequence, change.last_sequence, dict(change.deltas)):
            return None
        return self._covered(change.first_sequence) or change.last_sequence

    def _apply(self, marker: str, through: str, deltas: dict[str, int]) -> bool:
        counter = audience_count_sk(self._choose(COUNTER_ITEMS))
        items: list[dict[str, object]] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": {"pk": {"S": audience_batch_pk(marker)}, "sk": {"S": AUDIENCE_BATCH_SK}},
                    "UpdateExpression": "SET through = :through, expires_at = :until",
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ExpressionAttributeValues": {
                        ":through": {"S": through},
                        ":until": {"N": str(int(self._now()) + MARKER_SECONDS)},
                    },
                }
            }
        ]
        items += [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": {"pk": {"S": audience_pk(topic)}, "sk": {"S": counter}},
                    "UpdateExpression": f"ADD {MEMBERS} :d",
                    "ExpressionAttributeValues": {":d": {"N": str(delta)}},
                }
            }
            for topic, delta in deltas.items()
        ]
        with translated("counting audiences"):
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            except ClientError as e:
                if _marker_exists(e):
                    return False
                raise
        return True

    def _covered(self, marker: str) -> str | None:
        with translated("reading an audience batch marker"):
            response = clients.dynamodb().query(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": audience_batch_pk(marker)}},
            )
        for item in response.get("Items", []):
            return str(item["through"]["S"])
        return None

    def counts(self, topics: Iterable[str]) -> dict[str, int]:
        """Each topic's audience: one Query per topic over its counter items."""
        result: dict[str, int] = {}
        for topic in topics:
            total = 0
            kwargs: dict[str, object] = {
                "TableName": self.table_name,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": audience_pk(topic)}},
                "ProjectionExpression": MEMBERS,
            }
            while True:
                with translated("reading audience counts"):
                    response = clients.dynamodb().query(**kwargs)  # type: ignore[arg-type]
                total += sum(int(i.get(MEMBERS, {}).get("N", 0)) for i in response["Items"])
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
            result[topic] = total
        return result


def _random_counter(n: int) -> int:
    # Spreading writes, not secrecy.
    return random.randrange(n)  # noqa: S311


def _marker_exists(error: ClientError) -> bool:
    """The transaction was cancelled by the marker's condition (position 0) alone."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    if not reasons:
        # moto and some clients leave the reasons out; the only condition is the marker's.
        return "ConditionalCheckFailed" in str(error)
    return reasons[0].get("Code") == "ConditionalCheckFailed"
