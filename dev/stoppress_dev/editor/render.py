"""How the editor's commands show what they found: rich tables for people, JSON for scripts.

The JSON keys are documented in the README ("Editor's tools") and stay put: every
key is always present (null when it does not apply), times are ISO 8601 in UTC.
Text times are this machine's local time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from stoppress.articles.changes import SUBSTANTIAL_WORDS
from stoppress.articles.model import Audience
from stoppress_dev.editor.history import HeldUpdate, History, VersionDiff
from stoppress_dev.editor.preview import Preview
from stoppress_dev.editor.reader import DELIVERY_COUNTS
from stoppress_dev.editor.rejections import RejectionScan
from stoppress_dev.editor.worddiff import Op

# What the preview calls ingest's outcomes: nothing is stored, so "stored" would mislead.
PREVIEW_STATUS: Final = {
    "stored": "new_version",
    "unchanged": "unchanged",
    "stale": "stale",
    "rejected": "rejected",
}
# Without colour (a pipe, a file, NO_COLOR), deletions and insertions are marked as
# `git diff --word-diff` marks them.
_PLAIN_MARKS: Final = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
_STYLES: Final = {"delete": "red strike", "insert": "green bold"}
SUBSCRIBERS_COUNTED: Final = "sum over topics"


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when is not None else None


def _stamp(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _clock(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _fields() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


# -- preview ---------------------------------------------------------------------------------


def preview_json(p: Preview) -> dict[str, Any]:
    v = p.version
    return {
        "key": p.key,
        "status": PREVIEW_STATUS[p.status],
        "article_id": p.article_id,
        "latest_version": p.latest,
        "version": v.number if v else None,
        "change": v.change.value if v else None,
        "audience": v.audience.value if v else None,
        "headline": v.headline if v else None,
        "dateline": v.dateline if v else None,
        "summary": v.summary if v else None,
        "change_line": v.change_line if v else None,
        "changed_words": v.changed_words if v else None,
        "compared_with": v.compared_with if v else None,
        "urgency": p.urgency.value if p.urgency else None,
        "topics": [{"topic": r.topic, "subscribers": r.subscribers} for r in p.reach],
        "subscribers": p.subscribers,
        "subscribers_counted": SUBSCRIBERS_COUNTED,
        "held_until": _iso(p.held_until),
        "reason": p.reason,
    }


def show_preview(p: Preview, console: Console) -> None:
    console.print(Text(f"Dry run of {p.key}: nothing stored, nothing sent", style="bold"))
    grid = _fields()
    if p.article_id:
        grid.add_row("article", p.article_id)
    latest = f"the story is at version {p.latest}" if p.latest else "a story not yet published"
    v = p.version
    if p.status == "rejected":
        grid.add_row("outcome", Text("rejected", style="bold red"))
        grid.add_row("reason", p.reason or "")
    elif p.status == "unchanged":
        grid.add_row("outcome", f"unchanged: no new version ({latest})")
    elif p.status == "stale" or v is None:
        grid.add_row("outcome", f"stale: older than the upload the story is at ({latest})")
    else:
        outcome = Text.assemble(
            (f"version {v.number}", "bold green"),
            f" ({v.change.value}, audience {v.audience.value}); {latest}",
        )
        grid.add_row("outcome", outcome)
        grid.add_row("headline", v.headline)
        grid.add_row("dateline", v.dateline or "–")
        grid.add_row("lead", v.summary)
        if v.compared_with is not None:
            grid.add_row("change line", v.change_line or "–")
            words = "?" if v.changed_words is None else f"{v.changed_words:,}"
            grid.add_row(
                "changed",
                f"{words} words since version {v.compared_with}, the last one pushed "
                f"({SUBSTANTIAL_WORDS} or more make an update)",
            )
        grid.add_row("urgency", p.urgency.value if p.urgency else "–")
        _add_reach(grid, p)
    console.print(grid)


def _add_reach(grid: Table, p: Preview) -> None:
    v = p.version
    if not p.reach:
        why = "notify: none" if v and v.audience is Audience.NONE else "no topic"
        grid.add_row("goes to", f"nobody ({why})")
        return
    for index, reach in enumerate(p.reach):
        grid.add_row(
            "goes to" if index == 0 else "",
            f"{reach.topic}  {_plural(reach.subscribers, 'subscriber')}",
        )
    grid.add_row(
        "alerts",
        f"up to {_plural(p.subscribers, 'subscriber')} (the sum over topics; "
        "a reader in several topics is alerted once)",
    )
    if p.held_until is not None:
        embargo = p.version.embargo_until if p.version is not None else None
        if embargo is not None and embargo >= p.held_until:
            grid.add_row(
                "embargo",
                Text(
                    f"held until its embargo: goes out at {_stamp(p.held_until)}",
                    style="yellow",
                ),
            )
        else:
            grid.add_row(
                "cooldown",
                Text(
                    f"held for the story's cooldown window: goes out at "
                    f"{_clock(p.held_until)}, as the latest update",
                    style="yellow",
                ),
            )


# -- history -------------------------------------------------------------------------------


def history_json(h: History) -> dict[str, Any]:
    return {
        "article_id": h.article_id,
        "headline": h.versions[-1].version.headline,
        "versions": [
            {
                "version": r.version.number,
                "created_at": _iso(r.version.created_at),
                "change": r.version.change.value,
                "audience": r.version.audience.value,
                "urgency": r.version.urgency.value,
                "headline": r.version.headline,
                "change_line": r.version.change_line,
                "changed_words": r.version.changed_words,
                "compared_with": r.version.compared_with,
                "delivery": r.delivery,
            }
            for r in h.versions
        ],
        "held": (
            {
                "version": h.held.version,
                "covers": h.held.covers,
                "goes_out_at": _iso(h.held.goes_out_at),
                "embargo_until": _iso(h.held.embargo_until),
                "new_story": h.held.new_story,
            }
            if h.held
            else None
        ),
    }


def show_history(h: History, console: Console) -> None:
    title = Text.assemble((h.article_id, "bold"), f"  {h.versions[-1].version.headline}")
    console.print(title)
    table = _table()
    table.add_column("v", justify="right")
    table.add_column("time", no_wrap=True)
    table.add_column("change")
    table.add_column("audience")
    for name in DELIVERY_COUNTS:
        table.add_column(name, justify="right")
    table.add_column("click rate", justify="right")
    lines = _fields()
    for r in h.versions:
        v = r.version
        counts = [str(r.delivery[n]) if r.delivery else "–" for n in DELIVERY_COUNTS]
        table.add_row(
            str(v.number),
            _stamp(v.created_at),
            v.change.value,
            v.audience.value,
            *counts,
            _click_rate(r.delivery),
        )
        if v.compared_with is not None:
            lines.add_row(f"v{v.number}", v.change_line or "(no words changed)")
    console.print(table)
    if lines.row_count:
        console.print(Text("What changed, since the version last pushed:", style="bold"))
        console.print(lines)
    if h.held:
        console.print(Text(_held_line(h.held), style="yellow"))


def _held_line(held: HeldUpdate) -> str:
    """What waits: an update for its cooldown window, or a push for its embargo."""
    if held.embargo_until is not None:
        what = "as a new story" if held.new_story else f"covering {_plural(held.covers, 'update')}"
        return (
            f"v{held.version} embargoed until {_stamp(held.embargo_until)}: "
            f"goes out at {_clock(held.goes_out_at)} {what}"
        )
    return (
        f"v{held.version} held, goes out at {_clock(held.goes_out_at)} "
        f"covering {_plural(held.covers, 'update')}"
    )


def _click_rate(delivery: dict[str, int] | None) -> str:
    """Clicks / sent; "–" before anything was sent, as there is nothing to divide by."""
    if not delivery or not delivery["sent"]:
        return "–"
    return f"{delivery['clicks'] / delivery['sent']:.1%}"


def _table() -> Table:
    return Table(
        box=box.SIMPLE_HEAD, padding=(0, 0), show_edge=False, pad_edge=False, header_style="bold"
    )


# -- diff ----------------------------------------------------------------------------------


def _ops_json(ops: list[Op]) -> list[dict[str, str]]:
    return [{"op": op.kind, "text": op.text} for op in ops]


def diff_json(d: VersionDiff) -> dict[str, Any]:
    return {
        "article_id": d.article_id,
        "from": d.old.number,
        "to": d.new.number,
        "changed_words": d.changed_words,
        "headline": _ops_json(d.headline),
        "dateline": _ops_json(d.dateline),
        "body": _ops_json(d.body),
    }


def show_diff(d: VersionDiff, console: Console, *, full: bool = False) -> None:
    plain = console.no_color or console.color_system is None
    title = Text.assemble(
        (f"{d.article_id}: version {d.old.number} → version {d.new.number}", "bold"),
        f"  ({d.new.change.value}, audience {d.new.audience.value}; "
        f"{_plural(d.changed_words, 'word')} changed as ingest counts them)",
    )
    console.print(title)
    for name, ops in (("headline", d.headline), ("dateline", d.dateline)):
        if any(op.kind != "equal" for op in ops):
            line = Text(f"{name}: ", style="bold")
            line.append_text(_ops_text(ops, plain=plain, full=True))
            console.print(line)
    console.print()
    if not any(op.kind != "equal" for op in d.body):
        console.print("(the body is the same)")
        return
    console.print(_ops_text(d.body, plain=plain, full=full))


def _ops_text(ops: list[Op], *, plain: bool, full: bool) -> Text:
    text = Text()
    for index, op in enumerate(ops):
        if op.kind == "equal":
            shown = (
                op.text if full else _context(op.text, first=index == 0, last=index == len(ops) - 1)
            )
            text.append(shown)
        elif plain:
            start, end = _PLAIN_MARKS[op.kind]
            text.append(f"{start}{op.text}{end}")
        else:
            text.append(op.text, style=_STYLES[op.kind])
    return text


def _context(text: str, *, first: bool, last: bool) -> str:
    """An unchanged stretch cut to one whole paragraph either side of a change (plus the
    rest of the paragraph the change is in)."""
    paragraphs = text.split("\n\n")
    keep_start = 0 if first else 2
    keep_end = 0 if last else 2
    if len(paragraphs) <= keep_start + keep_end + 1:
        return text
    hidden = len(paragraphs) - keep_start - keep_end
    marker = f"[… {_plural(hidden, 'unchanged paragraph')} …]"
    return "\n\n".join(
        [*paragraphs[:keep_start], marker, *paragraphs[len(paragraphs) - keep_end :]]
    )


# -- rejected ------------------------------------------------------------------------------


def rejections_json(r: RejectionScan, *, limit: int) -> dict[str, Any]:
    return {
        "since": _iso(r.since),
        "scanned": r.scanned,
        "complete": r.complete,
        "count": len(r.rejections),
        "rejections": [
            {
                "key": x.key,
                "rejected_at": _iso(x.rejected_at),
                "reason": x.reason,
                "bucket": x.bucket,
                "version_id": x.version_id,
            }
            for x in r.rejections[:limit]
        ],
    }


def show_rejections(r: RejectionScan, console: Console, *, limit: int) -> None:
    since = _stamp(r.since)
    if not r.rejections:
        console.print(f"No rejected uploads since {since} ({_plural(r.scanned, 'item')} read).")
    else:
        table = _table()
        table.add_column("rejected at", no_wrap=True)
        table.add_column(
            "key", overflow="fold", min_width=min(30, max(len(x.key) for x in r.rejections))
        )
        table.add_column("why", overflow="fold")
        for x in r.rejections[:limit]:
            table.add_row(_stamp(x.rejected_at), x.key, x.reason)
        console.print(table)
        shown = min(limit, len(r.rejections))
        more = f", the newest {shown} shown" if shown < len(r.rejections) else ""
        console.print(
            f"{_plural(len(r.rejections), 'rejected upload')} since {since}{more} "
            f"({_plural(r.scanned, 'item')} read)."
        )
    if not r.complete:
        console.print(
            Text(
                f"The scan stopped after {r.scanned:,} items, before the end of the table: "
                "some rejections may be missing (raise --scan-limit).",
                style="yellow",
            )
        )
