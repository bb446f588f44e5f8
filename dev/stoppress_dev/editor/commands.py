"""The editor's subcommands of ``stoppress``: options, and failures told in one line.

The modules that read the stack (boto3, the ingest and notify code) are imported
when a command runs, so ``stoppress --help`` and the other subcommands stay quick.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from rich.console import Console

    from stoppress_dev.editor.reader import StackReader

DEFAULT_SINCE: Final = "24h"
DEFAULT_SCAN_LIMIT: Final = 200_000
DEFAULT_LIMIT: Final = 100
_VERSION: Final = re.compile(r"^[vV]?(\d{1,6})$")


def add_editor_commands(commands: Any) -> None:
    """Add ``preview``, ``history``, ``diff`` and ``rejected`` to the ``stoppress`` subparsers."""
    stack = _stack_options()

    preview = commands.add_parser(
        "preview",
        parents=[stack],
        help="what uploading FILE would do, read against the live table (stores nothing)",
        description=(
            "A dry run of ingest: parse FILE as an upload to --key would be parsed, judge it "
            "against the story's stored versions, and show the version it would become (or "
            "why it would be rejected), its change line, urgency, topics and how many "
            "subscribers it would alert. Nothing is stored, nothing is sent."
        ),
    )
    preview.add_argument("file", type=Path, metavar="FILE")
    preview.add_argument(
        "--key", help="the S3 key it would be uploaded to (default: articles/<file name>)"
    )
    preview.set_defaults(run=_guarded(_preview))

    history = commands.add_parser(
        "history",
        parents=[stack],
        help="a story's versions, with what each one sent",
        description=(
            "Every version of ARTICLE (an article id, or its file name or S3 key): time, "
            "change, audience, change line and delivery counts; and the update held in the "
            "story's cooldown window, if any."
        ),
    )
    history.add_argument("article", metavar="ARTICLE")
    history.set_defaults(run=_guarded(_history))

    diff = commands.add_parser(
        "diff",
        parents=[stack],
        help="the words that changed between two versions of a story",
        description=(
            "The word diff from version V1 to V2 of ARTICLE; V2 defaults to the latest, and "
            "without V1 the last two versions are compared. Deleted words are red and struck "
            "through, inserted ones green ([-…-] and {+…+} without colour)."
        ),
    )
    diff.add_argument("article", metavar="ARTICLE")
    diff.add_argument("first", nargs="?", metavar="V1")
    diff.add_argument("second", nargs="?", metavar="V2")
    diff.add_argument(
        "--full", action="store_true", help="show every paragraph, not only the changed ones"
    )
    diff.set_defaults(run=_guarded(_diff))

    rejected = commands.add_parser(
        "rejected",
        parents=[stack],
        help="uploads ingest refused lately, and why",
        description=(
            "The REJECTED# records (kept 30 days), newest first. Finding them scans the "
            "table, page by page, up to --scan-limit items."
        ),
    )
    rejected.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help="an age (24h, 90m, 7d) or a local date or time (2026-11-30) (%(default)s)",
    )
    rejected.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="show at most this many (%(default)s)"
    )
    rejected.add_argument(
        "--scan-limit",
        type=int,
        default=DEFAULT_SCAN_LIMIT,
        help="stop scanning after about this many items (%(default)s)",
    )
    rejected.set_defaults(run=_guarded(_rejected))


def _stack_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    where = options.add_argument_group("which stack")
    one = where.add_mutually_exclusive_group()
    one.add_argument(
        "--stack-name", help="a deployed stack: its BucketName and TableName outputs are read"
    )
    one.add_argument(
        "--state-file",
        type=Path,
        help="`stoppress dev`'s state file (default: .stoppress/state.json when it exists)",
    )
    where.add_argument("--region", help="AWS region of the deployed stack")
    where.add_argument("--profile", help="AWS profile (credentials) for the deployed stack")
    options.add_argument("--json", action="store_true", help="print JSON for scripts")
    return options


# -- running a command -----------------------------------------------------------------------


def _guarded(
    command: Callable[[argparse.Namespace, StackReader], int],
) -> Callable[[argparse.Namespace], int]:
    """The command, with every failure it can explain said in one line on stderr."""

    def run(args: argparse.Namespace) -> int:
        from stoppress_dev.editor.failures import explain
        from stoppress_dev.editor.target import EditorError

        reader = None
        try:
            reader = _reader(args)
            return command(args, reader)
        except KeyboardInterrupt:
            return 130
        # Explained in one line when it is something an editor can act on, else raised again.
        except Exception as e:
            message = explain(e, reader.target if reader else None)
            if message is None:
                raise
            print(f"stoppress {args.command}: {message}", file=sys.stderr)
            return 2 if isinstance(e, EditorError) and e.usage else 1

    return run


def _reader(args: argparse.Namespace) -> StackReader:
    from stoppress_dev.editor.reader import StackReader
    from stoppress_dev.editor.target import resolve_target

    return StackReader(
        resolve_target(
            stack_name=args.stack_name,
            state_file=args.state_file,
            region=args.region,
            profile=args.profile,
        )
    )


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _print_json(value: dict[str, Any]) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


@contextmanager
def _progress(args: argparse.Namespace, what: str) -> Iterator[Callable[[int, int | None], None]]:
    """``update(done, total)`` for a progress bar on stderr; silent for --json or a pipe."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    if args.json or not console.is_terminal:
        # Not even entered: a disabled rich Progress still ends with a blank line.
        yield lambda done, total: None
        return
    with Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task(what, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _preview(args: argparse.Namespace, reader: StackReader) -> int:
    from stoppress.contracts.keys import ARTICLE_PREFIX
    from stoppress_dev.editor.preview import preview_upload
    from stoppress_dev.editor.render import preview_json, show_preview
    from stoppress_dev.editor.target import EditorError

    path: Path = args.file
    if not path.is_file():
        raise EditorError(f"no file at {path}", usage=True)
    key = args.key or f"{ARTICLE_PREFIX}{path.name}"
    if not key.startswith(ARTICLE_PREFIX):
        raise EditorError(
            f"--key {key!r} is outside {ARTICLE_PREFIX}: only uploads there are ingested",
            usage=True,
        )
    with _progress(args, "counting subscribers") as update:
        result = preview_upload(path, key=key, reader=reader, on_count=update)
    if args.json:
        _print_json(preview_json(result))
    else:
        show_preview(result, _console())
    return 0


def _history(args: argparse.Namespace, reader: StackReader) -> int:
    from stoppress_dev.editor.history import story_history, story_id
    from stoppress_dev.editor.render import history_json, show_history

    history = story_history(story_id(args.article), reader=reader)
    if args.json:
        _print_json(history_json(history))
    else:
        show_history(history, _console())
    return 0


def _diff(args: argparse.Namespace, reader: StackReader) -> int:
    from stoppress_dev.editor.history import story_id, version_diff
    from stoppress_dev.editor.render import diff_json, show_diff

    first, second = (_version_number(v) for v in (args.first, args.second))
    diff = version_diff(story_id(args.article), reader=reader, first=first, second=second)
    if args.json:
        _print_json(diff_json(diff))
    else:
        show_diff(diff, _console(), full=args.full)
    return 0


def _version_number(text: str | None) -> int | None:
    from stoppress_dev.editor.target import EditorError

    if text is None:
        return None
    match = _VERSION.match(text.strip())
    if not match or int(match.group(1)) < 1:
        raise EditorError(f"a version is a number from 1 (3 or v3), not {text!r}", usage=True)
    return int(match.group(1))


def _rejected(args: argparse.Namespace, reader: StackReader) -> int:
    from stoppress_dev.editor.reader import ScanPage
    from stoppress_dev.editor.rejections import parse_since, recent_rejections
    from stoppress_dev.editor.render import rejections_json, show_rejections
    from stoppress_dev.editor.target import EditorError

    if args.limit < 1 or args.scan_limit < 1:
        raise EditorError("--limit and --scan-limit take a number from 1", usage=True)
    since = parse_since(args.since, now=datetime.now(UTC))
    with _progress(args, "scanning for rejections") as update:
        total = None if args.json else _item_count(reader)

        def on_page(page: ScanPage, scanned: int) -> None:
            update(scanned, total if total and total >= scanned else None)

        result = recent_rejections(
            reader=reader, since=since, scan_limit=args.scan_limit, on_page=on_page
        )
    if args.json:
        _print_json(rejections_json(result, limit=args.limit))
    else:
        show_rejections(result, _console(), limit=args.limit)
    return 0


def _item_count(reader: StackReader) -> int | None:
    """The table's approximate size for the progress bar; none if the caller may not ask."""
    from botocore.exceptions import ClientError

    try:
        return reader.approximate_item_count()
    except ClientError as e:
        if str(e.response.get("Error", {}).get("Code", "")).startswith("AccessDenied"):
            return None
        raise
