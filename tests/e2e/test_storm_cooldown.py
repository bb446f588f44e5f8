"""Calm during a storm, through the local stack: a story's followers get one push per window.

The stack runs with an eight-second cooldown; its cooldown queue delays each
window's message as SQS does, and ``wait_idle`` waits for the windows too.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService, Subscriber
from tests.e2e.fixtures import editor_s3
from tests.e2e.test_pipeline import KEY, STORY, payloads, subscribe

COOLDOWN = 8
NEWS = [
    "Ambassadors agreed on Tuesday to meet again within a fortnight to draw up an agenda "
    "for the first ministerial session since the summer.",
    "Moscow's envoy said the talks would begin with arms control and the security of "
    "supply routes into Afghanistan, two areas both sides see as urgent.",
    "Officials in Brussels confirmed that the secretary-general would travel to Munich, "
    "where he is expected to meet the Russian deputy prime minister on the sidelines.",
    "Diplomats from three member states cautioned that any restored council would keep "
    "its sessions closed to the press until a joint statement had been agreed.",
]


@pytest.fixture
def calm_stack() -> Iterator[LocalStack]:
    with LocalStack(env_overrides={"UPDATE_COOLDOWN_SECONDS": str(COOLDOWN)}) as running:
        yield running


@pytest.fixture
def calm_push(calm_stack: LocalStack) -> Iterator[PushService]:
    with PushService(vapid_public_key=calm_stack.state.vapid_public_key) as service:
        yield service


def uploader(stack: LocalStack, tmp_path: Path) -> Callable[..., None]:
    s3 = editor_s3(stack)
    original = (SAMPLES / f"{STORY}.txt").read_text(encoding="utf-8")

    def put(news: int, header: str = "") -> None:
        """The story with its first ``news`` paragraphs of news added, as a new upload."""
        text = header + original.rstrip() + "".join(f"\n\n{p}" for p in NEWS[:news]) + "\n"
        path = tmp_path / f"update-{news}.txt"
        path.write_text(text, encoding="utf-8")
        s3.put_object(Bucket=stack.state.bucket, Key=KEY, Body=path.read_bytes())

    return put


def versions(sub: Subscriber) -> list[int]:
    return [p["article"]["version"] for p in payloads(sub)]


def stored(stack: LocalStack) -> int:
    """How many versions the story has (one upload at a time: the local stack's S3
    events do not name the object version, so ingest reads whatever is newest)."""
    return len(stack.versions(STORY))


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.1)


def test_a_storm_reaches_followers_once_per_window_with_the_latest_version(
    calm_stack: LocalStack, calm_push: PushService, tmp_path: Path
) -> None:
    stack, put = calm_stack, uploader(calm_stack, tmp_path)
    follower = calm_push.new_subscriber("follower")
    reader = calm_push.new_subscriber("reader")
    subscribe(stack, follower, [f"article:{STORY}"])
    subscribe(stack, reader, ["all"])

    put(0)
    stack.wait_idle(timeout=30)
    put(1)  # the first update goes at once and opens the window
    wait_for(lambda: versions(follower) == [2], timeout=10)
    started = time.monotonic()
    put(2)
    wait_for(lambda: stored(stack) == 3, timeout=5)
    put(3)
    wait_for(lambda: stored(stack) == 4, timeout=5)
    assert time.monotonic() - started < COOLDOWN, "the storm must land inside the window"
    assert versions(follower) == [2]

    stack.wait_idle(timeout=COOLDOWN + 20)
    assert versions(follower) == [2, 4]
    last = payloads(follower)[-1]
    assert last["article"]["updates"] == 2
    assert last["notification"]["body"].startswith("Latest of 2 updates: ")
    # Its line tells what changed since the push the follower got (version 2), so
    # version 3's news is not lost with version 3.
    assert [v.get("compared_with") for v in stack.versions(STORY)] == [None, 1, 2, 2]
    assert last["notification"]["body"].startswith(f"Latest of 2 updates: {NEWS[1][:40]}")
    # Readers of everything heard of the new story only: updates are for followers.
    assert versions(reader) == [1]
    assert stack.delivery_counts(STORY, 3)["sent"] == 0
    assert stack.delivery_counts(STORY, 4)["sent"] == 1


def test_breaking_news_goes_at_once_inside_a_window(
    calm_stack: LocalStack, calm_push: PushService, tmp_path: Path
) -> None:
    stack, put = calm_stack, uploader(calm_stack, tmp_path)
    follower = calm_push.new_subscriber("follower")
    subscribe(stack, follower, [f"article:{STORY}"])

    put(0)
    stack.wait_idle(timeout=30)
    put(1)
    wait_for(lambda: versions(follower) == [2], timeout=10)
    started = time.monotonic()
    put(2)
    wait_for(lambda: stored(stack) == 3, timeout=5)
    put(3, header="Urgency: high\n")
    wait_for(lambda: versions(follower) == [2, 4], timeout=COOLDOWN - 1)
    assert time.monotonic() - started < COOLDOWN
    # The held update was older than the breaking one: nobody gets it after.
    stack.wait_idle(timeout=COOLDOWN + 20)
    assert versions(follower) == [2, 4]
    assert not [s for s in stack.steps if s.kind == "error"]
