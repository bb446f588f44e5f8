"""Audience counts: how many members each topic has, kept from the table's stream.

Members are made and removed by subscribe, unsubscribe, re-subscribe, the sender's
cleanup and retirement, and DynamoDB's TTL. Counting in each of those would miss
the last, so the counts follow the stream instead: a member item INSERTed adds one
to its topic, one REMOVEd takes one away, and a MODIFY (a renewed expiry, a
``failing`` flag) changes nothing.

A batch's changes are summed per topic before anything is written, so a burst of
subscribes costs one write per topic, not one per record. Lambda retries a batch
whose write may already have gone through, so every write is recorded under the
batch's first sequence number with the last one it covered; a retry that finds
that record applies only the records after it (none, for the same batch).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from stoppress.contracts.keys import SUB_PK_PREFIX, SUB_SK, TOPIC_ALL, topic_of_member_pk

_INSERT: Final = "INSERT"
_REMOVE: Final = "REMOVE"
# Who DynamoDB names as the remover of an item its TTL deleted.
TTL_PRINCIPAL: Final = "dynamodb.amazonaws.com"


@dataclass(frozen=True)
class AudienceChange:
    """What a run of stream records did to the audiences.

    ``deltas``: net members gained per topic (topics that net to 0 left out).
    ``unsubscribes``: subscriptions removed other than by expiry.
    ``first_sequence``/``last_sequence``: the records it covers.
    """

    first_sequence: str
    last_sequence: str
    deltas: Mapping[str, int] = field(default_factory=dict)
    unsubscribes: int = 0

    @property
    def subscribers(self) -> int:
        """Net change of the ``all`` audience: everyone subscribed is in it."""
        return self.deltas.get(TOPIC_ALL, 0)


class AudienceCounters(Protocol):
    def apply(self, change: AudienceChange) -> str | None:
        """Add ``change``'s deltas unless a change with its first sequence number was
        applied already: None when applied now, else the last sequence number that
        earlier change covered."""
        ...


def sequence_number(record: Mapping[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def _keys(record: Mapping[str, Any]) -> tuple[str, str]:
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    return keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")


def is_expiry(record: Mapping[str, Any]) -> bool:
    """A REMOVE DynamoDB's TTL made, not a writer of ours."""
    identity = record.get("userIdentity") or {}
    return record.get("eventName") == _REMOVE and identity.get("principalId") == TTL_PRINCIPAL


def member_delta(record: Mapping[str, Any]) -> tuple[str, int] | None:
    """The topic a membership record changes and by how much; None for anything else."""
    pk, sk = _keys(record)
    topic = topic_of_member_pk(pk)
    if topic is None or not sk.startswith(SUB_PK_PREFIX):
        return None
    event = record.get("eventName")
    if event == _INSERT:
        return topic, 1
    if event == _REMOVE:
        return topic, -1
    return None


def is_unsubscribe(record: Mapping[str, Any]) -> bool:
    """A SUB item removed by a reader, a re-subscribe to nothing, or the sender (gone or
    retired), rather than expired."""
    pk, sk = _keys(record)
    return (
        record.get("eventName") == _REMOVE
        and pk.startswith(SUB_PK_PREFIX)
        and sk == SUB_SK
        and not is_expiry(record)
    )


def summarise(records: Sequence[Mapping[str, Any]]) -> AudienceChange:
    """The summed change of ``records`` (in stream order; at least one)."""
    deltas: Counter[str] = Counter()
    unsubscribes = 0
    for record in records:
        delta = member_delta(record)
        if delta is not None:
            deltas[delta[0]] += delta[1]
        unsubscribes += is_unsubscribe(record)
    return AudienceChange(
        first_sequence=sequence_number(records[0]),
        last_sequence=sequence_number(records[-1]),
        deltas={topic: n for topic, n in sorted(deltas.items()) if n},
        unsubscribes=unsubscribes,
    )


def count_audience(
    records: Sequence[Mapping[str, Any]], counters: AudienceCounters
) -> AudienceChange | None:
    """Apply a stream batch's membership changes once; returns what this call applied.

    None when there was nothing left to apply (an empty batch, or a retry of one
    already applied).
    """
    pending = list(records)
    while pending:
        change = summarise(pending)
        if not change.deltas and not change.unsubscribes:
            return None
        if not change.deltas:
            # Nothing to write: only the metric counts, and a retry recounting it
            # is an acceptable error for a metric.
            return change
        covered = counters.apply(change)
        if covered is None:
            return change
        pending = _after(pending, covered)
    return None


def _after(records: Iterable[Mapping[str, Any]], sequence: str) -> list[Mapping[str, Any]]:
    """The records past ``sequence`` (DynamoDB's sequence numbers grow within a shard)."""
    through = int(sequence)
    return [r for r in records if int(sequence_number(r)) > through]
