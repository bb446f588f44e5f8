"""Calm during a storm: a story's followers get at most one update push per cooldown.

The first update that reaches a story's followers opens a window (the
``UpdateCooldownSeconds`` parameter, ten minutes by default) and goes out at once.
Updates landing inside the window are held, not dropped: only the latest held
version matters, with a count of how many there were. When the window closes,
one push carries the latest held version, says how many updates it covers, and
opens the next window. ``urgency: high`` (or a ``breaking`` tag) and
``notify: all`` go out at once and open a window too: the followers were just told.

The window lives in the table, one item per story (the ``Gate``), written only
under a condition on the revision it was read at, so a stream record and a
window closing at the same moment serialise instead of both pushing. Closing a
window is a message on the cooldown queue, delayed until the window's end
(SQS delays a message at most 15 minutes; a longer window re-delays it until it
is due). Everything that decides lives in the table and on the queue, so a
redeployment, even one that changes the cooldown, finishes the windows that are
open with the end they were given.

An embargo is the same wait with another end. A version whose embargo is
ahead is held in the gate, the window ending at the embargo, whatever its
urgency or audience: the embargo wins. Versions stored before that time join
it (the latest is what goes out; one with a later embargo moves the release
later), and a story never pushed is released as a new story, to the audience
its first version had (``held_new``, ``held_all``). An editor's ``notify:
none`` before the embargo calls the held release off (``on_silent``).

This module holds the rules (pure functions of a gate, a version and the time)
and the two steps that apply them: ``notify_update`` for a new version off the
stream, ``close_window`` for a window's message.
"""

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final, Protocol

from stoppress.articles.model import Audience, ChangeKind, Version
from stoppress.core.errors import TransientError
from stoppress.core.observability import logger
from stoppress.core.settings import NotifySettings
from stoppress.notify.planning import push_urgency
from stoppress.notify.service import JobLedger, JobQueue, notify_version
from stoppress.webpush.headers import Urgency

WRITE_ATTEMPTS: Final = 5


@dataclass(frozen=True)
class Gate:
    """One story's cooldown, as stored. Times are epoch seconds; 0 means none."""

    # The open window's end (a window is open while now < window_until); with a version
    # held, when it goes out: the cooldown's end, or its embargo's when that is later.
    window_until: float = 0.0
    # The latest version pushed to the followers through this gate, or on its way to them
    # (or, for a version that called its held push off, settled without a push).
    pushed_version: int = 0
    # The latest update held back in the window, and how many updates were held.
    held_version: int = 0
    held_count: int = 0
    # The release time the window message on the queue answers for (a message due
    # earlier sends itself again until then): one message per held release is enough.
    flush_due: float = 0.0
    # Bumped by every write; 0: no item yet.
    revision: int = 0
    # The embargo the held version waits for; 0: none (it waits for the cooldown only).
    embargo_until: float = 0.0
    # The held version is the story's first push (its new version was embargoed): the
    # release announces it as a new story, whatever the later versions were judged.
    held_new: bool = False
    # A held version was meant for everyone (a new story's default, or ``notify: all``):
    # a later, ordinary update held in its place does not narrow the release.
    held_all: bool = False
    # ``pushed_version`` was settled by the gate itself (a window's release, which retries
    # through its own message, or a push called off): a replay of its record pushes nothing.
    released: bool = False


class Action(StrEnum):
    PUSH = "push"
    HOLD = "hold"
    SKIP = "skip"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Step:
    """What to do with a version: push it, hold it, or skip it (a newer one covers it)."""

    action: Action
    # The gate to write (under the read revision) before acting; None: unchanged.
    gate: Gate | None = None
    # Put a window message on the queue, due then.
    flush_at: float | None = None


def coalesces(version: Version) -> bool:
    """Whether a version waits for its story's window: an update for the followers only,
    at less than high urgency. New stories, ``notify: all`` and breaking news go at once."""
    return (
        version.change is not ChangeKind.NEW
        and version.audience is Audience.FOLLOWERS
        and push_urgency(version) is not Urgency.HIGH
    )


