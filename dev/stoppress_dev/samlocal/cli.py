"""``sam local invoke`` as the README gives it, for every function and ``events/`` file.

``python -m stoppress_dev.samlocal`` (``make sam-local``), with a Docker daemon:

1. the Lambda base image (``image``): AWS's when a registry serves it, else a stand-in
   built from Debian packages; a local one is reused;
2. ``sam build``, with that image's Python 3.13 (``build``);
3. a fresh ``stoppress dev --for-containers`` (``stack``);
4. every ``events/`` file through ``sam local invoke`` for each function that takes it
   (``invoke``), judged by the response and by what changed in the table (``judge``),
   one line each.

It exits non-zero when any invocation failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from stoppress_dev.samlocal.build import sam_build
from stoppress_dev.samlocal.commands import SamLocalError
from stoppress_dev.samlocal.image import ensure_base_image, require_docker
from stoppress_dev.samlocal.invoke import LOG_DIR, sam_local_invoke, template_plan
from stoppress_dev.samlocal.judge import judge, parse_payload
from stoppress_dev.samlocal.stack import local_stack, table_snapshot
from stoppress_dev.template import PROJECT_ROOT


def _invoke_all() -> tuple[int, int]:
    invocations = template_plan()
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    passed = 0
    with local_stack() as stack:
        print(f"stack: AWS {stack.state['aws_endpoint_url']} (containers: env.local.json)")
        for inv in invocations:
            before = table_snapshot(stack.state)
            stdout, seconds = sam_local_invoke(inv, stack.env_file, env)
            after = table_snapshot(stack.state)
            verdict = judge(
                inv.source,
                inv.event,
                parse_payload(stdout),
                before,
                after,
                vapid_public_key=stack.state["vapid_public_key"],
            )
            passed += verdict.ok
            what = verdict.summary if verdict.ok else "; ".join(verdict.problems)
            print(
                f"{'ok  ' if verdict.ok else 'FAIL'} {inv.function:<18} {inv.event_file:<30} "
                f"{seconds:5.1f} s  {what}",
                flush=True,
            )
    return passed, len(invocations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stoppress_dev.samlocal", description=__doc__)
    parser.add_argument("--skip-build", action="store_true", help="use the existing .aws-sam/build")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        require_docker()
        print(ensure_base_image(), flush=True)
        if not args.skip_build:
            sam_build()
        passed, total = _invoke_all()
    except SamLocalError as e:
        print(f"sam-local: {e}", file=sys.stderr, flush=True)
        return 1
    elapsed = time.monotonic() - started
    logs = LOG_DIR.relative_to(PROJECT_ROOT)
    if passed != total:
        print(f"sam-local: {total - passed} of {total} invocations failed (logs in {logs})")
        return 1
    print(f"sam-local passed: {total} invocations in {elapsed:.0f} s (logs in {logs})")
    return 0
