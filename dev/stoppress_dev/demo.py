"""``stoppress demo``: the whole pipeline in one run, with simulated browsers.

Starts the local stack and a local push service in this process, subscribes a
few browsers (real P-256 key pairs, through the HTTP API), uploads the sample
articles (the NATO story three times to the same key: the original, its update
and its typo correction), waits for the pipeline to settle and shows what each
browser received and each article's version history. Exits non-zero when a
browser missed a push it should have had, or got one it should not have.
"""

import json
import logging
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from stoppress.contracts.keys import TOPIC_ALL, article_id_from_key, article_topic
from stoppress.contracts.payload import article_tag
from stoppress.webpush.headers import topic_header
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack, PipelineStep
from stoppress_dev.pushservice import PushService, Subscriber

STORY = "nato-resumes-contacts"
STORY_KEY = f"articles/{STORY}.txt"
# The same story three times, to the same key: new (everyone), update (followers),
# typo correction (stored, nobody notified). samplecontent/README.md explains the files.
STORY_UPLOADS = (
    f"{STORY}.txt",
    f"{STORY}-update.txt",
    f"{STORY}-correction.txt",
)
OTHER_SAMPLES = ("rail-strike-talks.txt", "city-council-budget.md", "wildfire-evacuations.html")
EXPECTED_STORY = {1: ("new", "all"), 2: ("update", "followers"), 3: ("correction", "none")}


@dataclass(frozen=True)
class Browser:
    name: str
    topics: tuple[str, ...]


BROWSERS = (
    Browser("Ada", (TOPIC_ALL,)),
    Browser("Ben", (TOPIC_ALL,)),
    Browser("Chloe", (TOPIC_ALL, article_topic(STORY))),
    Browser("Dev", (article_topic(STORY),)),
)


class DemoFailed(Exception):
    pass


def run_demo(*, verbose: bool = False, console: Console | None = None) -> int:
    # Piped output (CI logs) gets room for the tables instead of 80 columns.
    console = console or Console(width=None if sys.stdout.isatty() else 140)
    logging.getLogger("local-stack").addHandler(logging.NullHandler())
    logging.getLogger("local-stack").propagate = False
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = time.monotonic()
    uploads = [(STORY_KEY, SAMPLES / name) for name in STORY_UPLOADS] + [
        (f"articles/{name}", SAMPLES / name) for name in OTHER_SAMPLES
    ]
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )

    def on_step(step: PipelineStep) -> None:
        if step.kind == "error":
            progress.console.print(f"[red]✗ {step.text}[/red]", highlight=False)
        elif verbose or step.kind != "delivery":
            progress.console.print(f"[dim]  {step.text}[/dim]", highlight=False)

    stack = LocalStack(on_step=on_step)
    problems: list[str] = []
    subscribers: list[tuple[Subscriber, Browser]] = []
    histories: dict[str, list[dict[str, Any]]] = {}
    try:
        with progress:
            task = progress.add_task(
                "Starting the local stack", total=2 + len(BROWSERS) + len(uploads) + 1
            )
            state = stack.start()
            try:
                progress.advance(task)
                with PushService(vapid_public_key=state.vapid_public_key) as push:
                    progress.update(task, description="Starting the push service", advance=1)
                    subscribers = _subscribe_all(state.api_url, push, progress, task)
                    for _, browser in subscribers:
                        topics = ", ".join(browser.topics)
                        progress.console.print(
                            f"[bold]{browser.name}[/bold] subscribed to {topics}", highlight=False
                        )
                    s3 = boto3.client("s3")
                    for key, path in uploads:
                        progress.update(task, description=f"Uploading {path.name} → {key}")
                        progress.console.print(
                            f"[bold]PUT[/bold] samplecontent/{path.name} as {key}", highlight=False
                        )
                        s3.put_object(Bucket=state.bucket, Key=key, Body=path.read_bytes())
                        if key == STORY_KEY:
                            # Versions of one story go in order: wait before the next upload.
                            stack.wait_idle(timeout=30)
                        progress.advance(task)
                    progress.update(task, description="Waiting for the pipeline to settle")
                    stack.wait_idle(timeout=30)
                    progress.advance(task)
                    histories = {
                        article_id_from_key(key): stack.versions(article_id_from_key(key))
                        for key, _ in uploads
                    }
                    problems = _check(histories, subscribers, stack.steps)
            finally:
                stack.stop()
    except (DemoFailed, TimeoutError, OSError) as e:
        console.print(f"[bold red]Demo failed:[/bold red] {e}", highlight=False)
        return 1

    _print_deliveries(console, subscribers)
    _print_histories(console, histories)
    elapsed = time.monotonic() - started
    if problems:
        console.print("[bold red]Demo failed:[/bold red]")
        for p in problems:
            console.print(f"  [red]✗[/red] {p}", highlight=False)
        return 1
    total = sum(len(s.deliveries) for s, _ in subscribers)
    console.print(
        f"[bold green]✓[/bold green] {total} notifications delivered to {len(subscribers)} "
        f"browsers as expected, in {elapsed:.1f} s.",
        highlight=False,
    )
    return 0


