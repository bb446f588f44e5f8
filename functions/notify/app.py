"""NotifyFunction: new versions off the table's stream become push jobs on the queue,
and stories' cooldown windows and embargoes, as their messages come due, release the
versions they held."""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stoppress.aws.push_queue import PushQueue
from stoppress.aws.window_queue import WindowMessage, WindowQueue
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import NotifySettings, load_settings
from stoppress.notify.cooldown import close_window, needs_gate, notify_update
from stoppress.notify.cooldown_table import CooldownGateTable
from stoppress.notify.job_ledger import JobLedgerTable
from stoppress.notify.service import notify_version
from stoppress.notify.stream import new_version

stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
window_processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: DynamoDBRecord) -> None:
    logger.remove_keys(["article_id", "version"])
    version = new_version(record.raw_event)
    if version is None:
        logger.info(
            "stream record ignored",
            extra={"event_name": record.raw_event.get("eventName"), "event_id": record.event_id},
        )
        return
    logger.append_keys(article_id=version.article_id, version=version.number)
    settings = load_settings(NotifySettings)
    ledger, queue = JobLedgerTable(settings.table_name), PushQueue(settings.push_queue_url)
    if needs_gate(version, cooldown=settings.update_cooldown):
        enqueued = notify_update(
            version,
            gates=CooldownGateTable(settings.table_name),
            windows=WindowQueue(settings.cooldown_queue_url),
            ledger=ledger,
            queue=queue,
            settings=settings,
            now=time.time(),
        )
    else:
        enqueued = notify_version(version, ledger=ledger, queue=queue, settings=settings)
    metrics.add_metric(name="PushJobsEnqueued", unit=MetricUnit.Count, value=enqueued)


def window_handler(record: SQSRecord) -> None:
    logger.remove_keys(["article_id", "version"])
    message = WindowMessage.from_body(record.body)
    logger.append_keys(article_id=message.article_id)
    settings = load_settings(NotifySettings)
    enqueued = close_window(
        message.article_id,
        gates=CooldownGateTable(settings.table_name),
        windows=WindowQueue(settings.cooldown_queue_url),
        ledger=JobLedgerTable(settings.table_name),
        queue=PushQueue(settings.push_queue_url),
        settings=settings,
        now=time.time(),
    )
    metrics.add_metric(name="PushJobsEnqueued", unit=MetricUnit.Count, value=enqueued)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    load_settings(NotifySettings)  # a missing variable fails the invocation, not each record
    records = event.get("Records") or [{}]
    from_queue = records[0].get("eventSource") == "aws:sqs"
    try:
        return process_partial_response(
            event=event,
            record_handler=window_handler if from_queue else record_handler,
            processor=window_processor if from_queue else stream_processor,
            context=context,
        )
    finally:
        logger.remove_keys(["article_id", "version"])
