"""One push job, several sender processes: a way to use every vCPU a Lambda has.

Encrypting and posting a message costs CPU (an ECDH agreement, AES-GCM, an
HTTP request), and one Python process uses one core. A Lambda with more
memory has more vCPUs (about one per 1,769 MB), so SendFunction can fork one
child per part (``SendPart``: an equal slice of the sub id space) and let each
run ``send_job`` for its slice with its own event loop, HTTP session and
boto3 clients. Each part has its own claim, checkpoints and retry jobs, so a
crashed or refused part is redone alone when SQS delivers the message again.

Children are forked (fast, and possible in Lambda, which has no /dev/shm for
multiprocessing's queues and pools: only ``Process`` and ``Pipe`` are used).
"""

import multiprocessing
import pickle
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from stoppress.contracts.jobs import PushJob
from stoppress.core.errors import StoppressError
from stoppress.send.model import DeliveryReport, SendPart

SendPartFn = Callable[[PushJob, SendPart], DeliveryReport]


class SenderProcessError(StoppressError):
    """A sender process failed with an error that could not be passed back as it was."""


def _child(conn: Any, send_part: SendPartFn, job: PushJob, part: SendPart) -> None:
    try:
        outcome: tuple[str, Any] = ("report", send_part(job, part))
    except BaseException as e:  # noqa: BLE001 - passed to the parent, which raises it
        outcome = ("error", e)
    try:
        conn.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError):
        conn.send(("error", SenderProcessError(f"{type(outcome[1]).__name__}: {outcome[1]}")))
    conn.close()


def send_in_parts(job: PushJob, parts: int, send_part: SendPartFn) -> DeliveryReport:
    """Run ``send_part`` for each of ``parts`` parts of ``job`` in forked processes.

    Returns the parts' reports added up. If any part failed, every other part
    still finishes, then the first error is raised.
    """
    if parts <= 1:
        return send_part(job, SendPart())
    ctx = multiprocessing.get_context("fork")
    running = []
    for index in range(parts):
        parent_end, child_end = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_child, args=(child_end, send_part, job, SendPart(index, parts)), daemon=True
        )
        process.start()
        child_end.close()
        running.append((process, parent_end))
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []
    for process, conn in running:
        try:
            kind, value = conn.recv()
        except EOFError:
            kind, value = "error", SenderProcessError("sender process died without a report")
        process.join()
        (reports if kind == "report" else errors).append(value)
    if errors:
        raise errors[0]
    return _merge(reports)


def _merge(reports: list[DeliveryReport]) -> DeliveryReport:
    first = reports[0]
    return replace(
        first,
        sent=sum(r.sent for r in reports),
        expired=sum(r.expired for r in reports),
        failed=sum(r.failed for r in reports),
        retried=sum(r.retried for r in reports),
        retry_jobs=sum(r.retry_jobs for r in reports),
        retired=sum(r.retired for r in reports),
        confirmed=sum(r.confirmed for r in reports),
        extended=sum(r.extended for r in reports),
        lapsed=sum(r.lapsed for r in reports),
        duplicate=all(r.duplicate for r in reports),
        duration_seconds=max(r.duration_seconds for r in reports),
    )
