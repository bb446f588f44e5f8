"""The subscribe HTTP API end to end through the handler, against moto's DynamoDB and SSM."""

import base64
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from functions.subscribe.app import lambda_handler
from stoppress.aws import clients
from stoppress.contracts.keys import shard_of, subscription_id, topic_pk
from stoppress.core import base64url
from stoppress.subscribe.http import MAX_BODY_BYTES
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore
from tests.fakes.browser import BrowserKeys
from tests.fakes.lambda_context import lambda_context
from tests.unit.test_endpoints import HOSTILE_ENDPOINTS

T0 = datetime(2026, 1, 1, tzinfo=UTC)

EVENTS = Path(__file__).parents[2] / "events"
PUBLIC_PARAMETER = "/stoppress/vapid/public-key"
SHARDS = 4


@dataclass
class Browser:
    endpoint: str
    p256dh: str
    auth: str

    @classmethod
    def new(cls, token: str = "t0ken") -> "Browser":
        keys = BrowserKeys.new()
        return cls(
            endpoint=f"https://fcm.googleapis.com/fcm/send/{token}:APA91b",
            p256dh=keys.p256dh,
            auth=keys.auth,
        )

    def subscription(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }

    def stored(
        self, topics: tuple[str, ...], minutes: int = 0, *, keys: "Browser | None" = None
    ) -> Subscription:
        """This browser's subscription as the store holds it, ``minutes`` after T0."""
        keys = keys or self
        return Subscription(
            sub_id=subscription_id(self.endpoint),
            endpoint=self.endpoint,
            p256dh=keys.p256dh,
            auth=keys.auth,
            topics=topics,
            created_at=T0,
            updated_at=T0 + timedelta(minutes=minutes),
        )


