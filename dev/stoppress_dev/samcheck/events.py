"""The ``events/`` files: which event source each is, and each made ready for the local
stack (its objects uploaded, its stream records filtered as Lambda would).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stoppress_dev import template as tpl
from stoppress_dev.eventfilter import matches_any
from stoppress_dev.samcheck.functions import Function

EVENTS_DIR = tpl.PROJECT_ROOT / "events"
SAMPLES_DIR = tpl.PROJECT_ROOT / "samplecontent"


def event_source(event: Mapping[str, Any]) -> str | None:
    """The template event Type that delivers this shape of event."""
    if event.get("Event") == "s3:TestEvent":
        return "S3"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        source = {"aws:s3": "S3", "aws:dynamodb": "DynamoDB", "aws:sqs": "SQS"}.get(
            first.get("eventSource") or first.get("EventSource", "")
        )
        if source == "SQS":
            # Which queue: its name (the ARN's last part) holds the template's logical id.
            name = str(first.get("eventSourceARN", "")).rsplit(":", 1)[-1]
            queues = [q for q in tpl.resource_ids("AWS::SQS::Queue") if q in name]
            return f"SQS:{max(queues, key=len)}" if queues else source
        return source
    if event.get("version") == "2.0" and "routeKey" in event:
        return "HttpApi"
    return None


def load_events() -> list[tuple[str, str, dict[str, Any]]]:
    """(file name, event source type, event) for every event file."""
    found = []
    for path in sorted(EVENTS_DIR.rglob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        source = event_source(event) if isinstance(event, dict) else None
        if source is None:
            print(f"  {path.relative_to(tpl.PROJECT_ROOT)}: not a recognised event, skipped")
            continue
        found.append((str(path.relative_to(EVENTS_DIR)), source, event))
    return found


def _sample_for(key: str, size: int | None) -> bytes:
    """Content for an event's object: the sample of that name, else that size, else any."""
    name = Path(key).name.lower().replace(" ", "-")
    samples = sorted(p for p in SAMPLES_DIR.iterdir() if p.is_file() and p.name != "README.md")
    for p in samples:
        if p.name.lower() == name:
            return p.read_bytes()
    for p in samples:
        if size is not None and p.stat().st_size == size:
            return p.read_bytes()
    same_kind = [p for p in samples if p.suffix == Path(name).suffix] or samples
    return same_kind[0].read_bytes()


def prepare_event(
    source: str, event: dict[str, Any], state: Mapping[str, Any], s3: Any
) -> dict[str, Any]:
    """Point a real-shaped event at the local stack (and put the objects it names there)."""
    event = json.loads(json.dumps(event))
    bucket = state["bucket"]
    if source != "S3":
        return event
    if event.get("Event") == "s3:TestEvent":
        event["Bucket"] = bucket
        return event
    for record in event["Records"]:
        record["awsRegion"] = state["region"]
        s3_part = record["s3"]
        obj = s3_part["object"]
        key = urllib.parse.unquote_plus(obj["key"])
        body = _sample_for(key, obj.get("size"))
        put = s3.put_object(Bucket=bucket, Key=key, Body=body)
        s3_part["bucket"]["name"] = bucket
        s3_part["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        obj["size"] = len(body)
        obj["eTag"] = put.get("ETag", "").strip('"')
        if put.get("VersionId"):
            obj["versionId"] = put["VersionId"]
    return event


def filtered_records(fn: Function, event: dict[str, Any]) -> dict[str, Any] | None:
    """Drop the stream records Lambda's FilterCriteria would drop (None: nothing left)."""
    patterns = [
        p
        for name, event_type in fn.events.items()
        if event_type == "DynamoDB"
        for p in tpl.stream_filter_patterns(fn.logical_id, name)
    ]
    kept = [r for r in event["Records"] if matches_any(patterns, r)]
    return {**event, "Records": kept} if kept else None
