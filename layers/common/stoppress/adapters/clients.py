"""boto3 clients built once per process and reused by warm invocations.

boto3 honours AWS_ENDPOINT_URL itself, so the same code talks to AWS, to a
local moto server, or to moto in-process.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=32,
)


@cache
def session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def dynamodb() -> "DynamoDBClient":
    return session().client("dynamodb", config=_CONFIG)


@cache
def s3() -> "S3Client":
    return session().client("s3", config=_CONFIG)


@cache
def sqs() -> "SQSClient":
    return session().client("sqs", config=_CONFIG)


@cache
def client(service: str) -> Any:
    return session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    """Forget every cached client (tests switch between moto backends)."""
    for factory in (session, dynamodb, s3, sqs, client):
        factory.cache_clear()
