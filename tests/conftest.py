"""Fixtures shared by every test: an isolated fake AWS, and tables built from template.yaml."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stoppress.aws import clients
from stoppress.core import warm
from stoppress_dev.template import create_table_kwargs

REGION = "us-east-1"
TABLE_NAME = "stoppress-test"
BUCKET_NAME = "stoppress-test-articles"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test ever reaches real AWS, and no cached client or setting leaks between tests."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    # moto in-process does not know botocore's account endpoints (streams calls 404 otherwise).
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "stoppress")
    monkeypatch.setenv("POWERTOOLS_DEV", "false")
    warm.reset()
    yield
    warm.reset()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        # moto clears boto3's default session; the new one shares the process's
        # botocore loader, so service models are not parsed again for every test.
        boto3.DEFAULT_SESSION = clients.new_session()
        yield


@pytest.fixture
def table(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The template's table in moto; TABLE_NAME points at it."""
    boto3.client("dynamodb").create_table(**create_table_kwargs(TABLE_NAME))
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    return TABLE_NAME


@pytest.fixture
def bucket(aws: None) -> str:
    """A versioned articles bucket, like the template's."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET_NAME)
    s3.put_bucket_versioning(Bucket=BUCKET_NAME, VersioningConfiguration={"Status": "Enabled"})
    return BUCKET_NAME


@pytest.fixture
def subscription_writes() -> Iterator[list[dict[str, Any]]]:
    """Every UpdateItem sent to a SUB# or TOPIC# item (what renewals and failure records cost)."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        pk = params.get("Key", {}).get("pk", {}).get("S", "")
        if pk.startswith(("SUB#", "TOPIC#")):
            seen.append(params)

    client = clients.dynamodb()
    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", record)
    yield seen
    client.meta.events.unregister("provide-client-params.dynamodb.UpdateItem", record)
