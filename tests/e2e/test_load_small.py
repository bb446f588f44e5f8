"""The local stack under concurrent load: the benchmark's checks, small enough for every run.

``benchmarks.load`` does the same with 10,000 subscriptions; here a few hundred
prove the path: concurrent HTTP subscriptions each stored once, one upload
pushed to each exactly once, concurrent ingest of one key giving contiguous
versions, and the stream poller surviving a replaced shard.
"""

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from benchmarks.load import stored_subscriptions, subscribe_all, upload_article
from stoppress.articles.model import SourceObject
from stoppress.core.settings import IngestSettings, load_settings
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.ingest.service import ingest_upload
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack, moto_fixes
from stoppress_dev.pushservice import PushService
from tests.integration.s3_events import put

SUBSCRIPTIONS = 300
STORY = "nato-resumes-contacts"


def _errors(stack: LocalStack) -> list[str]:
    return [s.text for s in stack.steps if s.kind == "error"]


def test_concurrent_subscriptions_are_stored_once_and_each_gets_one_push(
    stack: LocalStack, push: PushService
) -> None:
    browsers = [push.new_subscriber(f"b{n}") for n in range(SUBSCRIPTIONS)]

    run = subscribe_all(
        stack.state.api_url, [b.subscription_info() for b in browsers], concurrency=16
    )

    assert run.statuses == {201: SUBSCRIPTIONS}, run.failures[:5]
    stored = stored_subscriptions(stack, [b.endpoint for b in browsers])
    assert (stored.subscriptions, stored.members) == (SUBSCRIPTIONS, SUBSCRIPTIONS)
    assert (stored.duplicates, stored.missing, stored.unexpected) == (0, 0, 0)

    stack.wait_idle(timeout=60)
    upload_article(stack)
    push.wait_for_deliveries(SUBSCRIPTIONS, timeout=60)
    stack.wait_idle(timeout=60)

    counts = [len(b.deliveries) for b in browsers]
    assert counts == [1] * SUBSCRIPTIONS
    assert all(b.deliveries[0].payload is not None for b in browsers)
    assert _errors(stack) == []


def test_concurrent_uploads_of_one_key_get_versions_one_to_n(stack: LocalStack) -> None:
    """Ingest runs on several threads at once, as several Lambda instances would."""
    s3 = boto3.client("s3")
    bucket = "concurrent-uploads"
    # A bucket of its own: the stack's own upload trigger would ingest these too.
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    story = (SAMPLES / f"{STORY}.txt").read_bytes()
    bodies = [story + f"\n\nPostscript {n} to the developing story.\n".encode() for n in range(8)]
    uploads = [put(s3, bucket, f"articles/{STORY}.txt", body, sequencer=False) for body in bodies]
    store = ArticleStore(stack.state.table)
    settings = load_settings(IngestSettings)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(uploads))

    def ingest(upload: Any) -> None:
        source = SourceObject(
            bucket=upload.bucket,
            key=upload.key,
            version_id=upload.version_id,
            event_time=uploads[0].event_time,
        )
        barrier.wait()
        outcomes.append(
            ingest_upload(source, store=store, objects=ObjectStore(), settings=settings).status
        )

    threads = [threading.Thread(target=ingest, args=(u,)) for u in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stack.wait_idle(timeout=60)

    versions = stack.versions(STORY)
    assert outcomes == ["stored"] * len(uploads)
    assert [v["number"] for v in versions] == list(range(1, len(uploads) + 1))
    assert len({v["content_hash"] for v in versions}) == len(uploads)
    # The stream carried each stored version once, and nothing of a cancelled attempt.
    seen = [
        s.version or 0
        for s in stack.steps
        if s.article_id == STORY and s.kind in ("upload", "filtered")
    ]
    assert sorted(seen) == list(range(1, len(uploads) + 1))


def test_the_stream_poller_resumes_on_a_replaced_shard(
    stack: LocalStack, upload: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from moto.dynamodb.models import dynamodb_backends

    stack.wait_idle(timeout=30)
    # What stock moto does when it cancels a transaction: the table, shard and all,
    # replaced by a copy.
    with moto_fixes.exclusive():
        for regions in dynamodb_backends.values():
            for backend in regions.values():
                if stack.state.table in backend.tables:
                    tables = backend.tables
                    tables[stack.state.table] = copy.deepcopy(tables[stack.state.table])

    with caplog.at_level(logging.WARNING, logger="local-stack"):
        upload(f"{STORY}.txt", f"articles/{STORY}.txt")
        stack.wait_idle(timeout=30)
        # The poller looks again once its shard has been quiet for a while.
        assert _eventually(
            lambda: any(s.kind == "jobs" and s.article_id == STORY for s in stack.steps)
        ), [s.text for s in stack.steps]

    assert [s.version for s in stack.steps if s.kind == "jobs" and s.article_id == STORY] == [1]
    assert any("stopped returning records" in r.getMessage() for r in caplog.records)


def _eventually(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
