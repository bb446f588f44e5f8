"""POST /events through the handler on moto: a notification's click or "Unfollow story"
counted on the version's DELIVERY item, validated like every request, and nothing about
the reader kept."""

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.subscribe.app import EVENTS_PATH, lambda_handler
from stoppress.articles.items import head_to_item
from stoppress.articles.model import Head, SourceObject
from stoppress.aws.items import to_attrs
from stoppress.contracts.keys import article_pk, delivery_sk
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.subscribe.engagement import count_engagement
from stoppress.subscribe.engagement_table import EngagementTable
from stoppress.subscribe.requests import EngagementRequest
from stoppress_dev.localstack import moto_fixes
from tests.fakes.lambda_context import lambda_context
from tests.integration import test_subscribe_api
from tests.integration.test_subscribe_api import (
    EVENTS,
    api_environment,
    call_api,
    error_of,
    table_items,
)

Api = Callable[..., dict[str, Any]]
unreachable_aws = test_subscribe_api.unreachable_aws
STORY = "nato-resumes-contacts"
AT = datetime(2026, 3, 4, 23, 40, tzinfo=UTC)
# What the base event (events/api-subscribe.json) says about the browser that sent it.
READER_TRACES = ("203.0.113.7", "Mozilla/5.0", "Chrome/131.0")


@pytest.fixture
def api(table: str, monkeypatch: pytest.MonkeyPatch) -> Api:
    api_environment(monkeypatch)
    store_head(table, STORY, version=3)
    return call_api


def store_head(table: str, article_id: str, *, version: int) -> None:
    head = Head(
        article_id=article_id,
        version=version,
        content_hash="0" * 64,
        headline="NATO Will Resume Top-Level Contacts",
        source=SourceObject(bucket="b", key=f"articles/{article_id}.txt", event_time=AT),
        updated_at=AT,
    )
    boto3.client("dynamodb").put_item(TableName=table, Item=to_attrs(head_to_item(head)))


def event(api: Api, action: str = "click", *, version: int = 2, story: str = STORY) -> Any:
    return api("POST", EVENTS_PATH, {"article_id": story, "version": version, "action": action})


def delivery_item(table: str, version: int) -> dict[str, Any] | None:
    key = {"pk": {"S": article_pk(STORY)}, "sk": {"S": delivery_sk(version)}}
    item = boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None


def emitted_metrics(stdout: str) -> list[str]:
    """The metric names in the EMF lines Powertools printed."""
    names = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            for directive in record["_aws"]["CloudWatchMetrics"]:
                names += [m["Name"] for m in directive["Metrics"]]
    return names


def test_a_click_adds_one_to_the_versions_clicks(api: Api, table: str) -> None:
    response = event(api)
    assert response["statusCode"] == 204
    assert not response.get("body")
    assert delivery_item(table, 2) == {"pk": article_pk(STORY), "sk": delivery_sk(2), "clicks": "1"}

    assert event(api)["statusCode"] == 204
    assert event(api, "unfollow")["statusCode"] == 204
    assert delivery_item(table, 2) == {
        "pk": article_pk(STORY),
        "sk": delivery_sk(2),
        "clicks": "2",
        "unfollows": "1",
    }
    assert delivery_item(table, 1) is None  # other versions keep their own counts


def test_clicks_sit_beside_the_delivery_counts_whoever_comes_first(api: Api, table: str) -> None:
    stats = DeliveryStats(table)
    # A reader may click before the sender has recorded what it sent.
    assert event(api, version=3)["statusCode"] == 204
    early = stats.get(STORY, 3)
    assert early is not None
    assert (early["sent"], early["clicks"], early["first_sent_at"]) == (0, 1, None)

    stats.add(STORY, 3, sent=40, failed=1, at=AT)
    for action in ("click", "click", "click", "unfollow"):
        assert event(api, action, version=3)["statusCode"] == 204
    counts = stats.get(STORY, 3)
    assert counts is not None
    assert {k: counts[k] for k in ("sent", "failed", "clicks", "unfollows")} == {
        "sent": 40,
        "failed": 1,
        "clicks": 4,
        "unfollows": 1,
    }
    assert counts["first_sent_at"] == AT
    assert counts["clicks"] / counts["sent"] == 0.1  # the version's click rate


