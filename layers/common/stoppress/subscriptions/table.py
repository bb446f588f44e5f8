"""Subscriptions in the table: the SUB item and one TOPIC member item per topic.

A member item copies what sending needs (endpoint and keys), so SendFunction
reads a topic shard with one paged Query and never touches SUB items. The SUB
item remembers its topics and the shard its members live in, so a re-subscribe
or a delete can find and remove every membership even if the shard count has
changed since.

Writes go through one transaction conditioned on the SUB item being unchanged
since it was read (its ``updated_at``), so two concurrent writers for the same
endpoint cannot leave stray memberships behind; the loser re-reads and retries.

Story follows and subscriptions nothing confirms end by the table's TTL
(``expires_at``, epoch seconds; ``Expiry`` gives the rules). DynamoDB deletes
an expired item up to two days late, so a member whose ``expires_at`` has
passed counts as gone from that moment: the sender skips it and a re-subscribe
does not bring it back.

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
from stoppress.core.settings import ExpirySettings
from stoppress.subscriptions.model import Expiry, FailureStreak, Subscription, is_story_follow

if TYPE_CHECKING:
    from stoppress.contracts.jobs import Recipient

SUBSCRIPTION_TYPE: Final = "subscription"
WRITE_ATTEMPTS: Final = 4
DEFAULT_PAGE_SIZE: Final = 500
# The table's TTL attribute (template.yaml): epoch seconds.
EXPIRES_AT: Final = "expires_at"
# What a member item may hold besides what ``member_to_item`` writes (and its expiry,
# which each writer decides): replacing a member removes them, as a Put would.
_MEMBER_EXTRAS: Final = ("failing", "topics")
# A story follow that is still there and has not expired (``#x``: its expiry).
_STILL_FOLLOWED: Final = "attribute_exists(pk) AND (attribute_not_exists(#x) OR #x > :now)"


def subscription_to_item(
    subscription: Subscription, *, shard: int, expires_at: int | None = None
) -> dict[str, Any]:
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
    if subscription.confirmed_at is not None:
        item["confirmed_at"] = subscription.confirmed_at.isoformat()
    if expires_at is not None:
        item[EXPIRES_AT] = expires_at
    return item


def subscription_from_item(item: Mapping[str, Any]) -> Subscription:
    confirmed = item.get("confirmed_at")
    return Subscription(
        sub_id=item["sub_id"],
        endpoint=item["endpoint"],
        p256dh=item["p256dh"],
        auth=item["auth"],
        topics=tuple(item.get("topics") or ()),
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        confirmed_at=datetime.fromisoformat(confirmed) if confirmed else None,
        failure_count=int(item.get("failure_count", 0)),
    )


def member_to_item(
    subscription: Subscription, topic: str, shard: int, *, expires_at: int | None = None
) -> dict[str, Any]:
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
    if expires_at is not None:
        item[EXPIRES_AT] = expires_at
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
        expires_at=int(item[EXPIRES_AT]) if item.get(EXPIRES_AT) is not None else None,
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
    use the shard recorded on each SUB item. ``expiry`` (the function's
    settings; the deployed defaults without) says how long follows and
    subscriptions last.
    """

    def __init__(
        self,
        table_name: str,
        *,
        topic_shards: int | None = None,
        expiry: ExpirySettings | None = None,
    ) -> None:
        self.table_name = table_name
        self.topic_shards = topic_shards
        self.expiry = Expiry.from_settings(expiry or ExpirySettings())

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
        excluding: Collection[str] = (),
    ) -> Iterator[list["Recipient"]]:
        """Pages of a topic partition's members, in sub id order, one Query per page.

        ``start_after`` is a sub id: resume after it (a retry or a split job).
        ``excluding``: leave out members also in these topics (a version's earlier
        audience topics, whose jobs reach them), filtered by DynamoDB on the topic
        list such members carry, so they are neither sent nor parsed here. A page
        may then hold fewer than ``page_size`` members, or none (it is skipped).
        Never holds more than one page in memory.
        """
        pk = topic_pk(topic, shard)
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            # "auth" is a DynamoDB reserved word, so every name goes through a placeholder.
            "ProjectionExpression": "#s, #e, #p, #a, #f, #t, #x",
            "ExpressionAttributeNames": {
                "#s": "sub_id",
                "#e": "endpoint",
                "#p": "p256dh",
                "#a": "auth",
                "#f": "failing",
                "#t": "topics",
                "#x": EXPIRES_AT,
            },
            "Limit": page_size,
        }
        if start_after is not None:
            kwargs["ExclusiveStartKey"] = _key(pk, topic_member_sk(start_after))
        if excluding:
            names = [f":in{n}" for n in range(len(excluding))]
            kwargs["FilterExpression"] = (
                "NOT (" + " OR ".join(f"contains(#t, {v})" for v in names) + ")"
            )
            kwargs["ExpressionAttributeValues"].update(
                {v: {"S": t} for v, t in zip(names, sorted(excluding), strict=True)}
            )
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

    def put(self, subscription: Subscription) -> tuple[Subscription, Subscription | None]:
        """Store ``subscription``: its SUB item, a member item per topic, no stale members.

        Returns what was stored and the subscription it replaced, if any. A
        replacement, in one transaction, keeps when the subscription was first
        made (from the same read the transaction is conditioned on). A new
        subscription is one request: its write is tried unread, conditioned on
        there being none.

        Storing confirms the subscription (the browser sent it: it is alive), so
        the SUB item and its memberships other than story follows expire
        ``Expiry.subscription`` from ``updated_at``. A story follow the stored
        subscription did not list expires ``Expiry.follow`` from then. One it
        listed keeps its expiry: browsers send their whole list again (a daily
        re-sync, another follow), which is not the reader following that story
        again. One it listed whose membership has expired or gone is not stored
        again, and the topics returned leave it out: the list the browser sent is
        older than the follow's end. A browser that adopts the returned topics
        (the snippet does) no longer lists the story, so following it again
        later is a new follow and is stored. Should nothing be left, the
        subscription is removed and returned with no topics.
        """
        if self.topic_shards is None:
            raise ValueError("SubscriptionStore needs topic_shards to write subscriptions")
        shard = shard_of(subscription.sub_id, self.topic_shards)
        subscription = subscription.model_copy(update={"confirmed_at": subscription.updated_at})
        # Most subscriptions are new: try that first, unread, conditioned on there
        # being no SUB item; only a replacement pays for reading the current one.
        if self._transact(self._put_items(subscription, None, shard), "storing a subscription"):
            return subscription, None
        for _ in range(WRITE_ATTEMPTS):
            current = self._get_item(subscription.sub_id)
            if current is None:
                if self._transact(
                    self._put_items(subscription, None, shard), "storing a subscription"
                ):
                    return subscription, None
                continue
            previous = subscription_from_item(current)
            stored = self._replace(
                subscription.model_copy(update={"created_at": previous.created_at}),
                current,
                shard,
            )
            if stored is not None:
                return stored, previous
        raise TransientError("subscription kept changing while it was being stored")

    def _replace(
        self, subscription: Subscription, current: Mapping[str, Any], shard: int
    ) -> Subscription | None:
        """Store ``subscription`` over ``current``, less the story follows found to have ended.

        None when the SUB item changed since ``current`` was read.
        """
        while subscription.topics:
            refused = self._transact_refused(
                self._put_items(subscription, current, shard), "storing a subscription"
            )
            if refused is None:
                return subscription
            # Items 1..n are the members, in topic order; only story follows the
            # subscription had carry a condition (still there, not expired).
            ended = {
                subscription.topics[i - 1] for i in refused if 0 < i <= len(subscription.topics)
            }
            if not ended or 0 in refused:
                return None
            subscription = subscription.model_copy(
                update={"topics": tuple(t for t in subscription.topics if t not in ended)}
            )
        if self._transact(_delete_items(self.table_name, current), "storing a subscription"):
            return subscription
        return None

    def _put_items(
        self, subscription: Subscription, current: Mapping[str, Any] | None, shard: int
    ) -> list[dict[str, Any]]:
        """The transaction that stores ``subscription`` over ``current`` (as read, or None).

        The SUB item first, then one member per topic in topic order (``_replace``
        reads refusals by position), then the deletions of members it no longer has.
        """
        now = subscription.updated_at
        new_keys = {
            (topic_pk(t, shard), topic_member_sk(subscription.sub_id)) for t in subscription.topics
        }
        until = self.expiry.subscription_until(now)
        # Follows it had are only known to be where they are if the shard is the same;
        # after a reshard (TopicShards raised) they start their time afresh.
        had = (
            set(current.get("topics") or ())
            if current is not None and int(current["shard"]) == shard
            else set()
        )
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_attrs(
                        subscription_to_item(subscription, shard=shard, expires_at=until)
                    ),
                    **_unchanged(current),
                }
            }
        ]
        for topic in subscription.topics:
            item = member_to_item(subscription, topic, shard)
            if not is_story_follow(topic):
                items.append(_member_update(self.table_name, item, ":until", {":until": until}))
            elif topic in had:
                items.append(
                    _member_update(
                        self.table_name,
                        item,
                        "if_not_exists(#x, :follow)",
                        {":follow": self.expiry.follow_until(now), ":now": int(now.timestamp())},
                        condition=_STILL_FOLLOWED,
                    )
                )
            else:
                follow = {":follow": self.expiry.follow_until(now)}
                items.append(_member_update(self.table_name, item, ":follow", follow))
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
            if self._transact(_delete_items(self.table_name, current), "deleting a subscription"):
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
            # The members that stay carry the subscription's topics: they change too,
            # and keep their expiry. One that is no longer there (a story follow
            # that ended) is only written already expired, as good as gone.
            remaining = subscription_from_item({**current, "topics": list(kept)})
            failing = {"failing": True} if current.get("failing_since") else {}
            lasting = current.get(EXPIRES_AT) or self.expiry.subscription_until(now)
            items += [
                _member_update(
                    self.table_name,
                    {**member_to_item(remaining, t, shard), **failing},
                    "if_not_exists(#x, :fallback)",
                    {":fallback": int(now.timestamp()) if is_story_follow(t) else int(lasting)},
                )
                for t in kept
                if t != TOPIC_ALL
            ]
            if self._transact(items, "removing topics from a subscription"):
                return kept
        raise TransientError("subscription kept changing while its topics were being removed")

    # -- delivery record -------------------------------------------------------
    #
    # Subscriptions whose pushes fail are written to: a failed version counts
    # on the SUB item and marks every membership ``failing``, so the sender
    # knows, from the member it already read, which successes must clear the
    # record. A healthy subscription is written only when its expiry is due to
    # be pushed back (``confirm``, ``extend_follow``): never once per push.

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
        """A failing subscription was reached again: its streak ends, and it is confirmed."""
        until = self.expiry.subscription_until(now)
        with translated("recording a recovered subscription"):
            try:
                response = clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key=_key(subscription_pk(sub_id), SUB_SK),
                    UpdateExpression=(
                        f"SET failure_count = :zero, confirmed_at = :now, {EXPIRES_AT} = :until "
                        "REMOVE failing_since, last_failed_version"
                    ),
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=to_attrs(
                        {":zero": 0, ":now": now.isoformat(), ":until": until}
                    ),
                    ReturnValues="ALL_NEW",
                )
            except ClientError as e:
                if _is_condition_failure(e):
                    return
                raise
        self._mark_members(from_attrs(response["Attributes"]), failing=False, until=until)

    def confirm(self, sub_id: str, *, now: datetime) -> bool:
        """A push reached the subscription: push its expiry back, if that is due.

        Due once the last confirmation is ``Expiry.confirm_interval`` old, so a
        subscriber costs at most 1 + its topics writes per interval however
        many pushes it gets. The SUB item is written first, conditioned on being
        due (concurrent confirmations write it once), then its memberships other
        than story follows, which expire with it. False when nothing was due or
        the subscription is gone.

        A membership still due while its SUB item is not was left behind by a
        confirmation that stopped halfway: it is brought level with the SUB item.
        """
        until = self.expiry.subscription_until(now)
        with translated("confirming a subscription"):
            try:
                response = clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key=_key(subscription_pk(sub_id), SUB_SK),
                    UpdateExpression=f"SET confirmed_at = :now, {EXPIRES_AT} = :until",
                    ConditionExpression=(
                        f"attribute_exists(pk) AND (attribute_not_exists({EXPIRES_AT}) "
                        f"OR {EXPIRES_AT} < :due)"
                    ),
                    ExpressionAttributeValues=to_attrs(
                        {
                            ":now": now.isoformat(),
                            ":until": until,
                            ":due": self.expiry.confirm_due_before(now),
                        }
                    ),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as e:
                if not _is_condition_failure(e):
                    raise
                # Not due, or gone: the SUB item as it is (if any), for lagging members.
                stored = e.response.get("Item")
                item = from_attrs(stored) if isinstance(stored, dict) else {}
                confirmed = False
            else:
                item = from_attrs(response["Attributes"])
                confirmed = True
        if item.get(EXPIRES_AT) is not None:
            self._expire_members_with(item, int(item[EXPIRES_AT]))
        return confirmed

    def extend_follow(self, sub_id: str, topic: str, shard: int, *, now: datetime) -> bool:
        """A push of its story reached this follower: the follow lasts ``Expiry.follow`` more.

        The caller asks only when less than half of it is left (``Expiry.follow_due``).
        False when the follow is gone.
        """
        with translated("extending a story follow"):
            try:
                clients.dynamodb().update_item(
                    TableName=self.table_name,
                    Key=_key(topic_pk(topic, shard), topic_member_sk(sub_id)),
                    UpdateExpression=f"SET {EXPIRES_AT} = :until",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=to_attrs({":until": self.expiry.follow_until(now)}),
                )
            except ClientError as e:
                if _is_condition_failure(e):
                    return False
                raise
        return True

    def _expire_members_with(self, item: Mapping[str, Any], until: int) -> None:
        """Give the memberships of the SUB ``item`` other than story follows its expiry."""
        for topic, (pk, sk) in _memberships(item):
            if is_story_follow(topic):
                continue
            # Only members that exist and lag behind: never create or shorten one.
            with translated("confirming topic members"):
                try:
                    clients.dynamodb().update_item(
                        TableName=self.table_name,
                        Key=_key(pk, sk),
                        UpdateExpression=f"SET {EXPIRES_AT} = :until",
                        ConditionExpression=(
                            f"attribute_exists(pk) AND (attribute_not_exists({EXPIRES_AT}) "
                            f"OR {EXPIRES_AT} < :until)"
                        ),
                        ExpressionAttributeValues={":until": {"N": str(until)}},
                    )
                except ClientError as e:
                    if not _is_condition_failure(e):
                        raise

    def _mark_members(
        self, item: Mapping[str, Any], *, failing: bool, until: int | None = None
    ) -> None:
        """Set or clear ``failing`` on every membership; with ``until``, confirm them too."""
        for topic, (pk, sk) in _memberships(item):
            if failing:
                change: dict[str, Any] = {
                    "UpdateExpression": "SET failing = :yes",
                    "ExpressionAttributeValues": {":yes": {"BOOL": True}},
                }
            elif until is not None and not is_story_follow(topic):
                change = {
                    "UpdateExpression": f"SET {EXPIRES_AT} = :until REMOVE failing",
                    "ExpressionAttributeValues": {":until": {"N": str(until)}},
                }
            else:
                change = {"UpdateExpression": "REMOVE failing"}
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
        return self._transact_refused(items, what) is None

    def _transact_refused(self, items: list[Any], what: str) -> set[int] | None:
        """Run one transaction; None when it went through, else the positions of the
        items whose condition failed (empty when DynamoDB did not say)."""
        with translated(what):
            try:
                clients.dynamodb().transact_write_items(TransactItems=items)
            except ClientError as e:
                if _is_condition_failure(e):
                    reasons = e.response.get("CancellationReasons") or []
                    return {
                        i
                        for i, r in enumerate(reasons)
                        if r.get("Code") == "ConditionalCheckFailed"
                    }
                raise
        return None


