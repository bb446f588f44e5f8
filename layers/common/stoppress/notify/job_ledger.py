"""The job ledger: one conditional item per (version, topic, shard), so a job is enqueued once.

A DynamoDB stream delivers a record at least once; a retried batch replays
records that were already handled. Before a push job goes on the queue its
ledger item is written with ``attribute_not_exists``: the second writer loses
and enqueues nothing. (Items keep the type "job_claim" they were first stored
with, so tables written before keep working.)

Each write carries a token of its own. A write whose answer was lost (a
timeout, a reset connection) may still have been applied, and writing again
(the SDK's retry, or this adapter's own one) then fails its own condition:
the entry DynamoDB returns with that failure holds this call's token, so the
job is still this call's to enqueue. Without that, it would count as enqueued
by someone else and never reach the queue.
"""

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from stoppress.aws import clients
from stoppress.aws.errors import error_code, translated
from stoppress.contracts.keys import article_pk, job_ledger_sk
from stoppress.core.errors import NotFoundError, TransientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Stream records live 24 h; a week covers any redelivery or redrive from the DLQ.
ENTRY_LIFETIME: Final = timedelta(days=7)
ENTRY_TYPE: Final = "job_claim"


def _raise_if_no_table(e: ClientError, table_name: str) -> None:
    if error_code(e) == "ResourceNotFoundException":
        raise NotFoundError(f"table {table_name} does not exist") from e


def _token_of(item: object) -> str | None:
    """The token an entry was written with (None for entries written without one)."""
    token = item.get("recorded_by") if isinstance(item, dict) else None
    return token.get("S") if isinstance(token, dict) else None


class JobLedgerTable:
    """The ledger of enqueued push jobs, in the article's partition of the table."""

    def __init__(self, table_name: str, client: "DynamoDBClient | None" = None) -> None:
        self._table_name = table_name
        self._client = client or clients.dynamodb()

    def _key(
        self, article_id: str, version: int, topic: str, shard: int
    ) -> dict[str, dict[str, str]]:
        return {
            "pk": {"S": article_pk(article_id)},
            "sk": {"S": job_ledger_sk(version, topic, shard)},
        }

    def record(self, article_id: str, version: int, topic: str, shard: int) -> bool:
        """True if this call recorded the job first, False if it was recorded before."""
        now = datetime.now(UTC)
        token = secrets.token_hex(16)
        item = {
            **self._key(article_id, version, topic, shard),
            "type": {"S": ENTRY_TYPE},
            "article_id": {"S": article_id},
            "version": {"N": str(version)},
            "topic": {"S": topic},
            "shard": {"N": str(shard)},
            "claimed_at": {"S": now.isoformat()},
            "expires_at": {"N": str(int((now + ENTRY_LIFETIME).timestamp()))},
            "recorded_by": {"S": token},
        }
        try:
            return self._put(item, token)
        except TransientError:
            # The write may have been applied with its answer lost: writing again
            # either records the job now or finds out whose entry is there.
            return self._put(item, token)

    def _put(self, item: dict[str, dict[str, str]], token: str) -> bool:
        """Write the entry if there is none; True if the entry is (now) this call's."""
        with translated("recording a push job"):
            try:
                self._client.put_item(
                    TableName=self._table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    # The entry there comes back with the failure: ours if it has our token.
                    return _token_of(e.response.get("Item")) == token
                _raise_if_no_table(e, self._table_name)
                raise
        return True

    def erase(self, article_id: str, version: int, topic: str, shard: int) -> None:
        """Forget a job that never reached the queue, so a retry can send it."""
        with translated("erasing a push job"):
            try:
                self._client.delete_item(
                    TableName=self._table_name, Key=self._key(article_id, version, topic, shard)
                )
            except ClientError as e:
                _raise_if_no_table(e, self._table_name)
                raise
