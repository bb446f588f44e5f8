"""Subscriptions in the table: the SUB item and one TOPIC member item per topic.

A member item copies what sending needs (endpoint and keys), so SendFunction
reads a topic shard with one paged Query and never touches SUB items. The SUB
item remembers its topics and the shard its members live in, so a re-subscribe
or a delete can find and remove every membership even if the shard count has
changed since.

Writes go through one transaction conditioned on the SUB item being unchanged
since it was read (its ``updated_at``), so two concurrent writers for the same
endpoint cannot leave stray memberships behind; the loser re-reads and retries.

Only SendFunction reads members, so the push job models they are returned as
are imported on the first read rather than at every importer's cold start.
"""

import hmac
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.aws.items import from_attrs, to_attrs
from stoppress.contracts.keys import (
    SUB_SK,
    TOPIC_ALL,
    shard_of,
    subscription_pk,
    topic_member_sk,
    topic_pk,
)
from stoppress.core.errors import ForbiddenError, TransientError
from stoppress.subscriptions.model import FailureStreak, Subscription

if TYPE_CHECKING:
    from stoppress.contracts.jobs import Recipient

SUBSCRIPTION_TYPE: Final = "subscription"
WRITE_ATTEMPTS: Final = 4
DEFAULT_PAGE_SIZE: Final = 500


def subscription_to_item(subscription: Subscription, *, shard: int) -> dict[str, Any]:
    """The SUB item for ``subscription`` whose members live in ``shard``."""
    item: dict[str, Any] = {
        "pk": subscription_pk(subscription.sub_id),
        "sk": SUB_SK,
        "type": SUBSCRIPTION_TYPE,
        "sub_id": subscription.sub_id,
        "endpoint": subscription.endpoint,
        "p256dh": subscription.p256dh,
        "auth": subscription.auth,
        "topics": list(subscription.topics),
        "shard": shard,
        "created_at": subscription.created_at.isoformat(),
        "updated_at": subscription.updated_at.isoformat(),
        "failure_count": subscription.failure_count,
    }
    if subscription.last_success_at is not None:
        item["last_success_at"] = subscription.last_success_at.isoformat()
    return item


def subscription_from_item(item: Mapping[str, Any]) -> Subscription:
    last = item.get("last_success_at")
    return Subscription(
        sub_id=item["sub_id"],
        endpoint=item["endpoint"],
        p256dh=item["p256dh"],
        auth=item["auth"],
        topics=tuple(item.get("topics") or ()),
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        last_success_at=datetime.fromisoformat(last) if last else None,
        failure_count=int(item.get("failure_count", 0)),
    )


def member_to_item(subscription: Subscription, topic: str, shard: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": topic_pk(topic, shard),
        "sk": topic_member_sk(subscription.sub_id),
        "sub_id": subscription.sub_id,
        "endpoint": subscription.endpoint,
        "p256dh": subscription.p256dh,
        "auth": subscription.auth,
    }
    if topic != TOPIC_ALL and len(subscription.topics) > 1:
        # A sender of this topic's job skips whoever hears the same version from an
        # earlier topic; "all" is always first, so its (largest) members need no list.
        item["topics"] = list(subscription.topics)
    return item


def member_from_item(item: Mapping[str, Any]) -> "Recipient":
    from stoppress.contracts.jobs import Recipient

    return Recipient(
        sub_id=item["sub_id"],
        endpoint=item["endpoint"],
        p256dh=item["p256dh"],
        auth=item["auth"],
        failing=bool(item.get("failing", False)),
        topics=tuple(item["topics"]) if item.get("topics") else None,
    )


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons
    return False


