"""Uploads through the ingest handler on moto: versions, redelivery, ordering, rejections."""

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import BotocoreStubber

from functions.ingest.app import lambda_handler
from stoppress.articles.model import Audience, ChangeKind, SourceObject
from stoppress.aws import clients
from stoppress.contracts.keys import article_id_from_key
from stoppress.core import warm
from stoppress.core.errors import TransientError
from stoppress.core.settings import IngestSettings, load_settings
from stoppress.ingest.articles_table import ArticleStore
from stoppress.ingest.objects import ObjectStore
from stoppress.ingest.s3_events import upload_from_record
from stoppress.ingest.service import ingest_upload
from stoppress.notify.cooldown import Gate
from stoppress.notify.cooldown_table import CooldownGateTable
from tests.fakes.aws import error_answer
from tests.fakes.lambda_context import lambda_context
from tests.integration.s3_events import Upload, put, s3_event

ROOT = Path(__file__).resolve().parents[2]
STORY = (ROOT / "samplecontent" / "nato-resumes-contacts.txt").read_bytes()
KEY = "articles/NATO Resumes Contacts.txt"
ARTICLE_ID = "nato-resumes-contacts"
UPDATE = STORY.rstrip() + (
    b"\n\nLater on Monday, Russia's foreign ministry said it welcomed the decision "
    b"and would send a delegation to Brussels next week.\n"
)
CORRECTION = UPDATE.replace(b"delegation to Brussels", b"delegation to Bruxelles")


@pytest.fixture
def s3(bucket: str) -> Any:
    return clients.s3()


@pytest.fixture
def store(table: str) -> ArticleStore:
    return ArticleStore(table)


def handle(*uploads: Upload) -> dict[str, Any]:
    return lambda_handler(s3_event(*uploads), lambda_context("IngestFunction"))


def statuses(result: dict[str, Any]) -> list[str]:
    return [o["status"] for o in result["outcomes"]]


def history(store: ArticleStore, article_id: str = ARTICLE_ID) -> list[tuple[int, str, str]]:
    return [(v.number, v.change.value, v.audience.value) for v in store.versions(article_id)]


def test_upload_becomes_version_one_for_everyone(s3: Any, bucket: str, store: ArticleStore) -> None:
    upload = put(s3, bucket, KEY, STORY)
    result = handle(upload)

    assert result["outcomes"] == [
        {
            "status": "stored",
            "key": KEY,
            "article_id": ARTICLE_ID,
            "version": 1,
            "change": "new",
            "audience": "all",
        }
    ]
    version = store.get_version(ARTICLE_ID, 1)
    assert version is not None
    assert version.headline == "NATO Will Resume Top-Level Contacts"
    assert version.dateline == "BRUSSELS"
    assert version.body is not None
    assert "James Appathurai" in version.body
    assert version.source.key == KEY  # decoded from the '+'-encoded event key
    assert version.source.version_id == upload.version_id
    assert version.source.sequencer == upload.sequencer
    head = store.get_head(ARTICLE_ID)
    assert head is not None
    assert (head.version, head.content_hash) == (1, version.content_hash)


def test_same_event_twice_stores_one_version(s3: Any, bucket: str, store: ArticleStore) -> None:
    upload = put(s3, bucket, KEY, STORY)
    assert statuses(handle(upload)) == ["stored"]
    assert statuses(handle(upload)) == ["unchanged"]
    assert history(store) == [(1, "new", "all")]


