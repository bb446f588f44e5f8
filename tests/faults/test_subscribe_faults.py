"""The subscribe API under faults in DynamoDB and SSM: a 503 that says when to retry, then success.

A browser (or API Gateway's client) is the one that retries here, so every
fault must give an answer it can act on: 503 with the error shape and
``Retry-After`` while a dependency is throttled or down, 4xx for a bad
request whatever state the dependencies are in, never a 500 or a stack trace.
The same request sent again once the fault has cleared must succeed and
leave exactly one subscription (or none, after an unsubscribe).
"""

import json
from dataclasses import dataclass
from typing import Any, Literal

import boto3
import pytest

from tests.faults.inject import (
    ACCESS_DENIED,
    INTERNAL_SERVER_ERROR,
    SSM_NOT_FOUND,
    THROTTLING,
    THROUGHPUT_EXCEEDED,
    Action,
    Fault,
    answer_lost,
    inject,
    raising,
    read_timeout,
    transaction_throttled,
    unreachable,
)
from tests.integration.test_subscribe_api import PUBLIC_PARAMETER, Browser, call_api

Route = Literal["POST", "DELETE", "GET", "POST invalid JSON", "POST bad endpoint"]


@dataclass(frozen=True)
class Row:
    route: Route
    dependency: str
    fault: str
    operation: str
    action: Action
    status: int
    code: str | None = None
    # The answer when the same request is sent again after the fault.
    retry_status: int | None = None


MATRIX = [
    Row("POST", "DynamoDB", "read: throughput exceeded", "GetItem", raising(THROUGHPUT_EXCEEDED),
        503, "unavailable"),
    Row("POST", "DynamoDB", "read: ThrottlingException", "GetItem", raising(THROTTLING), 503,
        "unavailable"),
    Row("POST", "DynamoDB", "read: 500", "GetItem", raising(INTERNAL_SERVER_ERROR), 503,
        "unavailable"),
    Row("POST", "DynamoDB", "read: unreachable", "GetItem", raising(unreachable), 503,
        "unavailable"),
    Row("POST", "DynamoDB", "write: throughput exceeded", "TransactWriteItems",
        raising(THROUGHPUT_EXCEEDED), 503, "unavailable"),
    Row("POST", "DynamoDB", "write: item throttled", "TransactWriteItems",
        raising(transaction_throttled), 503, "unavailable"),
    Row("POST", "DynamoDB", "write: unreachable", "TransactWriteItems", raising(unreachable), 503,
        "unavailable"),
    Row("POST", "DynamoDB", "write: applied, answer lost", "TransactWriteItems",
        answer_lost(read_timeout), 503, "unavailable"),
    Row("POST", "DynamoDB", "read: access denied", "GetItem", raising(ACCESS_DENIED), 503,
        "unavailable"),
    Row("DELETE", "DynamoDB", "read: throughput exceeded", "GetItem",
        raising(THROUGHPUT_EXCEEDED), 503, "unavailable"),
    Row("DELETE", "DynamoDB", "write: throttled", "TransactWriteItems", raising(THROTTLING), 503,
        "unavailable"),
    Row("DELETE", "DynamoDB", "write: unreachable", "TransactWriteItems", raising(unreachable),
        503, "unavailable"),
    # The first delete took effect; the API does not tell a stranger whether an
    # endpoint was ever subscribed, so the repeat is refused like any unknown one.
    Row("DELETE", "DynamoDB", "write: applied, answer lost", "TransactWriteItems",
        answer_lost(read_timeout), 503, "unavailable", retry_status=403),
    Row("GET", "SSM", "parameter missing", "GetParameter", raising(SSM_NOT_FOUND), 503,
        "not_configured"),
    Row("GET", "SSM", "throttled", "GetParameter", raising(THROTTLING), 503, "unavailable"),
    Row("GET", "SSM", "500", "GetParameter", raising(INTERNAL_SERVER_ERROR), 503, "unavailable"),
    Row("GET", "SSM", "unreachable", "GetParameter", raising(unreachable), 503, "unavailable"),
    Row("POST invalid JSON", "DynamoDB", "unreachable", "GetItem", raising(unreachable), 400,
        "invalid_json"),
    Row("POST bad endpoint", "DynamoDB", "unreachable", "GetItem", raising(unreachable), 400,
        "invalid_request"),
]  # fmt: skip

SUCCESS = {"POST": 201, "DELETE": 204, "GET": 200, "POST invalid JSON": 400,
           "POST bad endpoint": 400}  # fmt: skip


@pytest.fixture
def api(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAPID_PUBLIC_KEY_PARAMETER", PUBLIC_PARAMETER)
    monkeypatch.setenv("TOPIC_SHARDS", "4")
    boto3.client("ssm").put_parameter(Name=PUBLIC_PARAMETER, Value="BPublicKey", Type="String")


def request(route: Route, browser: Browser) -> dict[str, Any]:
    if route == "POST":
        return call_api("POST", "/subscriptions", {"subscription": browser.subscription()})
    if route == "DELETE":
        return call_api(
            "DELETE", "/subscriptions", {"endpoint": browser.endpoint, "auth": browser.auth}
        )
    if route == "GET":
        return call_api("GET", "/vapid-public-key")
    if route == "POST invalid JSON":
        return call_api("POST", "/subscriptions", raw='{"subscription": ')
    hostile = {**browser.subscription(), "endpoint": "https://127.0.0.1/push"}
    return call_api("POST", "/subscriptions", {"subscription": hostile})


def stored_items(table: str) -> list[dict[str, Any]]:
    return list(boto3.resource("dynamodb").Table(table).scan()["Items"])


def params(row: Row) -> Any:
    return pytest.param(row, id=f"{row.route} / {row.dependency}: {row.fault}")


@pytest.mark.parametrize("row", [params(r) for r in MATRIX])
def test_fault_then_retry(row: Row, api: None, table: str) -> None:
    browser = Browser.new()
    if row.route == "DELETE" or (row.route == "POST" and row.operation == "GetItem"):
        # A new subscription is written unread: only a re-subscribe reads the current one.
        assert request("POST", browser)["statusCode"] == 201

    with inject(Fault(row.operation, row.action, times=None)) as (fault,):
        try:
            response = request(row.route, browser)
        except Exception as e:  # API Gateway turns an escaped error into a bare 500
            pytest.fail(f"the handler raised {type(e).__name__}: a 500 for the browser")

    assert response["statusCode"] == row.status
    body = json.loads(response["body"])
    assert body == {"error": {"code": row.code, "message": body["error"]["message"]}}
    assert "Traceback" not in response["body"]
    headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
    if row.status == 503:
        assert int(headers["retry-after"]) > 0
        assert fault.hits >= 1
    else:
        assert "retry-after" not in headers
        assert fault.hits == 0  # refused before any dependency was asked

    again = request(row.route, browser)
    assert again["statusCode"] == (row.retry_status or SUCCESS[row.route])
    if row.route == "GET":
        assert json.loads(again["body"]) == {"publicKey": "BPublicKey"}
    items = stored_items(table)
    if row.route == "POST":
        # One SUB item and one member of topic "all": nothing written twice.
        assert sorted(i["sk"] for i in items) == sorted(["SUB", f"SUB#{items[0]['sub_id']}"])
    elif row.route == "DELETE" or row.route.startswith("POST "):
        assert items == []
