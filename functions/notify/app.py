"""NotifyFunction: each new VERSION item on the table's stream becomes push jobs on the queue."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stoppress.aws.push_queue import PushQueue
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import NotifySettings, load_settings
from stoppress.notify.job_ledger import JobLedgerTable
from stoppress.notify.service import notify_version
from stoppress.notify.stream import new_version

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


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
    enqueued = notify_version(
        version,
        ledger=JobLedgerTable(settings.table_name),
        queue=PushQueue(settings.push_queue_url),
        settings=settings,
    )
    metrics.add_metric(name="PushJobsEnqueued", unit=MetricUnit.Count, value=enqueued)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    load_settings(NotifySettings)  # a missing variable fails the invocation, not each record
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        logger.remove_keys(["article_id", "version"])
