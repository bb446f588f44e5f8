"""IngestFunction: S3 ObjectCreated events -> article versions in the table.

Each record is handled on its own. A file that cannot be an article is
recorded as a rejection and not retried; a transient failure (throttling,
network), or any other (access denied, a bug), is raised once every record
has had its turn, so Lambda retries the event. Redelivering records that
already succeeded is harmless: identical content makes no new version.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from stoppress.core import warm
from stoppress.core.errors import TransientError
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import IngestSettings, load_settings
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.ingest.s3_events import upload_from_record
from stoppress.ingest.service import IngestOutcome, ingest_upload

_METRIC_BY_STATUS = {
    "stored": "VersionsStored",
    "unchanged": "UploadsUnchanged",
    "stale": "StaleEventsIgnored",
    "rejected": "UploadsRejected",
}


@warm.cached
def _store(table_name: str) -> ArticleStore:
    return ArticleStore(table_name)


@warm.cached
def _objects() -> ObjectStore:
    return ObjectStore()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("Event") == "s3:TestEvent":
        # S3 sends this once when the notification is configured.
        logger.info("ignoring s3:TestEvent", extra={"bucket": event.get("Bucket")})
        return {"records": 0, "ignored": "s3:TestEvent"}

    settings = load_settings(IngestSettings)
    store, objects = _store(settings.table_name), _objects()
    outcomes: list[dict[str, Any]] = []
    transient: list[TransientError] = []
    failures: list[Exception] = []
    for record in event["Records"]:
        event_name: str = record["eventName"]
        if not event_name.startswith("ObjectCreated:"):
            logger.debug("ignoring record", extra={"event_name": event_name})
            continue
        try:
            upload = upload_from_record(record)
        except (KeyError, ValidationError) as e:
            logger.error("malformed S3 event record", extra={"error": str(e)})
            metrics.add_metric(name="MalformedRecords", unit=MetricUnit.Count, value=1)
            continue
        try:
            outcome = ingest_upload(upload, store=store, objects=objects, settings=settings)
        except TransientError as e:
            logger.warning(
                "transient failure, the event will be retried",
                extra={"key": upload.key, "error": str(e)},
            )
            metrics.add_metric(name="TransientFailures", unit=MetricUnit.Count, value=1)
            transient.append(e)
            outcomes.append({"status": "retry", "key": upload.key})
            continue
        except Exception as e:  # noqa: BLE001 - raised below, after every record had its turn
            # Not known to be transient (access denied, a bug): the other records
            # still go in, then the event fails, to be retried and dead-lettered.
            logger.exception("upload failed", extra={"key": upload.key})
            metrics.add_metric(name="IngestErrors", unit=MetricUnit.Count, value=1)
            failures.append(e)
            outcomes.append({"status": "retry", "key": upload.key})
            continue
        _report(outcome)
        outcomes.append(outcome.summary())

    if failures:
        raise failures[0]
    if transient:
        raise TransientError(
            f"{len(transient)} of {len(outcomes)} records failed transiently"
        ) from transient[0]
    counts: dict[str, int] = {}
    for summary in outcomes:
        counts[summary["status"]] = counts.get(summary["status"], 0) + 1
    return {"records": len(outcomes), "counts": counts, "outcomes": outcomes}


def _report(outcome: IngestOutcome) -> None:
    metrics.add_metric(name=_METRIC_BY_STATUS[outcome.status], unit=MetricUnit.Count, value=1)
    if outcome.status == "rejected":
        logger.warning("upload rejected", extra=outcome.summary())
    else:
        logger.info("upload processed", extra=outcome.summary())
