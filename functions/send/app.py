"""SendFunction: each SQS message is one push job; send it, report the records that failed."""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stoppress.aws import vapid_keys
from stoppress.aws.push_queue import PushQueue
from stoppress.contracts.jobs import PushJob
from stoppress.core import warm
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import SendSettings, load_settings
from stoppress.send.claims import SendClaims
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.send.model import HANDOFF_SECONDS, DeliveryReport, SendOptions, SendPart
from stoppress.send.parallel import send_in_parts
from stoppress.send.runtime import authorizer, sender_runtime
from stoppress.send.service import send_job
from stoppress.subscriptions.model import Expiry
from stoppress.subscriptions.table import SubscriptionStore

processor = BatchProcessor(event_type=EventType.SQS)


def _record_metrics(report: DeliveryReport) -> None:
    metrics.add_metric(name="PushesSent", unit=MetricUnit.Count, value=report.sent)
    metrics.add_metric(name="PushesExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="PushesFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="PushesRetried", unit=MetricUnit.Count, value=report.retried)
    if report.retired:
        metrics.add_metric(name="SubscriptionsRetired", unit=MetricUnit.Count, value=report.retired)
    # What expiry costs in writes: at most one per subscriber per confirm interval,
    # one per follower per half a follow's life.
    if report.confirmed:
        metrics.add_metric(
            name="SubscriptionsConfirmed", unit=MetricUnit.Count, value=report.confirmed
        )
    if report.extended:
        metrics.add_metric(name="FollowsExtended", unit=MetricUnit.Count, value=report.extended)
    metrics.add_metric(
        name="FanoutDuration",
        unit=MetricUnit.Milliseconds,
        value=report.duration_seconds * 1000,
    )


def _send_part(
    job: PushJob,
    part: SendPart,
    *,
    private_key: str,
    time_left: Callable[[], float] | None,
) -> DeliveryReport:
    if not part.whole:
        # A forked sender process: its own HTTP session, event loop and boto3 clients.
        warm.reset(close=False)
    settings = load_settings(SendSettings)
    runtime = sender_runtime(settings.max_in_flight, settings.request_timeout)
    return runtime.loop.run_until_complete(
        send_job(
            job,
            client=runtime.client,
            vapid=authorizer(private_key, settings.vapid_subject),
            members=SubscriptionStore(settings.table_name, expiry=settings),
            claims=SendClaims(settings.table_name),
            queue=PushQueue(settings.push_queue_url),
            stats=DeliveryStats(settings.table_name),
            options=SendOptions(
                max_in_flight=settings.max_in_flight,
                max_attempts=settings.max_attempts,
                endpoint_settings=settings,
                handoff_seconds=max(HANDOFF_SECONDS, 2 * settings.request_timeout),
                retire_after_versions=settings.retire_after_versions,
                retire_after=timedelta(hours=settings.retire_after_hours),
                expiry=Expiry.from_settings(settings),
            ),
            part=part,
            time_left=time_left,
        )
    )


def _time_left(context: LambdaContext | None) -> Callable[[], float] | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return lambda: remaining() / 1000


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    job = PushJob.from_message(record.body)
    logger.append_keys(
        article_id=job.article_id, version=job.version, shard=job.shard, attempt=job.attempt
    )
    settings = load_settings(SendSettings)
    # Read once here, so forked senders do not each ask SSM.
    private_key = vapid_keys.private_key(settings.vapid_private_key_parameter)
    # Retry jobs are small (a few hundred recipients at most): one process is plenty.
    processes = settings.processes if job.recipients is None else 1
    report = send_in_parts(
        job,
        processes,
        partial(_send_part, private_key=private_key, time_left=_time_left(lambda_context)),
    )
    _record_metrics(report)
    logger.info(
        "push job sent",
        extra={
            "job_id": report.job_id,
            "sent": report.sent,
            "expired": report.expired,
            "failed": report.failed,
            "retried": report.retried,
            "retired": report.retired,
            "confirmed": report.confirmed,
            "extended": report.extended,
            "lapsed": report.lapsed,
            "duplicate": report.duplicate,
            "continued": report.continued,
            "duration_ms": round(report.duration_seconds * 1000),
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    load_settings(SendSettings)  # a missing variable fails the invocation, not each record
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        logger.remove_keys(["article_id", "version", "shard", "attempt"])