def _api(method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - the loopback API of the local stack
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        raw = resp.read()
    return json.loads(raw) if raw else None


def _subscribe_all(
    api_url: str, push: PushService, progress: Progress, task: Any
) -> list[tuple[Subscriber, Browser]]:
    key = _api("GET", f"{api_url}/vapid-public-key")["publicKey"]
    if key != push.vapid_public_key:
        raise DemoFailed("the API hands out a different VAPID key than the stack stored")
    out = []
    for browser in BROWSERS:
        progress.update(
            task, description=f"Subscribing {browser.name} to {', '.join(browser.topics)}"
        )
        sub = push.new_subscriber(browser.name)
        _api(
            "POST",
            f"{api_url}/subscriptions",
            {"subscription": sub.subscription_info(), "topics": list(browser.topics)},
        )
        out.append((sub, browser))
        progress.advance(task)
    return out


def _expected(
    histories: Mapping[str, list[dict[str, Any]]], browser: Browser
) -> set[tuple[str, int]]:
    want = set()
    for article_id, versions in histories.items():
        for v in versions:
            audience = v.get("audience")
            if (audience == "all" and TOPIC_ALL in browser.topics) or (
                audience == "followers" and article_topic(article_id) in browser.topics
            ):
                want.add((article_id, int(v["number"])))
    return want


def _check(
    histories: Mapping[str, list[dict[str, Any]]],
    subscribers: Iterable[tuple[Subscriber, Browser]],
    steps: Iterable[PipelineStep],
) -> list[str]:
    problems = [f"pipeline error: {s.text}" for s in steps if s.kind == "error"]
    story = {int(v["number"]): (v.get("change"), v.get("audience")) for v in histories[STORY]}
    if story != EXPECTED_STORY:
        problems.append(f"{STORY} versions are {story}, expected {EXPECTED_STORY}")
    headlines = {
        (article_id, int(v["number"])): v.get("headline")
        for article_id, versions in histories.items()
        for v in versions
    }
    change_lines = {
        (article_id, int(v["number"])): v.get("change_line")
        for article_id, versions in histories.items()
        for v in versions
    }
    for sub, browser in subscribers:
        got: dict[tuple[str, int], int] = {}
        for d in sub.deliveries:
            article = (d.payload or {}).get("article", {})
            ident = (str(article.get("id")), int(article.get("version", 0)))
            got[ident] = got.get(ident, 0) + 1
            note = (d.payload or {}).get("notification", {})
            if note.get("title") != headlines.get(ident):
                problems.append(f"{browser.name}: {ident} titled {note.get('title')!r}")
            line = change_lines.get(ident)
            if article.get("change") == "update" and line and note.get("body") != line:
                problems.append(f"{browser.name}: {ident} does not say what changed")
            if note.get("tag") != article_tag(ident[0]):
                problems.append(f"{browser.name}: {ident} has tag {note.get('tag')!r}")
            if d.headers.get("topic") != topic_header(ident[0]):
                problems.append(f"{browser.name}: {ident} has Topic {d.headers.get('topic')!r}")
        want = _expected(histories, browser)
        for ident in sorted(want - set(got)):
            problems.append(f"{browser.name} did not get {ident[0]} v{ident[1]}")
        for ident in sorted(set(got) - want):
            problems.append(f"{browser.name} got {ident[0]} v{ident[1]}, which was not for them")
        for ident, n in sorted(got.items()):
            if n > 1:
                problems.append(f"{browser.name} got {ident[0]} v{ident[1]} {n} times")
    return problems


def _print_deliveries(console: Console, subscribers: Iterable[tuple[Subscriber, Browser]]) -> None:
    for sub, browser in subscribers:
        table = Table(
            title=f"{browser.name} — subscribed to {', '.join(browser.topics)}",
            title_justify="left",
            expand=True,
        )
        for col, style in (
            ("title", "bold"),
            ("body", ""),
            ("tag", "cyan"),
            ("Topic", "dim"),
            ("urgency", ""),
        ):
            table.add_column(col, style=style, overflow="fold" if col != "body" else "ellipsis")
        for d in sorted(sub.deliveries, key=lambda d: d.received_at):
            note = (d.payload or {}).get("notification", {})
            table.add_row(
                note.get("title", "?"),
                _clip(note.get("body", ""), 90),
                note.get("tag", ""),
                d.headers.get("topic", ""),
                d.headers.get("urgency", "normal"),
            )
        if not sub.deliveries:
            table.add_row("[dim]nothing received[/dim]", "", "", "", "")
        console.print(table)


def _print_histories(console: Console, histories: Mapping[str, list[dict[str, Any]]]) -> None:
    table = Table(title="Version history", title_justify="left", expand=True)
    for col in ("article", "v", "change", "audience", "urgency", "headline", "what changed"):
        table.add_column(col, overflow="fold")
    for article_id, versions in histories.items():
        for v in versions:
            changed = v.get("change_line") or ""
            if v.get("changed_words") is not None:
                changed += (
                    f" [dim]({v['changed_words']} words since v{v.get('compared_with')})[/dim]"
                )
            table.add_row(
                article_id,
                str(v.get("number")),
                str(v.get("change")),
                str(v.get("audience")),
                str(v.get("urgency")),
                str(v.get("headline")),
                changed.strip(),
            )
    console.print(table)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sample_paths() -> list[Path]:
    return [SAMPLES / n for n in (*STORY_UPLOADS, *OTHER_SAMPLES)]
