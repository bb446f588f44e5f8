"""Requests generated from docs/openapi.yaml, sent through the real handler on moto.

Schemathesis makes valid and invalid requests (wrong types, missing fields, other
methods, other media types); each becomes an API Gateway HTTP API v2 event. Whatever
comes in, the answer is never a 500: only a 503 may be a 5xx, and every error carries
the documented ``{"error": {"code", "message"}}`` shape as JSON.
"""

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis import Case
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from functions.subscribe.app import lambda_handler
from stoppress.subscribe.http import declares_json
from stoppress.subscribe.requests import (
    EngagementRequest,
    LookupRequest,
    PushSubscriptionJSON,
    SubscribeRequest,
    UnsubscribeRequest,
)
from stoppress_dev.template import api_routes
from tests.fakes.lambda_context import lambda_context
from tests.integration.test_engagement_api import store_head
from tests.integration.test_subscribe_api import (
    EVENTS,
    PUBLIC_PARAMETER,
    api_environment,
    call_api,
)

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"
BASE_URL = "https://api.example"
ERROR_CODES_BY_STATUS = {
    400: {"invalid_json", "invalid_request"},
    403: {"forbidden"},
    404: {"not_found"},
    413: {"body_too_large"},
    415: {"unsupported_media_type"},
    503: {"unavailable", "not_configured"},
}

schema = schemathesis.openapi.from_path(OPENAPI)


def test_the_description_covers_exactly_the_deployed_routes() -> None:
    described = {
        (method.upper(), path)
        for path, operations in schema.raw_schema["paths"].items()
        for method in operations
    }
    assert described == set(api_routes())


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("SubscribeRequest", SubscribeRequest),
        ("UnsubscribeRequest", UnsubscribeRequest),
        ("LookupRequest", LookupRequest),
        ("PushSubscription", PushSubscriptionJSON),
        ("EngagementRequest", EngagementRequest),
    ],
)
def test_the_described_bodies_have_the_fields_the_models_read(
    name: str, model: type[BaseModel]
) -> None:
    described = schema.raw_schema["components"]["schemas"][name]
    expected = model.model_json_schema()
    assert set(described["properties"]) == set(expected["properties"])
    assert set(described["required"]) == set(expected["required"])


def http_api_event(prepared: requests.PreparedRequest) -> dict[str, Any]:
    """The event API Gateway would send the handler for this request."""
    url = urlsplit(prepared.url or "")
    method = prepared.method or "GET"
    event = json.loads((EVENTS / "api-subscribe.json").read_text())
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {url.path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = url.path
    event["rawQueryString"] = url.query
    event["requestContext"]["http"]["method"] = method
    event["headers"] = {
        "host": url.hostname,
        "origin": "https://news.example.com",
        **{k.lower(): v for k, v in prepared.headers.items()},
    }
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if body:
        try:
            event["body"] = body.decode()
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def check_error_shape(status: int, body: bytes) -> None:
    answer = json.loads(body)
    assert set(answer) == {"error"}, answer
    error = answer["error"]
    assert set(error) == {"code", "message"}, error
    assert error["code"] in ERROR_CODES_BY_STATUS.get(status, set()), (status, error)
    assert isinstance(error["message"], str), error
    assert error["message"], error


@pytest.fixture
def deployed(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A configured API whose table already holds the subscription of the description's example."""
    api_environment(monkeypatch)
    boto3.client("ssm").put_parameter(
        Name=PUBLIC_PARAMETER, Value="BPublicKey_value", Type="String"
    )
    example = schema.raw_schema["components"]["schemas"]["SubscribeRequest"]["example"]
    assert call_api("POST", "/subscriptions", example)["statusCode"] == 201
    # ... and the story the engagement example names, so its events are counted.
    clicked = schema.raw_schema["components"]["schemas"]["EngagementRequest"]["example"]
    store_head(table, clicked["article_id"], version=clicked["version"])


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_generated_request_gets_a_server_error(case: Case, deployed: None) -> None:
    prepared = requests.Request(**case.as_transport_kwargs(base_url=BASE_URL)).prepare()
    result = lambda_handler(http_api_event(prepared), lambda_context("SubscribeFunction"))

    status = result["statusCode"]
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    body = (result.get("body") or "").encode()
    assert status < 500 or status == 503, (status, body)
    if body:
        assert declares_json(headers.get("content-type")), headers
    if status >= 400:
        check_error_shape(status, body)

    documented = case.method.upper() == case.operation.method.upper()
    if documented:
        response = Response(
            status_code=status,
            headers={k: [v] for k, v in headers.items()},
            content=body,
            request=prepared,
            elapsed=0.0,
            verify=True,
        )
        case.validate_response(
            response, checks=[content_type_conformance, response_schema_conformance]
        )
