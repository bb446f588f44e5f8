"""Fixtures: the local stack and a local push service, in this process (see tests/e2e/conftest.py).

Function-scoped on purpose: the shared autouse fixture resets the AWS
environment around every test, and a stack must not outlive the environment it
points the process at. A warm start takes about a second.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture
def push(stack: LocalStack) -> Iterator[PushService]:
    with PushService(vapid_public_key=stack.state.vapid_public_key) as service:
        yield service


def editor_s3(stack: LocalStack) -> Any:
    """An S3 client on the stack's AWS endpoint, with the credentials an editor would use."""
    return boto3.client(
        "s3",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="editor",
        aws_secret_access_key="editor",
    )


@pytest.fixture
def upload(stack: LocalStack) -> Callable[[str, str], None]:
    """Upload a sample file to a key through the stack's AWS endpoint, like an editor would."""
    s3 = editor_s3(stack)

    def put(sample: str | Path, key: str) -> None:
        path = sample if isinstance(sample, Path) else SAMPLES / sample
        s3.put_object(Bucket=stack.state.bucket, Key=key, Body=path.read_bytes())

    return put
