"""An embargo hours ahead, on the local stack, with the clock moved on instead of waited out.

time-machine moves this process's clock (the stack runs in it: moto's queue
delays, the handlers' ``time.time``, the push service's token checks), so the
release is seen to wait for its time, not for a few seconds.
"""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from stoppress_dev import cli
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack, write_state_file
from stoppress_dev.pushservice import PushService
from tests.e2e.fixtures import editor_s3
from tests.e2e.test_pipeline import KEY, STORY, payloads, subscribe
from tests.e2e.test_storm_cooldown import stored, wait_for

HOURS_AHEAD = 3


def history_held(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> dict | None:
    state = tmp_path / "state.json"
    write_state_file(state, stack.state)
    capsys.readouterr()
    assert cli.main(["history", STORY, "--state-file", str(state), "--json"]) == 0
    held: dict | None = json.loads(capsys.readouterr().out)["held"]
    return held


def test_an_embargo_hours_ahead_holds_the_story_until_the_clock_gets_there(
    stack: LocalStack,
    push: PushService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reader = push.new_subscriber("reader")
    subscribe(stack, reader, ["all"])
    at = (datetime.now(UTC) + timedelta(hours=HOURS_AHEAD)).replace(microsecond=0)
    s3 = editor_s3(stack)
    body = f"Embargo: {at.isoformat()}\n".encode() + (SAMPLES / f"{STORY}.txt").read_bytes()
    s3.put_object(Bucket=stack.state.bucket, Key=KEY, Body=body)
    wait_for(lambda: stored(stack) == 1, timeout=10)
    wait_for(lambda: history_held(stack, tmp_path, capsys) is not None, timeout=10)

    # A minute before the time: still held.
    with time_machine.travel(at - timedelta(minutes=1), tick=True):
        time.sleep(2)
        assert payloads(reader) == []
        held = history_held(stack, tmp_path, capsys)
        assert held is not None
        assert datetime.fromisoformat(held["goes_out_at"]) == at

    with time_machine.travel(at + timedelta(seconds=1), tick=True):
        wait_for(lambda: len(payloads(reader)) == 1, timeout=30)
        stack.wait_idle(timeout=30)
    (only,) = payloads(reader)
    assert only["article"] == {"id": STORY, "version": 1, "change": "new"}
    assert only["notification"]["timestamp"] == int(at.timestamp() * 1000)
    assert history_held(stack, tmp_path, capsys) is None
    assert not [s for s in stack.steps if s.kind == "error"]
