"""Every adapter that calls AWS answers an unreachable service with ``TransientError``.

The clients here are real botocore clients whose requests fail before they leave
the process (a ``before-send`` hook raises what botocore raises when the network
fails), so no test touches the network and each error comes through botocore's
own call path.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version, head_for
from stoppress.aws import clients, vapid_keys
from stoppress.aws.push_queue import PushQueue
from stoppress.core.errors import TransientError
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.notify.job_ledger import JobLedgerTable
from stoppress.notify.planning import plan_fanout
from stoppress.send.claims import SendClaims
from stoppress.send.delivery_stats import DeliveryStats
from stoppress.subscribe.engagement_table import EngagementTable
from stoppress.subscriptions.model import Subscription
from stoppress.subscriptions.table import SubscriptionStore

WHEN = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TABLE = "stoppress-unreachable"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/push-jobs"
SUB_ID = "0" * 32

NETWORK_FAILURES = {
    "refused": lambda: EndpointConnectionError(endpoint_url="https://aws.example"),
    "connect timeout": lambda: ConnectTimeoutError(endpoint_url="https://aws.example"),
    "read timeout": lambda: ReadTimeoutError(endpoint_url="https://aws.example"),
    "connection closed": lambda: ConnectionClosedError(endpoint_url="https://aws.example"),
}

VERSION = Version(
    article_id="story",
    number=1,
    headline="Headline",
    summary="Summary",
    body="Body",
    change=ChangeKind.NEW,
    audience=Audience.ALL,
    content_hash="a" * 64,
    source=SourceObject(bucket="b", key="articles/story.txt", event_time=WHEN),
    created_at=WHEN,
)
HEAD = head_for(VERSION, updated_at=WHEN)
JOB = plan_fanout(VERSION, shards=1, site_base_url="https://news.example")[0]
SUBSCRIPTION = Subscription(
    sub_id=SUB_ID,
    endpoint="https://fcm.googleapis.com/fcm/send/x",
    p256dh="p",
    auth="a",
    topics=("all",),
    created_at=WHEN,
    updated_at=WHEN,
)


def unreachable(service: str, failure: Callable[[], Exception]) -> Any:
    """A client of ``service`` whose every request fails with ``failure()``, without retries."""
    client = boto3.client(  # type: ignore[call-overload]
        service,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )

    def fail(**_: Any) -> None:
        raise failure()

    client.meta.events.register("before-send", fail)
    return client


CALLS: dict[str, tuple[str, Callable[[Any], object]]] = {
    "subscription get": ("dynamodb", lambda c: SubscriptionStore(TABLE).get(SUB_ID)),
    "subscription put": (
        "dynamodb",
        lambda c: SubscriptionStore(TABLE, topic_shards=4).put(SUBSCRIPTION),
    ),
    "subscription delete": ("dynamodb", lambda c: SubscriptionStore(TABLE).delete(SUB_ID)),
    "subscription members": (
        "dynamodb",
        lambda c: list(SubscriptionStore(TABLE).members("all", 0)),
    ),
    "article head": ("dynamodb", lambda c: ArticleStore(TABLE, c).get_head("story")),
    "article version write": (
        "dynamodb",
        lambda c: ArticleStore(TABLE, c).put_version(VERSION, HEAD, expected_head=None),
    ),
    "article head source": (
        "dynamodb",
        lambda c: ArticleStore(TABLE, c).advance_head_source(HEAD, VERSION.source),
    ),
    "article rejection": (
        "dynamodb",
        lambda c: ArticleStore(TABLE, c).record_rejection(VERSION.source, "why", now=WHEN),
    ),
    "object read": ("s3", lambda c: ObjectStore(c).read("b", "articles/x.txt", max_bytes=10)),
    "job ledger record": (
        "dynamodb",
        lambda c: JobLedgerTable(TABLE, c).record("story", 1, "all", 0),
    ),
    "job ledger erase": (
        "dynamodb",
        lambda c: JobLedgerTable(TABLE, c).erase("story", 1, "all", 0),
    ),
    "send claim": ("dynamodb", lambda c: SendClaims(TABLE, c).claim(JOB, JOB.job_id)),
    "send checkpoint": (
        "dynamodb",
        lambda c: SendClaims(TABLE, c).checkpoint(JOB, JOB.job_id, SUB_ID),
    ),
    "delivery stats add": (
        "dynamodb",
        lambda c: DeliveryStats(TABLE, c).add("story", 1, sent=1, at=WHEN),
    ),
    "delivery stats get": ("dynamodb", lambda c: DeliveryStats(TABLE, c).get("story", 1)),
    "engagement head": ("dynamodb", lambda c: EngagementTable(TABLE, c).latest_version("story")),
    "engagement count": ("dynamodb", lambda c: EngagementTable(TABLE, c).add("story", 1, "click")),
    "push queue": ("sqs", lambda c: PushQueue(QUEUE_URL, c, backoff_seconds=0).enqueue([JOB])),
    "vapid key": ("ssm", lambda c: vapid_keys.public_key("/stoppress/vapid/public-key")),
}


@pytest.mark.parametrize("failure", NETWORK_FAILURES.values(), ids=NETWORK_FAILURES.keys())
@pytest.mark.parametrize(("service", "call"), CALLS.values(), ids=CALLS.keys())
def test_an_unreachable_service_is_a_transient_error(
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    call: Callable[[Any], object],
    failure: Callable[[], Exception],
) -> None:
    client = unreachable(service, failure)
    # Adapters that take no client argument use the process's cached ones.
    monkeypatch.setattr(clients, "dynamodb", lambda: client)
    monkeypatch.setattr(clients, "client", lambda _service: client)
    with pytest.raises(TransientError):
        call(client)
