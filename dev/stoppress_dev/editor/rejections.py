"""``stoppress rejected``: the uploads ingest refused lately, and why.

Rejections are keyed by the S3 key they concern (``REJECTED#<key>``), so "every
recent one" has no key to query by: the table is scanned. That reads every item,
which is why the scan is paged, shows its progress, and stops at a bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from stoppress_dev.editor.reader import ScanPage, StackReader
from stoppress_dev.editor.target import EditorError

_AGE: Final = re.compile(r"^(\d{1,6})([mhd])$")
_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, *, now: datetime) -> datetime:
    """``24h``, ``90m``, ``7d`` back from ``now``; or a date or time (``2026-11-30``,
    ``2026-11-30T08:00``), in this machine's time zone unless it names one."""
    age = _AGE.match(text.strip())
    if age:
        return now - timedelta(**{_UNITS[age.group(2)]: int(age.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise EditorError(
            f"--since takes an age (24h, 90m, 7d) or a date (2026-11-30), not {text!r}",
            usage=True,
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


@dataclass(frozen=True)
class Rejection:
    key: str
    reason: str
    rejected_at: datetime
    bucket: str | None
    version_id: str | None


@dataclass(frozen=True)
class RejectionScan:
    since: datetime
    # Newest first.
    rejections: tuple[Rejection, ...]
    scanned: int
    # False when the scan stopped at its bound before reading the whole table.
    complete: bool


def recent_rejections(
    *,
    reader: StackReader,
    since: datetime,
    scan_limit: int,
    on_page: Callable[[ScanPage, int], None] | None = None,
) -> RejectionScan:
    """Rejections recorded at or after ``since``, reading at most about ``scan_limit`` items.

    ``on_page(page, scanned so far)`` follows the scan.
    """
    found: list[Rejection] = []
    scanned = 0
    complete = False
    for page in reader.rejection_pages(page_size=min(1_000, scan_limit)):
        scanned += page.scanned
        found += [r for r in map(_rejection, page.items) if r.rejected_at >= since]
        if on_page is not None:
            on_page(page, scanned)
        if page.last:
            complete = True
            break
        if scanned >= scan_limit:
            break
    found.sort(key=lambda r: r.rejected_at, reverse=True)
    return RejectionScan(since=since, rejections=tuple(found), scanned=scanned, complete=complete)


def _rejection(item: dict[str, Any]) -> Rejection:
    # The sort key starts with the upload's event time: good enough where the record has no time.
    when = datetime.fromisoformat(str(item.get("rejected_at") or str(item["sk"]).partition("#")[0]))
    return Rejection(
        key=str(item.get("key") or str(item["pk"]).partition("#")[2]),
        reason=str(item.get("reason", "")),
        rejected_at=when if when.tzinfo is not None else when.replace(tzinfo=UTC),
        bucket=item.get("bucket"),
        version_id=item.get("version_id"),
    )