class SubscriptionStore:
    """Reads and writes subscriptions and their topic memberships.

    ``topic_shards`` is only needed to write (``put``): readers and deleters
    use the shard recorded on each SUB item.
    """

    def __init__(self, table_name: str, *, topic_shards: int | None = None) -> None:
        self.table_name = table_name
        self.topic_shards = topic_shards

    # -- reads ---------------------------------------------------------------

    def _get_item(self, sub_id: str) -> dict[str, Any] | None:
        with translated("reading a subscription"):
            response = clients.dynamodb().get_item(
                TableName=self.table_name,
                Key=_key(subscription_pk(sub_id), SUB_SK),
                ConsistentRead=True,
            )
        item = response.get("Item")
        return from_attrs(item) if item else None

    def get(self, sub_id: str) -> Subscription | None:
        item = self._get_item(sub_id)
        return subscription_from_item(item) if item else None

    def members(
        self,
        topic: str,
        shard: int,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        start_after: str | None = None,
    ) -> Iterator[list["Recipient"]]:
        """Pages of a topic shard's members, in sub id order, one Query per page.

        ``start_after`` is a sub id: resume after it (a retry or a split job).
        Never holds more than one page in memory.
        """
        pk = topic_pk(topic, shard)
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            # "auth" is a DynamoDB reserved word, so every name goes through a placeholder.
            "ProjectionExpression": "#s, #e, #p, #a, #f, #t",
            "ExpressionAttributeNames": {
                "#s": "sub_id",
                "#e": "endpoint",
                "#p": "p256dh",
                "#a": "auth",
                "#f": "failing",
                "#t": "topics",
            },
            "Limit": page_size,
        }
        if start_after is not None:
            kwargs["ExclusiveStartKey"] = _key(pk, topic_member_sk(start_after))
        while True:
            with translated("reading topic members"):
                response = clients.dynamodb().query(**kwargs)
            page = [member_from_item(from_attrs(item)) for item in response.get("Items", [])]
            if page:
                yield page
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    # -- writes --------------------------------------------------------------

    def put(self, subscription: Subscription) -> Subscription | None:
        """Store ``subscription``: its SUB item, a member item per topic, no stale members.

        Replaces an existing subscription with the same id in one transaction,
        keeping when it was first made and last reached (from the same read the
        transaction is conditioned on); returns the one it replaced, if any. A
        new subscription is one request: its write is tried unread, conditioned
        on there being none.
        """
        if self.topic_shards is None:
            raise ValueError("SubscriptionStore needs topic_shards to write subscriptions")
        shard = shard_of(subscription.sub_id, self.topic_shards)
        # Most subscriptions are new: try that first, unread, conditioned on there
        # being no SUB item; only a replacement pays for reading the current one.
        if self._transact(self._put_items(subscription, None, shard), "storing a subscription"):
            return None
        for _ in range(WRITE_ATTEMPTS):
            current = self._get_item(subscription.sub_id)
            if current is None:
                if self._transact(
                    self._put_items(subscription, None, shard), "storing a subscription"
                ):
                    return None
                continue
            previous = subscription_from_item(current)
            stored = subscription.model_copy(
                update={
                    "created_at": previous.created_at,
                    "last_success_at": previous.last_success_at,
                }
            )
            if self._transact(self._put_items(stored, current, shard), "storing a subscription"):
                return previous
        raise TransientError("subscription kept changing while it was being stored")

    def _put_items(
        self, subscription: Subscription, current: Mapping[str, Any] | None, shard: int
    ) -> list[dict[str, Any]]:
        """The transaction that stores ``subscription`` over ``current`` (as read, or None)."""
        new_keys = {
            (topic_pk(t, shard), topic_member_sk(subscription.sub_id)) for t in subscription.topics
        }
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_attrs(subscription_to_item(subscription, shard=shard)),
                    **_unchanged(current),
                }
            }
        ]
        items += [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_attrs(member_to_item(subscription, t, shard)),
                }
            }
            for t in subscription.topics
        ]
        items += [
            {"Delete": {"TableName": self.table_name, "Key": _key(pk, sk)}}
            for pk, sk in _member_keys(current)
            if (pk, sk) not in new_keys
        ]
        return items

    def delete(self, sub_id: str, *, if_auth: str | None = None) -> bool:
        """Remove the SUB item and every membership; False if there was nothing to remove.

        With ``if_auth`` the stored auth secret must match it (ForbiddenError
        otherwise), checked against the same read the transaction is
        conditioned on, so a concurrent re-subscribe cannot slip in between.
        """
        for _ in range(WRITE_ATTEMPTS):
            current = self._get_item(sub_id)
            if current is None:
                return False
            if if_auth is not None and not hmac.compare_digest(
                str(current["auth"]).encode(), if_auth.encode()
            ):
                raise ForbiddenError("auth secret does not match the stored subscription")
            items: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": _key(subscription_pk(sub_id), SUB_SK),
                        **_unchanged(current),
                    }
                }
            ]
            items += [
                {"Delete": {"TableName": self.table_name, "Key": _key(pk, sk)}}
                for pk, sk in _member_keys(current)
            ]
            if self._transact(items, "deleting a subscription"):
                return True
        raise TransientError("subscription kept changing while it was being deleted")

    def remove_topics(
        self,
        sub_id: str,
        topics: Collection[str],
        *,
        if_auth: str | None = None,
        now: datetime,
    ) -> tuple[str, ...] | None:
        """Stop ``topics`` for one subscription; returns the topics it keeps.

        Their memberships go, and they leave the SUB item's list, in one
        transaction conditioned like ``delete``; removing the last topic removes
        the subscription (and returns ``()``). Topics it does not have are no
        change. None if there is no such subscription; ``if_auth`` as in ``delete``.
        """
        for _ in range(WRITE_ATTEMPTS):
            current = self._get_item(sub_id)
            if current is None:
                return None
            if if_auth is not None and not hmac.compare_digest(
                str(current["auth"]).encode(), if_auth.encode()
            ):
                raise ForbiddenError("auth secret does not match the stored subscription")
            had = list(current.get("topics") or ())
            kept = tuple(t for t in had if t not in topics)
            if len(kept) == len(had):
                return kept
            if kept:
                # Every other writer's condition compares updated_at, so it must
                # change even when this clock is behind the last writer's. The whole
                # item as read goes back (a Put, as in ``put``), delivery record included.
                seen = datetime.fromisoformat(current["updated_at"])
                stamp = max(now, seen + timedelta(microseconds=1))
                sub_write: dict[str, Any] = {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": to_attrs(
                            {**current, "topics": list(kept), "updated_at": stamp.isoformat()}
                        ),
                        **_unchanged(current),
                    }
                }
            else:
                sub_write = {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": _key(subscription_pk(sub_id), SUB_SK),
                        **_unchanged(current),
                    }
                }
            shard = int(current["shard"])
            items = [sub_write] + [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": _key(topic_pk(t, shard), topic_member_sk(sub_id)),
                    }
                }
                for t in had
                if t not in kept
            ]
            # The members that stay carry the subscription's topics: they change too.
            remaining = subscription_from_item({**current, "topics": list(kept)})
            failing = {"failing": True} if current.get("failing_since") else {}
            items += [
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": to_attrs({**member_to_item(remaining, t, shard), **failing}),
                    }
                }
                for t in kept
                if t != TOPIC_ALL
            ]
            if self._transact(items, "removing topics from a subscription"):
                return kept
        raise TransientError("subscription kept changing while its topics were being removed")

    # -- delivery record -------------------------------------------------------
    #
    # Only subscriptions whose pushes fail are written to: a failed version
    # counts on the SUB item and marks every membership ``failing``, so the
    # sender knows, from the member it already read, which successes must
    # clear the record. A healthy subscription costs no write at all.

    def record_failed_version(
        self, sub_id: str, version_mark: str, *, now: datetime
    ) -> FailureStreak | None:
        """Count ``version_mark`` (article and version) as one more version that failed.

        Counted once per version however often it is reported; None when the
        subscription is gone or the version was already counted.
        """
        with translated("recording a failed push"):
            try:
                response = clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key=_key(subscription_pk(sub_id), SUB_SK),
                    UpdateExpression=(
                        "SET last_failed_version = :mark, "
                        "failing_since = if_not_exists(failing_since, :now) "
                        "ADD failure_count :one"
                    ),
                    ConditionExpression=(
                        "attribute_exists(pk) AND (attribute_not_exists(last_failed_version) "
                        "OR last_failed_version <> :mark)"
                    ),
                    ExpressionAttributeValues=to_attrs(
                        {":mark": version_mark, ":now": now.isoformat(), ":one": 1}
                    ),
                    ReturnValues="ALL_NEW",
                )
            except ClientError as e:
                if _is_condition_failure(e):
                    return None
                raise
        item = from_attrs(response["Attributes"])
        self._mark_members(item, failing=True)
        return FailureStreak(
            versions=int(item["failure_count"]),
            since=datetime.fromisoformat(item["failing_since"]),
        )

    def record_success(self, sub_id: str, *, now: datetime) -> None:
        """A failing subscription was reached again: its streak ends."""
        with translated("recording a recovered subscription"):
            try:
                response = clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key=_key(subscription_pk(sub_id), SUB_SK),
                    UpdateExpression=(
                        "SET failure_count = :zero, last_success_at = :now "
                        "REMOVE failing_since, last_failed_version"
                    ),
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=to_attrs({":zero": 0, ":now": now.isoformat()}),
                    ReturnValues="ALL_NEW",
                )
            except ClientError as e:
                if _is_condition_failure(e):
                    return
                raise
        self._mark_members(from_attrs(response["Attributes"]), failing=False)

    def _mark_members(self, item: Mapping[str, Any], *, failing: bool) -> None:
        change = (
            {
                "UpdateExpression": "SET failing = :yes",
                "ExpressionAttributeValues": {":yes": {"BOOL": True}},
            }
            if failing
            else {"UpdateExpression": "REMOVE failing"}
        )
        for pk, sk in _member_keys(item):
            # Only members that still exist: a concurrent re-subscribe may have moved them.
            with translated("marking topic members"):
                try:
                    clients.dynamodb().update_item(
                        TableName=self.table_name,
                        Key=_key(pk, sk),
                        ConditionExpression="attribute_exists(pk)",
                        **change,
                    )
                except ClientError as e:
                    if not _is_condition_failure(e):
                        raise

    def _transact(self, items: list[Any], what: str) -> bool:
        """Run one transaction; False when a condition failed (someone else wrote first)."""
        with translated(what):
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)
            except ClientError as e:
                if _is_condition_failure(e):
                    return False
                raise
        return True


def _unchanged(current: Mapping[str, Any] | None) -> dict[str, Any]:
    """Condition: the SUB item is still what we read (absent, or the same updated_at)."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "updated_at = :seen",
        "ExpressionAttributeValues": {":seen": {"S": current["updated_at"]}},
    }


def _member_keys(current: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if current is None:
        return []
    shard = int(current["shard"])
    sub_id = current["sub_id"]
    return [(topic_pk(t, shard), topic_member_sk(sub_id)) for t in current.get("topics") or ()]
