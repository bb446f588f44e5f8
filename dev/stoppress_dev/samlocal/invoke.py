"""Which function gets which ``events/`` file, in what order, and one ``sam local invoke``.

Each file goes to every function with a template event of its source (a stream file with
only the records that function's filter passes, and to none it passes nothing). Functions run
in ``FUNCTION_ORDER``: Notify before Ingest, so the push jobs in the table are the ones
the stream events recorded (Ingest's new versions reach the stack's own Notify, which
then finds them recorded already); Subscribe last, so Send finds no member to push to
(the sample subscription's endpoint is a real push service's). A function's files run
in the order their events happened, then by name.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.events import EVENTS_DIR, filtered_records, load_events
from stoppress_dev.samcheck.functions import template_functions
from stoppress_dev.samlocal.commands import SamLocalError, tool
from stoppress_dev.template import PROJECT_ROOT

FUNCTION_ORDER = (
    "NotifyFunction",
    "AudienceFunction",
    "IngestFunction",
    "SendFunction",
    "SubscribeFunction",
)
# What env.local.json's host.docker.internal needs on Linux; Docker Desktop has it already.
INVOKE_FLAGS = ("--add-host", "host.docker.internal:host-gateway", "--skip-pull-image")
INVOKE_TIMEOUT_S = 300
LOG_DIR = PROJECT_ROOT / ".aws-sam" / "samlocal-logs"


@dataclass(frozen=True)
class Invocation:
    function: str
    event_file: str
    source: str
    event: Mapping[str, Any]


def event_time(event: Mapping[str, Any]) -> float:
    """When the event happened, in seconds since the epoch (0 when it does not say)."""
    if "Time" in event:
        return datetime.fromisoformat(str(event["Time"]).replace("Z", "+00:00")).timestamp()
    context = event.get("requestContext")
    if isinstance(context, dict) and "timeEpoch" in context:
        return float(context["timeEpoch"]) / 1000
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return 0.0
    first = records[0]
    if "eventTime" in first:
        return datetime.fromisoformat(str(first["eventTime"]).replace("Z", "+00:00")).timestamp()
    if "ApproximateCreationDateTime" in first.get("dynamodb", {}):
        return float(first["dynamodb"]["ApproximateCreationDateTime"])
    if "SentTimestamp" in first.get("attributes", {}):
        return float(first["attributes"]["SentTimestamp"]) / 1000
    return 0.0


def plan(
    function_sources: Mapping[str, frozenset[str]],
    events: Sequence[tuple[str, str, Mapping[str, Any]]],
) -> list[Invocation]:
    """Every (function, event file) pair whose source the function takes, in running order."""
    ordered = [f for f in FUNCTION_ORDER if f in function_sources]
    ordered += sorted(f for f in function_sources if f not in FUNCTION_ORDER)
    by_time = sorted(events, key=lambda e: (event_time(e[2]), e[0]))
    return [
        Invocation(function, name, source, event)
        for function in ordered
        for name, source, event in by_time
        if source in function_sources[function]
    ]


def template_plan() -> list[Invocation]:
    """``plan`` for template.yaml's functions and the files in events/, each stream event
    left with the records the function's filter passes (none: not invoked), as on AWS."""
    functions = {fn.logical_id: fn for fn in template_functions()}
    sources = {name: fn.event_types for name, fn in functions.items()}
    invocations = []
    for inv in plan(sources, load_events()):
        if inv.source == "DynamoDB":
            kept = filtered_records(functions[inv.function], dict(inv.event))
            if kept is None:
                continue
            inv = Invocation(inv.function, inv.event_file, inv.source, kept)
        invocations.append(inv)
    return invocations


def invoke_command(invocation: Invocation, env_file: Path) -> list[str]:
    """The README's ``sam local invoke`` for this function and file."""
    event_path = (EVENTS_DIR / invocation.event_file).relative_to(PROJECT_ROOT)
    env_path = (
        env_file.relative_to(PROJECT_ROOT) if env_file.is_relative_to(PROJECT_ROOT) else env_file
    )
    return [
        "sam",
        "local",
        "invoke",
        invocation.function,
        "-e",
        str(event_path),
        "--env-vars",
        str(env_path),
        *INVOKE_FLAGS,
    ]


def sam_local_invoke(
    invocation: Invocation, env_file: Path, env: Mapping[str, str]
) -> tuple[str, float]:
    """Run it; its stdout (the response), and how long it took. SAM's log goes to LOG_DIR."""
    cmd = invoke_command(invocation, env_file)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{invocation.function}-{Path(invocation.event_file).stem}.log"
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        try:
            done = subprocess.run(  # noqa: S603
                [tool("sam"), *cmd[1:]],
                cwd=PROJECT_ROOT,
                env=dict(env),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                timeout=INVOKE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise SamLocalError(
                f"{' '.join(cmd)} did not finish within {INVOKE_TIMEOUT_S} s"
            ) from e
        log.write(f"\n--- stdout (exit {done.returncode})\n{done.stdout}\n")
    return done.stdout, time.monotonic() - started
