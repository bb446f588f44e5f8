"""The sender alone: SendFunction's handler on one big job, in a process of its own.

Its peak RSS is what Lambda reports as "Max Memory Used" for a send
invocation (interpreter, boto3, aiohttp and the pages in flight), without
moto and the rest of the local stack that share the benchmark's process.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from benchmarks.fanout_audience import subscription
from benchmarks.moto_shortcuts import moto_table, put_items
from benchmarks.process_memory import high_water_mb, rss_mb

PROBE_ARTICLE = "fanout-memory-probe"
# The context the handler is given: the template's default SendMemorySize, and a
# timeout no probe size reaches.
MEMORY_MB = 1769
TIMEOUT_S = 900.0


def _probe(conn: Any, record: dict[str, Any], memory_mb: int, timeout_s: float) -> None:
    """Run SendFunction's handler on one job in a fresh process, as one Lambda instance would."""
    from functions.send.app import lambda_handler
    from stoppress.core.observability import logger
    from stoppress_dev.lambda_events import LambdaContext

    logger.setLevel("WARNING")

    loaded_mb = rss_mb()
    context = LambdaContext(
        function_name="stoppress-local-send",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:stoppress-local-send",
        memory_limit_in_mb=memory_mb,
        timeout_seconds=timeout_s,
    )
    started = time.perf_counter()
    result = lambda_handler({"Records": [record]}, context)
    outcome = {
        "seconds": time.perf_counter() - started,
        "rss_after_imports_mb": loaded_mb,
        "peak_rss_mb": high_water_mb(),
        "failures": len(result.get("batchItemFailures", [])),
    }
    from stoppress.core import warm

    warm.reset()  # closes the sender's HTTP session
    conn.send(outcome)


def memory_probe(
    table_name: str,
    infos: Sequence[Mapping[str, Any]],
    record: Mapping[str, Any],
    members: int,
) -> dict[str, Any]:
    """One job over ``members`` subscribers of a topic of its own, sent by a fresh process.

    ``record`` is a send invocation's SQS record from the fan-out, retargeted
    at that topic. Run after the fan-out is counted (these subscribers get a
    second push).
    """
    from stoppress.contracts.jobs import PushJob
    from stoppress.contracts.keys import article_topic
    from stoppress.subscriptions.model import Expiry
    from stoppress.subscriptions.table import member_to_item

    topic = article_topic(PROBE_ARTICLE)
    now = datetime.now(UTC)
    # Followed a moment ago: no push is due to extend the follow, as in the fan-out.
    until = Expiry().follow_until(now)
    put_items(
        moto_table(table_name),
        (
            member_to_item(subscription(info, now), topic, 0, expires_at=until)
            for info in infos[:members]
        ),
    )
    job = PushJob.from_message(record["body"])
    job = job.model_copy(update={"article_id": PROBE_ARTICLE, "topic": topic, "shard": 0})
    probe_record = {**record, "body": job.to_message(), "messageId": "memory-probe"}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=_probe, args=(child, probe_record, MEMORY_MB, TIMEOUT_S), daemon=True
    )
    process.start()
    try:
        outcome: dict[str, Any] = parent.recv()
    finally:
        process.join(30)
    outcome["members"] = min(members, len(infos))
    return outcome