def on_version(
    gate: Gate,
    number: int,
    *,
    immediate: bool,
    now: float,
    cooldown: float,
    embargo_until: float = 0.0,
    new_story: bool = False,
    to_all: bool = False,
) -> Step:
    """The step for version ``number`` of a story: an update for its followers, or a
    new story under an embargo.

    A version the gate has already let through (a replayed stream record) is
    pushed again: the job ledger knows which of its jobs are on the queue. One
    the gate settled itself (a window's release) is not: the release retries
    through its own message, and may have gone out as a new story, which the
    version's own record would not repeat. One older than what was pushed or
    held is covered by that newer one.

    ``embargo_until``: the version's embargo (epoch seconds; 0: none).
    ``new_story``: it is the story's first version; ``to_all``: it is meant for
    everyone. Both only matter when it is held: they shape the release.
    """
    if number < gate.pushed_version or number < gate.held_version:
        return Step(Action.SKIP)
    if number == gate.pushed_version:
        return Step(Action.SKIP if gate.released else Action.PUSH)
    if number == gate.held_version:
        # A replay of the held version: its window message must be on the queue,
        # and a second one is harmless (closing a window twice pushes once).
        return Step(Action.HOLD, flush_at=gate.window_until)
    holding = gate.held_version != 0
    if now < embargo_until or (holding and (gate.held_new or now < gate.embargo_until)):
        # Under an embargo, or joining a release that waits for one or announces the
        # story: urgency and notify: all do not go first, and this version goes in the
        # held one's place. The release is never brought forward.
        release_at = max(gate.window_until if holding or not immediate else 0.0, embargo_until)
        held = replace(
            gate,
            window_until=release_at,
            held_version=number,
            held_count=gate.held_count + 1,
            flush_due=release_at,
            embargo_until=max(gate.embargo_until, embargo_until) if holding else embargo_until,
            held_new=gate.held_new if holding else new_story,
            held_all=(gate.held_all and holding) or to_all,
        )
        return Step(Action.HOLD, held, None if _on_its_way(gate) else release_at)
    opened = replace(gate, window_until=now + cooldown, pushed_version=number, released=False)
    if immediate:
        # Whatever was held is older, and this push carries the story as it is now.
        return Step(Action.PUSH, _nothing_held(opened))
    if now < gate.window_until or holding:
        # Inside the window, or just after it with its message not yet handled:
        # the held version gives way to this one, pushed when the window closes.
        held = replace(
            gate,
            held_version=number,
            held_count=gate.held_count + 1,
            flush_due=gate.window_until,
        )
        return Step(Action.HOLD, held, None if _on_its_way(gate) else gate.window_until)
    return Step(Action.PUSH, opened)


def on_silent(
    gate: Gate,
    number: int,
    *,
    now: float,
    cooldown: float,
    embargo_until: float,
    calls_off: bool,
) -> Step:
    """Version ``number`` was stored under an embargo but pushes nothing of its own: a
    correction, the same text with a later embargo, or an editor's ``notify: none``
    (``calls_off``), which calls the held release off.

    The others leave the release as it is, but never earlier than their embargo;
    a story not yet announced goes out with their text (its push shows the
    summary, and this is the story as it stands), an update's push keeps the
    held update's change line.

    A call-off records the version as settled, so an older version's record
    arriving after it (or replayed) is not held again. The window keeps at most
    a cooldown from now: the gate no longer knows when the cooldown alone would
    have ended, and a shorter wait could push twice within one.
    """
    if number <= gate.pushed_version or number < gate.held_version:
        return Step(Action.SKIP)
    holding = gate.held_version != 0
    if calls_off:
        settled = replace(gate, pushed_version=number, released=True)
        if not holding:
            return Step(Action.SKIP, settled)
        called_off = replace(
            _nothing_held(settled),
            window_until=min(gate.window_until, now + cooldown),
            # The message on the queue will find nothing held; the next hold sends its own.
            flush_due=0.0,
        )
        return Step(Action.CANCEL, called_off)
    if not holding:
        return Step(Action.SKIP)
    release_at = max(gate.window_until, embargo_until)
    later = replace(
        gate,
        window_until=release_at,
        flush_due=release_at,
        embargo_until=max(gate.embargo_until, embargo_until),
        held_version=number if gate.held_new else gate.held_version,
    )
    if later == gate:
        return Step(Action.SKIP)
    return Step(Action.HOLD, later)


