"""What the stack makes from template.yaml: table, bucket, queues, VAPID keys, and the
functions' settings and environment.

``stoppress_dev.template`` reads what the template declares; this module adds
what only the local stack decides: names, local values for ``!Ref`` and
``!GetAtt``, and defaults where the template is silent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config

from stoppress.contracts.keys import ARTICLE_PREFIX
from stoppress_dev import template as tpl
from stoppress_dev import vapid

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import QueueConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient

ACCOUNT_ID = "123456789012"
# Short name (as in functions/<name>/) -> the function's logical id in the template.
FUNCTIONS = {
    "ingest": "IngestFunction",
    "subscribe": "SubscribeFunction",
    "notify": "NotifyFunction",
    "audience": "AudienceFunction",
    "send": "SendFunction",
}
# Queue roles -> the template's logical ids; the dead-letter queues are Lambda's on-failure
# destinations and the push jobs' redrive target.
QUEUES = {
    "push": "PushJobsQueue",
    "push-dlq": "PushJobsDeadLetterQueue",
    "cooldown": "CooldownQueue",
    "cooldown-dlq": "CooldownDeadLetterQueue",
    "ingest-dlq": "IngestDeadLetterQueue",
    "notify-dlq": "NotifyDeadLetterQueue",
    "audience-dlq": "AudienceDeadLetterQueue",
}
# What the stack uses where the template is silent (VapidSubject, for one, has no default).
DEFAULT_VAPID_SUBJECT = "mailto:newsroom@example.com"
DEFAULT_UPLOAD_EVENTS = ("s3:ObjectCreated:*",)
DEFAULT_ROUTES = (
    ("GET", "/vapid-public-key"),
    ("POST", "/subscriptions"),
    ("DELETE", "/subscriptions"),
    ("POST", "/subscriptions/lookup"),
    ("POST", "/events"),
)
DEFAULT_MAX_RECEIVE_COUNT = 5


@dataclass(frozen=True)
class AwsClients:
    """The stack's own clients for its moto endpoint (the handlers build theirs)."""

    s3: S3Client
    sqs: SQSClient
    dynamodb: DynamoDBClient
    dynamodbstreams: Any

    @classmethod
    def for_endpoint(cls, endpoint: str, region: str) -> AwsClients:
        session = boto3.session.Session(region_name=region)
        config = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=16)
        return cls(
            s3=session.client("s3", endpoint_url=endpoint, config=config),
            sqs=session.client("sqs", endpoint_url=endpoint, config=config),
            dynamodb=session.client("dynamodb", endpoint_url=endpoint, config=config),
            dynamodbstreams=session.client("dynamodbstreams", endpoint_url=endpoint, config=config),
        )


@dataclass(frozen=True)
class FunctionSpec:
    """One function as Lambda would run it here."""

    name: str  # ingest, subscribe, notify, audience, send
    logical_id: str
    function_name: str
    memory_mb: int
    timeout_s: float
    arn: str


@dataclass
class StackResources:
    """Names and addresses of what ``create_resources`` made."""

    name: str
    region: str
    table: str
    bucket: str
    push_queue_name: str
    clients: AwsClients
    queue_names: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)

    def refs(self) -> dict[str, str]:
        """Local values for the template's ``!Ref`` targets (parameters at their defaults)."""
        refs = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.name,
            "AWS::Partition": "aws",
            "Table": self.table,
            "ArticlesBucket": self.bucket,
        }
        refs.update({QUEUES[role]: url for role, url in self.queue_urls.items() if role in QUEUES})
        refs.update(tpl.parameter_defaults())
        return refs

    def getatts(self) -> dict[tuple[str, str], str]:
        """Local values for the template's ``!GetAtt`` targets."""
        getatts: dict[tuple[str, str], str] = {}
        for role, logical_id in QUEUES.items():
            if role in self.queue_urls:
                getatts[(logical_id, "QueueUrl")] = self.queue_urls[role]
                getatts[(logical_id, "Arn")] = self.queue_arns[role]
                getatts[(logical_id, "QueueName")] = self.queue_names[role]
        return getatts

    def number(self, value: Any, default: float) -> int:
        """A numeric event-source setting resolved locally, or ``default`` when it is unknown."""
        resolved = tpl.resolve(value, self.refs(), self.getatts()) if value is not None else None
        try:
            return int(float(resolved)) if resolved is not None else int(default)
        except ValueError:
            return int(default)

    def function_specs(self) -> dict[str, FunctionSpec]:
        defined = {f.logical_id: f for f in tpl.functions(self.refs(), self.getatts())}
        specs = {}
        for short, logical_id in FUNCTIONS.items():
            function_name = f"{self.name}-{short}"
            definition = defined[logical_id]
            specs[short] = FunctionSpec(
                name=short,
                logical_id=logical_id,
                function_name=function_name,
                # Lambda's own defaults when neither the function nor the globals say.
                memory_mb=definition.memory_mb or 128,
                timeout_s=definition.timeout_s or 3,
                arn=f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{function_name}",
            )
        return specs


