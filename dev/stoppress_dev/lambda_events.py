"""What Lambda hands a handler, and how it reads the answer, for the local stack.

Event shapes (DynamoDB stream records, SQS batches, API Gateway HTTP API
payload 2.0), the context object, and the rules for partial batch failures.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from stoppress.contracts.keys import VERSION_SK_PREFIX


class HandlerError(RuntimeError):
    """A handler raised: the event source treats the invocation as failed (the cause is chained)."""


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or (
            f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def jsonable(value: Any) -> Any:
    """boto3 decodes binary attributes to bytes; Lambda delivers them base64-encoded."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def stream_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    ddb = dict(record.get("dynamodb", {}))
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    elif created is None:
        ddb["ApproximateCreationDateTime"] = int(time.time())
    return {
        "eventID": record.get("eventID") or uuid.uuid4().hex,
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", region),
        "dynamodb": jsonable(ddb),
        "eventSourceARN": stream_arn,
    }


def is_version_insert(record: Mapping[str, Any]) -> bool:
    sk = record.get("dynamodb", {}).get("Keys", {}).get("sk", {}).get("S", "")
    return record.get("eventName") == "INSERT" and sk.startswith(VERSION_SK_PREFIX)


def stream_failures(result: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records to retry: from the first reported failure on, as Lambda does for streams."""
    failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
    if not failures:
        return []
    seqs = [r["dynamodb"].get("SequenceNumber") for r in records]
    ids = [f.get("itemIdentifier") for f in failures if isinstance(f, Mapping)]
    positions = [seqs.index(i) for i in ids if i in seqs]
    return records[min(positions) :] if positions else records


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {
        k: v
        for k, v in message.get("Attributes", {}).items()
        if k
        in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
            "AWSTraceHeader",
        )
    }
    message_attributes = {
        name: {
            "stringValue": a.get("StringValue"),
            "binaryValue": base64.b64encode(a["BinaryValue"]).decode()
            if a.get("BinaryValue")
            else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": a.get("DataType", "String"),
        }
        for name, a in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_failures(result: Any, records: list[dict[str, Any]]) -> set[str]:
    """Message ids the handler reported failed; a malformed report fails the whole batch."""
    all_ids = {r["messageId"] for r in records}
    if not isinstance(result, Mapping) or not result.get("batchItemFailures"):
        return set()
    ids = set()
    for f in result["batchItemFailures"]:
        ident = f.get("itemIdentifier") if isinstance(f, Mapping) else None
        if not ident or ident not in all_ids:
            return all_ids
        ids.add(ident)
    return ids


def match_route(
    routes: list[tuple[str, str]], method: str, path: str
) -> tuple[str, dict[str, str]] | None:
    for route_method, route_path in routes:
        if route_method not in (method, "ANY"):
            continue
        params = match_path(route_path, path)
        if params is not None:
            return f"{route_method} {route_path}", params
    return None


def match_path(pattern: str, path: str) -> dict[str, str] | None:
    p_parts, parts = pattern.strip("/").split("/"), path.strip("/").split("/")
    params: dict[str, str] = {}
    for i, p in enumerate(p_parts):
        if p.startswith("{") and p.endswith("+}"):
            params[p[1:-2]] = "/".join(parts[i:])
            return params
        if i >= len(parts):
            return None
        if p.startswith("{") and p.endswith("}"):
            params[p[1:-1]] = urllib.parse.unquote(parts[i])
        elif p != parts[i]:
            return None
    return params if len(parts) == len(p_parts) else None


def http_api_event(
    request: web.Request, body: bytes, route_key: str, path_params: Mapping[str, str]
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event, as the deployed API would send it."""
    headers: dict[str, str] = {}
    for k, v in request.headers.items():
        lk = k.lower()
        if lk == "cookie":
            continue
        headers[lk] = f"{headers[lk]},{v}" if lk in headers else v
    query: dict[str, str] = {}
    for k, v in request.query.items():
        query[k] = f"{query[k]},{v}" if k in query else v
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    request_id = uuid.uuid4().hex[:16]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                "sourceIp": request.remote or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if body:
        event["body"] = text
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = dict(path_params)
    cookies = request.headers.getall("Cookie", [])
    if cookies:
        event["cookies"] = [c.strip() for line in cookies for c in line.split(";") if c.strip()]
    return event


def http_api_response(result: Any) -> web.Response:
    """Write a handler's result back the way API Gateway's payload 2.0 does."""
    if not (isinstance(result, Mapping) and "statusCode" in result):
        # Payload 2.0: anything else is a 200 JSON body.
        return web.Response(
            status=200,
            text=result if isinstance(result, str) else json.dumps(result),
            content_type="application/json",
        )
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for k, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(k)] = ",".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    response = web.Response(status=int(result["statusCode"]), body=body or None)
    for k, v in headers.items():
        response.headers[k] = v
    if "content-type" not in {k.lower() for k in headers} and body:
        response.headers["Content-Type"] = "application/json"
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", str(cookie))
    return response
