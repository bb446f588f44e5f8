"""AudienceFunction: topic memberships made and removed, off the table's stream, kept as
each topic's audience count."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from stoppress.core.errors import TransientError
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import AudienceSettings, load_settings
from stoppress.subscriptions.audience import count_audience, sequence_number
from stoppress.subscriptions.audience_table import AudienceTable


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    settings = load_settings(AudienceSettings)
    records = event.get("Records") or []
    try:
        change = count_audience(records, AudienceTable(settings.table_name))
    except TransientError:
        # The batch's counts move together or not at all, so the whole batch is retried
        # (from its first record, whose marker makes the retry safe).
        logger.exception("audience counts not written", extra={"records": len(records)})
        return {"batchItemFailures": [{"itemIdentifier": sequence_number(r)} for r in records]}
    if change is not None:
        logger.info("audience counted", extra={"topics": len(change.deltas)})
        metrics.add_metric(name="Subscribers", unit=MetricUnit.Count, value=change.subscribers)
        metrics.add_metric(name="Unsubscribes", unit=MetricUnit.Count, value=change.unsubscribes)
    return {"batchItemFailures": []}