def test_identical_reupload_makes_no_version_but_moves_the_head_forward(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    first = put(s3, bucket, KEY, STORY)
    handle(first)
    # Same words, different bytes: CRLF line ends and a BOM.
    again = put(s3, bucket, KEY, b"\xef\xbb\xbf" + STORY.replace(b"\n", b"\r\n"))
    assert statuses(handle(again)) == ["unchanged"]
    assert history(store) == [(1, "new", "all")]
    head = store.get_head(ARTICLE_ID)
    assert head is not None
    assert (head.version, head.source.sequencer) == (1, again.sequencer)


def test_update_then_correction(s3: Any, bucket: str, store: ArticleStore) -> None:
    handle(put(s3, bucket, KEY, STORY))
    handle(put(s3, bucket, KEY, UPDATE))
    handle(put(s3, bucket, KEY, CORRECTION))

    assert history(store) == [
        (1, "new", "all"),
        (2, "update", "followers"),
        (3, "correction", "none"),
    ]
    latest = store.latest_version(ARTICLE_ID)
    assert latest is not None
    assert latest.body is not None
    assert "Bruxelles" in latest.body


def test_the_sample_articles_as_the_demo_uploads_them(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    samples = ROOT / "samplecontent"
    # Later versions of one story go to the original's key, in order.
    for suffix in ("", "-update", "-correction"):
        body = (samples / f"nato-resumes-contacts{suffix}.txt").read_bytes()
        handle(put(s3, bucket, KEY, body))
    assert history(store) == [
        (1, "new", "all"),
        (2, "update", "followers"),
        (3, "correction", "none"),
    ]
    others = {
        "rail-strike-talks.txt": ("all", "normal"),
        "city-council-budget.md": ("followers", "high"),  # notify: followers in front matter
        "wildfire-evacuations.html": ("all", "high"),
    }
    for name, (audience, urgency) in others.items():
        result = handle(put(s3, bucket, f"articles/{name}", (samples / name).read_bytes()))
        [outcome] = result["outcomes"]
        version = store.get_version(outcome["article_id"], 1)
        assert version is not None
        assert (version.audience.value, version.urgency.value) == (audience, urgency), name


def test_editor_override_decides_the_audience(s3: Any, bucket: str, store: ArticleStore) -> None:
    handle(put(s3, bucket, KEY, STORY))
    # A typo-sized edit the editor wants everyone to hear about, urgently.
    edited = STORY.replace(b"Monday", b"Tuesday", 1)
    lines = edited.split(b"\n\n")
    lines.insert(2, b"Notify: all\nUrgency: high")
    handle(put(s3, bucket, KEY, b"\n\n".join(lines)))
    latest = store.latest_version(ARTICLE_ID)
    assert latest is not None
    assert (latest.change, latest.audience, latest.urgency.value) == (
        ChangeKind.CORRECTION,
        Audience.ALL,
        "high",
    )


def test_an_older_event_never_rolls_the_article_back(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    older = put(s3, bucket, KEY, UPDATE)
    newer = put(s3, bucket, KEY, CORRECTION)

    assert statuses(handle(newer)) == ["stored"]
    assert statuses(handle(older)) == ["stale"]
    assert [v.number for v in store.versions(ARTICLE_ID)] == [1, 2]
    latest = store.latest_version(ARTICLE_ID)
    assert latest is not None
    assert latest.source.version_id == newer.version_id


def test_without_sequencers_event_time_orders_events(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY, sequencer=False))
    older = put(s3, bucket, KEY, UPDATE, sequencer=False)
    newer = put(s3, bucket, KEY, CORRECTION, sequencer=False)
    assert statuses(handle(newer, older)) == ["stored", "stale"]
    assert [v.number for v in store.versions(ARTICLE_ID)] == [1, 2]


def test_late_event_after_identical_reupload_is_still_stale(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    late = put(s3, bucket, KEY, UPDATE)  # overtaken by the re-upload below
    reupload = put(s3, bucket, KEY, STORY)
    assert statuses(handle(reupload, late)) == ["unchanged", "stale"]
    assert history(store) == [(1, "new", "all")]


def test_test_event_is_ignored(table: str) -> None:
    event = json.loads((ROOT / "events" / "s3-test-event.json").read_text())
    assert lambda_handler(event, lambda_context("IngestFunction")) == {
        "records": 0,
        "ignored": "s3:TestEvent",
    }


def test_a_record_reads_as_the_decoded_upload_with_optional_fields_absent() -> None:
    record: dict[str, Any] = {
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-27T01:02:03.456Z",
        "s3": {
            "bucket": {"name": "news"},
            "object": {"key": "articles/A+b%2Bc%C3%A9.txt"},
        },
    }
    upload = upload_from_record(record)
    assert (upload.bucket, upload.key) == ("news", "articles/A b+cé.txt")
    assert (upload.version_id, upload.sequencer, upload.size) == (None, None, None)
    record["s3"]["object"].update(versionId="v1", sequencer="00A1", size=12)
    upload = upload_from_record(record)
    assert (upload.version_id, upload.sequencer, upload.size) == ("v1", "00A1", 12)


def test_other_records_are_skipped_and_malformed_ones_counted(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    event = s3_event(put(s3, bucket, KEY, STORY))
    good = event["Records"][0]
    removed = {**good, "eventName": "ObjectRemoved:Delete"}
    malformed = {"eventName": "ObjectCreated:Put", "eventTime": good["eventTime"]}
    event["Records"] = [removed, malformed, good]
    result = lambda_handler(event, lambda_context("IngestFunction"))
    assert (result["records"], statuses(result)) == (1, ["stored"])
    assert history(store) == [(1, "new", "all")]


def test_bad_files_are_rejected_and_recorded_while_the_good_one_is_stored(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    garbage = put(s3, bucket, "articles/garbage.bin", bytes(range(256)) * 8)
    empty = put(s3, bucket, "articles/empty.txt", b"")
    good = put(s3, bucket, KEY, STORY)

    result = handle(garbage, empty, good)

    assert statuses(result) == ["rejected", "rejected", "stored"]
    assert result["counts"] == {"rejected": 2, "stored": 1}
    assert history(store) == [(1, "new", "all")]
    for upload in (garbage, empty):
        [rejection] = store.rejections(upload.key)
        assert rejection["reason"]
        assert rejection["bucket"] == bucket
        assert rejection["sk"] == f"{upload.event_time.replace('Z', '+00:00')}#{upload.sequencer}"
        assert int(rejection["expires_at"]) > 0
    assert "empty" in store.rejections(empty.key)[0]["reason"]


def test_a_deleted_object_is_rejected_not_retried(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    upload = put(s3, bucket, KEY, STORY)
    s3.delete_object(Bucket=bucket, Key=KEY, VersionId=upload.version_id)
    assert statuses(handle(upload)) == ["rejected"]
    assert "deleted" in store.rejections(KEY)[0]["reason"]


def _throttle_reads_of(s3: Any, key: str) -> None:
    """S3 answers 503 SlowDown for one key (after boto's own retries, as the adapter sees it)."""

    def note_key(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["throttle"] = params.get("Key") == key

    def slow_down(context: dict[str, Any], **_: Any) -> Any:
        if not context.get("throttle"):
            return None
        return error_answer(503, "SlowDown", "Please reduce your request rate.")

    s3.meta.events.register("before-parameter-build.s3.GetObject", note_key)
    s3.meta.events.register("before-call.s3.GetObject", slow_down)


def test_a_transient_failure_keeps_the_other_records_and_raises(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    other_key = "articles/second story.txt"
    second = STORY.replace(b"NATO Will Resume Top-Level Contacts", b"Second Story Headline")
    ok = put(s3, bucket, KEY, STORY)
    throttled = put(s3, bucket, other_key, second)
    _throttle_reads_of(s3, other_key)

    with pytest.raises(TransientError, match="1 of 2"):
        handle(throttled, ok)

    assert history(store) == [(1, "new", "all")]
    assert store.get_head("second-story") is None
    assert store.rejections(other_key) == []  # not a rejection: Lambda retries it

    warm.reset()  # the retry runs with a healthy client
    assert statuses(handle(throttled, ok)) == ["stored", "unchanged"]


def test_an_unexpected_failure_keeps_the_other_records_and_raises(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    denied_key = "articles/second story.txt"
    second = STORY.replace(b"NATO Will Resume Top-Level Contacts", b"Second Story Headline")
    denied = put(s3, bucket, denied_key, second)
    ok = put(s3, bucket, KEY, STORY)

    def access_denied(params: dict[str, Any], **_: Any) -> Any:
        if params.get("Key") == denied_key:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject"
            )

    s3.meta.events.register("provide-client-params.s3.GetObject", access_denied)
    with pytest.raises(ClientError, match="AccessDenied"):
        handle(denied, ok)
    assert history(store) == [(1, "new", "all")]
    assert store.rejections(denied_key) == []


def test_large_bodies_stay_in_s3_and_still_judge_changes(
    s3: Any, bucket: str, store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLINE_BODY_LIMIT", "500")
    warm.reset()
    first = put(s3, bucket, KEY, STORY)
    handle(first)
    handle(put(s3, bucket, KEY, STORY.replace(b"Monday", b"Tuesday", 1)))

    v1, v2 = store.versions(ARTICLE_ID)
    assert (v1.body, v1.body_in_source, v1.source.version_id) == (None, True, first.version_id)
    # The previous body was read back from its S3 version: a one-word edit.
    assert (v2.change, v2.audience) == (ChangeKind.CORRECTION, Audience.NONE)


def _serialise_moto_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """One request at a time through moto, as each real DynamoDB request is atomic.

    moto's in-memory backend checks a transaction's conditions and applies its
    writes without isolation from other threads; DynamoDB does isolate them.
    Serialising requests makes the threads race on our optimistic lock, not on
    moto's internals.
    """
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)


@pytest.mark.parametrize("with_sequencer", [False, True])
def test_ten_concurrent_uploads_of_one_key_get_contiguous_versions(
    s3: Any,
    bucket: str,
    store: ArticleStore,
    monkeypatch: pytest.MonkeyPatch,
    with_sequencer: bool,
) -> None:
    _serialise_moto_requests(monkeypatch)
    bodies = [
        STORY + f"\n\nPostscript number {n} of the developing story.\n".encode() for n in range(10)
    ]
    uploads = [put(s3, bucket, KEY, body, sequencer=with_sequencer) for body in bodies]
    if not with_sequencer:
        # moto's notifications carry no sequencer and may share a timestamp:
        # nothing orders these uploads, so every one becomes a version.
        uploads = [Upload(**{**u.__dict__, "event_time": uploads[0].event_time}) for u in uploads]
    settings = load_settings(IngestSettings)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(uploads))

    def ingest(upload: Upload) -> None:
        source = SourceObject(
            bucket=upload.bucket,
            key=upload.key,
            version_id=upload.version_id,
            sequencer=upload.sequencer,
            event_time=upload.event_time,
        )
        barrier.wait()
        outcome = ingest_upload(source, store=store, objects=ObjectStore(), settings=settings)
        outcomes.append(outcome.status)

    threads = [threading.Thread(target=ingest, args=(u,)) for u in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    versions = list(store.versions(ARTICLE_ID))
    numbers = [v.number for v in versions]
    assert len(outcomes) == 10
    assert numbers == list(range(1, len(versions) + 1))
    assert len({v.content_hash for v in versions}) == len(versions)
    assert outcomes.count("stored") == len(versions)
    head = store.get_head(ARTICLE_ID)
    assert head is not None
    assert head.version == len(versions)
    if with_sequencer:
        # Whatever order the threads ran in, the last upload is the story's state.
        assert head.source.version_id == uploads[-1].version_id
    else:
        assert len(versions) == 10


BILLION_LAUGHS = (
    b"---\n"
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    b"title: *e\n"
    b"---\n\nBody text.\n"
)


def test_hostile_uploads_end_as_short_recorded_rejections(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    from stoppress.articles.draft import REASON_MAX_CHARS

    bomb = put(s3, bucket, "articles/lol.md", BILLION_LAUGHS)
    rot13 = put(
        s3, bucket, "articles/rot.html", b'<meta charset="rot13"><h1>T\xff</h1><p>\x81\x8d</p>'
    )

    result = handle(bomb, rot13)

    assert statuses(result) == ["rejected", "rejected"]
    for upload in (bomb, rot13):
        [rejection] = store.rejections(upload.key)
        assert 0 < len(rejection["reason"]) <= REASON_MAX_CHARS
    assert "alias" in store.rejections(bomb.key)[0]["reason"]


def test_a_recorded_reason_is_cut_to_its_limit(store: ArticleStore) -> None:
    from stoppress.articles.draft import REASON_MAX_CHARS

    upload = SourceObject(
        bucket="b", key="articles/x.txt", event_time="2026-11-27T08:00:00Z", version_id="v1"
    )
    store.record_rejection(upload, "x" * 100_000, now=upload.event_time)
    [rejection] = store.rejections(upload.key)
    assert len(rejection["reason"]) == REASON_MAX_CHARS


def test_a_version_too_big_for_one_item_keeps_its_body_in_s3(
    s3: Any, bucket: str, store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INLINE_BODY_LIMIT", "10000000")
    warm.reset()
    paragraphs = b"\n\n".join(
        b"Paragraph %d of a very long feature about the budget and the council." % i
        for i in range(8000)
    )
    upload = put(s3, bucket, "articles/long.txt", b"Long feature\n\n" + paragraphs + b"\n")

    assert statuses(handle(upload)) == ["stored"]
    [version] = store.versions("long")
    assert (version.body, version.body_in_source) == (None, True)


def test_fifty_thousand_tags_make_a_version_with_the_first_few(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    from stoppress.articles.draft import MAX_TAGS

    tags = ", ".join(f"tag{i}" for i in range(50_000)).encode()
    upload = put(s3, bucket, "articles/tagged.txt", b"Tags: " + tags + b"\n\n" + STORY)

    assert statuses(handle(upload)) == ["stored"]
    [version] = store.versions("tagged")
    assert version.tags == tuple(f"tag{i}" for i in range(MAX_TAGS))


OTHER_STORY = (
    (ROOT / "samplecontent" / "nato-resumes-contacts.txt")
    .read_bytes()
    .replace(b"NATO Will Resume Top-Level Contacts", b"A Different Story Entirely")
)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("articles/a-b.txt", "articles/a b.txt"),
        ("articles/a-b.txt", "articles/A_B.txt"),
        ("articles/Café.txt", "articles/cafe.txt"),
        ("articles/2024/x.txt", "articles/2024-x.txt"),
    ],
)
def test_a_second_name_folding_to_the_same_id_is_refused_not_merged(
    s3: Any, bucket: str, store: ArticleStore, first: str, second: str
) -> None:
    handle(put(s3, bucket, first, STORY))
    result = handle(put(s3, bucket, second, OTHER_STORY))

    assert statuses(result) == ["rejected"]
    [rejection] = store.rejections(second)
    assert first in rejection["reason"]
    assert "rename" in rejection["reason"]
    [only] = list(store.versions(article_id_from_key(first)))
    assert only.source.key == first
    assert only.headline == "NATO Will Resume Top-Level Contacts"


def test_one_story_may_change_format_and_keep_its_id(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, "articles/2024/Story.txt", STORY))
    markdown = b"---\ntitle: NATO Will Resume Top-Level Contacts\n---\n" + STORY.split(b"\n", 1)[1]
    result = handle(
        put(s3, bucket, "articles/2024/Story.md", markdown + b"\nOne more line here.\n")
    )
    assert statuses(result) == ["stored"]


def test_concurrent_first_uploads_of_colliding_names_store_one_story(
    s3: Any, bucket: str, store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serialise_moto_requests(monkeypatch)
    names = ["articles/x y.txt", "articles/x-y.txt", "articles/X_Y.txt", "articles/x.y.txt"]
    uploads = [put(s3, bucket, name, STORY.replace(b"NATO", name.encode())) for name in names]
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda u=u: results.append(handle(u))) for u in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(s for r in results for s in statuses(r)) == ["rejected"] * 3 + ["stored"]
    [version] = list(store.versions("x-y"))
    rejected = {r["outcomes"][0]["key"] for r in results if statuses(r) == ["rejected"]}
    assert version.source.key not in rejected
    assert rejected | {version.source.key} == set(names)


def test_an_update_stores_what_changed_since_the_last_push(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    handle(put(s3, bucket, KEY, UPDATE))

    update = store.get_version(ARTICLE_ID, 2)
    assert update is not None
    assert update.change_line == (
        "Later on Monday, Russia's foreign ministry said it welcomed the decision "
        "and would send a delegation to Brussels next week."
    )
    assert update.compared_with == 1
    assert update.changed_words == 21
    assert store.get_head(ARTICLE_ID).pushed_version == 2  # type: ignore[union-attr]


def test_after_a_silent_correction_the_line_covers_everything_since_the_push(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    corrected = STORY.replace(b"NATO", b"Nato", 1).replace(b"Appathurai", b"Appathurai,")
    handle(put(s3, bucket, KEY, corrected))
    handle(put(s3, bucket, KEY, corrected.rstrip() + UPDATE[len(STORY.rstrip()) :]))

    assert history(store) == [
        (1, "new", "all"),
        (2, "correction", "none"),
        (3, "update", "followers"),
    ]
    update = store.get_version(ARTICLE_ID, 3)
    assert update is not None
    assert update.compared_with == 1
    assert update.change_line is not None
    assert update.change_line.startswith("Later on Monday, Russia's foreign ministry")
    head = store.get_head(ARTICLE_ID)
    assert head is not None
    assert head.pushed_version == 3


def test_while_updates_wait_in_the_cooldown_the_line_covers_everything_since_the_push(
    s3: Any, bucket: str, store: ArticleStore, table: str
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    handle(put(s3, bucket, KEY, UPDATE))
    gates = CooldownGateTable(table)
    # Notify pushed version 2 and opened the story's window.
    assert gates.write(ARTICLE_ID, Gate(window_until=2e9, pushed_version=2), expected_revision=0)
    later = UPDATE.rstrip() + (
        b"\n\nOn Tuesday the alliance's spokesman said the agenda would be set by the "
        b"ambassadors in a closed session.\n"
    )
    handle(put(s3, bucket, KEY, later))
    third = store.get_version(ARTICLE_ID, 3)
    assert third is not None
    assert third.compared_with == 2

    # Version 3 waits for the window's end; followers have still seen only version 2.
    held = Gate(window_until=2e9, pushed_version=2, held_version=3, held_count=1, revision=1)
    assert gates.write(ARTICLE_ID, held, expected_revision=1)
    latest = later.rstrip() + b"\n\nMoscow named its delegation on Wednesday evening.\n"
    handle(put(s3, bucket, KEY, latest))

    fourth = store.get_version(ARTICLE_ID, 4)
    assert fourth is not None
    assert fourth.compared_with == 2
    assert fourth.change_line is not None
    # What version 3 added is news to them too, and brings more new words than 4's line.
    assert fourth.change_line.startswith("On Tuesday the alliance's spokesman")
    assert fourth.changed_words is not None
    assert fourth.changed_words > 20


def test_a_headline_only_change_names_the_new_headline(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    renamed = STORY.replace(
        b"NATO Will Resume Top-Level Contacts", b"NATO and Russia Will Talk Again", 1
    )
    handle(put(s3, bucket, KEY, renamed))
    update = store.get_version(ARTICLE_ID, 2)
    assert update is not None
    assert update.change.value == "update"
    assert update.change_line == "New headline: NATO and Russia Will Talk Again"


def test_an_editors_update_line_is_stored_verbatim_with_language_and_image(
    s3: Any, bucket: str, store: ArticleStore
) -> None:
    handle(put(s3, bucket, KEY, STORY))
    headed = (
        b"Update: Moscow says it will send a delegation.\nLang: en-GB\n"
        b"Image: https://img.news.example/nato.jpg\n" + UPDATE
    )
    handle(put(s3, bucket, KEY, headed))
    update = store.get_version(ARTICLE_ID, 2)
    assert update is not None
    assert update.change_line == "Moscow says it will send a delegation."
    assert (update.lang, update.image) == ("en-GB", "https://img.news.example/nato.jpg")
