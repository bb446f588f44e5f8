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

    # The open window's end (a window is open while now < window_until).
    window_until: float = 0.0
    # The latest version pushed to the followers through this gate, or on its way to them.
    pushed_version: int = 0
    # The latest update held back in the window, and how many updates were held.
    held_version: int = 0
    held_count: int = 0
    # When the window message already on the queue falls due (one per window is enough).
    flush_due: float = 0.0
    # Bumped by every write; 0: no item yet.
    revision: int = 0


class Action(StrEnum):
    PUSH = "push"
    HOLD = "hold"
    SKIP = "skip"


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


def on_version(gate: Gate, number: int, *, immediate: bool, now: float, cooldown: float) -> Step:
    """The step for version ``number`` of a story whose followers hear about it.

    A version the gate has already let through (a replayed stream record) is
    pushed again: the job ledger knows which of its jobs are on the queue. One
    older than what was pushed or held is covered by that newer one.
    """
    if number < gate.pushed_version or number < gate.held_version:
        return Step(Action.SKIP)
    if number == gate.pushed_version:
        return Step(Action.PUSH)
    opened = replace(gate, window_until=now + cooldown, pushed_version=number)
    if immediate:
        # Whatever was held is older, and this push carries the story as it is now.
        return Step(Action.PUSH, replace(opened, held_version=0, held_count=0))
    if number == gate.held_version:
        # A replay of the held version: its window message must be on the queue,
        # and a second one is harmless (closing a window twice pushes once).
        return Step(Action.HOLD, flush_at=gate.window_until)
    if now < gate.window_until or gate.held_version:
        # Inside the window, or just after it with its message not yet handled:
        # the held version gives way to this one, pushed when the window closes.
        scheduled = gate.flush_due >= gate.window_until
        held = replace(
            gate,
            held_version=number,
            held_count=gate.held_count + 1,
            flush_due=gate.window_until,
        )
        return Step(Action.HOLD, held, None if scheduled else gate.window_until)
    return Step(Action.PUSH, opened)


@dataclass(frozen=True)
class Release:
    """What closing a window pushes: the latest held version, covering ``covers`` updates."""

    version: int
    covers: int


def due_release(gate: Gate, *, now: float) -> Release | float | None:
    """Closing a window: the release to push, the time to wait for (the window was
    extended since its message was sent), or None when nothing is held."""
    if not gate.held_version:
        return None
    if now < gate.window_until:
        return gate.window_until
    return Release(gate.held_version, gate.held_count)


def after_release(gate: Gate, release: Release, *, now: float, cooldown: float) -> Step:
    """The gate once ``release`` is on the queue, as re-read (others may have written since).

    The release opens the next window. An update held while it was being pushed
    stays held, for the window just opened.
    """
    if gate.pushed_version >= release.version:
        return Step(Action.SKIP)  # a newer push, or this release before, already settled it
    opened = replace(gate, window_until=now + cooldown, pushed_version=release.version)
    if gate.held_version <= release.version:
        return Step(Action.PUSH, replace(opened, held_version=0, held_count=0))
    later = replace(
        opened,
        held_count=max(gate.held_count - release.covers, 1),
        flush_due=opened.window_until,
    )
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
    """Push a version that goes to its story's followers now, or hold it for its window.

    Returns how many jobs went on the queue. The gate is written before any job
    is enqueued: if enqueueing then fails, the stream's retry finds the version
    let through and pushes it again (the ledger skips what is already out).
    A new story has no followers to calm: it goes out at once, its gate untouched.
    """
    if version.change is ChangeKind.NEW:
        return notify_version(version, ledger=ledger, queue=queue, settings=settings)
    immediate = not coalesces(version)
    step = _settle(
        gates,
        version.article_id,
        lambda gate: on_version(
            gate, version.number, immediate=immediate, now=now, cooldown=settings.update_cooldown
        ),
    )
    if step.flush_at is not None:
        windows.schedule(version.article_id, due=step.flush_at, now=now)
    if step.action is Action.PUSH:
        return notify_version(version, ledger=ledger, queue=queue, settings=settings)
    logger.info(
        "update held for its window" if step.action is Action.HOLD else "update already covered",
        extra={"action": step.action.value, "flush_at": step.flush_at},
    )
    return 0


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
            version, ledger=ledger, queue=queue, settings=settings, covers=due.covers
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
        extra={"article_id": article_id, "version": due.version, "covers": due.covers},
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
