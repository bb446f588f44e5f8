"""boto3 clients built once per process and reused by warm invocations.

boto3 honours AWS_ENDPOINT_URL itself, so the same code talks to AWS, to a
local moto server, or to moto in-process.
"""

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader, create_loader

from stoppress.core import warm

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
def _loader(data_path: str | None) -> Loader:
    """Service models and endpoint data, read from botocore's files once per process.

    Each botocore session otherwise brings its own loader and parses the same JSON
    again; a session made after ``warm.reset()`` (or in a forked sender process) reuses
    what the first one read. The data does not depend on credentials, region or
    endpoint, so sharing it changes nothing else.
    """
    return create_loader(data_path)


def new_session() -> boto3.session.Session:
    """A fresh boto3 session (its own credentials and clients) sharing the process's loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader(core.get_config_variable("data_path")))
    return boto3.session.Session(botocore_session=core)


@warm.cached
def session() -> boto3.session.Session:
    return new_session()


@warm.cached
def dynamodb() -> "DynamoDBClient":
    return session().client("dynamodb", config=_CONFIG)


@warm.cached
def s3() -> "S3Client":
    return session().client("s3", config=_CONFIG)


@warm.cached
def sqs() -> "SQSClient":
    return session().client("sqs", config=_CONFIG)


@warm.cached
def client(service: str) -> Any:
    return session().client(service, config=_CONFIG)  # type: ignore[call-overload]
