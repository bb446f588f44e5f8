"""S3 ObjectCreated events shaped like the ones S3 delivers to Lambda.

moto cannot invoke Lambdas, so tests and benchmarks upload with boto3 and hand
the handler the event S3 would have sent: key URL-encoded with '+' for spaces,
``versionId`` from the upload, a ``sequencer`` that grows with every call (or
none, as moto's own notifications have), and a millisecond event time.
"""

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote_plus

from tests.fakes.lambda_context import lambda_context

_sequence = itertools.count(1)
_SEQUENCER_BASE = 0x0055AED6DCD90281E5
_BASE_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    version_id: str | None
    size: int
    sequencer: str | None
    event_time: str


def _event_time(n: int) -> str:
    when = _BASE_TIME + timedelta(milliseconds=n)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def put(s3: Any, bucket: str, key: str, body: bytes, *, sequencer: bool = True) -> Upload:
    """Upload ``body`` and return what S3's event for it would say."""
    response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    n = next(_sequence)
    return Upload(
        bucket=bucket,
        key=key,
        version_id=response.get("VersionId"),
        size=len(body),
        sequencer=f"{_SEQUENCER_BASE + n:018X}" if sequencer else None,
        event_time=_event_time(n),
    )


def record(upload: Upload) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "key": quote_plus(upload.key, safe="/"),
        "size": upload.size,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
    }
    if upload.version_id:
        obj["versionId"] = upload.version_id
    if upload.sequencer:
        obj["sequencer"] = upload.sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": upload.event_time,
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLEEDITOR"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "stoppress-ingest-articles",
            "bucket": {
                "name": upload.bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{upload.bucket}",
            },
            "object": obj,
        },
    }


def s3_event(*uploads: Upload) -> dict[str, Any]:
    """One event with a record per upload; round-tripped through JSON like a real invoke."""
    return json.loads(json.dumps({"Records": [record(u) for u in uploads]}))


# benchmarks/ingest.py hands its events to the handler with this context.
LambdaContext = partial(lambda_context, "IngestFunction")
