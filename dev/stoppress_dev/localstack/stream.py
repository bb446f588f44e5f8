"""The table's stream -> every function with a stream event source in the template (notify's
versions, audience's memberships): records shaped as Lambda delivers them, passed through each
source's own filter from the template, batched, retried, and dead-lettered as its event
source mapping does. The stream is read once and each record offered to every source, as
Lambda's pollers each read the whole stream."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from stoppress.aws.items import from_attrs
from stoppress_dev import lambda_events
from stoppress_dev import template as tpl
from stoppress_dev.eventfilter import matches_any
from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.localstack.items import int_or_none
from stoppress_dev.localstack.progress import POLL_INTERVAL, PipelineStep, version_step
from stoppress_dev.localstack.resources import FUNCTIONS, QUEUES, StackResources
from stoppress_dev.localstack.sources import EventSource

log = logging.getLogger("local-stack")

NOTIFY = ("NotifyFunction", "VersionStream")
# Like Lambda: read up to this many records, filter them, then batch what passes.
READ_LIMIT = 1000
# After this many seconds without a record the stream is described again and each open
# shard read from a fresh iterator: shards close and new ones open (every few hours on AWS),
# and an iterator can outlive its shard (stock moto replaces the table, shard and all, when
# it cancels a transaction).
REDESCRIBE_AFTER = 5.0


def notify_filter_patterns() -> list[str]:
    """The template's filter for notify's stream records; none lets every record through."""
    try:
        return tpl.stream_filter_patterns(*NOTIFY)
    except KeyError:
        log.warning("template has no NotifyFunction VersionStream filter; passing every record")
        return []


@dataclass(frozen=True)
class StreamMapping:
    """One stream event source of the template, as the stack runs it."""

    function: str  # the short name, as in functions/<name>/
    logical_id: str
    event: str
    patterns: list[str]
    batch_size: int
    retries: int
    dead_letter_role: str | None


def stream_mappings(resources: StackResources) -> list[StreamMapping]:
    """Every DynamoDB stream event source of the stack's functions, in template order."""
    short = {logical_id: name for name, logical_id in FUNCTIONS.items()}
    roles = {logical_id: role for role, logical_id in QUEUES.items()}
    mappings = []
    for function in tpl.functions(resources.refs(), resources.getatts()):
        if function.logical_id not in short:
            continue
        for event, kind in function.events.items():
            if kind != "DynamoDB":
                continue
            source = tpl.event_properties(function.logical_id, event)
            destination = (
                (source.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
            )
            mappings.append(
                StreamMapping(
                    function=short[function.logical_id],
                    logical_id=function.logical_id,
                    event=event,
                    patterns=tpl.stream_filter_patterns(function.logical_id, event),
                    batch_size=resources.number(source.get("BatchSize"), 100),
                    retries=resources.number(source.get("MaximumRetryAttempts"), 3),
                    dead_letter_role=roles.get(tpl.logical_id_of(destination) or ""),
                )
            )
    return mappings


class TableStream(EventSource):
    name = "stream"

    def poll(self) -> None:
        ddb, streams = self.clients.dynamodb, self.clients.dynamodbstreams
        table = ddb.describe_table(TableName=self.resources.table)["Table"]
        stream_arn = table["LatestStreamArn"]
        mappings = stream_mappings(self.resources)
        shards = _Shards(streams, stream_arn)
        shards.discover()
        quiet_since = time.monotonic()
        while not self.stop.is_set():
            polled_at = time.monotonic()
            got = full = False
            for shard_id in shards.open():
                records = shards.read(shard_id)
                if records:
                    got = True
                    full = full or len(records) >= READ_LIMIT
                    with self.progress.handling(self.name):
                        self.deliver(records, stream_arn, shard_id, mappings)
            if got and not full:
                # Like Lambda's poller, which reads each shard a few times a second: under a
                # steady trickle of writes, fewer reads of more records each.
                self.stop.wait(POLL_INTERVAL)
            if got:
                quiet_since = polled_at
            elif polled_at - quiet_since >= REDESCRIBE_AFTER:
                quiet_since = polled_at
                for shard_id, records in shards.resume().items():
                    got = True
                    with self.progress.handling(self.name):
                        self.deliver(records, stream_arn, shard_id, mappings)
            if not got:
                self.progress.polled_empty(self.name, polled_at)
                self.stop.wait(POLL_INTERVAL)

    def deliver(
        self,
        records: list[dict[str, Any]],
        stream_arn: str,
        shard_id: str,
        mappings: list[StreamMapping],
    ) -> None:
        region = self.resources.region
        shaped = [lambda_events.stream_record(r, stream_arn, region) for r in records]
        notify = [m for m in mappings if (m.logical_id, m.event) == NOTIFY]
        for record in shaped:
            if lambda_events.is_version_insert(record):
                # Reported from the stream, not after ingest returns, so the lines keep
                # the pipeline's order: this version, then its jobs.
                passes = any(matches_any(m.patterns, record) for m in notify)
                self.progress.emit(version_step(record, filtered=not passes))
        for mapping in mappings:
            passing = [r for r in shaped if matches_any(mapping.patterns, r)]
            size = max(1, mapping.batch_size)
            for start in range(0, len(passing), size):
                self._invoke(mapping, passing[start : start + size], stream_arn, shard_id)

    def _invoke(
        self,
        mapping: StreamMapping,
        passing: list[dict[str, Any]],
        stream_arn: str,
        shard_id: str,
    ) -> None:
        name = mapping.function
        error: HandlerError | None = None
        for attempt in range(1, mapping.retries + 2):
            try:
                result = self.invoke(name, {"Records": passing})
            except HandlerError as e:
                error = e
                log.debug("%s failed", name, exc_info=e.__cause__)
                self.progress.emit(
                    PipelineStep("error", f"{name} failed (attempt {attempt}): {e.__cause__}")
                )
                self.stop.wait(0.2 * attempt)
                continue
            failed = lambda_events.stream_failures(result, passing)
            if (mapping.logical_id, mapping.event) == NOTIFY:
                self._report_jobs(passing[: len(passing) - len(failed)] if failed else passing)
            if not failed:
                return
            self.progress.emit(
                PipelineStep("error", f"{name} reported {len(failed)} failed records; retrying")
            )
            passing = failed
        self.progress.emit(
            PipelineStep(
                "error",
                f"{name} gave up on {len(passing)} record(s) after {mapping.retries + 1} "
                f"attempts; their batch info is in the {name} dead-letter queue",
            )
        )
        if mapping.dead_letter_role is None:
            return
        seqs = [r["dynamodb"].get("SequenceNumber") for r in passing]
        self.dead_letter(
            mapping.dead_letter_role,
            name,
            mapping.retries + 1,
            error,
            {
                "DDBStreamBatchInfo": {
                    "shardId": shard_id,
                    "startSequenceNumber": seqs[0],
                    "endSequenceNumber": seqs[-1],
                    "batchSize": len(passing),
                    "streamArn": stream_arn,
                }
            },
        )

    def _report_jobs(self, records: list[dict[str, Any]]) -> None:
        """One "jobs" line per version notify handled, from the job ledger it wrote."""
        for record in records:
            image = from_attrs(record["dynamodb"].get("NewImage", {}))
            article_id, number = image.get("article_id"), int_or_none(image.get("number"))
            if article_id is None or number is None:
                continue
            jobs = self.items.planned_jobs(article_id, number)
            topics = sorted(set(jobs))
            self.progress.jobs_planned(article_id, number, len(jobs))
            self.progress.emit(
                PipelineStep(
                    "jobs",
                    f"{article_id} v{number} → {len(jobs)} job{'s' if len(jobs) != 1 else ''}"
                    f"{' for ' + ', '.join(topics) if topics else ''}",
                    article_id=article_id,
                    version=number,
                    details={"jobs": len(jobs), "topics": topics},
                )
            )


class _Shards:
    """The stream's shards, where each was read up to, and an iterator for each open one."""

    def __init__(self, streams: Any, stream_arn: str) -> None:
        self._streams = streams
        self._arn = stream_arn
        self._iterators: dict[str, str | None] = {}
        self._read_up_to: dict[str, str] = {}

    def open(self) -> list[str]:
        return [shard for shard, iterator in self._iterators.items() if iterator is not None]

    def discover(self) -> list[str]:
        """Add the shards the stream has and this reader does not know; returns their ids."""
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        new = [s["ShardId"] for s in description["Shards"] if s["ShardId"] not in self._iterators]
        for shard_id in new:
            self._iterators[shard_id] = self._fresh_iterator(shard_id)
        return new

    def read(self, shard_id: str) -> list[dict[str, Any]]:
        """The next records of ``shard_id``, moving its iterator past them."""
        iterator = self._iterators[shard_id]
        if iterator is None:
            return []
        records, self._iterators[shard_id] = self._get(iterator)
        if records:
            self._note(shard_id, records)
        return records

    def resume(self) -> dict[str, list[dict[str, Any]]]:
        """Describe the stream again and read every open shard from a fresh iterator.

        Returns the records found that the previous iterators did not return.
        """
        for shard_id in self.discover():
            log.info("stream: reading new shard %s", shard_id)
        found: dict[str, list[dict[str, Any]]] = {}
        for shard_id in self.open():
            fresh = self._fresh_iterator(shard_id)
            if fresh is None:
                continue
            records, following = self._get(fresh)
            if records:
                # Records arriving between the two reads would show on both iterators.
                again = self.read(shard_id)
                if again:
                    found[shard_id] = again
                    continue
                log.warning(
                    "stream: shard %s stopped returning records after sequence number %s; "
                    "described the stream again and resumed from there",
                    shard_id,
                    self._read_up_to.get(shard_id, "(none)"),
                )
                self._note(shard_id, records)
                found[shard_id] = records
            self._iterators[shard_id] = following
        return found

    def _fresh_iterator(self, shard_id: str) -> str | None:
        after = self._read_up_to.get(shard_id)
        if after is None:
            response = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            response = self._streams.get_shard_iterator(
                StreamArn=self._arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=after,
            )
        iterator: str | None = response.get("ShardIterator")
        return iterator

    def _get(self, iterator: str) -> tuple[list[dict[str, Any]], str | None]:
        response = self._streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        records: list[dict[str, Any]] = response.get("Records", [])
        following: str | None = response.get("NextShardIterator")
        return records, following

    def _note(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        self._read_up_to[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