def create_resources(
    clients: AwsClients, *, name: str, region: str, table: str, bucket: str, push_queue: str
) -> StackResources:
    """The template's table, queues and bucket, with the S3 upload trigger."""
    resources = StackResources(
        name=name,
        region=region,
        table=table,
        bucket=bucket,
        push_queue_name=push_queue,
        clients=clients,
    )
    ddb, s3 = clients.dynamodb, clients.s3
    ddb.create_table(**tpl.create_table_kwargs(resources.table))
    ttl = tpl.ttl_attribute()
    if ttl:
        ddb.update_time_to_live(
            TableName=resources.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
        )

    _create_queue(
        resources, "push-dlq", f"{push_queue}-dlq", _template_queue(resources, "push-dlq")
    )
    push_attributes = _template_queue(resources, "push")
    push_attributes.setdefault(
        "RedrivePolicy",
        json.dumps(
            {
                "deadLetterTargetArn": resources.queue_arns["push-dlq"],
                "maxReceiveCount": DEFAULT_MAX_RECEIVE_COUNT,
            }
        ),
    )
    _create_queue(resources, "push", push_queue, push_attributes)
    _create_queue(
        resources,
        "cooldown-dlq",
        f"{name}-cooldown-dlq",
        _template_queue(resources, "cooldown-dlq"),
    )
    _create_queue(resources, "cooldown", f"{name}-cooldown", _template_queue(resources, "cooldown"))
    _create_queue(resources, "ingest-dlq", f"{name}-ingest-dlq", {})
    _create_queue(resources, "notify-dlq", f"{name}-notify-dlq", {})
    _create_queue(resources, "audience-dlq", f"{name}-audience-dlq", {})
    # Stands in for the S3 -> Lambda trigger (moto cannot invoke Lambdas). A failed ingest
    # is retried like Lambda's asynchronous invocation, then dropped with an error line.
    _create_queue(resources, "s3-events", f"{name}-s3-events", {"VisibilityTimeout": "2"})

    s3.create_bucket(Bucket=resources.bucket)
    s3.put_bucket_versioning(Bucket=resources.bucket, VersioningConfiguration={"Status": "Enabled"})
    events, rules = tpl.upload_trigger()
    trigger = {
        "QueueArn": resources.queue_arns["s3-events"],
        "Events": events or list(DEFAULT_UPLOAD_EVENTS),
        "Filter": {"Key": {"FilterRules": rules or [{"Name": "prefix", "Value": ARTICLE_PREFIX}]}},
    }
    s3.put_bucket_notification_configuration(
        Bucket=resources.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [cast("QueueConfigurationTypeDef", trigger)]
        },
    )
    return resources


def _template_queue(resources: StackResources, role: str) -> dict[str, str]:
    attributes = tpl.queue_attributes(QUEUES[role], resources.refs(), resources.getatts())
    attributes.setdefault("VisibilityTimeout", "30")
    return attributes


def _create_queue(
    resources: StackResources, role: str, name: str, attributes: Mapping[str, str]
) -> None:
    sqs = resources.clients.sqs
    # The names come from the template (and SQS checks them), not from boto3's literals.
    url = sqs.create_queue(QueueName=name, Attributes=dict(attributes))["QueueUrl"]  # type: ignore[arg-type]
    resources.queue_names[role] = name
    resources.queue_urls[role] = url
    resources.queue_arns[role] = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]


def function_environment(
    resources: StackResources,
    *,
    endpoint: str,
    web_url: str,
    topic_shards: int,
    quiet: bool,
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """The variables the template gives the functions, with the local stack's own values.

    Lambda gives each function its own process; here they share one, so this is
    the union of the functions' variables (they agree on names).
    """
    refs, getatts = resources.refs(), resources.getatts()
    env: dict[str, str] = {}
    for logical_id in FUNCTIONS.values():
        env.update(tpl.function_environment(logical_id, refs, getatts))
    env.update(
        {
            # The template declares it empty so `sam local invoke --env-vars` can set it.
            "AWS_ENDPOINT_URL": endpoint,
            "TABLE_NAME": resources.table,
            "PUSH_QUEUE_URL": resources.queue_urls["push"],
            "SITE_BASE_URL": web_url,
            "SITE_ORIGIN": web_url,
            # Only here: the local push service listens on loopback over plain HTTP.
            "ALLOW_LOOPBACK_PUSH_ENDPOINTS": "true",
            "TOPIC_SHARDS": str(topic_shards),
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    env.setdefault("VAPID_PRIVATE_KEY_PARAMETER", vapid.DEFAULT_PRIVATE_PARAMETER)
    env.setdefault("VAPID_PUBLIC_KEY_PARAMETER", vapid.DEFAULT_PUBLIC_PARAMETER)
    env.setdefault("VAPID_SUBJECT", DEFAULT_VAPID_SUBJECT)
    env.setdefault("POWERTOOLS_SERVICE_NAME", "stoppress")
    env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "stoppress")
    if quiet:
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
    env.update(overrides)
    return env


def store_vapid_keys(env: Mapping[str, str]) -> str:
    """A fresh key pair under the parameter names the functions read; returns the public key."""
    return vapid.store_vapid_keys(
        env["VAPID_PRIVATE_KEY_PARAMETER"], env["VAPID_PUBLIC_KEY_PARAMETER"], overwrite=True
    )


def api_routes() -> list[tuple[str, str]]:
    """The subscriptions API's routes as the template declares them."""
    return tpl.api_routes() or list(DEFAULT_ROUTES)


def api_cors() -> dict[str, Any] | None:
    """The HttpApi's CORS settings, for ``HttpFront`` (API Gateway answers preflights itself).

    Origins other than ``*`` are the site's (a ``!Ref``): ``HttpFront`` compares
    with the local site's origin instead.
    """
    cfg = tpl.cors_configuration()
    if cfg is None:
        return None
    origins = cfg.get("AllowOrigins")
    max_age = cfg.get("MaxAge")
    return {
        "origins": origins if isinstance(origins, list) and "*" in origins else [],
        "methods": _strings(cfg.get("AllowMethods")) or ["GET", "POST", "DELETE", "OPTIONS"],
        "headers": _strings(cfg.get("AllowHeaders")) or ["content-type"],
        "max_age": max_age if isinstance(max_age, int) else 600,
    }


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
