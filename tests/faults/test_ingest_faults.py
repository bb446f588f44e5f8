"""IngestFunction under faults in S3 and DynamoDB: each row fails, then the event is retried.

Lambda invokes ingest asynchronously: a handler that raises gets the same event
again (twice, then the dead-letter queue), so "retry" means the handler raised
and nothing was written that the retry would write twice. A "rejected" upload
is final: a REJECTED item, no retry. After the fault clears, the event is
handed over again and the article must have exactly the versions it should.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from botocore.exceptions import ClientError

from functions.ingest.app import lambda_handler
from stoppress.aws import clients
from stoppress.core.errors import TransientError
from stoppress.ingest.articles_table import ArticleStore
from tests.fakes.lambda_context import lambda_context
from tests.faults.inject import (
    INTERNAL_SERVER_ERROR,
    S3_ACCESS_DENIED,
    S3_NO_SUCH_KEY,
    S3_SLOW_DOWN,
    THROTTLING,
    THROUGHPUT_EXCEEDED,
    Action,
    Fault,
    answer_lost,
    body_cut_short,
    body_reset,
    inject,
    key_sk_starts,
    raising,
    read_timeout,
    transaction_throttled,
    unreachable,
)
from tests.integration.s3_events import Upload, put, s3_event

ROOT = Path(__file__).resolve().parents[2]
STORY = (ROOT / "samplecontent" / "nato-resumes-contacts.txt").read_bytes()
UPDATE = STORY.rstrip() + (
    b"\n\nLater on Monday, Russia's foreign ministry said it welcomed the decision "
    b"and would send a delegation to Brussels next week.\n"
)
KEY = "articles/nato-resumes-contacts.txt"
ARTICLE_ID = "nato-resumes-contacts"

Outcome = Literal["retry", "retry (not transient)", "rejected"]
Upload_ = Literal["new", "update", "update, body in S3", "empty file"]


@dataclass(frozen=True)
class Row:
    dependency: str
    fault: str
    operation: str
    action: Action
    outcome: Outcome
    upload: Upload_ = "new"
    when: Any = None


HEAD = key_sk_starts("HEAD")
VERSION = key_sk_starts("VERSION#")
REJECTION = key_sk_starts("")

MATRIX = [
    Row("S3", "NoSuchKey", "GetObject", raising(S3_NO_SUCH_KEY), "rejected"),
    Row("S3", "AccessDenied", "GetObject", raising(S3_ACCESS_DENIED), "retry (not transient)"),
    Row("S3", "SlowDown (503)", "GetObject", raising(S3_SLOW_DOWN), "retry"),
    Row("S3", "unreachable", "GetObject", raising(unreachable), "retry"),
    Row("S3", "reset mid-body", "GetObject", body_reset(), "retry"),
    Row("S3", "body cut short", "GetObject", body_cut_short(), "retry"),
    Row("S3", "previous version's body: SlowDown", "GetObject", raising(S3_SLOW_DOWN), "retry",
        upload="update, body in S3"),
    Row("DynamoDB", "head read: throughput exceeded", "GetItem", raising(THROUGHPUT_EXCEEDED),
        "retry", when=HEAD),
    Row("DynamoDB", "head read: ThrottlingException", "GetItem", raising(THROTTLING), "retry",
        when=HEAD),
    Row("DynamoDB", "head read: 500", "GetItem", raising(INTERNAL_SERVER_ERROR), "retry",
        when=HEAD),
    Row("DynamoDB", "head read: unreachable", "GetItem", raising(unreachable), "retry", when=HEAD),
    Row("DynamoDB", "previous version read: throttled", "GetItem", raising(THROUGHPUT_EXCEEDED),
        "retry", upload="update", when=VERSION),
    Row("DynamoDB", "version write: throughput exceeded", "TransactWriteItems",
        raising(THROUGHPUT_EXCEEDED), "retry"),
    Row("DynamoDB", "version write: item throttled", "TransactWriteItems",
        raising(transaction_throttled), "retry"),
    Row("DynamoDB", "version write: 500", "TransactWriteItems", raising(INTERNAL_SERVER_ERROR),
        "retry"),
    Row("DynamoDB", "version write: unreachable", "TransactWriteItems", raising(unreachable),
        "retry"),
    Row("DynamoDB", "version write: applied, answer lost", "TransactWriteItems",
        answer_lost(read_timeout), "retry"),
    Row("DynamoDB", "update write: throttled", "TransactWriteItems", raising(THROTTLING), "retry",
        upload="update"),
    Row("DynamoDB", "rejection write: throttled", "PutItem", raising(THROUGHPUT_EXCEEDED),
        "retry", upload="empty file", when=REJECTION),
    Row("DynamoDB", "rejection write: unreachable", "PutItem", raising(unreachable), "retry",
        upload="empty file", when=REJECTION),
]  # fmt: skip


def handle(upload: Upload) -> dict[str, Any]:
    result: dict[str, Any] = lambda_handler(s3_event(upload), lambda_context("IngestFunction"))
    return result


def history(store: ArticleStore) -> list[tuple[int, str, str]]:
    return [(v.number, v.change.value, v.audience.value) for v in store.versions(ARTICLE_ID)]


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: f"{r.dependency}: {r.fault}")
def test_fault_then_retry(
    row: Row, table: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, store = clients.s3(), ArticleStore(table)
    expected = [(1, "new", "all")]
    when = row.when
    if row.upload.startswith("update"):
        if row.upload == "update, body in S3":
            # Versions keep only a pointer: judging an update reads the previous body from S3.
            monkeypatch.setenv("INLINE_BODY_LIMIT", "500")
        first = put(s3, bucket, KEY, STORY)
        handle(first)
        if row.upload == "update, body in S3":
            when = lambda params: params.get("VersionId") == first.version_id  # noqa: E731
        expected.append((2, "update", "followers"))
    body = {"new": STORY, "empty file": b""}.get(row.upload, UPDATE)
    upload = put(s3, bucket, KEY, body)

    with inject(Fault(row.operation, row.action, when=when)) as (fault,):
        if row.outcome == "rejected":
            assert handle(upload)["counts"] == {"rejected": 1}
        else:
            # The handler raises: Lambda invokes it again with the same event.
            error = TransientError if row.outcome == "retry" else ClientError
            with pytest.raises(error):
                handle(upload)
    assert fault.hits == 1

    if row.outcome == "rejected":
        # Final: nothing is retried, the editor sees why.
        assert history(store) == []
        assert len(store.rejections(KEY)) == 1
        return
    assert store.rejections(KEY) == []
    retried = handle(upload)
    if row.upload == "empty file":
        assert retried["counts"] == {"rejected": 1}
        assert len(store.rejections(KEY)) == 1
        assert history(store) == []
        return
    assert retried["counts"] in ({"stored": 1}, {"unchanged": 1})
    # S3 may deliver the event once more after all: still no second version.
    assert handle(upload)["counts"] == {"unchanged": 1}
    assert history(store) == expected
    head = store.get_head(ARTICLE_ID)
    assert head is not None
    assert head.version == len(expected)
    assert store.rejections(KEY) == []
