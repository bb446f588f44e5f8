"""Lambda's event shapes and partial-failure rules, as the local stack reproduces them."""

import json
from datetime import UTC, datetime

from stoppress_dev import lambda_events as le


def sqs_message(n: int) -> dict:
    return {
        "MessageId": f"m{n}",
        "ReceiptHandle": f"r{n}",
        "Body": json.dumps({"n": n}),
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "Junk": "no"},
        "MessageAttributes": {"kind": {"StringValue": "job", "DataType": "String"}},
    }


def test_sqs_record_has_lambdas_field_names() -> None:
    record = le.sqs_record(sqs_message(1), "arn:aws:sqs:us-east-1:1:q", "us-east-1")
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:1:q"
    assert record["attributes"] == {"ApproximateReceiveCount": "1", "SentTimestamp": "1"}
    assert record["messageAttributes"]["kind"]["stringValue"] == "job"


def test_sqs_batch_item_failures() -> None:
    records = [le.sqs_record(sqs_message(n), "arn", "r") for n in range(3)]
    assert le.sqs_failures(None, records) == set()
    assert le.sqs_failures({"batchItemFailures": []}, records) == set()
    assert le.sqs_failures({"batchItemFailures": [{"itemIdentifier": "m1"}]}, records) == {"m1"}
    # An identifier Lambda cannot match fails the whole batch.
    everything = {"m0", "m1", "m2"}
    assert le.sqs_failures({"batchItemFailures": [{"itemIdentifier": ""}]}, records) == everything
    assert le.sqs_failures({"batchItemFailures": [{"itemIdentifier": "zz"}]}, records) == everything


def test_stream_record_and_failures_retry_from_the_first_failed_record() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"pk": {"S": "a"}, "sk": {"B": b"\x01\x02"}},
            "SequenceNumber": "100",
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
        },
    }
    record = le.stream_record(raw, "arn:stream", "us-east-1")
    assert record["eventSourceARN"] == "arn:stream"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["Keys"]["sk"]["B"] == "AQI="
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1767225600
    json.dumps(record)  # what Lambda delivers is JSON

    records = [{"dynamodb": {"SequenceNumber": str(n)}} for n in range(4)]
    assert le.stream_failures({"batchItemFailures": []}, records) == []
    failed = {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "1"}]}
    assert le.stream_failures(failed, records) == records[1:]
    assert le.stream_failures({"batchItemFailures": [{"itemIdentifier": "?"}]}, records) == records


def test_routes_match_like_api_gateway() -> None:
    routes = [("GET", "/vapid-public-key"), ("POST", "/subscriptions"), ("GET", "/a/{id}")]
    assert le.match_route(routes, "POST", "/subscriptions") == ("POST /subscriptions", {})
    assert le.match_route(routes, "GET", "/a/x%20y") == ("GET /a/{id}", {"id": "x y"})
    assert le.match_route(routes, "DELETE", "/subscriptions") is None
    assert le.match_route(routes, "GET", "/a/x/y") is None
    assert le.match_path("/files/{path+}", "/files/a/b") == {"path": "a/b"}


def test_http_api_response_payload_2_0() -> None:
    plain = le.http_api_response({"ok": True})
    assert (plain.status, plain.text) == (200, '{"ok": true}')
    assert plain.content_type == "application/json"
    full = le.http_api_response(
        {"statusCode": 201, "headers": {"X-A": "1"}, "body": "{}", "cookies": ["c=1"]}
    )
    assert full.status == 201
    assert full.headers["X-A"] == "1"
    assert full.headers["Content-Type"] == "application/json"
    assert full.headers.getall("Set-Cookie") == ["c=1"]
    empty = le.http_api_response({"statusCode": 204})
    assert empty.status == 204
    assert empty.body is None


def test_context_counts_down() -> None:
    ctx = le.LambdaContext(
        function_name="f", invoked_function_arn="arn", memory_limit_in_mb=128, timeout_seconds=3
    )
    assert 0 < ctx.get_remaining_time_in_millis() <= 3000
    assert ctx.log_group_name == "/aws/lambda/f"
    assert ctx.aws_request_id
