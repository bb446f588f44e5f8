"""NotifyFunction: each new VERSION item on the table's stream becomes push jobs on the queue."""

from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer

from stoppress.articles.items import version_from_item
from stoppress.articles.model import Audience
from stoppress.aws.push_queue import PushQueue
from stoppress.contracts.keys import VERSION_SK_PREFIX
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import NotifySettings, load_settings
from stoppress.notify.job_ledger import JobClaimStore
from stoppress.notify.service import notify_version

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_deserializer = TypeDeserializer()
_INSERT: Final = "INSERT"


def _new_version_image(record: DynamoDBRecord) -> dict[str, Any] | None:
    """The record's NewImage as plain values if it is a version to notify about, else None.

    The event source's filter already drops everything else; checking again here
    keeps a filter mistake (or a hand-made event) from sending anything.
    """
    change = record.raw_event.get("dynamodb") or {}
    sk = (change.get("Keys") or {}).get("sk", {}).get("S", "")
    image = change.get("NewImage")
    if record.raw_event.get("eventName") != _INSERT or not sk.startswith(VERSION_SK_PREFIX):
        return None
    if not image or image.get("audience", {}).get("S", Audience.NONE.value) == Audience.NONE:
        return None
    return {name: _deserializer.deserialize(value) for name, value in image.items()}


def record_handler(record: DynamoDBRecord) -> None:
    logger.remove_keys(["article_id", "version"])
    image = _new_version_image(record)
    if image is None:
        logger.info(
            "stream record ignored",
            extra={"event_name": record.raw_event.get("eventName"), "event_id": record.event_id},
        )
        return
    version = version_from_item(image)
    logger.append_keys(article_id=version.article_id, version=version.number)
    settings = load_settings(NotifySettings)
    enqueued = notify_version(
        version,
        claims=JobClaimStore(settings.table_name),
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
