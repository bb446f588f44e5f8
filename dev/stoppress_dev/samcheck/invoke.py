"""Each built handler invoked with its ``events/`` files in the runtime-like Python,
and its answers judged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.samcheck.events import filtered_records, load_events, prepare_event
from stoppress_dev.samcheck.functions import Function
from stoppress_dev.samcheck.runtime import run_in_runtime, runtime_env
from stoppress_dev.samcheck.stack import stack_clients, stack_env

DRAIN_WAIT_S = 30
# events/ files whose name says they are refused on purpose may answer 4xx.
EXPECTED_REFUSAL_WORDS = ("invalid", "bad", "forbidden", "refused", "reject", "wrong", "error")


def response_problem(name: str, response: Any) -> str | None:
    """What is wrong with a handler's answer to the event file ``name``; None if nothing."""
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures:
        return f"{name}: {len(failures)} batch item failure(s)"
    status = response.get("statusCode")
    if isinstance(status, int):
        refusal = any(word in name.lower() for word in EXPECTED_REFUSAL_WORDS)
        if status >= 500 or (status >= 400 and not refusal):
            return f"{name}: HTTP {status} {str(response.get('body', ''))[:200]}"
    return None


def _wait_for_queue_to_drain(sqs: Any, queue_url: str | None) -> None:
    """Let the stack's own sender finish jobs the notify events enqueued."""
    if not queue_url:
        return
    deadline = time.monotonic() + DRAIN_WAIT_S
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        if not any(int(attrs.get(n, "0")) for n in names):
            return
        time.sleep(0.5)


def invoke_events(
    python: Path,
    functions: Sequence[Function],
    local_env: Mapping[str, Mapping[str, str]],
    state: Mapping[str, Any],
) -> None:
    """Invoke every imported function with each events/ file of its sources; record the results."""
    s3, sqs = stack_clients(state)
    envs = stack_env(local_env, state)
    events = load_events()
    for fn in functions:
        if fn.import_ms is None:
            continue
        if fn.logical_id == "SubscribeFunction":
            _wait_for_queue_to_drain(sqs, state.get("push_queue_url"))
        batch = []
        for name, source, event in events:
            if source not in fn.event_types:
                continue
            prepared = prepare_event(source, event, state, s3)
            if source == "DynamoDB":
                filtered = filtered_records(fn, prepared)
                if filtered is None:
                    print(f"  {fn.logical_id} {name}: every record filtered out, as on AWS")
                    continue
                prepared = filtered
            batch.append({"name": name, "event": prepared})
        if not batch:
            fn.problems.append("no events/ file for this function")
            continue
        request = {
            "mode": "handler",
            "handler": fn.handler,
            "function_name": fn.logical_id,
            "memory_mb": fn.memory_mb,
            "timeout_s": fn.timeout_s,
            "events": batch,
        }
        env = runtime_env(fn, envs.get(fn.logical_id, {}))
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = state["region"]
        try:
            result = run_in_runtime(
                python, request, env, fn.build_dir, 60 + fn.timeout_s * len(batch)
            )
        except CheckError as e:
            fn.problems.append(f"invocation failed: {e}")
            continue
        for inv in result["invocations"]:
            fn.events_run += 1
            problem = (
                f"{inv['name']}: raised\n{inv['error']}"
                if not inv["ok"]
                else response_problem(inv["name"], inv.get("response"))
            )
            if problem:
                fn.problems.append(problem)
            else:
                fn.events_ok += 1
