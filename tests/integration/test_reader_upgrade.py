"""A better reader is not news: after the reader changes, the next upload is judged
against the previous version as the current reader reads it."""

from pathlib import Path
from typing import Any

import pytest

from functions.ingest.app import lambda_handler
from stoppress.articles.items import head_to_item, version_to_item
from stoppress.articles.model import Head
from stoppress.articles.parse import READER_VERSION
from stoppress.aws import clients
from stoppress.aws.items import to_attrs
from stoppress.ingest.articles_table import ArticleStore
from tests.fakes.lambda_context import lambda_context
from tests.integration.s3_events import Upload, put, s3_event

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "tests" / "corpus" / "wp-classic-levee-vote.html").read_bytes()
KEY = "articles/levee-vote.html"
ARTICLE_ID = "levee-vote"


@pytest.fixture
def s3(bucket: str) -> Any:
    return clients.s3()


@pytest.fixture
def store(table: str) -> ArticleStore:
    return ArticleStore(table)


def handle(*uploads: Upload) -> list[dict[str, Any]]:
    outcomes: list[dict[str, Any]] = lambda_handler(
        s3_event(*uploads), lambda_context("IngestFunction")
    )["outcomes"]
    return outcomes


def as_stored_by_an_older_reader(store: ArticleStore, **changes: Any) -> None:
    """Rewrite version 1 and the head as an older reader would have stored them."""
    version = store.get_version(ARTICLE_ID, 1)
    head = store.get_head(ARTICLE_ID)
    assert version is not None
    assert head is not None
    older = version.model_copy(update={"reader": None, **changes})
    client = clients.dynamodb()
    client.put_item(TableName=store.table_name, Item=to_attrs(version_to_item(older)))
    moved: Head = head.model_copy(update={"content_hash": older.content_hash})
    client.put_item(TableName=store.table_name, Item=to_attrs(head_to_item(moved)))


def test_each_version_records_the_reader_that_made_it(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, PAGE))

    version = store.get_version(ARTICLE_ID, 1)
    assert version is not None
    assert version.reader == READER_VERSION


def test_the_same_page_after_a_reader_upgrade_is_not_news(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, PAGE))
    # The older reader took the footer and a caption for story text.
    version = store.get_version(ARTICLE_ID, 1)
    assert version is not None
    assert version.body is not None
    as_stored_by_an_older_reader(
        store,
        body=version.body + "\n\nPhoto: City of Cedar Falls\n\n© 2026 Cedar Valley Courier",
        content_hash="0" * 64,
    )

    outcomes = handle(put(s3, bucket, KEY, PAGE))

    assert [o["status"] for o in outcomes] == ["unchanged"]
    assert [v.number for v in store.versions(ARTICLE_ID)] == [1]


def test_a_real_change_after_a_reader_upgrade_is_judged_on_the_story_alone(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, PAGE))
    version = store.get_version(ARTICLE_ID, 1)
    assert version is not None
    assert version.body is not None
    # The older reader read a long comment thread into the body: against that,
    # a one-word fix would look like a large change, or a large one like none.
    as_stored_by_an_older_reader(
        store,
        body=version.body + "\n\n" + " ".join(["comment"] * 200),
        content_hash="0" * 64,
    )
    fixed = PAGE.replace(b"voted 6-1", b"voted 6-2")
    assert fixed != PAGE

    outcomes = handle(put(s3, bucket, KEY, fixed))

    assert [(o["status"], o.get("change"), o.get("audience")) for o in outcomes] == [
        ("stored", "correction", "none")
    ]
