"""SubscribeFunction: the browser-facing HTTP API (docs/design.md, "Contracts").

GET /vapid-public-key, POST /subscriptions, DELETE /subscriptions (everything,
or with ``topics`` only those), POST /subscriptions/lookup (what a subscription
follows; a POST so the auth secret stays out of URLs and access logs), POST /events
(a notification clicked or its story unfollowed, counted per version). Errors are
``{"error": {"code", "message"}}`` with a 4xx status (503 when a dependency
is unavailable). Request bodies and key material are never logged.
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from stoppress.aws import vapid_keys
from stoppress.core import warm
from stoppress.core.errors import (
    ForbiddenError,
    InvalidSubscriptionError,
    NotFoundError,
    TransientError,
    UnknownVersionError,
)
from stoppress.core.observability import logger, metrics, tracer
from stoppress.core.settings import SubscribeSettings, load_settings
from stoppress.subscribe import engagement, service
from stoppress.subscribe.engagement_table import EngagementTable
from stoppress.subscribe.follows_table import FollowsTable
from stoppress.subscribe.http import (
    RequestError,
    describe,
    error_response,
    json_response,
    request_json,
)
from stoppress.subscribe.requests import (
    ENDPOINT_SETTINGS,
    EngagementRequest,
    LookupRequest,
    SubscribeRequest,
    UnsubscribeRequest,
)
from stoppress.subscriptions.table import SubscriptionStore

LOOKUP_PATH = "/subscriptions/lookup"
EVENTS_PATH = "/events"
ENGAGEMENT_METRICS = {"click": "Clicks", "unfollow": "Unfollows"}


@warm.cached
def _api(settings: SubscribeSettings) -> APIGatewayHttpResolver:
    cors = (
        CORSConfig(allow_origin=settings.site_origin, allow_headers=["Content-Type"], max_age=600)
        if settings.site_origin
        else None
    )
    app = APIGatewayHttpResolver(cors=cors)
    store = SubscriptionStore(
        settings.table_name, topic_shards=settings.topic_shards, expiry=settings
    )
    follows = FollowsTable(settings.table_name)
    counters = EngagementTable(settings.table_name)
    context = {ENDPOINT_SETTINGS: settings}

    @app.get("/vapid-public-key")
    def get_vapid_public_key() -> Response:
        key = vapid_keys.public_key(settings.vapid_public_key_parameter)
        return json_response(200, {"publicKey": key}, {"Cache-Control": "public, max-age=300"})

    @app.post("/subscriptions")
    def post_subscription() -> Response:
        request = SubscribeRequest.model_validate(request_json(app), context=context)
        subscription = service.subscribe(request, store, settings)
        metrics.add_metric(name="SubscriptionsStored", unit=MetricUnit.Count, value=1)
        return json_response(201, {"id": subscription.sub_id, "topics": list(subscription.topics)})

    @app.delete("/subscriptions")
    def delete_subscription() -> Response:
        request = UnsubscribeRequest.model_validate(request_json(app), context=context)
        kept = service.unsubscribe(request, store)
        if request.topics is not None:
            metrics.add_metric(name="TopicsUnfollowed", unit=MetricUnit.Count, value=1)
        if not kept:
            metrics.add_metric(name="SubscriptionsRemoved", unit=MetricUnit.Count, value=1)
        return Response(status_code=204)

    @app.post(LOOKUP_PATH)
    def lookup_subscription() -> Response:
        request = LookupRequest.model_validate(request_json(app), context=context)
        following = service.lookup(request, follows, store)
        metrics.add_metric(name="SubscriptionLookups", unit=MetricUnit.Count, value=1)
        body = {
            "topics": list(following.topics),
            "follows": [asdict(follow) for follow in following.follows],
        }
        # One reader's follows: no cache on the way may keep them.
        return json_response(200, body, {"Cache-Control": "no-store"})

    @app.post(EVENTS_PATH)
    def post_event() -> Response:
        request = EngagementRequest.model_validate(request_json(app))
        engagement.count_engagement(request, counters)
        metrics.add_metric(name=ENGAGEMENT_METRICS[request.action], unit=MetricUnit.Count, value=1)
        return Response(status_code=204)

    @app.exception_handler(RequestError)
    def on_requesterror_response(e: RequestError) -> Response:
        return error_response(e.status, e.code, e.message)

    @app.exception_handler(ValidationError)
    def on_invalid(e: ValidationError) -> Response:
        return error_response(400, "invalid_request", describe(e))

    @app.exception_handler(InvalidSubscriptionError)
    def on_invalid_subscription(e: InvalidSubscriptionError) -> Response:
        return error_response(400, "invalid_request", f"subscription.endpoint: {e.reason}")

    @app.exception_handler(UnknownVersionError)
    def on_unknown_version(e: UnknownVersionError) -> Response:
        return error_response(404, "not_found", e.reason)

    @app.exception_handler(ForbiddenError)
    def on_forbidden(_: ForbiddenError) -> Response:
        refused = (
            "LookupsRefused" if app.current_event.path == LOOKUP_PATH else "UnsubscribesRefused"
        )
        metrics.add_metric(name=refused, unit=MetricUnit.Count, value=1)
        return error_response(403, "forbidden", service.NOT_YOURS)

    @app.exception_handler(TransientError)
    def on_transient(e: TransientError) -> Response:
        logger.warning("dependency unavailable", extra={"reason": str(e)})
        return error_response(503, "unavailable", "try again shortly")

    @app.exception_handler([ClientError, BotoCoreError])
    def on_aws_error(e: Exception) -> Response:
        # Neither transient nor mapped (a denied permission, a missing table): ours to fix,
        # the reader's to retry later, never a 500 with a trace.
        code = e.response.get("Error", {}).get("Code") if isinstance(e, ClientError) else None
        logger.error("AWS request failed", extra={"error": type(e).__name__, "code": code})
        metrics.add_metric(name="SubscribeErrors", unit=MetricUnit.Count, value=1)
        return error_response(503, "unavailable", "try again shortly")

    @app.exception_handler(NotFoundError)
    def on_not_configured(e: NotFoundError) -> Response:
        logger.error("not configured", extra={"reason": str(e)})
        return error_response(503, "not_configured", "push notifications are not set up yet")

    @app.not_found
    def on_no_route(_: Exception) -> Response:
        return error_response(404, "not_found", "no such route")

    return app


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _api(load_settings(SubscribeSettings)).resolve(event, context)