def _nothing_held(gate: Gate) -> Gate:
    return replace(
        gate, held_version=0, held_count=0, embargo_until=0.0, held_new=False, held_all=False
    )


def _on_its_way(gate: Gate) -> bool:
    """Whether a window message for the gate's held release is already on the queue."""
    return gate.held_version != 0 and gate.flush_due >= gate.window_until


@dataclass(frozen=True)
class Release:
    """What closing a window pushes: the latest held version, covering ``covers`` updates;
    as the story's first push (``new_story``), and to everyone (``to_all``)."""

    version: int
    covers: int
    new_story: bool = False
    to_all: bool = False


def due_release(gate: Gate, *, now: float) -> Release | float | None:
    """Closing a window: the release to push, the time to wait for (the window was
    extended since its message was sent, or ends past what SQS can delay), or None
    when nothing is held."""
    if not gate.held_version:
        return None
    if now < gate.window_until:
        return gate.window_until
    return Release(gate.held_version, gate.held_count, gate.held_new, gate.held_all)


def as_released(version: Version, release: Release) -> Version:
    """The held version as its release pushes it.

    A story never pushed is announced as a new story, with the latest text,
    however its later versions were judged (updates of a story nobody has
    heard of); a release some held version meant for everyone goes to everyone.
    """
    change = ChangeKind.NEW if release.new_story else version.change
    audience = Audience.ALL if release.to_all else Audience.FOLLOWERS
    if (change, audience) == (version.change, version.audience):
        return version
    return version.model_copy(update={"change": change, "audience": audience})


def after_release(gate: Gate, release: Release, *, now: float, cooldown: float) -> Step:
    """The gate once ``release`` is on the queue, as re-read (others may have written since).

    The release opens the next window. An update held while it was being pushed
    stays held, for the window just opened.
    """
    if gate.pushed_version >= release.version:
        return Step(Action.SKIP)  # a newer push, or this release before, already settled it
    opened = replace(
        gate, window_until=now + cooldown, pushed_version=release.version, released=True
    )
    if gate.held_version <= release.version:
        return Step(Action.PUSH, _nothing_held(opened))
    # The later version is an update of a story now announced; it still waits for
    # its own embargo if that is later than the window.
    embargo = gate.embargo_until if gate.embargo_until > now else 0.0
    later = replace(
        opened,
        window_until=max(opened.window_until, embargo),
        held_count=max(gate.held_count - release.covers, 1),
        embargo_until=embargo,
        held_new=False,
        held_all=gate.held_all and not release.to_all,
    )
    later = replace(later, flush_due=later.window_until)
    return Step(Action.HOLD, later, later.window_until)


# -- applying the rules ----------------------------------------------------------------


class GateStore(Protocol):
    def read(self, article_id: str) -> Gate: ...

    def write(self, article_id: str, gate: Gate, *, expected_revision: int) -> bool:
        """Store ``gate`` if the stored revision is still ``expected_revision``."""
        ...

    def version(self, article_id: str, number: int) -> Version | None: ...


class WindowQueue(Protocol):
    def schedule(self, article_id: str, *, due: float, now: float) -> None:
        """A message that comes back at ``due`` (or as close to it as the queue can delay)."""
        ...


