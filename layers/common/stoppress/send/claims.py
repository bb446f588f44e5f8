"""Send claims: a leased item per push job, so a job SQS delivers twice is sent once.

Item: pk ``ARTICLE#<id>``, sk ``SEND#<version>#<job id>``; ``state`` is
``sending`` (with ``lease_until`` and a ``cursor``: the last sub id whose page,
and every page before it, is fully handled) or ``done``.

- ``claim`` takes the item when it is absent, or ``sending`` with an expired
  lease (its sender died); it returns the cursor to resume from. A ``done``
  job is reported as such, a live lease raises ``JobInProgressError``.
- ``checkpoint`` moves the cursor and renews the lease; ``complete`` marks the
  job done. Both are conditioned on still being the owner, so a sender that
  lost its lease cannot overwrite the one that took over.
"""

import secrets
import time
from collections.abc import Callable
from typing import Any, Final

from botocore.exceptions import ClientError

from stoppress.aws import clients
from stoppress.aws.errors import error_code, translated
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import article_pk, send_claim_sk
from stoppress.core.errors import TransientError
from stoppress.send.model import Claim, JobInProgressError

CLAIM_TYPE: Final = "send_claim"
# Kept past any SQS redelivery or DLQ redrive (14 days is SQS's longest retention).
CLAIM_LIFETIME_SECONDS: Final = 15 * 24 * 3600
DEFAULT_LEASE_SECONDS: Final = 120
SENDING: Final = "sending"
DONE: Final = "done"


class LeaseLostError(TransientError):
    """Another sender took this job over (our lease ran out); stop sending it."""


class SendClaims:
    """Leased claims on push jobs, in the article's partition of the table."""

    def __init__(
        self,
        table_name: str,
        client: Any = None,
        *,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table_name = table_name
        self._client = client or clients.dynamodb()
        self._lease = lease_seconds
        self._clock = clock
        self._owner = secrets.token_hex(8)

    def _key(self, job: PushJob, key: str) -> dict[str, Any]:
        return {
            "pk": {"S": article_pk(job.article_id)},
            "sk": {"S": send_claim_sk(job.version, key)},
        }

    def claim(self, job: PushJob, key: str) -> Claim:
        now = int(self._clock())
        with translated("claiming a push job"):
            return self._claim(job, key, now)

    def _claim(self, job: PushJob, key: str, now: int) -> Claim:
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key=self._key(job, key),
                UpdateExpression=(
                    "SET #type = :type, #state = :sending, lease_until = :lease, "
                    "#owner = :owner, expires_at = :expires, attempt = :attempt"
                ),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#state = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#type": "type", "#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":type": {"S": CLAIM_TYPE},
                    ":sending": {"S": SENDING},
                    ":lease": {"N": str(now + self._lease)},
                    ":owner": {"S": self._owner},
                    ":expires": {"N": str(now + CLAIM_LIFETIME_SECONDS)},
                    ":attempt": {"N": str(job.attempt)},
                    ":now": {"N": str(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as e:
            if error_code(e) != "ConditionalCheckFailedException":
                raise
            current = self._client.get_item(
                TableName=self._table_name, Key=self._key(job, key), ConsistentRead=True
            ).get("Item", {})
            if current.get("state", {}).get("S") == DONE:
                return Claim(done=True)
            raise JobInProgressError(
                f"push job {job.job_id} is being sent by another sender"
            ) from e
        cursor = response.get("Attributes", {}).get("cursor", {}).get("S")
        return Claim(cursor=cursor)

    def checkpoint(self, job: PushJob, key: str, cursor: str) -> None:
        now = int(self._clock())
        self._owned_update(
            job,
            key,
            "SET #cursor = :cursor, lease_until = :lease",
            {":cursor": {"S": cursor}, ":lease": {"N": str(now + self._lease)}},
            {"#cursor": "cursor"},
        )

    def complete(self, job: PushJob, key: str) -> None:
        self._owned_update(
            job,
            key,
            "SET #state = :done REMOVE lease_until",
            {":done": {"S": DONE}},
            {"#state": "state"},
        )

    def release(self, job: PushJob, key: str) -> None:
        self._owned_update(
            job,
            key,
            "SET lease_until = :zero",
            {":zero": {"N": "0"}},
            {},
        )

    def _owned_update(
        self,
        job: PushJob,
        key: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> None:
        with translated("updating a send claim"):
            try:
                self._client.update_item(
                    TableName=self._table_name,
                    Key=self._key(job, key),
                    UpdateExpression=expression,
                    ConditionExpression="#owner = :owner",
                    ExpressionAttributeNames={**names, "#owner": "owner"},
                    ExpressionAttributeValues={**values, ":owner": {"S": self._owner}},
                )
            except ClientError as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    raise LeaseLostError(f"push job {key} was taken over") from e
                raise
