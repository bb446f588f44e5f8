"""Calm during a storm: the cooldown rules, with the clock, the table and the queue in hand.

``Storm`` plays a story's updates against in-memory stand-ins for the gate
item (conditional writes by revision, like DynamoDB's), the delayed window
queue and the push-job queue, on a clock the test moves. What the followers
got is read off the push-job queue: one entry per (version, covers).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.core.errors import TransientError
from stoppress.core.settings import NotifySettings
from stoppress.notify.cooldown import (
    Action,
    Gate,
    Release,
    after_release,
    close_window,
    coalesces,
    due_release,
    notify_update,
    on_version,
)
from stoppress.webpush.headers import Urgency
from tests.fakes.notify import FakeLedger
from tests.fakes.queue import FakeQueue

COOLDOWN = 600
STORY = "flood-warning"
CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def settings(cooldown: int = COOLDOWN) -> NotifySettings:
    return NotifySettings.model_validate(
        {
            "TABLE_NAME": "t",
            "PUSH_QUEUE_URL": "q",
            "COOLDOWN_QUEUE_URL": "c",
            "SITE_BASE_URL": "https://news.example",
            "TOPIC_SHARDS": 2,
            "UPDATE_COOLDOWN_SECONDS": cooldown,
        }
    )


def version(number: int, **changes: object) -> Version:
    fields: dict[str, object] = {
        "article_id": STORY,
        "number": number,
        "headline": "Flood warning for the valley",
        "summary": "The river is rising.",
        "change": ChangeKind.NEW if number == 1 else ChangeKind.UPDATE,
        "audience": Audience.ALL if number == 1 else Audience.FOLLOWERS,
        "content_hash": "a" * 64,
        "source": SourceObject(bucket="b", key=f"articles/{STORY}.md", event_time=CREATED),
        "created_at": CREATED,
        "change_line": f"Change {number}.",
    }
    fields.update(changes)
    return Version.model_validate(fields)


@dataclass
class MemoryGates:
    gate: Gate = field(default_factory=Gate)
    versions: dict[int, Version] = field(default_factory=dict)
    # Before the next write lands, someone else writes this gate (a racing stream record).
    interleave: Gate | None = None

    def read(self, article_id: str) -> Gate:
        return self.gate

    def write(self, article_id: str, gate: Gate, *, expected_revision: int) -> bool:
        if self.interleave is not None:
            self.gate, self.interleave = (
                self._stored(self.interleave, self.gate.revision),
                None,
            )
        if self.gate.revision != expected_revision:
            return False
        self.gate = self._stored(gate, expected_revision)
        return True

    @staticmethod
    def _stored(gate: Gate, revision: int) -> Gate:
        return Gate(**{**gate.__dict__, "revision": revision + 1})

    def version(self, article_id: str, number: int) -> Version | None:
        return self.versions.get(number)


@dataclass
class DelayedQueue:
    """SQS with DelaySeconds: a message comes back when due, at most 900 s after sending."""

    messages: list[float] = field(default_factory=list)
    fail_next: bool = False

    def schedule(self, article_id: str, *, due: float, now: float) -> None:
        if self.fail_next:
            self.fail_next = False
            raise TransientError("queue throttled")
        self.messages.append(min(max(due, now), now + 900))


@dataclass
class Storm:
    cooldown: int = COOLDOWN
    now: float = 1_000_000.0
    gates: MemoryGates = field(default_factory=MemoryGates)
    windows: DelayedQueue = field(default_factory=DelayedQueue)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    queue: FakeQueue = field(default_factory=FakeQueue)

    def update(self, number: int, **changes: object) -> int:
        v = version(number, **changes)
        self.gates.versions[number] = v
        return notify_update(
            v,
            gates=self.gates,
            windows=self.windows,
            ledger=self.ledger,
            queue=self.queue,
            settings=settings(self.cooldown),
            now=self.now,
        )

    def advance(self, seconds: float) -> None:
        """Time passes; every window message that falls due meanwhile is handled, in order."""
        end = self.now + seconds
        while due := [m for m in self.windows.messages if m <= end]:
            first = min(due)
            self.windows.messages.remove(first)
            self.now = max(self.now, first)
            self.close()
        self.now = end

    def close(self) -> int:
        return close_window(
            STORY,
            gates=self.gates,
            windows=self.windows,
            ledger=self.ledger,
            queue=self.queue,
            settings=settings(self.cooldown),
            now=self.now,
        )

    def pushes(self) -> list[tuple[int, int | None]]:
        """(version, updates covered) of every push, once per version (shard 0's job)."""
        return [
            (j.version, j.payload["article"].get("updates"))
            for j in self.queue.jobs
            if j.shard == 0 and j.topic == f"article:{STORY}"
        ]


def test_a_storm_of_updates_is_one_push_per_window_carrying_the_latest() -> None:
    storm = Storm()
    storm.update(2)  # first update: at once, and the window opens
    for number in (3, 4, 5):
        storm.advance(60)
        storm.update(number)
    assert storm.pushes() == [(2, None)]

    storm.advance(COOLDOWN)
    assert storm.pushes() == [(2, None), (5, 3)]
    body = next(j for j in storm.queue.jobs if j.version == 5).payload["notification"]["body"]
    assert body == "Latest of 3 updates: Change 5."

    # The release opened the next window: an update inside it waits again.
    storm.advance(100)
    storm.update(6)
    assert storm.pushes() == [(2, None), (5, 3)]
    storm.advance(COOLDOWN)
    # One update held: pushed as itself, without a count.
    assert storm.pushes() == [(2, None), (5, 3), (6, None)]
    # Quiet for a while: the next update goes at once.
    storm.advance(3 * COOLDOWN)
    storm.update(7)
    assert storm.pushes()[-1] == (7, None)
    assert storm.windows.messages == []


def test_an_update_landing_just_as_the_window_closes() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(COOLDOWN)  # exactly the window's end: nothing held, so it is closed
    storm.update(3)
    assert storm.pushes() == [(2, None), (3, None)]

    # Held, and the window's message is due but not handled yet: the next update joins it.
    storm.advance(10)
    storm.update(4)
    storm.now += COOLDOWN
    storm.update(5)
    assert storm.pushes() == [(2, None), (3, None)]
    storm.advance(0)
    assert storm.pushes() == [(2, None), (3, None), (5, 2)]


def test_an_update_held_while_the_window_is_being_released_waits_for_the_next_one() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    storm.now += COOLDOWN
    # The release reads the gate holding 3; before it records the release, 4 is held.
    storm.gates.versions[4] = version(4)
    storm.gates.interleave = Gate(
        **{**storm.gates.gate.__dict__, "held_version": 4, "held_count": 2}
    )
    storm.advance(0)

    assert storm.pushes() == [(2, None), (3, None)]
    assert storm.gates.gate.held_version == 4
    assert storm.gates.gate.held_count == 1
    storm.advance(COOLDOWN - 1)
    assert storm.pushes() == [(2, None), (3, None)]
    storm.advance(1)
    assert storm.pushes() == [(2, None), (3, None), (4, None)]


def test_a_release_whose_push_jobs_fail_is_retried_without_a_duplicate() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    storm.update(4)
    storm.now += COOLDOWN
    storm.queue.refuse = {1}
    with pytest.raises(Exception, match="refused"):
        storm.close()
    # Shard 0 reached the queue; the gate still holds 4, so the message comes back.
    assert storm.gates.gate.held_version == 4
    storm.queue.refuse = set()
    storm.close()
    storm.close()  # and once more, as a duplicate message would

    jobs = [(j.version, j.shard) for j in storm.queue.jobs if j.version == 4]
    assert sorted(jobs) == [(4, 0), (4, 1)]
    assert storm.gates.gate.held_version == 0
    assert storm.gates.gate.pushed_version == 4


def test_a_window_message_that_cannot_be_sent_is_sent_when_the_record_is_retried() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.windows.fail_next = True
    with pytest.raises(TransientError):
        storm.update(3)
    assert storm.windows.messages == []
    storm.update(3)  # the stream retries the record
    assert len(storm.windows.messages) == 1
    storm.advance(COOLDOWN)
    assert storm.pushes() == [(2, None), (3, None)]


def test_a_replayed_record_pushes_nothing_twice() -> None:
    storm = Storm()
    storm.update(2)
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    storm.update(3)
    storm.advance(COOLDOWN)
    storm.update(3)
    storm.update(2)

    assert storm.pushes() == [(2, None), (3, None)]
    assert storm.windows.messages == []


@pytest.mark.parametrize(
    "changes",
    [
        {"urgency": Urgency.HIGH},
        {"tags": ("Breaking",)},
        {"audience": Audience.ALL},
    ],
    ids=["urgency high", "breaking tag", "notify all"],
)
def test_urgent_updates_go_at_once_and_cover_what_was_held(changes: dict[str, object]) -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    storm.advance(10)
    storm.update(4, **changes)
    story_jobs = [j for j in storm.queue.jobs if j.version == 4 and j.shard == 0]
    assert story_jobs, "the urgent update went out at once"
    # What was held is older than what the followers were just sent.
    storm.advance(COOLDOWN)
    assert 3 not in {v for v, _ in storm.pushes()}
    assert storm.gates.gate.held_version == 0


def test_new_stories_do_not_open_a_window() -> None:
    storm = Storm()
    storm.update(1)
    storm.update(2)
    assert storm.pushes() == [(2, None)]
    assert [j.topic for j in storm.queue.jobs if j.version == 1] == ["all", "all"]


def test_a_window_longer_than_sqs_can_delay_is_waited_out_in_steps() -> None:
    storm = Storm(cooldown=3600)
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    storm.advance(900)
    assert storm.pushes() == [(2, None)]
    assert len(storm.windows.messages) == 1  # sent again, for the rest of the window
    storm.advance(3600 - 910)
    assert storm.pushes() == [(2, None), (3, None)]


def test_the_cooldown_survives_a_redeployment_with_a_new_length() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    # Redeployed with a shorter cooldown: the open window keeps the end it was given.
    storm.cooldown = 60
    storm.advance(100)
    assert storm.pushes() == [(2, None)]
    storm.advance(COOLDOWN - 110)
    assert storm.pushes() == [(2, None), (3, None)]
    # The next window has the new length.
    storm.update(4)
    storm.advance(60)
    assert storm.pushes() == [(2, None), (3, None), (4, None)]


def test_a_held_version_that_is_gone_closes_the_window_without_a_push() -> None:
    storm = Storm()
    storm.update(2)
    storm.advance(10)
    storm.update(3)
    del storm.gates.versions[3]
    storm.advance(COOLDOWN)
    assert storm.pushes() == [(2, None)]
    assert storm.gates.gate.held_version == 0


def test_a_gate_that_keeps_changing_is_a_transient_error() -> None:
    class Contended(MemoryGates):
        def write(self, article_id: str, gate: Gate, *, expected_revision: int) -> bool:
            return False

    storm = Storm(gates=Contended())
    with pytest.raises(TransientError):
        storm.update(2)
    assert storm.queue.jobs == []


# -- the rules on their own -----------------------------------------------------------


def gates() -> Iterator[Gate]:
    for window in (0.0, 50.0, 100.0, 200.0):
        for pushed in (0, 2, 5):
            for held in (0, 3, 6):
                if held and held <= pushed:
                    continue
                for due in (0.0, window):
                    yield Gate(window, pushed, held, 1 if held else 0, due, 1)


@pytest.mark.parametrize("immediate", [False, True])
def test_no_version_is_pushed_or_held_behind_a_newer_one(immediate: bool) -> None:
    for gate in gates():
        for number in range(1, 9):
            step = on_version(gate, number, immediate=immediate, now=100.0, cooldown=60)
            newest = max(gate.pushed_version, gate.held_version)
            if number < newest:
                assert step.action is Action.SKIP, (gate, number)
            if step.gate is not None:
                assert step.gate.pushed_version >= gate.pushed_version
                # Whatever is held has a window message on its way (or already had one).
                if step.gate.held_version:
                    assert step.flush_at is not None or gate.flush_due >= gate.window_until


def test_a_release_is_due_only_when_the_window_has_ended() -> None:
    assert due_release(Gate(), now=10) is None
    held = Gate(window_until=100, pushed_version=2, held_version=4, held_count=2)
    assert due_release(held, now=99) == 100
    assert due_release(held, now=100) == Release(4, 2)
    settled = after_release(held, Release(4, 2), now=100, cooldown=60)
    assert settled.gate is not None
    assert (settled.gate.pushed_version, settled.gate.held_version) == (4, 0)
    assert settled.gate.window_until == 160
    assert after_release(settled.gate, Release(4, 2), now=101, cooldown=60).action is Action.SKIP


def test_what_waits_for_a_window() -> None:
    assert coalesces(version(3))
    assert not coalesces(version(1))
    assert not coalesces(version(3, urgency=Urgency.HIGH))
    assert not coalesces(version(3, audience=Audience.ALL))
    assert coalesces(version(3, change=ChangeKind.CORRECTION))