def notify_update(
    version: Version,
    *,
    gates: GateStore,
    windows: WindowQueue,
    ledger: JobLedger,
    queue: JobQueue,
    settings: NotifySettings,
    now: float,
) -> int:
    """Push a version now, or hold it for its window or its embargo.

    Returns how many jobs went on the queue. The gate is written before any job
    is enqueued: if enqueueing then fails, the stream's retry finds the version
    let through and pushes it again (the ledger skips what is already out).
    A new story has no followers to calm: unless it was stored under an embargo,
    it goes out at once, its gate untouched. A silent version (notify hears of
    one only when it was stored under an embargo) pushes nothing: it may call
    the held push off, or delay it.
    """
    cooldown = settings.update_cooldown
    embargo = embargo_time(version)
    if version.audience is Audience.NONE:
        step = _settle(
            gates,
            version.article_id,
            lambda gate: on_silent(
                gate,
                version.number,
                now=now,
                cooldown=cooldown,
                embargo_until=embargo,
                calls_off=version.cancels_push,
            ),
        )
        logger.info(
            "held push called off" if step.action is Action.CANCEL else "silent version settled",
            extra={"action": step.action.value, "embargo_until": embargo},
        )
        return 0
    new_story = version.change is ChangeKind.NEW
    if new_story and version.embargo_until is None:
        return notify_version(version, ledger=ledger, queue=queue, settings=settings)
    # An embargoed new story asks the gate even once its embargo has passed: its
    # push may have been called off by a version whose record came first.
    immediate = not coalesces(version)
    step = _settle(
        gates,
        version.article_id,
        lambda gate: on_version(
            gate,
            version.number,
            immediate=immediate,
            now=now,
            cooldown=cooldown,
            embargo_until=embargo,
            new_story=new_story,
            to_all=version.audience is Audience.ALL,
        ),
    )
    if step.flush_at is not None:
        windows.schedule(version.article_id, due=step.flush_at, now=now)
    if step.action is Action.PUSH:
        return notify_version(version, ledger=ledger, queue=queue, settings=settings)
    logger.info(
        "version held" if step.action is Action.HOLD else "version already covered",
        extra={"action": step.action.value, "flush_at": step.flush_at, "embargo_until": embargo},
    )
    return 0


def embargo_time(version: Version) -> float:
    """The version's embargo in epoch seconds; 0 when it has none."""
    return version.embargo_until.timestamp() if version.embargo_until is not None else 0.0


def needs_gate(version: Version, *, cooldown: int) -> bool:
    """Whether the story's gate decides when ``version`` goes out: every version under a
    cooldown, and with the cooldown off, those stored under an embargo."""
    return bool(cooldown) or version.embargo_until is not None


def close_window(
    article_id: str,
    *,
    gates: GateStore,
    windows: WindowQueue,
    ledger: JobLedger,
    queue: JobQueue,
    settings: NotifySettings,
    now: float,
) -> int:
    """A window's message came due: push the latest held version, if any; returns jobs enqueued.

    The release is enqueued before the gate records it: a failure leaves the
    gate as it was, the message comes back, and the ledger keeps the second try
    from sending twice.
    """
    due = due_release(gates.read(article_id), now=now)
    if due is None:
        logger.info("window closed with nothing held", extra={"article_id": article_id})
        return 0
    if not isinstance(due, Release):
        windows.schedule(article_id, due=due, now=now)
        return 0
    version = gates.version(article_id, due.version)
    enqueued = 0
    if version is None:
        logger.error(
            "held version not found, window closed without a push",
            extra={"article_id": article_id, "version": due.version},
        )
    else:
        enqueued = notify_version(
            as_released(version, due),
            ledger=ledger,
            queue=queue,
            settings=settings,
            covers=due.covers,
        )
    step = _settle(
        gates,
        article_id,
        lambda gate: after_release(gate, due, now=now, cooldown=settings.update_cooldown),
    )
    if step.flush_at is not None:
        windows.schedule(article_id, due=step.flush_at, now=now)
    logger.info(
        "window closed",
        extra={
            "article_id": article_id,
            "version": due.version,
            "covers": due.covers,
            "new_story": due.new_story,
        },
    )
    return enqueued


def _settle(gates: GateStore, article_id: str, decide: "_Decide") -> Step:
    """Read, decide, write under the read revision; again if someone wrote in between."""
    for _ in range(WRITE_ATTEMPTS):
        gate = gates.read(article_id)
        step = decide(gate)
        if step.gate is None or gates.write(article_id, step.gate, expected_revision=gate.revision):
            return step
    raise TransientError(f"the cooldown of {article_id} kept changing")


class _Decide(Protocol):
    def __call__(self, gate: Gate) -> Step: ...
