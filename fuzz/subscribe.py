"""Fuzz target: a request body through the subscriptions API's validation.

The bytes are the body of ``POST /subscriptions`` and of ``DELETE
/subscriptions`` (as text when they are UTF-8, else base64-encoded, as API
Gateway delivers a binary body), read by ``request_json`` and validated as
``SubscribeRequest`` and ``UnsubscribeRequest`` with the deployed rules and
with the local stack's (loopback endpoints allowed), as the handler does. A
request that passes is subscribed through the service against an in-memory
store, which checks its endpoint again. The handler answers ``RequestError``,
``ValidationError`` (described by ``describe``) and ``InvalidSubscriptionError``
with a 4xx; anything else is a crash.
"""

import base64
import sys
from collections.abc import Collection
from datetime import UTC, datetime

import atheris

with atheris.instrument_imports(include=["stoppress"]):
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
    from pydantic import ValidationError

    from stoppress.core.errors import InvalidSubscriptionError
    from stoppress.core.observability import logger
    from stoppress.core.settings import PushEndpointSettings
    from stoppress.subscribe import service
    from stoppress.subscribe.http import RequestError, describe, request_json
    from stoppress.subscribe.requests import (
        ENDPOINT_SETTINGS,
        SubscribeRequest,
        UnsubscribeRequest,
    )
    from stoppress.subscriptions.model import Subscription
    from stoppress.webpush.endpoints import canonical_endpoint

from fuzz import checks

SETTINGS = (
    PushEndpointSettings(),
    PushEndpointSettings(allow_loopback_endpoints=True),
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class MemoryStore:
    def __init__(self) -> None:
        self.items: dict[str, Subscription] = {}

    def get(self, sub_id: str) -> Subscription | None:
        return self.items.get(sub_id)

    def put(self, subscription: Subscription) -> tuple[Subscription, Subscription | None]:
        previous = self.items.get(subscription.sub_id)
        self.items[subscription.sub_id] = subscription
        return subscription, previous

    def delete(self, sub_id: str, *, if_auth: str | None = None) -> bool:
        return self.items.pop(sub_id, None) is not None

    def remove_topics(
        self, sub_id: str, topics: Collection[str], *, if_auth: str | None = None, now: datetime
    ) -> tuple[str, ...] | None:
        current = self.items.get(sub_id)
        return None if current is None else tuple(t for t in current.topics if t not in topics)


def _app(body: bytes, method: str) -> APIGatewayHttpResolver:
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    app = APIGatewayHttpResolver()
    app.current_event = APIGatewayProxyEventV2(
        {
            "version": "2.0",
            "routeKey": f"{method} /subscriptions",
            "rawPath": "/subscriptions",
            "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": method, "path": "/subscriptions"}},
            "body": text,
            "isBase64Encoded": encoded,
        }
    )
    return app


def _subscribe(body: bytes, settings: PushEndpointSettings) -> None:
    try:
        request = SubscribeRequest.model_validate(
            request_json(_app(body, "POST")), context={ENDPOINT_SETTINGS: settings}
        )
        stored = service.subscribe(request, MemoryStore(), settings, now=NOW)
    except ValidationError as e:
        checks.valid_unicode(describe(e), "the error message")
        return
    except (RequestError, InvalidSubscriptionError):
        return
    endpoint = request.subscription.endpoint
    if canonical_endpoint(endpoint) != endpoint or stored.endpoint != endpoint:
        raise AssertionError(f"the endpoint is not kept in its one spelling: {endpoint!r}")
    for value in (stored.endpoint, stored.p256dh, stored.auth, stored.sub_id, *stored.topics):
        checks.valid_unicode(value, "a stored value")


def _unsubscribe(body: bytes, settings: PushEndpointSettings) -> None:
    try:
        request = UnsubscribeRequest.model_validate(
            request_json(_app(body, "DELETE")), context={ENDPOINT_SETTINGS: settings}
        )
    except ValidationError as e:
        checks.valid_unicode(describe(e), "the error message")
        return
    except RequestError:
        return
    checks.valid_unicode(request.endpoint, "the endpoint")


def test_one_input(data: bytes) -> None:
    with checks.time_budget():
        for settings in SETTINGS:
            _subscribe(data, settings)
            _unsubscribe(data, settings)


def main(argv: list[str]) -> None:
    logger.setLevel("WARNING")  # one "subscription stored" line per accepted input otherwise
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
