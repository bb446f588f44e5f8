"""The table's TTL, which moto never applies: items whose ``expires_at`` has passed are deleted.

DynamoDB deletes an expired item within a day or two of its time; here a sweep
every ``SWEEP_SECONDS`` scans the table and deletes what has expired by the
stack's TTL clock (wall time unless ``LocalStack(ttl_clock=...)`` says
otherwise, so a test can move days ahead). A scan is fine on one machine and a
table of a developer's size; nothing deployed ever scans. Deletions reach the
table's stream as REMOVE records, which notify's filter drops and the audience
counts take members off for, as on AWS (without DynamoDB's ``userIdentity``, so the
``Unsubscribes`` metric counts expired subscriptions here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from stoppress_dev import template as tpl
from stoppress_dev.localstack.sources import EventSource, Wiring

log = logging.getLogger("local-stack")

SWEEP_SECONDS = 5.0
# Keys per Scan page: each call stays short, so moto's threads and the handlers
# sharing this process's GIL are never held up for long.
SCAN_PAGE = 500


class TtlSweeper(EventSource):
    """Deletes expired items now and then; not a pipeline step, so ``wait_idle`` ignores it."""

    name = "ttl"

    def __init__(
        self, wiring: Wiring, *, clock: Callable[[], float], every: float | None = SWEEP_SECONDS
    ) -> None:
        super().__init__(wiring)
        self.clock = clock
        self.every = every
        self.attribute = tpl.ttl_attribute()

    def poll(self) -> None:
        if self.every is None or self.attribute is None:
            return
        while not self.stop.wait(self.every):
            self.sweep(self.clock())

    def sweep(self, now: float) -> int:
        """Delete every item whose TTL attribute is at or before ``now``; returns how many.

        Each deletion is conditioned on the item still being expired, so one
        renewed since the scan stays. A moto error ends this sweep quietly; the
        next one finds whatever is left.
        """
        if self.attribute is None:
            return 0
        deleted = 0
        try:
            for key in self._expired_keys(now):
                if self._delete(key, now):
                    deleted += 1
        except (ClientError, BotoCoreError) as e:
            log.warning("TTL sweep stopped early: %s", e)
        if deleted:
            log.debug("TTL: %d expired items deleted", deleted)
        return deleted

    def _expired_keys(self, now: float) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.resources.table,
            "FilterExpression": "#x <= :now",
            "ProjectionExpression": "pk, sk",
            "ExpressionAttributeNames": {"#x": self.attribute},
            "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
            "Limit": SCAN_PAGE,
        }
        while True:
            page = self.clients.dynamodb.scan(**kwargs)
            yield from page.get("Items", [])
            last = page.get("LastEvaluatedKey")
            if not last or self.stop.is_set():
                return
            kwargs["ExclusiveStartKey"] = last

    def _delete(self, key: dict[str, Any], now: float) -> bool:
        try:
            self.clients.dynamodb.delete_item(
                TableName=self.resources.table,
                Key=key,
                ConditionExpression="#x <= :now",
                ExpressionAttributeNames={"#x": str(self.attribute)},
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
