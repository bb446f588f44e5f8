"""When a handler fails, the local stack retries and dead-letters as Lambda would."""

import json

import boto3

from stoppress_dev.localstack import LocalStack


def test_failing_ingest_is_retried_then_dead_lettered_with_the_event() -> None:
    # A table that does not exist makes every ingest attempt fail.
    with LocalStack(env_overrides={"TABLE_NAME": "no-such-table"}) as stack:
        s3 = boto3.client("s3", endpoint_url=stack.state.aws_endpoint_url)
        s3.put_object(Bucket=stack.state.bucket, Key="articles/a.txt", Body=b"Headline\n\nBody.")
        stack.wait_idle(timeout=30)

        errors = [s.text for s in stack.steps if s.kind == "error"]
        # Lambda's asynchronous invocation: the first attempt plus the template's 2 retries.
        assert len(errors) == 3
        assert "giving up" in errors[-1]
        assert all("articles/a.txt" in e for e in errors)

        sqs = boto3.client("sqs", endpoint_url=stack.state.aws_endpoint_url)
        messages = sqs.receive_message(QueueUrl=stack.state.ingest_dlq_url)["Messages"]
        assert len(messages) == 1
        record = json.loads(messages[0]["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["requestContext"]["functionArn"].endswith(":function:stoppress-local-ingest")
        payload = record["requestPayload"]["Records"][0]
        assert payload["s3"]["object"]["key"] == "articles/a.txt"
        assert record["responsePayload"]["errorMessage"]
