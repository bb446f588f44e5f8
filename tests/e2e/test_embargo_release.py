"""Embargoes through the local stack: a story stored at once, pushed at its embargo.

The embargo is a few seconds ahead; the cooldown queue delays the release's
message as SQS would, and ``wait_idle`` waits for it.
"""

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stoppress_dev import cli
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack, write_state_file
from stoppress_dev.pushservice import PushService
from tests.e2e.fixtures import editor_s3
from tests.e2e.test_pipeline import KEY, STORY, payloads, subscribe
from tests.e2e.test_storm_cooldown import NEWS, stored, wait_for

AHEAD = 8
HEADLINE = "NATO Will Resume Top-Level Contacts"
NEW_HEADLINE = "NATO and Russia Agree to Resume Top-Level Contacts Within Weeks"


def uploader(stack: LocalStack) -> Callable[..., None]:
    s3 = editor_s3(stack)
    original = (SAMPLES / f"{STORY}.txt").read_text(encoding="utf-8")

    def put(header: str, *, headline: str = HEADLINE, news: int = 0) -> None:
        """The story under ``header`` lines, with its first ``news`` paragraphs of news added."""
        text = original.replace(HEADLINE, headline).rstrip()
        text = header + "Tags: World\n" + text + "".join(f"\n\n{p}" for p in NEWS[:news]) + "\n"
        s3.put_object(Bucket=stack.state.bucket, Key=KEY, Body=text.encode("utf-8"))

    return put


def embargo_in(seconds: int) -> tuple[str, float]:
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"Embargo: {at.isoformat()}\n", at.timestamp()


def held(stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict | None:
    """What ``stoppress history --json`` says is waiting for the story."""
    state = tmp_path / "state.json"
    write_state_file(state, stack.state)
    capsys.readouterr()
    assert cli.main(["history", STORY, "--state-file", str(state), "--json"]) == 0
    answer: dict = json.loads(capsys.readouterr().out)
    return answer["held"]


def test_an_embargoed_story_goes_out_at_its_time_with_the_latest_text_as_a_new_story(
    stack: LocalStack,
    push: PushService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    put = uploader(stack)
    reader = push.new_subscriber("reader")
    section = push.new_subscriber("section")
    subscribe(stack, reader, ["all"])
    subscribe(stack, section, ["tag:world"])

    header, at = embargo_in(AHEAD)
    put(header)
    wait_for(lambda: stored(stack) == 1, timeout=5)
    # Before the time, an update without the embargo line: it inherits the embargo.
    put("", headline=NEW_HEADLINE, news=1)
    wait_for(lambda: stored(stack) == 2, timeout=5)
    assert [v.get("embargo_until") for v in stack.versions(STORY)] == [
        datetime.fromtimestamp(at, tz=UTC).isoformat()
    ] * 2
    waiting = held(stack, tmp_path, capsys)
    assert time.time() < at, "the uploads must land before the embargo"
    assert waiting is not None
    assert waiting["version"] == 2
    assert datetime.fromisoformat(waiting["goes_out_at"]).timestamp() == pytest.approx(at)
    assert (waiting["embargo_until"], waiting["new_story"]) == (
        datetime.fromtimestamp(at, tz=UTC).isoformat(),
        True,
    )
    # What one more update would do, before it is uploaded: wait for the same time.
    draft = tmp_path / "draft.txt"
    original = (SAMPLES / f"{STORY}.txt").read_text(encoding="utf-8")
    draft.write_text(original.replace(HEADLINE, NEW_HEADLINE) + "\n\n" + NEWS[2] + "\n")
    capsys.readouterr()
    state = tmp_path / "state.json"
    assert (
        cli.main(["preview", str(draft), "--key", KEY, "--state-file", str(state), "--json"]) == 0
    )
    preview = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(preview["held_until"]).timestamp() == pytest.approx(at)
    assert payloads(reader) == payloads(section) == []

    stack.wait_idle(timeout=AHEAD + 30)
    assert time.time() >= at
    for sub in (reader, section):
        (only,) = payloads(sub)
        assert only["article"] == {"id": STORY, "version": 2, "change": "new"}
        assert only["notification"]["title"] == NEW_HEADLINE
        assert only["notification"]["timestamp"] == int(at * 1000)
    assert stack.delivery_counts(STORY, 1)["sent"] == 0
    assert stack.delivery_counts(STORY, 2)["sent"] == 2
    assert held(stack, tmp_path, capsys) is None
    assert not [s for s in stack.steps if s.kind == "error"]


def test_notify_none_before_the_embargo_calls_the_push_off(
    stack: LocalStack, push: PushService
) -> None:
    put = uploader(stack)
    reader = push.new_subscriber("reader")
    subscribe(stack, reader, ["all"])

    header, at = embargo_in(AHEAD)
    put(header)
    wait_for(lambda: stored(stack) == 1, timeout=5)
    put("Notify: none\n", news=1)
    wait_for(lambda: stored(stack) == 2, timeout=5)
    assert time.time() < at
    assert stack.versions(STORY)[1]["cancels_push"] is True

    stack.wait_idle(timeout=AHEAD + 30)
    time.sleep(max(0.0, at + 1 - time.time()))
    stack.wait_idle(timeout=10)
    assert payloads(reader) == []
    assert stack.delivery_counts(STORY, 1)["sent"] == 0
    assert not [s for s in stack.steps if s.kind == "error"]
