"""What the editor's commands print: text for people, JSON with fixed keys for scripts."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from rich.console import Console

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.webpush.headers import Urgency
from stoppress_dev.editor.history import HeldUpdate, History, VersionDiff, VersionRecord
from stoppress_dev.editor.preview import Preview, TopicReach
from stoppress_dev.editor.rejections import Rejection, RejectionScan
from stoppress_dev.editor.render import (
    diff_json,
    history_json,
    preview_json,
    rejections_json,
    show_diff,
    show_history,
    show_preview,
    show_rejections,
)
from stoppress_dev.editor.worddiff import word_diff

STORY = "flood-warning"
CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

PREVIEW_KEYS = {
    "key",
    "status",
    "article_id",
    "latest_version",
    "version",
    "change",
    "audience",
    "headline",
    "dateline",
    "summary",
    "change_line",
    "changed_words",
    "compared_with",
    "urgency",
    "topics",
    "subscribers",
    "subscribers_counted",
    "held_until",
    "reason",
}


def version(number: int, **changes: object) -> Version:
    fields: dict[str, object] = {
        "article_id": STORY,
        "number": number,
        "headline": "River Expected to Crest Tonight",
        "dateline": "CEDAR RAPIDS",
        "summary": "The river will crest near 22 feet.",
        "body": "The river will crest near 22 feet.\n\nSandbagging continues.",
        "change": ChangeKind.NEW if number == 1 else ChangeKind.UPDATE,
        "audience": Audience.ALL if number == 1 else Audience.FOLLOWERS,
        "content_hash": "0" * 64,
        "source": SourceObject(bucket="b", key=f"articles/{STORY}.txt", event_time=CREATED),
        "created_at": CREATED + timedelta(minutes=number),
    }
    if number > 1:
        fields |= {"change_line": "The river will crest near 24 feet.", "compared_with": 1}
        fields |= {"changed_words": 6}
    return Version.model_validate(fields | changes)


def plain_console() -> Console:
    return Console(file=StringIO(), width=200, color_system=None)


def output(console: Console) -> str:
    file = console.file
    assert isinstance(file, StringIO)
    return file.getvalue()


def update_preview(**changes: object) -> Preview:
    fields: dict[str, object] = {
        "key": f"articles/{STORY}.txt",
        "status": "stored",
        "article_id": STORY,
        "version": version(2),
        "latest": 1,
        "urgency": Urgency.NORMAL,
        "reach": (TopicReach(f"article:{STORY}", 3),),
        "shards": 4,
    }
    return Preview(**(fields | changes))  # type: ignore[arg-type]


def test_preview_of_an_update_shows_what_it_becomes_and_who_hears() -> None:
    console = plain_console()
    show_preview(update_preview(), console)
    text = output(console)
    assert "nothing stored, nothing sent" in text
    assert "version 2 (update, audience followers); the story is at version 1" in text
    assert "The river will crest near 24 feet." in text
    assert "6 words since version 1" in text
    assert f"article:{STORY}  3 subscribers" in text
    assert "up to 3 subscribers (the sum over topics" in text


def test_preview_of_an_embargoed_story_says_when_it_goes_out() -> None:
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    embargoed = version(1, change=ChangeKind.NEW, audience=Audience.ALL, embargo_until=at)
    console = plain_console()
    show_preview(update_preview(version=embargoed, latest=None, held_until=at), console)
    text = output(console)
    assert f"held until its embargo: goes out at {at.astimezone():%Y-%m-%d %H:%M:%S}" in text
    assert "cooldown" not in text


def test_preview_of_a_held_update_says_when_it_goes_out() -> None:
    held = datetime(2026, 11, 30, 9, 12, 30, tzinfo=UTC)
    console = plain_console()
    show_preview(update_preview(held_until=held), console)
    assert f"goes out at {held.astimezone():%H:%M:%S}" in output(console)
    assert preview_json(update_preview(held_until=held))["held_until"] == (
        "2026-11-30T09:12:30+00:00"
    )


def test_preview_json_keeps_its_keys_whatever_the_outcome() -> None:
    stored = preview_json(update_preview())
    rejected = preview_json(
        Preview(key="articles/x.txt", status="rejected", reason="the file is empty")
    )
    assert set(stored) == set(rejected) == PREVIEW_KEYS
    assert stored["status"] == "new_version"
    assert stored["topics"] == [{"topic": f"article:{STORY}", "subscribers": 3}]
    assert (rejected["status"], rejected["reason"], rejected["topics"]) == (
        "rejected",
        "the file is empty",
        [],
    )
    json.dumps(stored)


def test_preview_of_unchanged_and_rejected_files() -> None:
    console = plain_console()
    show_preview(
        Preview(key="articles/a.txt", status="unchanged", article_id="a", latest=3), console
    )
    show_preview(
        Preview(key="articles/b.txt", status="rejected", reason="the file is empty"), console
    )
    text = output(console)
    assert "unchanged: no new version (the story is at version 3)" in text
    assert "rejected" in text
    assert "the file is empty" in text


def test_a_correction_goes_to_nobody() -> None:
    correction = version(3, change=ChangeKind.CORRECTION, audience=Audience.NONE)
    console = plain_console()
    show_preview(update_preview(version=correction, reach=()), console)
    assert "nobody (notify: none)" in output(console)


def history() -> History:
    return History(
        article_id=STORY,
        versions=(
            VersionRecord(
                version(1),
                {"sent": 8, "expired": 1, "failed": 0, "retried": 2, "clicks": 3, "unfollows": 1},
            ),
            VersionRecord(version(2), None),
        ),
        held=HeldUpdate(version=5, covers=3, goes_out_at=datetime(2026, 11, 30, 9, 20, tzinfo=UTC)),
    )


def test_history_lists_versions_counts_and_the_held_update() -> None:
    console = plain_console()
    show_history(history(), console)
    text = output(console)
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("1 "))
    assert row.split()[-7:] == ["8", "1", "0", "2", "3", "1", "37.5%"]
    assert next(line for line in lines if line.startswith("2 ")).split()[-7:] == ["–"] * 7
    assert "click rate" in lines[1]
    assert "v2  The river will crest near 24 feet." in text
    goes_out = datetime(2026, 11, 30, 9, 20, tzinfo=UTC).astimezone()
    assert f"v5 held, goes out at {goes_out:%H:%M:%S} covering 3 updates" in text


def test_history_json() -> None:
    data = history_json(history())
    assert data["article_id"] == STORY
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0]["delivery"] == {
        "sent": 8,
        "expired": 1,
        "failed": 0,
        "retried": 2,
        "clicks": 3,
        "unfollows": 1,
    }
    assert data["versions"][1]["delivery"] is None
    assert data["versions"][0]["created_at"] == "2026-11-30T09:01:00+00:00"
    assert data["held"] == {
        "version": 5,
        "covers": 3,
        "goes_out_at": "2026-11-30T09:20:00+00:00",
        "embargo_until": None,
        "new_story": False,
    }


def test_history_says_a_push_waits_for_its_embargo_and_how_it_goes_out() -> None:
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    embargoed = HeldUpdate(version=2, covers=2, goes_out_at=at, embargo_until=at, new_story=True)
    console = plain_console()
    show_history(dataclasses.replace(history(), held=embargoed), console)
    local = at.astimezone()
    assert (
        f"v2 embargoed until {local:%Y-%m-%d %H:%M:%S}: goes out at {local:%H:%M:%S} as a new story"
    ) in output(console)
    data = history_json(dataclasses.replace(history(), held=embargoed))["held"]
    assert (data["embargo_until"], data["new_story"]) == ("2026-12-01T08:00:00+00:00", True)


def a_diff(body_after: str) -> VersionDiff:
    old, new = version(1), version(2, headline="River Crests Tonight")
    before = old.body or ""
    return VersionDiff(
        article_id=STORY,
        old=old,
        new=new,
        headline=word_diff(old.headline, new.headline),
        dateline=word_diff("CEDAR RAPIDS", "CEDAR RAPIDS"),
        body=word_diff(before, body_after),
        changed_words=1,
    )


def test_diff_without_colour_marks_deletions_and_insertions() -> None:
    console = plain_console()
    show_diff(a_diff("The river will crest near 24 feet.\n\nSandbagging continues."), console)
    text = output(console)
    assert "version 1 → version 2" in text
    assert "headline: River [-Expected to Crest-]{+Crests+} Tonight" in text
    assert "near [-22-]{+24+} feet" in text
    assert "dateline" not in text


def test_diff_in_colour_strikes_deletions_red_and_inserts_green() -> None:
    console = Console(file=StringIO(), width=100, force_terminal=True, color_system="standard")
    show_diff(a_diff("The river will crest near 24 feet.\n\nSandbagging continues."), console)
    text = output(console)
    assert "\x1b[9;31m22\x1b[0m" in text
    assert "\x1b[1;32m24\x1b[0m" in text
    assert "[-" not in text


def test_diff_hides_unchanged_paragraphs_unless_asked() -> None:
    paragraphs = [f"Paragraph {n} stays as it was." for n in range(6)]
    old = version(1, body="\n\n".join(paragraphs))
    changed = [*paragraphs[:3], "Paragraph 3 is new.", *paragraphs[4:]]
    diff = VersionDiff(
        article_id=STORY,
        old=old,
        new=version(2),
        headline=word_diff("a", "a"),
        dateline=[],
        body=word_diff(old.body or "", "\n\n".join(changed)),
        changed_words=3,
    )
    console = plain_console()
    show_diff(diff, console)
    short = output(console)
    assert "[… 2 unchanged paragraphs …]" in short
    assert "Paragraph 0" not in short
    assert "Paragraph 2 stays" in short
    assert "Paragraph 5 stays" in short
    console = plain_console()
    show_diff(diff, console, full=True)
    assert "Paragraph 0 stays" in output(console)


def test_diff_json_is_the_list_of_operations() -> None:
    data = diff_json(a_diff("The river will crest near 24 feet.\n\nSandbagging continues."))
    assert (data["from"], data["to"], data["changed_words"]) == (1, 2, 1)
    assert {"op": "delete", "text": "22"} in data["body"]
    assert {"op": "insert", "text": "24"} in data["body"]
    assert data["dateline"] == [{"op": "equal", "text": "CEDAR RAPIDS"}]


def scan(*, complete: bool = True) -> RejectionScan:
    return RejectionScan(
        since=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
        rejections=tuple(
            Rejection(
                key=f"articles/bad-{n}.txt",
                reason="the file is empty; upload the article text",
                rejected_at=datetime(2026, 11, 30, 9, n, tzinfo=UTC),
                bucket="b",
                version_id=None,
            )
            for n in (3, 2, 1)
        ),
        scanned=120,
        complete=complete,
    )


def test_rejections_table_and_limit() -> None:
    console = plain_console()
    show_rejections(scan(), console, limit=2)
    text = output(console)
    assert "articles/bad-3.txt" in text
    assert "articles/bad-1.txt" not in text
    assert "3 rejected uploads since" in text
    assert "the newest 2 shown" in text
    assert "120 items read" in text


def test_an_unfinished_scan_says_so() -> None:
    console = plain_console()
    show_rejections(scan(complete=False), console, limit=10)
    assert "some rejections may be missing (raise --scan-limit)" in output(console)
    data = rejections_json(scan(complete=False), limit=1)
    assert (data["complete"], data["count"], len(data["rejections"])) == (False, 3, 1)
    assert data["rejections"][0] == {
        "key": "articles/bad-3.txt",
        "rejected_at": "2026-11-30T09:03:00+00:00",
        "reason": "the file is empty; upload the article text",
        "bucket": "b",
        "version_id": None,
    }


def test_no_rejections() -> None:
    console = plain_console()
    show_rejections(
        RejectionScan(since=datetime.now(UTC), rejections=(), scanned=7, complete=True),
        console,
        limit=10,
    )
    assert "No rejected uploads since" in output(console)


@pytest.mark.parametrize(
    ("text", "ago"),
    [("24h", timedelta(hours=24)), ("90m", timedelta(minutes=90)), ("7d", timedelta(days=7))],
)
def test_since_as_an_age(text: str, ago: timedelta) -> None:
    from stoppress_dev.editor.rejections import parse_since

    assert parse_since(text, now=CREATED) == CREATED - ago


def test_since_as_a_date_or_time() -> None:
    from stoppress_dev.editor.rejections import parse_since

    assert parse_since("2026-11-30", now=CREATED) == datetime(2026, 11, 30).astimezone()
    assert parse_since("2026-11-30T08:00+00:00", now=CREATED) == datetime(
        2026, 11, 30, 8, tzinfo=UTC
    )