def call_api(
    method: str,
    path: str,
    body: object = None,
    *,
    raw: str | None = None,
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    event = json.loads((EVENTS / "api-subscribe.json").read_text())
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"].pop("content-type")
    if content_type is not None:
        event["headers"]["content-type"] = content_type
    event.pop("body", None)
    if raw is not None:
        event["body"] = raw
    elif body is not None:
        event["body"] = json.dumps(body)
    return lambda_handler(event, lambda_context("SubscribeFunction"))


def api_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAPID_PUBLIC_KEY_PARAMETER", PUBLIC_PARAMETER)
    monkeypatch.setenv("TOPIC_SHARDS", str(SHARDS))
    monkeypatch.setenv("SITE_ORIGIN", "https://news.example.com")


@pytest.fixture
def api(table: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    api_environment(monkeypatch)
    return call_api


@pytest.fixture
def store(table: str) -> SubscriptionStore:
    return SubscriptionStore(table, topic_shards=SHARDS)


def error_of(response: dict[str, Any]) -> dict[str, str]:
    return json.loads(response["body"])["error"]


def table_items(table: str) -> list[dict[str, Any]]:
    return boto3.resource("dynamodb").Table(table).scan()["Items"]


def member_pks(table: str, sub_id: str) -> set[str]:
    return {i["pk"] for i in table_items(table) if i["sk"] == f"SUB#{sub_id}"}


def test_subscribe_stores_the_subscription_and_one_member_per_topic(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore
) -> None:
    browser = Browser.new()
    response = api(
        "POST",
        "/subscriptions",
        {"subscription": browser.subscription(), "topics": ["all", "article:x-1"]},
    )
    assert response["statusCode"] == 201
    sub_id = subscription_id(browser.endpoint)
    assert json.loads(response["body"]) == {"id": sub_id, "topics": ["all", "article:x-1"]}

    stored = store.get(sub_id)
    assert stored is not None
    assert (stored.endpoint, stored.p256dh, stored.auth) == (
        browser.endpoint,
        browser.p256dh,
        browser.auth,
    )
    shard = shard_of(sub_id, SHARDS)
    assert member_pks(table, sub_id) == {topic_pk("all", shard), topic_pk("article:x-1", shard)}
    [page] = list(store.members("article:x-1", shard, page_size=10))
    assert [(m.sub_id, m.endpoint, m.p256dh, m.auth) for m in page] == [
        (sub_id, browser.endpoint, browser.p256dh, browser.auth)
    ]


def test_topics_default_to_all(api: Callable[..., dict[str, Any]], table: str) -> None:
    response = api("POST", "/subscriptions", {"subscription": Browser.new().subscription()})
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["topics"] == ["all"]


def test_resubscribe_replaces_without_duplicates_and_drops_stale_topics(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore
) -> None:
    browser = Browser.new()
    first = {"subscription": browser.subscription(), "topics": ["all", "article:a"]}
    assert api("POST", "/subscriptions", first)["statusCode"] == 201
    created = store.get(subscription_id(browser.endpoint))
    assert created is not None

    renewed = Browser.new()
    renewed.endpoint = browser.endpoint  # same browser, rotated keys
    second = {"subscription": renewed.subscription(), "topics": ["article:b"]}
    assert api("POST", "/subscriptions", second)["statusCode"] == 201
    assert api("POST", "/subscriptions", second)["statusCode"] == 201

    sub_id = subscription_id(browser.endpoint)
    subs = [i for i in table_items(table) if i["sk"] == "SUB"]
    assert len(subs) == 1
    assert member_pks(table, sub_id) == {topic_pk("article:b", shard_of(sub_id, SHARDS))}
    stored = store.get(sub_id)
    assert stored is not None
    assert stored.topics == ("article:b",)
    assert stored.auth == renewed.auth
    assert stored.created_at == created.created_at
    [page] = list(store.members("article:b", shard_of(sub_id, SHARDS), page_size=10))
    assert [m.p256dh for m in page] == [renewed.p256dh]


def test_unsubscribe_with_the_secret_removes_everything(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    keep, leave = Browser.new("keep"), Browser.new("leave")
    for b in (keep, leave):
        body = {"subscription": b.subscription(), "topics": ["all", "article:a"]}
        assert api("POST", "/subscriptions", body)["statusCode"] == 201

    response = api("DELETE", "/subscriptions", {"endpoint": leave.endpoint, "auth": leave.auth})
    assert response["statusCode"] == 204
    assert not response.get("body")
    remaining = {i["sub_id"] for i in table_items(table)}
    assert remaining == {subscription_id(keep.endpoint)}


def test_unsubscribe_with_a_wrong_secret_is_refused_and_changes_nothing(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    browser = Browser.new()
    body = {"subscription": browser.subscription(), "topics": ["all", "article:a"]}
    assert api("POST", "/subscriptions", body)["statusCode"] == 201
    before = table_items(table)

    wrong = base64url.encode(os.urandom(16))
    response = api("DELETE", "/subscriptions", {"endpoint": browser.endpoint, "auth": wrong})
    assert response["statusCode"] == 403
    assert error_of(response)["code"] == "forbidden"
    assert table_items(table) == before


def test_unsubscribe_of_an_unknown_endpoint_looks_like_a_wrong_secret(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    known = Browser.new("known")
    assert (
        api("POST", "/subscriptions", {"subscription": known.subscription()})["statusCode"] == 201
    )
    wrong_secret = api(
        "DELETE",
        "/subscriptions",
        {"endpoint": known.endpoint, "auth": base64url.encode(os.urandom(16))},
    )
    unknown = Browser.new("unknown")
    not_there = api(
        "DELETE", "/subscriptions", {"endpoint": unknown.endpoint, "auth": unknown.auth}
    )
    assert not_there["statusCode"] == wrong_secret["statusCode"] == 403
    assert not_there["body"] == wrong_secret["body"]


def test_hostile_endpoints_are_refused_at_subscribe_time(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    # One table for the whole list keeps this fast; each case is also a unit test.
    accepted = []
    for name, endpoint in HOSTILE_ENDPOINTS.items():
        browser = Browser.new()
        browser.endpoint = endpoint
        response = api("POST", "/subscriptions", {"subscription": browser.subscription()})
        if response["statusCode"] not in (400, 413):
            accepted.append(name)
    assert accepted == []
    assert table_items(table) == []


def test_validation_errors_name_the_field_and_reason(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    browser = Browser.new()
    browser.endpoint = "https://fcm.googleapis.com.evil.example/push"
    response = api("POST", "/subscriptions", {"subscription": browser.subscription()})
    assert response["statusCode"] == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("subscription.endpoint: ")
    assert "push service" in error["message"]

    bad_key = Browser.new()
    bad_key.p256dh = base64url.encode(b"\x04" + b"\x01" * 64)
    response = api("POST", "/subscriptions", {"subscription": bad_key.subscription()})
    assert response["statusCode"] == 400
    message = error_of(response)["message"]
    assert message.startswith("subscription.keys.p256dh: ")
    assert bad_key.p256dh not in message


def test_unknown_topic_forms_are_refused(api: Callable[..., dict[str, Any]], table: str) -> None:
    for topics in (["sports"], ["article:Not Valid"], [], ["all"] * 0 + ["article:a#b"]):
        response = api(
            "POST",
            "/subscriptions",
            {"subscription": Browser.new().subscription(), "topics": topics},
        )
        assert response["statusCode"] == 400, topics
        assert error_of(response)["message"].startswith("topics")
    assert table_items(table) == []


@pytest.mark.parametrize("raw", ["{not json", "", "null", "[]", '"text"'])
def test_bodies_that_are_not_a_request_object_are_refused(
    api: Callable[..., dict[str, Any]], table: str, raw: str
) -> None:
    response = api("POST", "/subscriptions", raw=raw)
    assert response["statusCode"] == 400
    assert error_of(response)["code"] in ("invalid_json", "invalid_request")


def test_invalid_json_says_so(api: Callable[..., dict[str, Any]], table: str) -> None:
    response = api("POST", "/subscriptions", raw='{"subscription": ')
    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "invalid_json"


def test_oversized_bodies_are_refused_before_parsing(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    body = {"subscription": Browser.new().subscription(), "padding": "x" * MAX_BODY_BYTES}
    response = api("POST", "/subscriptions", body)
    assert response["statusCode"] == 413
    assert error_of(response)["code"] == "body_too_large"
    assert table_items(table) == []


NOT_JSON_MEDIA_TYPES = [
    None,
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json-patch+json",
    "application",
    "application/json/extra",
]


@pytest.mark.parametrize("content_type", NOT_JSON_MEDIA_TYPES)
def test_bodies_that_are_not_declared_json_are_refused(
    api: Callable[..., dict[str, Any]], table: str, content_type: str | None
) -> None:
    browser = Browser.new()
    subscribed = api(
        "POST",
        "/subscriptions",
        {"subscription": browser.subscription()},
        content_type=content_type,
    )
    unsubscribed = api(
        "DELETE",
        "/subscriptions",
        {"endpoint": browser.endpoint, "auth": browser.auth},
        content_type=content_type,
    )
    for response in (subscribed, unsubscribed):
        assert response["statusCode"] == 415
        assert error_of(response) == {
            "code": "unsupported_media_type",
            "message": "request body must be application/json",
        }
    assert table_items(table) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "APPLICATION/JSON ; Charset=UTF-8",
    ],
)
def test_json_media_type_is_matched_without_case_and_with_parameters(
    api: Callable[..., dict[str, Any]], table: str, content_type: str
) -> None:
    browser = Browser.new()
    subscribed = api(
        "POST",
        "/subscriptions",
        {"subscription": browser.subscription()},
        content_type=content_type,
    )
    assert subscribed["statusCode"] == 201
    unsubscribed = api(
        "DELETE",
        "/subscriptions",
        {"endpoint": browser.endpoint, "auth": browser.auth},
        content_type=content_type,
    )
    assert unsubscribed["statusCode"] == 204


def test_requests_without_a_body_need_no_content_type(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    assert api("POST", "/subscriptions", content_type=None)["statusCode"] == 400
    assert api("GET", "/vapid-public-key", content_type=None)["statusCode"] == 503


def test_base64_encoded_bodies_are_read(api: Callable[..., dict[str, Any]], table: str) -> None:
    template = json.loads((EVENTS / "api-subscribe.json").read_text())
    template["body"] = base64.b64encode(
        json.dumps({"subscription": Browser.new().subscription()}).encode()
    ).decode()
    template["isBase64Encoded"] = True
    assert lambda_handler(template, lambda_context("SubscribeFunction"))["statusCode"] == 201


def test_cors_is_limited_to_the_site_origin(api: Callable[..., dict[str, Any]], table: str) -> None:
    response = api("POST", "/subscriptions", {"subscription": Browser.new().subscription()})
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["access-control-allow-origin"] == "https://news.example.com"

    preflight = api("OPTIONS", "/subscriptions")
    headers = {k.lower(): v for k, v in preflight["headers"].items()}
    assert headers["access-control-allow-origin"] == "https://news.example.com"
    assert "DELETE" in headers["access-control-allow-methods"]


def test_vapid_public_key_is_served_from_ssm(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    boto3.client("ssm").put_parameter(
        Name=PUBLIC_PARAMETER, Value="BPublicKey_value", Type="String"
    )
    response = api("GET", "/vapid-public-key")
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"publicKey": "BPublicKey_value"}


def test_missing_vapid_key_is_a_clear_error(api: Callable[..., dict[str, Any]], table: str) -> None:
    response = api("GET", "/vapid-public-key")
    assert response["statusCode"] == 503
    assert error_of(response)["code"] == "not_configured"


def test_unknown_routes_use_the_error_shape(api: Callable[..., dict[str, Any]], table: str) -> None:
    response = api("GET", "/subscriptions/everyone")
    assert response["statusCode"] == 404
    assert error_of(response)["code"] == "not_found"


def test_key_material_never_reaches_the_logs(
    api: Callable[..., dict[str, Any]], table: str, caplog: pytest.LogCaptureFixture
) -> None:
    browser = Browser.new()
    caplog.set_level(logging.DEBUG, logger="stoppress")
    api("POST", "/subscriptions", {"subscription": browser.subscription()})
    api(
        "DELETE",
        "/subscriptions",
        {"endpoint": browser.endpoint, "auth": base64url.encode(os.urandom(16))},
    )
    api("DELETE", "/subscriptions", {"endpoint": browser.endpoint, "auth": browser.auth})
    # Our own logger at its most verbose (botocore's wire logs are off in Lambda).
    ours = [r for r in caplog.records if r.name.split(".")[0] == "stoppress"]
    logs = "\n".join(repr(vars(record)) for record in ours)
    assert "subscription stored" in logs
    assert "unsubscribe refused" in logs
    for secret in (browser.auth, browser.p256dh):
        assert secret not in logs


def test_members_are_read_page_by_page(table: str, store: SubscriptionStore) -> None:
    from stoppress.core.settings import PushEndpointSettings
    from stoppress.subscribe.requests import SubscribeRequest
    from stoppress.subscribe.service import subscribe

    single = SubscriptionStore(table, topic_shards=1)
    browsers = [Browser.new(f"b{i}") for i in range(7)]
    for b in browsers:
        subscribe(
            SubscribeRequest.model_validate({"subscription": b.subscription()}),
            single,
            PushEndpointSettings(),
        )
    pages = list(single.members("all", 0, page_size=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [m.sub_id for p in pages for m in p]
    assert sorted(ids) == ids == sorted(subscription_id(b.endpoint) for b in browsers)

    resumed = [
        m.sub_id for p in single.members("all", 0, page_size=3, start_after=ids[3]) for m in p
    ]
    assert resumed == ids[4:]
    assert list(single.members("all", 1, page_size=3)) == []


def test_a_write_based_on_a_stale_read_retries_and_leaves_no_stray_members(table: str) -> None:
    """Two re-subscribes of one endpoint racing: the loser re-reads, so no old topic survives."""
    from typing import Any as _Any

    browser = Browser.new()
    sub_id = subscription_id(browser.endpoint)
    version = browser.stored

    plain = SubscriptionStore(table, topic_shards=SHARDS)
    plain.put(version(("all", "article:a"), 0))
    stale_snapshot = plain._get_item(sub_id)
    plain.put(version(("article:b",), 1))  # the racing writer wins first

    class SlowReader(SubscriptionStore):
        reads = 0

        def _get_item(self, key: str) -> dict[str, _Any] | None:
            self.reads += 1
            return stale_snapshot if self.reads == 1 else super()._get_item(key)

    late = SlowReader(table, topic_shards=SHARDS)
    late.put(version(("article:c",), 2))

    assert late.reads == 2
    assert member_pks(table, sub_id) == {topic_pk("article:c", shard_of(sub_id, SHARDS))}
    stored = plain.get(sub_id)
    assert stored is not None
    assert stored.topics == ("article:c",)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


VALID_AUTH = base64url.encode(bytes(16))
HOSTILE_BODIES = {
    "deep array": nested(1000),
    "deep object": '{"a":' * 800 + "1" + "}" * 800,
    "deep subscription": '{"subscription": ' + nested(1000) + "}",
    "deep topics": '{"topics": ' + nested(1000) + "}",
    "deep endpoint": '{"endpoint": ' + nested(1000) + ', "auth": "x"}',
    "unclosed depth": "[" * 2000,
    "lone surrogate": '{"endpoint": "\ud800", "auth": "x"}',
    "escaped lone surrogate": (
        '{"endpoint": "https://fcm.googleapis.com/\\ud800", "auth": "' + VALID_AUTH + '"}'
    ),
    "not a number": '{"subscription": {"expirationTime": NaN}}',
    "huge number": '{"subscription": {"expirationTime": 1' + "0" * 3000 + "}}",
    "nul": '{"endpoint": "\\u0000", "auth": "' + VALID_AUTH + '"}',
}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_bodies_get_a_reason_not_a_crash(
    api: Callable[..., dict[str, Any]], table: str, method: str, raw: str
) -> None:
    response = api(method, "/subscriptions", raw=raw)
    assert 400 <= response["statusCode"] < 500
    error = error_of(response)
    assert error["code"] in ("invalid_json", "invalid_request", "body_too_large", "forbidden")
    assert error["message"]
    assert "Traceback" not in response["body"]
    assert table_items(table) == []


def test_deep_nesting_is_named_as_the_reason(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    response = api("POST", "/subscriptions", raw=nested(1000))
    assert response["statusCode"] == 400
    assert error_of(response) == {
        "code": "invalid_json",
        "message": "request body nests deeper than 16 levels",
    }


TOKEN_PATH = "/fcm/send/Tok-EN_1:APA91b"
SPELLINGS = [
    f"https://fcm.googleapis.com{TOKEN_PATH}",
    f"https://FCM.GoogleAPIs.com{TOKEN_PATH}",
    f"HTTPS://fcm.googleapis.com{TOKEN_PATH}",
    f"https://fcm.googleapis.com:443{TOKEN_PATH}",
    f"https://fcm.googleapis.com{TOKEN_PATH}?",
]


def test_spellings_of_one_endpoint_make_one_subscription(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore
) -> None:
    canonical = SPELLINGS[0]
    ids = set()
    for spelling in SPELLINGS:
        browser = Browser.new()
        browser.endpoint = spelling
        response = api("POST", "/subscriptions", {"subscription": browser.subscription()})
        assert response["statusCode"] == 201, spelling
        ids.add(json.loads(response["body"])["id"])
    assert ids == {subscription_id(canonical)}
    subs = [i for i in table_items(table) if i["sk"] == "SUB"]
    assert [s["endpoint"] for s in subs] == [canonical]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_unsubscribe_with_any_spelling_removes_the_subscription(
    api: Callable[..., dict[str, Any]], table: str, spelling: str
) -> None:
    browser = Browser.new()
    browser.endpoint = SPELLINGS[1]
    assert (
        api("POST", "/subscriptions", {"subscription": browser.subscription()})["statusCode"] == 201
    )
    response = api("DELETE", "/subscriptions", {"endpoint": spelling, "auth": browser.auth})
    assert response["statusCode"] == 204
    assert table_items(table) == []


def test_token_case_still_tells_endpoints_apart(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    for token in ("AbC", "abc"):
        browser = Browser.new(token)
        assert (
            api("POST", "/subscriptions", {"subscription": browser.subscription()})["statusCode"]
            == 201
        )
    assert len([i for i in table_items(table) if i["sk"] == "SUB"]) == 2


@pytest.fixture
def unreachable_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AWS call goes to a local port nothing listens on, and fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(
        clients,
        "_CONFIG",
        Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=0.5),
    )
    monkeypatch.setenv("TABLE_NAME", "stoppress-unreachable")
    api_environment(monkeypatch)


def test_an_unreachable_table_is_a_503_with_the_error_shape(unreachable_aws: None) -> None:
    browser = Browser.new()
    subscribed = call_api("POST", "/subscriptions", {"subscription": browser.subscription()})
    unsubscribed = call_api(
        "DELETE", "/subscriptions", {"endpoint": browser.endpoint, "auth": browser.auth}
    )
    key = call_api("GET", "/vapid-public-key")
    for response in (subscribed, unsubscribed, key):
        assert response["statusCode"] == 503
        assert error_of(response) == {"code": "unavailable", "message": "try again shortly"}


def test_brackets_inside_strings_are_not_nesting(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    body = {"subscription": Browser.new().subscription(), "note": '\\"[{' * 100 + "]}"}
    response = api("POST", "/subscriptions", body)
    assert response["statusCode"] == 201


# -- unfollowing: DELETE /subscriptions with topics ------------------------------------


def follow(
    api: Callable[..., dict[str, Any]], browser: Browser, topics: list[str]
) -> dict[str, Any]:
    body = {"subscription": browser.subscription(), "topics": topics}
    assert api("POST", "/subscriptions", body)["statusCode"] == 201
    return {"endpoint": browser.endpoint, "auth": browser.auth}


def assert_members_match_topics(table: str, sub_id: str) -> None:
    """The SUB item's topics and its membership items say the same thing."""
    [sub] = [i for i in table_items(table) if i["pk"] == f"SUB#{sub_id}"]
    shard = int(sub["shard"])
    assert member_pks(table, sub_id) == {topic_pk(t, shard) for t in sub["topics"]}


def test_unfollow_removes_only_that_story_and_keeps_the_rest(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore
) -> None:
    from datetime import UTC, datetime

    reader, other = Browser.new("reader"), Browser.new("other")
    owner = follow(api, reader, ["all", "article:a", "article:b"])
    follow(api, other, ["article:a"])
    sub_id = subscription_id(reader.endpoint)
    # A delivery record written meanwhile survives the unfollow.
    store.record_failed_version(sub_id, "a#1", now=datetime(2026, 1, 1, tzinfo=UTC))
    before = store.get(sub_id)
    assert before is not None

    response = api("DELETE", "/subscriptions", {**owner, "topics": ["article:a"]})

    assert response["statusCode"] == 204
    assert not response.get("body")
    after = store.get(sub_id)
    assert after is not None
    assert after.topics == ("all", "article:b")
    assert (after.endpoint, after.p256dh, after.auth) == (
        reader.endpoint,
        reader.p256dh,
        reader.auth,
    )
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    assert after.failure_count == 1
    shard = shard_of(sub_id, SHARDS)
    assert member_pks(table, sub_id) == {topic_pk("all", shard), topic_pk("article:b", shard)}
    assert_members_match_topics(table, sub_id)
    # The other follower of the story is untouched.
    other_id = subscription_id(other.endpoint)
    assert member_pks(table, other_id) == {topic_pk("article:a", shard_of(other_id, SHARDS))}


def test_unfollowing_the_last_topic_removes_the_subscription(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    reader = Browser.new()
    owner = follow(api, reader, ["article:a", "article:b"])
    response = api("DELETE", "/subscriptions", {**owner, "topics": ["article:b", "article:a"]})
    assert response["statusCode"] == 204
    assert table_items(table) == []


def test_unfollowing_a_story_not_followed_changes_nothing(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    owner = follow(api, Browser.new(), ["all"])
    before = table_items(table)
    response = api("DELETE", "/subscriptions", {**owner, "topics": ["article:elsewhere"]})
    assert response["statusCode"] == 204
    assert table_items(table) == before


def test_unfollow_needs_the_secret_and_never_says_whether_an_endpoint_exists(
    api: Callable[..., dict[str, Any]], table: str
) -> None:
    reader = Browser.new("known")
    follow(api, reader, ["all", "article:a"])
    before = table_items(table)
    topics = ["article:a"]

    wrong_secret = api(
        "DELETE",
        "/subscriptions",
        {"endpoint": reader.endpoint, "auth": base64url.encode(os.urandom(16)), "topics": topics},
    )
    unknown = Browser.new("unknown")
    not_there = api(
        "DELETE",
        "/subscriptions",
        {"endpoint": unknown.endpoint, "auth": unknown.auth, "topics": topics},
    )
    whole = api("DELETE", "/subscriptions", {"endpoint": unknown.endpoint, "auth": unknown.auth})
    assert wrong_secret["statusCode"] == not_there["statusCode"] == 403
    assert wrong_secret["body"] == not_there["body"] == whole["body"]
    assert error_of(not_there)["code"] == "forbidden"
    assert table_items(table) == before


@pytest.mark.parametrize(
    "topics",
    [
        ["sports"],
        ["article:Not Valid"],
        ["article:"],
        [],
        None,
        "article:a",
        [1],
        [f"article:s{i}" for i in range(41)],
    ],
    ids=["unknown", "bad-id", "empty-id", "empty", "null", "not-a-list", "not-text", "too-many"],
)
def test_invalid_topics_to_unfollow_are_refused_with_a_reason(
    api: Callable[..., dict[str, Any]], table: str, topics: object
) -> None:
    owner = follow(api, Browser.new(), ["all", "article:a"])
    before = table_items(table)
    response = api("DELETE", "/subscriptions", {**owner, "topics": topics})
    assert response["statusCode"] == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("topics")
    assert owner["auth"] not in error["message"]
    assert table_items(table) == before


def test_duplicate_topics_to_unfollow_are_one(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore
) -> None:
    reader = Browser.new()
    owner = follow(api, reader, ["all", "article:a"])
    response = api("DELETE", "/subscriptions", {**owner, "topics": ["article:a", "article:a"]})
    assert response["statusCode"] == 204
    stored = store.get(subscription_id(reader.endpoint))
    assert stored is not None
    assert stored.topics == ("all",)


@pytest.mark.parametrize("spelling", SPELLINGS[1:3])
def test_unfollow_with_another_spelling_of_the_endpoint(
    api: Callable[..., dict[str, Any]], table: str, store: SubscriptionStore, spelling: str
) -> None:
    reader = Browser.new()
    reader.endpoint = SPELLINGS[0]
    owner = follow(api, reader, ["all", "article:a"])
    body = {**owner, "endpoint": spelling, "topics": ["article:a"]}
    assert api("DELETE", "/subscriptions", body)["statusCode"] == 204
    stored = store.get(subscription_id(SPELLINGS[0]))
    assert stored is not None
    assert stored.topics == ("all",)


def test_an_unfollow_based_on_a_stale_read_retries_and_loses_no_change(table: str) -> None:
    """Two unfollows of one subscription racing: the loser re-reads, so neither topic survives."""
    from typing import Any as _Any

    reader = Browser.new()
    sub_id = subscription_id(reader.endpoint)
    plain = SubscriptionStore(table, topic_shards=SHARDS)
    plain.put(reader.stored(("all", "article:a", "article:b")))
    stale_snapshot = plain._get_item(sub_id)
    # The racing unfollow wins first; this clock is even behind the stored updated_at.
    assert plain.remove_topics(sub_id, ["article:a"], now=T0) == ("all", "article:b")

    class SlowReader(SubscriptionStore):
        reads = 0

        def _get_item(self, key: str) -> dict[str, _Any] | None:
            self.reads += 1
            return stale_snapshot if self.reads == 1 else super()._get_item(key)

    late = SlowReader(table, topic_shards=SHARDS)
    kept = late.remove_topics(sub_id, ["article:b"], if_auth=reader.auth, now=T0)

    assert late.reads == 2
    assert kept == ("all",)
    stored = plain.get(sub_id)
    assert stored is not None
    assert stored.topics == ("all",)
    assert_members_match_topics(table, sub_id)


def test_an_unfollow_racing_with_a_resubscribe_keeps_the_resubscribed_topics(table: str) -> None:
    """A re-subscribe lands between the unfollow's read and write: the unfollow applies to it."""
    from datetime import timedelta
    from typing import Any as _Any

    reader = Browser.new()
    sub_id = subscription_id(reader.endpoint)
    version = reader.stored

    plain = SubscriptionStore(table, topic_shards=SHARDS)
    plain.put(version(("all", "article:a"), 0))
    stale_snapshot = plain._get_item(sub_id)
    plain.put(version(("article:a", "article:c"), 1))

    class SlowReader(SubscriptionStore):
        reads = 0

        def _get_item(self, key: str) -> dict[str, _Any] | None:
            self.reads += 1
            return stale_snapshot if self.reads == 1 else super()._get_item(key)

    late = SlowReader(table, topic_shards=SHARDS)
    assert late.remove_topics(sub_id, ["article:a"], now=T0 + timedelta(minutes=2)) == (
        "article:c",
    )
    assert late.reads == 2
    assert_members_match_topics(table, sub_id)


def test_an_unfollow_with_a_secret_that_a_resubscribe_replaced_is_refused(table: str) -> None:

    from stoppress.core.errors import ForbiddenError

    reader, renewed = Browser.new(), Browser.new()
    sub_id = subscription_id(reader.endpoint)
    plain = SubscriptionStore(table, topic_shards=SHARDS)
    plain.put(reader.stored(("all", "article:a"), keys=renewed))
    before = table_items(table)
    with pytest.raises(ForbiddenError):
        plain.remove_topics(sub_id, ["article:a"], if_auth=reader.auth, now=T0)
    assert table_items(table) == before
    assert plain.remove_topics("0" * 32, ["article:a"], now=T0) is None


def test_an_unreachable_table_makes_an_unfollow_a_503(unreachable_aws: None) -> None:
    reader = Browser.new()
    body = {"endpoint": reader.endpoint, "auth": reader.auth, "topics": ["article:a"]}
    response = call_api("DELETE", "/subscriptions", body)
    assert response["statusCode"] == 503
    assert error_of(response) == {"code": "unavailable", "message": "try again shortly"}


def test_following_one_more_story_than_the_limit_lets_the_oldest_follow_go(
    api: Callable[..., dict[str, Any]], store: SubscriptionStore
) -> None:
    browser = Browser.new()
    follows = [f"article:story-{i}" for i in range(20)]
    response = api(
        "POST",
        "/subscriptions",
        {"subscription": browser.subscription(), "topics": ["all", *follows]},
    )
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["topics"] == ["all", *follows[1:]]
    stored = store.get(subscription_id(browser.endpoint))
    assert stored is not None
    assert stored.topics == ("all", *follows[1:])
