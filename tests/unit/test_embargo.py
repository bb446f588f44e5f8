"""Embargoes: the cooldown's gate holds a version until its embargo, with the clock in hand.

The same ``Storm`` as the cooldown's tests (in-memory gate, delayed window
queue, push-job queue, a clock the test moves). Versions carry the embargo
ingest gives them: the file's own, or the story's pending one inherited by an
upload before it (``tests/integration/test_embargo_ingest.py`` checks that side).
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from stoppress.articles.items import version_to_item
from stoppress.articles.model import Audience, ChangeKind
from stoppress.notify.cooldown import (
    Action,
    Gate,
    Release,
    after_release,
    as_released,
    due_release,
    needs_gate,
    on_silent,
    on_version,
)
from stoppress.notify.stream import new_version
from stoppress.webpush.headers import Urgency
from tests.unit.test_cooldown import COOLDOWN, STORY, Storm, version

HOUR = 3600.0
START = 1_000_000.0
EMBARGO = START + HOUR
NEW_STORY_TOPICS = ["all", "tag:floods"]


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def embargoed(until: float = EMBARGO, **changes: Any) -> dict[str, Any]:
    return {"embargo_until": at(until), **changes}


def sent(storm: Storm) -> list[tuple[int, str, str]]:
    """(version, topic, change) of every push, once per topic (shard 0's job)."""
    return [
        (j.version, j.topic, j.payload["article"]["change"])
        for j in storm.queue.jobs
        if j.shard == 0
    ]


def put(storm: Storm, number: int, **changes: Any) -> None:
    """Version ``number`` of the story, tagged for the floods section, stored now."""
    storm.update(number, **{"tags": ("Floods",), "created_at": at(storm.now), **changes})


def new_story(storm: Storm, **changes: Any) -> None:
    put(storm, 1, **changes)


def test_an_embargoed_new_story_waits_and_goes_out_as_a_new_story() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(HOUR - 1)
    assert sent(storm) == []

    storm.advance(1)
    assert sent(storm) == [(1, "all", "new"), (1, "tag:floods", "new")]
    payload = storm.queue.jobs[0].payload
    assert payload["notification"]["body"] == "The river is rising."
    # News from its embargo on, not from when it was stored an hour before.
    assert payload["notification"]["timestamp"] == int(EMBARGO * 1000)
    assert storm.windows.messages == []


def test_updates_before_the_embargo_replace_the_new_story_and_go_out_as_it() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(600)
    put(storm, 2, summary="The river burst its banks.", **embargoed())
    storm.advance(600)
    put(storm, 3, summary="The town is cut off.", **embargoed())
    assert sent(storm) == []

    storm.advance(HOUR)
    # One push, of the latest text, to the new story's audience: everyone and its section.
    assert sent(storm) == [(3, "all", "new"), (3, "tag:floods", "new")]
    notification = storm.queue.jobs[0].payload["notification"]
    assert notification["body"] == "The town is cut off."
    assert "updates" not in storm.queue.jobs[0].payload["article"]
    assert not [a for a in notification["actions"] if a["action"] == "unfollow"]


def test_an_update_without_the_embargo_line_still_waits_for_it() -> None:
    """The gate holds what comes after an embargoed version, even with no embargo of its own."""
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(storm, 2)
    storm.advance(HOUR)
    assert sent(storm) == [(2, "all", "new"), (2, "tag:floods", "new")]


def test_a_later_embargo_moves_the_release_later() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(storm, 2, **embargoed(EMBARGO + HOUR))
    storm.advance(HOUR)
    assert sent(storm) == []
    assert storm.gates.gate.window_until == EMBARGO + HOUR

    storm.advance(HOUR)
    assert [v for v, _, _ in sent(storm)] == [2, 2]


def test_an_update_cannot_bring_the_release_forward() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(storm, 2, **embargoed(START + 120))
    storm.advance(600)
    assert sent(storm) == []
    storm.advance(HOUR)
    assert [v for v, _, _ in sent(storm)] == [2, 2]


def test_notify_none_before_the_embargo_calls_the_push_off() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(storm, 2, audience=Audience.NONE, cancels_push=True, **embargoed())
    assert storm.gates.gate.held_version == 0
    storm.advance(2 * HOUR)
    assert sent(storm) == []

    # A replay of the embargoed version's record does not bring it back.
    put(storm, 1, **embargoed())
    storm.advance(HOUR)
    assert sent(storm) == []


def test_after_a_call_off_a_later_update_is_an_update_again() -> None:
    """Calling the push off forgets the announcement: what comes next goes by its own audience."""
    storm = Storm()
    new_story(storm, **embargoed())
    put(storm, 2, audience=Audience.NONE, cancels_push=True, **embargoed())
    storm.advance(60)
    put(storm, 3, **embargoed())
    storm.advance(HOUR)
    assert sent(storm) == [(3, f"article:{STORY}", "update")]


def test_a_correction_before_the_embargo_is_the_text_a_new_story_goes_out_with() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(
        storm,
        2,
        summary="The river is rising fast.",
        change=ChangeKind.CORRECTION,
        audience=Audience.NONE,
        **embargoed(),
    )
    storm.advance(HOUR)
    assert sent(storm) == [(2, "all", "new"), (2, "tag:floods", "new")]
    assert storm.queue.jobs[0].payload["notification"]["body"] == "The river is rising fast."


def test_the_same_text_with_a_later_embargo_moves_the_release() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(60)
    put(storm, 2, change=ChangeKind.CORRECTION, audience=Audience.NONE, **embargoed(EMBARGO + HOUR))
    storm.advance(HOUR)
    assert sent(storm) == []
    storm.advance(HOUR)
    assert [v for v, _, _ in sent(storm)] == [2, 2]


def test_a_call_off_that_arrives_before_the_version_it_silences() -> None:
    storm = Storm()
    put(storm, 2, audience=Audience.NONE, cancels_push=True, **embargoed())
    new_story(storm, **embargoed())
    storm.advance(2 * HOUR)
    assert sent(storm) == []
    assert storm.windows.messages == []


@pytest.mark.parametrize(
    "changes",
    [{"urgency": Urgency.HIGH}, {"tags": ("Breaking",)}, {"audience": Audience.ALL}],
    ids=["urgency high", "breaking tag", "notify all"],
)
def test_the_embargo_wins_over_urgency_and_notify_all(changes: dict[str, Any]) -> None:
    storm = Storm()
    storm.update(1)  # published and pushed the usual way
    storm.advance(COOLDOWN * 2)
    put(storm, 2, **embargoed(storm.now + HOUR), **changes)
    storm.advance(HOUR - 1)
    assert [v for v, _, _ in sent(storm)] == [1]
    storm.advance(1)
    assert (2, f"article:{STORY}", "update") in sent(storm)


def test_a_release_meant_for_everyone_is_not_narrowed_by_a_later_update() -> None:
    storm = Storm()
    storm.update(1)
    storm.advance(COOLDOWN * 2)
    end = storm.now + HOUR
    put(storm, 2, audience=Audience.ALL, **embargoed(end))
    storm.advance(60)
    put(storm, 3, **embargoed(end))
    storm.advance(HOUR)
    assert sent(storm)[1:] == [(3, "all", "update"), (3, f"article:{STORY}", "update")]
    assert storm.queue.jobs[-1].payload["article"]["updates"] == 2


def test_an_embargo_shorter_than_the_open_window_waits_for_the_window() -> None:
    storm = Storm()
    storm.update(1)
    put(storm, 2)  # pushed, the window opens
    storm.advance(60)
    put(storm, 3, **embargoed(storm.now + 60))
    storm.advance(120)
    assert [v for v, _, _ in sent(storm)] == [1, 2]
    storm.advance(COOLDOWN)
    assert [v for v, _, _ in sent(storm)] == [1, 2, 3]


def test_an_embargo_already_past_does_not_wait() -> None:
    storm = Storm()
    new_story(storm, **embargoed(START - 1))
    assert sent(storm) == [(1, "all", "new"), (1, "tag:floods", "new")]
    storm.advance(COOLDOWN * 2)
    put(storm, 2, **embargoed(storm.now - 1))
    assert sent(storm)[-1] == (2, f"article:{STORY}", "update")


def test_a_new_story_whose_record_arrives_after_its_embargo_goes_at_once() -> None:
    storm = Storm()
    storm.now = EMBARGO + 5
    new_story(storm, **embargoed())
    assert [v for v, _, _ in sent(storm)] == [1, 1]
    assert storm.gates.gate.pushed_version == 1


def test_an_update_after_the_embargo_joins_a_release_not_yet_handled() -> None:
    """The embargo passed, its message is not handled yet: the story is still unannounced."""
    storm = Storm()
    new_story(storm, **embargoed())
    storm.now = EMBARGO + 1
    put(storm, 2, urgency=Urgency.HIGH)
    assert sent(storm) == []
    storm.advance(0)
    assert sent(storm) == [(2, "all", "new"), (2, "tag:floods", "new")]


def test_an_embargo_longer_than_sqs_can_delay_is_waited_out_in_steps() -> None:
    storm = Storm()
    end = START + 2 * 86_400
    new_story(storm, **embargoed(end))
    storm.advance(86_400)
    assert sent(storm) == []
    assert len(storm.windows.messages) == 1  # one message, sent again every 15 minutes
    storm.advance(86_400)
    assert [v for v, _, _ in sent(storm)] == [1, 1]


def test_replayed_records_after_the_release_push_nothing_more() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    put(storm, 2, **embargoed())
    storm.advance(HOUR)
    before = list(storm.queue.jobs)
    # A late replay of the released version's record: the release was a new story,
    # and the record alone would make it an update for the followers.
    put(storm, 2, **embargoed())
    put(storm, 1, **embargoed())
    assert storm.queue.jobs == before


def test_the_cooldown_still_applies_after_the_release() -> None:
    storm = Storm()
    new_story(storm, **embargoed())
    storm.advance(HOUR)
    storm.advance(60)
    put(storm, 2)
    put(storm, 3)
    assert [v for v, _, _ in sent(storm)] == [1, 1]
    storm.advance(COOLDOWN)
    assert sent(storm)[-1] == (3, f"article:{STORY}", "update")


def test_with_the_cooldown_off_an_embargo_still_holds() -> None:
    storm = Storm(cooldown=0)
    new_story(storm, **embargoed())
    put(storm, 2, **embargoed())
    storm.advance(HOUR)
    assert [v for v, _, _ in sent(storm)] == [2, 2]
    put(storm, 3)
    put(storm, 4)
    assert [v for v, _, _ in sent(storm)] == [2, 2, 3, 4]


def test_which_versions_the_gate_decides() -> None:
    plain = version(3)
    assert needs_gate(plain, cooldown=600)
    assert not needs_gate(plain, cooldown=0)
    assert not needs_gate(version(1), cooldown=0)
    assert needs_gate(version(1, **embargoed()), cooldown=0)
    assert needs_gate(
        version(3, audience=Audience.NONE, cancels_push=True, **embargoed()), cooldown=0
    )


def test_notify_reads_silent_versions_off_the_stream_only_under_an_embargo() -> None:
    def record(**changes: Any) -> dict[str, Any]:
        item = version_to_item(version(3, **changes))
        image = {k: TypeSerializer().serialize(v) for k, v in item.items()}
        keys = {"pk": image["pk"], "sk": image["sk"]}
        return {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": image}}

    correction = {"change": ChangeKind.CORRECTION, "audience": Audience.NONE}
    assert new_version(record(**correction)) is None
    under_embargo = new_version(record(**correction, **embargoed()))
    assert under_embargo is not None
    assert under_embargo.embargo_until == at(EMBARGO)
    called_off = new_version(record(**correction, cancels_push=True, **embargoed()))
    assert called_off is not None
    assert called_off.cancels_push


# -- the rules on their own -----------------------------------------------------------


def gates() -> list[Gate]:
    out = []
    for window in (0.0, 50.0, 150.0):
        for pushed in (0, 2):
            for held in (0, 3):
                for embargo in (0.0, 150.0, 400.0):
                    for new in (False, True):
                        if not held and (embargo or new):
                            continue
                        out.append(
                            Gate(
                                window_until=max(window, embargo) if held else window,
                                pushed_version=pushed,
                                held_version=held,
                                held_count=1 if held else 0,
                                flush_due=max(window, embargo) if held else 0.0,
                                revision=1,
                                embargo_until=embargo,
                                held_new=new,
                            )
                        )
    return out


@pytest.mark.parametrize("immediate", [False, True])
@pytest.mark.parametrize("embargo", [0.0, 90.0, 300.0])
def test_nothing_is_pushed_before_an_embargo(immediate: bool, embargo: float) -> None:
    now = 100.0
    for gate in gates():
        for number in range(4, 7):
            step = on_version(
                gate, number, immediate=immediate, now=now, cooldown=60, embargo_until=embargo
            )
            waiting = gate.held_version and (gate.held_new or now < gate.embargo_until)
            if now < embargo or waiting:
                assert step.action is Action.HOLD, (gate, number)
                assert step.gate is not None
                # Never brought forward, and a message is on its way for it.
                assert step.gate.window_until >= max(embargo, gate.embargo_until)
                assert step.gate.window_until >= (gate.window_until if gate.held_version else 0)
                assert step.flush_at is not None or gate.held_version


def test_a_release_remembers_how_it_goes_out() -> None:
    held = on_version(
        Gate(),
        1,
        immediate=True,
        now=10,
        cooldown=60,
        embargo_until=100,
        new_story=True,
        to_all=True,
    ).gate
    assert held is not None
    assert (held.window_until, held.held_new, held.held_all, held.embargo_until) == (
        100,
        True,
        True,
        100,
    )
    assert due_release(held, now=99) == 100
    release = due_release(held, now=100)
    assert release == Release(1, 1, new_story=True, to_all=True)
    settled = after_release(held, release, now=100, cooldown=60).gate
    assert settled is not None
    assert (settled.pushed_version, settled.held_version, settled.released) == (1, 0, True)
    assert (settled.held_new, settled.held_all, settled.embargo_until) == (False, False, 0)


def test_an_update_held_while_a_new_story_is_released_waits_as_an_update() -> None:
    gate = Gate(
        window_until=100,
        held_version=2,
        held_count=2,
        flush_due=100,
        embargo_until=300,
        held_new=True,
        held_all=True,
        revision=3,
    )
    step = after_release(gate, Release(1, 1, new_story=True, to_all=True), now=100, cooldown=60)
    assert step.action is Action.HOLD
    assert step.gate is not None
    assert (step.gate.held_version, step.gate.held_new, step.gate.held_all) == (2, False, False)
    # Its own embargo is later than the window the release opened.
    assert step.gate.window_until == step.flush_at == 300


def silent(gate: Gate, number: int, *, embargo: float = 5000, calls_off: bool = False) -> Any:
    return on_silent(gate, number, now=100, cooldown=60, embargo_until=embargo, calls_off=calls_off)


HELD_UPDATE = Gate(
    window_until=5000,
    pushed_version=2,
    held_version=3,
    held_count=1,
    flush_due=5000,
    embargo_until=5000,
    revision=4,
)


def test_calling_off_keeps_at_most_one_cooldown_of_window() -> None:
    step = silent(HELD_UPDATE, 4, calls_off=True)
    assert step.action is Action.CANCEL
    assert step.gate is not None
    assert (step.gate.held_version, step.gate.embargo_until, step.gate.flush_due) == (0, 0, 0)
    assert (step.gate.pushed_version, step.gate.window_until) == (4, 160)
    assert silent(step.gate, 4, calls_off=True).action is Action.SKIP
    # An older call-off than what is held now does not touch it.
    assert silent(HELD_UPDATE, 2, calls_off=True).action is Action.SKIP


def test_a_silent_version_under_the_embargo_never_brings_the_release_forward() -> None:
    assert silent(HELD_UPDATE, 4).action is Action.SKIP  # the same embargo: nothing to do
    later = silent(HELD_UPDATE, 4, embargo=9000)
    assert later.action is Action.HOLD
    assert later.gate is not None
    # An update's release keeps the held update (and its change line), and waits longer.
    assert (later.gate.held_version, later.gate.window_until, later.gate.flush_due) == (
        3,
        9000,
        9000,
    )
    assert later.flush_at is None  # the message on its way sends itself again until then
    # Nothing held: a silent version has nothing to push, now or later.
    assert silent(Gate(pushed_version=3, revision=1), 4, embargo=9000).action is Action.SKIP


def test_a_release_as_it_is_pushed() -> None:
    update = version(3, change_line="The river fell.")
    assert as_released(update, Release(3, 2)) is update
    announced = as_released(update, Release(3, 2, new_story=True, to_all=True))
    assert (announced.change, announced.audience) == (ChangeKind.NEW, Audience.ALL)
    sections_only = as_released(update, Release(3, 1, new_story=True))
    assert (sections_only.change, sections_only.audience) == (ChangeKind.NEW, Audience.FOLLOWERS)
    widened = as_released(update, Release(3, 2, to_all=True))
    assert (widened.change, widened.audience) == (ChangeKind.UPDATE, Audience.ALL)
