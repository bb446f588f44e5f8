"""Which stack the editor's commands read: a deployed one, or ``stoppress dev``'s.

A deployed stack is named (``--stack-name``) and found through CloudFormation:
its ``BucketName`` and ``TableName`` outputs, and its ``TopicShards`` parameter.
The local stack is found through the state file ``stoppress dev`` writes.
Either way the commands get one ``Target`` and clients built for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from stoppress_dev import template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

DEFAULT_STATE_FILE: Final = Path(".stoppress/state.json")
# An operator waiting at a terminal would rather hear "unreachable" in seconds
# than sit through the Lambda functions' patient retries.
_CONFIG: Final = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=3,
    read_timeout=15,
)
# moto accepts any credentials; the editor's own (or none) are never sent to it.
_LOCAL_CREDENTIAL: Final = "local"


class EditorError(Exception):
    """Something the editor can act on, said in one line; ``usage`` marks a mistyped command."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Target:
    """Where the stack's table and bucket are, and how to reach them."""

    table: str
    bucket: str
    region: str | None
    # Shards per topic: subscribers are counted in shards 0..topic_shards-1.
    topic_shards: int
    endpoint_url: str | None = None
    profile: str | None = None
    # What to call the stack in messages: "stack news-prod" or "the local stack".
    description: str = "the stack"

    @cached_property
    def _session(self) -> boto3.session.Session:
        if self.endpoint_url is not None:
            return boto3.session.Session(
                aws_access_key_id=_LOCAL_CREDENTIAL,
                aws_secret_access_key=_LOCAL_CREDENTIAL,
                region_name=self.region,
            )
        return boto3.session.Session(profile_name=self.profile, region_name=self.region)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._session.client("dynamodb", endpoint_url=self.endpoint_url, config=_CONFIG)

    @cached_property
    def s3(self) -> S3Client:
        return self._session.client("s3", endpoint_url=self.endpoint_url, config=_CONFIG)

    @property
    def where(self) -> str:
        """The table as an operator would look for it."""
        place = self.endpoint_url or f"region {self._session.region_name or '?'}"
        return f"table {self.table} ({self.description}, {place})"


def resolve_target(
    *,
    stack_name: str | None,
    state_file: Path | None,
    region: str | None = None,
    profile: str | None = None,
) -> Target:
    """The deployed stack when named, else the state file given, else the default one."""
    if stack_name:
        return _deployed(stack_name, region=region, profile=profile)
    if state_file is not None:
        if not state_file.is_file():
            raise EditorError(
                f"no state file at {state_file}: start the local stack with "
                f"`stoppress dev --state-file {state_file}`, or name a deployed stack "
                "with --stack-name"
            )
        return _local(state_file)
    if DEFAULT_STATE_FILE.is_file():
        return _local(DEFAULT_STATE_FILE)
    raise EditorError(
        "which stack? pass --stack-name NAME for a deployed one, or --state-file PATH for "
        f"`stoppress dev` ({DEFAULT_STATE_FILE} does not exist)",
        usage=True,
    )


def _local(path: Path) -> Target:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return Target(
            table=str(state["table"]),
            bucket=str(state["bucket"]),
            region=str(state["region"]),
            endpoint_url=str(state["aws_endpoint_url"]),
            topic_shards=int(state.get("topic_shards") or _default_shards()),
            description="the local stack",
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EditorError(f"{path} is not a `stoppress dev` state file ({e!r})") from e


def _default_shards() -> int:
    """The template's default: the local stack uses fewer, and counting empty shards costs
    nothing but a query each."""
    return int(template.parameter_defaults()["TopicShards"])


def _deployed(name: str, *, region: str | None, profile: str | None) -> Target:
    session = boto3.session.Session(profile_name=profile, region_name=region)
    cloudformation: Any = session.client("cloudformation", config=_CONFIG)
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "ValidationError":
            raise EditorError(
                f"no stack named {name!r} in region {session.region_name or '?'}"
            ) from e
        raise
    stack = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters") or []}
    missing = [k for k in ("BucketName", "TableName") if k not in outputs]
    if missing:
        raise EditorError(
            f"stack {name!r} has no {' or '.join(missing)} output: is it a stoppress stack?"
        )
    shards = parameters.get("TopicShards")
    return Target(
        table=outputs["TableName"],
        bucket=outputs["BucketName"],
        region=session.region_name,
        profile=profile,
        topic_shards=int(shards) if shards else _default_shards(),
        description=f"stack {name}",
    )