def _unchanged(current: Mapping[str, Any] | None) -> dict[str, Any]:
    """Condition: the SUB item is still what we read (absent, or the same updated_at)."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "updated_at = :seen",
        "ExpressionAttributeValues": {":seen": {"S": current["updated_at"]}},
    }


def _memberships(current: Mapping[str, Any] | None) -> list[tuple[str, tuple[str, str]]]:
    """Each topic of the SUB item ``current``, with its member item's key."""
    if current is None:
        return []
    shard = int(current["shard"])
    sub_id = current["sub_id"]
    return [(t, (topic_pk(t, shard), topic_member_sk(sub_id))) for t in current.get("topics") or ()]


def _member_keys(current: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return [key for _, key in _memberships(current)]


def _delete_items(table_name: str, current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The transaction that removes the SUB item ``current`` (if unchanged) and its members."""
    items: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": table_name,
                "Key": _key(subscription_pk(current["sub_id"]), SUB_SK),
                **_unchanged(current),
            }
        }
    ]
    items += [
        {"Delete": {"TableName": table_name, "Key": _key(pk, sk)}}
        for pk, sk in _member_keys(current)
    ]
    return items


def _member_update(
    table_name: str,
    item: Mapping[str, Any],
    expires: str,
    values: Mapping[str, Any],
    *,
    condition: str | None = None,
) -> dict[str, Any]:
    """A transaction Update that makes the member item ``item`` (``member_to_item``'s).

    ``expires`` is its expiry, an expression over ``values`` in which ``#x`` names
    the stored one (as it does in ``condition``). An Update rather than a Put, so
    the expiry can depend on the one stored.
    """
    fields = {k: v for k, v in item.items() if k not in ("pk", "sk", EXPIRES_AT)}
    # Placeholders for every name: "auth" is a reserved word.
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    removed = [name for name in _MEMBER_EXTRAS if name not in fields]
    names.update({f"#r{i}": name for i, name in enumerate(removed)})
    names["#x"] = EXPIRES_AT
    expression = "SET " + ", ".join(
        [f"#f{i} = :f{i}" for i in range(len(fields))] + [f"#x = {expires}"]
    )
    if removed:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
    update: dict[str, Any] = {
        "TableName": table_name,
        "Key": _key(item["pk"], item["sk"]),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_attrs(
            {**{f":f{i}": v for i, v in enumerate(fields.values())}, **values}
        ),
    }
    if condition is not None:
        update["ConditionExpression"] = condition
    return {"Update": update}