def test_each_event_is_a_metric(api: Api, table: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    event(api)
    assert "Clicks" in emitted_metrics(capsys.readouterr().out)
    event(api, "unfollow")
    names = emitted_metrics(capsys.readouterr().out)
    assert "Unfollows" in names
    assert "Clicks" not in names


def test_nothing_about_the_reader_is_stored_or_logged(
    api: Api, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = table_items(table)
    capsys.readouterr()
    for action in ("click", "unfollow"):
        assert event(api, action)["statusCode"] == 204
    out = capsys.readouterr()

    after = table_items(table)
    added = [i for i in after if i not in before]
    assert [(i["pk"], i["sk"]) for i in added] == [(article_pk(STORY), delivery_sk(2))]
    assert set(added[0]) == {"pk", "sk", "clicks", "unfollows"}
    stored = json.dumps(after, default=str)
    for trace in READER_TRACES:
        assert trace not in stored, trace
        assert trace not in out.out + out.err, trace


def test_concurrent_events_are_all_counted(table: str) -> None:
    store_head(table, STORY, version=3)
    counters = EngagementTable(table)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def reader(action: str) -> None:
        start.wait()
        request = EngagementRequest.model_validate(
            {"article_id": STORY, "version": 3, "action": action}
        )
        for _ in range(per_thread):
            count_engagement(request, counters)

    # moto serves each request under one lock, as DynamoDB applies each write to an item
    # atomically; interleaved read-then-write counting would still lose counts here.
    with moto_fixes.applied():
        workers = [
            threading.Thread(target=reader, args=("unfollow" if i % 4 == 0 else "click",))
            for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
    counts = DeliveryStats(table).get(STORY, 3)
    assert counts is not None
    assert (counts["clicks"], counts["unfollows"]) == (6 * per_thread, 2 * per_thread)


def test_an_unknown_article_is_a_404_with_a_reason(api: Api, table: str) -> None:
    before = table_items(table)
    response = event(api, story="no-such-story")
    assert response["statusCode"] == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "article_id: no article has this id",
    }
    assert table_items(table) == before


def test_a_version_after_the_latest_is_a_404_with_a_reason(api: Api, table: str) -> None:
    before = table_items(table)
    response = event(api, version=4)
    assert response["statusCode"] == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "version: the article has no version 4; its latest is 3",
    }
    assert table_items(table) == before
    assert event(api, version=3)["statusCode"] == 204
    assert event(api, version=1)["statusCode"] == 204


MALFORMED = {
    "empty": {},
    "array": [],
    "text": "click",
    "no action": {"article_id": STORY, "version": 2},
    "unknown action": {"article_id": STORY, "version": 2, "action": "share"},
    "action in capitals": {"article_id": STORY, "version": 2, "action": "CLICK"},
    "action not text": {"article_id": STORY, "version": 2, "action": 1},
    "no version": {"article_id": STORY, "action": "click"},
    "version as text": {"article_id": STORY, "version": "2", "action": "click"},
    "version as a float": {"article_id": STORY, "version": 2.0, "action": "click"},
    "version as a boolean": {"article_id": STORY, "version": True, "action": "click"},
    "version zero": {"article_id": STORY, "version": 0, "action": "click"},
    "version negative": {"article_id": STORY, "version": -1, "action": "click"},
    "version past six digits": {"article_id": STORY, "version": 10**6, "action": "click"},
    "version huge": {"article_id": STORY, "version": 10**300, "action": "click"},
    "version null": {"article_id": STORY, "version": None, "action": "click"},
    "no article": {"version": 2, "action": "click"},
    "article in capitals": {"article_id": "NATO", "version": 2, "action": "click"},
    "article with a slash": {"article_id": "../nato", "version": 2, "action": "click"},
    "article with a hash": {"article_id": "nato#HEAD", "version": 2, "action": "click"},
    "article with a newline": {"article_id": "nato\n", "version": 2, "action": "click"},
    "article empty": {"article_id": "", "version": 2, "action": "click"},
    "article too long": {"article_id": "a" * 121, "version": 2, "action": "click"},
    "article not text": {"article_id": ["nato"], "version": 2, "action": "click"},
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_event_is_a_400_with_a_reason_and_counts_nothing(
    api: Api, table: str, body: object
) -> None:
    before = table_items(table)
    response = api("POST", EVENTS_PATH, body)
    assert response["statusCode"] == 400, response
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["message"]
    assert table_items(table) == before


def test_a_body_that_is_not_json_or_too_large_is_refused(api: Api, table: str) -> None:
    assert api("POST", EVENTS_PATH, None)["statusCode"] == 400
    assert api("POST", EVENTS_PATH, raw="{not json")["statusCode"] == 400
    assert api("POST", EVENTS_PATH, raw="[" * 40 + "]" * 40)["statusCode"] == 400
    padded = {"article_id": STORY, "version": 2, "action": "click", "pad": "x" * 5000}
    assert api("POST", EVENTS_PATH, padded)["statusCode"] == 413
    plain = api("POST", EVENTS_PATH, raw='{"article_id": "x"}', content_type="text/plain")
    assert plain["statusCode"] == 415


def test_the_event_file_counts_a_click_of_the_sample_story(api: Api, table: str) -> None:
    sample = json.loads((EVENTS / "api-events-click.json").read_text(encoding="utf-8"))
    response = lambda_handler(sample, lambda_context("SubscribeFunction"))
    assert response["statusCode"] == 204
    assert delivery_item(table, json.loads(sample["body"])["version"]) == {
        "pk": article_pk(STORY),
        "sk": delivery_sk(1),
        "clicks": "1",
    }


def test_an_unreachable_table_makes_an_event_a_503(unreachable_aws: None) -> None:
    response = call_api("POST", EVENTS_PATH, {"article_id": STORY, "version": 1, "action": "click"})
    assert response["statusCode"] == 503
    assert error_of(response) == {"code": "unavailable", "message": "try again shortly"}
