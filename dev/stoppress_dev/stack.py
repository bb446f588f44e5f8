"""The whole pipeline on one machine: moto for AWS, the handlers wired as Lambda would wire them.

``LocalStack`` starts a moto server on loopback, points this process's AWS
clients at it (``AWS_ENDPOINT_URL``), creates what ``template.yaml`` declares
(table with stream and TTL, versioned bucket, push-jobs queue with its
dead-letter queue, VAPID keys in SSM) and runs the event sources in background
threads:

- S3 ``ObjectCreated`` under ``articles/`` -> an SQS queue (moto cannot invoke
  Lambdas) -> ``functions.ingest.app.lambda_handler`` with the S3 event;
- the table's stream -> the NotifyFunction ``VersionStream`` filter read from the
  template -> ``functions.notify.app.lambda_handler`` with Lambda-shaped records;
- the push-jobs queue -> ``functions.send.app.lambda_handler`` with Lambda-shaped
  SQS batches; ``batchItemFailures`` stay in the queue and reappear after the
  visibility timeout, the rest are deleted.

It also serves the HTTP API (API Gateway HTTP API v2 events into
``functions.subscribe.app.lambda_handler``) and ``web/`` with the demo article
page. Each pipeline step is logged on one line, and reported to ``on_step``.

    with LocalStack() as stack:          # or stack = LocalStack(); state = stack.start()
        boto3.client("s3").put_object(Bucket=stack.state.bucket, Key="articles/a.txt", Body=...)
        stack.wait_idle()

Only this process sees the endpoint; other processes use the state file.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import logging
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stoppress_dev import lambda_events
from stoppress_dev import template as tpl
from stoppress_dev.eventfilter import matches_any
from stoppress_dev.http_front import HttpFront
from stoppress_dev.lambda_events import HandlerError, LambdaContext

# Not under "stoppress": Powertools filters records of loggers whose name contains its
# service name out of the root handlers.
log = logging.getLogger("local-stack")

PROJECT_ROOT = tpl.PROJECT_ROOT

DEFAULT_NAME = "stoppress-local"
DEFAULT_REGION = "us-east-1"
# Handlers read these; the template gives the deployed values, the local stack
# overrides what only makes sense here.
DEFAULT_VAPID_PRIVATE_PARAMETER = "/stoppress/vapid/private-key"
DEFAULT_VAPID_PUBLIC_PARAMETER = "/stoppress/vapid/public-key"
DEFAULT_VAPID_SUBJECT = "mailto:newsroom@example.com"

FUNCTIONS = {
    "ingest": "IngestFunction",
    "subscribe": "SubscribeFunction",
    "notify": "NotifyFunction",
    "send": "SendFunction",
}
DEFAULT_ROUTES = (
    ("GET", "/vapid-public-key"),
    ("POST", "/subscriptions"),
    ("DELETE", "/subscriptions"),
)
POLL_INTERVAL = 0.05
_DESERIALIZER = TypeDeserializer()


# -- what the stack tells its users --------------------------------------------------------


@dataclass(frozen=True)
class StackState:
    """What clients need to reach the stack; written as the state file."""

    aws_endpoint_url: str
    region: str
    bucket: str
    table: str
    api_url: str
    web_url: str
    push_queue_url: str
    push_dlq_url: str
    ingest_dlq_url: str
    notify_dlq_url: str
    vapid_public_key: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass(frozen=True)
class PipelineStep:
    """One thing the pipeline did, for logs and progress displays.

    kind: "upload" (a new version, or an upload that made none), "filtered" (a
    version nobody hears about), "jobs" (notify planned jobs), "delivery" (send
    ran one job), "delivered" (every planned job of a version ran), "error".
    """

    kind: str
    text: str
    key: str | None = None
    article_id: str | None = None
    version: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


# -- functions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Function:
    name: str  # ingest, subscribe, notify, send
    logical_id: str
    function_name: str
    memory_mb: int
    timeout_s: float
    arn: str


# -- the stack -------------------------------------------------------------------------------


class LocalStack:
    """See the module docstring. ``start()`` returns the state; ``stop()`` undoes everything."""

    def __init__(
        self,
        *,
        aws_port: int = 0,
        aws_host: str = "127.0.0.1",
        api_port: int = 0,
        web_port: int = 0,
        region: str = DEFAULT_REGION,
        name: str = DEFAULT_NAME,
        topic_shards: int = 4,
        quiet_handlers: bool = True,
        on_step: Callable[[PipelineStep], None] | None = None,
        env_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.aws_port = aws_port
        # 0.0.0.0 lets `sam local invoke` reach moto from Docker (host.docker.internal);
        # everything else stays on loopback.
        self.aws_host = aws_host
        self.api_port = api_port
        self.web_port = web_port
        self.region = region
        self.name = name
        self.topic_shards = topic_shards
        self.quiet_handlers = quiet_handlers
        self.on_step = on_step
        self.env_overrides = dict(env_overrides or {})
        self.table_name = name
        self.bucket_name = f"{name}-articles"
        self.push_queue_name = f"{name}-push-jobs"
        self.steps: list[PipelineStep] = []
        self.function_env: dict[str, str] = {}
        self._state: StackState | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._saved_env: dict[str, str | None] = {}
        self._saved_log_level: int | None = None
        self._moto: Any = None
        self._functions: dict[str, _Function] = {}
        self._locks = {n: threading.Lock() for n in FUNCTIONS}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._activity = 0
        self._activity_lock = threading.Lock()
        self._planned: dict[tuple[str, int], int] = {}
        self._finished: dict[tuple[str, int], int] = {}
        self._busy: dict[str, bool] = {}
        self._idle_poll_at: dict[str, float] = {}
        self._http: HttpFront | None = None
        self._clients: dict[str, Any] = {}
        self._queue_urls: dict[str, str] = {}
        self._queue_arns: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> StackState:
        if self._state is None:
            raise RuntimeError("the local stack is not running")
        return self._state

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> StackState:
        if self._state is not None:
            raise RuntimeError("the local stack is already running")
        self._stop.clear()
        try:
            endpoint = self._start_moto()
            self._point_process_at(endpoint)
            self._create_resources()
            self._http = HttpFront(
                api_port=self.api_port,
                web_port=self.web_port,
                routes=_api_routes(),
                cors=_cors_configuration(),
                invoke=lambda event: self.invoke("subscribe", event),
                site_origin=lambda: self.function_env.get("SITE_ORIGIN"),
                stored_article=self._latest_article,
                on_error=lambda text: self._emit(PipelineStep("error", text)),
            )
            api_url, web_url = self._http.start()
            self._configure_functions(web_url)
            public_key = self._store_vapid_keys()
            self._state = StackState(
                aws_endpoint_url=endpoint,
                region=self.region,
                bucket=self.bucket_name,
                table=self.table_name,
                api_url=api_url,
                web_url=web_url,
                push_queue_url=self._queue_urls["push"],
                push_dlq_url=self._queue_urls["push-dlq"],
                ingest_dlq_url=self._queue_urls["ingest-dlq"],
                notify_dlq_url=self._queue_urls["notify-dlq"],
                vapid_public_key=public_key,
            )
            self._start_workers()
        except BaseException:
            self.stop()
            raise
        log.info("local stack ready: AWS %s, API %s, web %s", endpoint, api_url, web_url)
        return self._state

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)
        self._threads.clear()
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        self._restore_process()
        self._state = None

    # -- AWS endpoint ----------------------------------------------------------------------

    def _start_moto(self) -> str:
        from moto.server import ThreadedMotoServer

        # Flask's request log would drown the pipeline's own lines.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.aws_port:
            # ThreadedMotoServer waits forever when its thread cannot bind: check first.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.aws_host, self.aws_port))
                except OSError as e:
                    raise RuntimeError(
                        f"cannot listen on {self.aws_host}:{self.aws_port} ({e.strerror}); "
                        "is another local stack running? pick another port (--aws-port)"
                    ) from e
        self._moto = ThreadedMotoServer(ip_address=self.aws_host, port=self.aws_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - bound everywhere, reached on loopback
            host = "127.0.0.1"
        endpoint = f"http://{host}:{port}"
        # moto's backends live in this process: a previous stack (or mock_aws) may have left state.
        req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback moto server
            pass
        return endpoint

    def _set_env(self, values: Mapping[str, str | None]) -> None:
        for k, v in values.items():
            if k not in self._saved_env:
                self._saved_env[k] = os.environ.get(k)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def _point_process_at(self, endpoint: str) -> None:
        self._set_env(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": None,
                "AWS_PROFILE": None,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
            }
        )
        self._forget_cached_clients()
        session = boto3.session.Session(region_name=self.region)
        config = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=16)
        for service in ("s3", "sqs", "dynamodb", "dynamodbstreams", "ssm"):
            self._clients[service] = session.client(service, endpoint_url=endpoint, config=config)

    @staticmethod
    def _forget_cached_clients() -> None:
        """Handlers keep clients, settings and parameters warm: a new stack needs new ones."""
        from stoppress.core import warm

        warm.reset()

    def _restore_process(self) -> None:
        for k, v in self._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved_env.clear()
        if self._saved_log_level is not None:
            from stoppress.core.observability import logger

            logger.setLevel(self._saved_log_level)
            self._saved_log_level = None
        self._forget_cached_clients()
        self._clients.clear()

    # -- resources from the template --------------------------------------------------------

    def _create_resources(self) -> None:
        ddb, s3 = self._clients["dynamodb"], self._clients["s3"]
        ddb.create_table(**tpl.create_table_kwargs(self.table_name))
        ttl = tpl.ttl_attribute()
        if ttl:
            ddb.update_time_to_live(
                TableName=self.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )

        push_props = _props("PushJobsQueue")
        dlq_props = _props("PushJobsDeadLetterQueue")
        self._create_queue("push-dlq", f"{self.push_queue_name}-dlq", _queue_attributes(dlq_props))
        push_attrs = _queue_attributes(push_props)
        max_receive = _int(push_props.get("RedrivePolicy", {}).get("maxReceiveCount")) or 5
        push_attrs["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": self._queue_arns["push-dlq"], "maxReceiveCount": max_receive}
        )
        self._create_queue("push", self.push_queue_name, push_attrs)
        # Lambda's on-failure destinations.
        self._create_queue("ingest-dlq", f"{self.name}-ingest-dlq", {})
        self._create_queue("notify-dlq", f"{self.name}-notify-dlq", {})
        # Stands in for the S3 -> Lambda trigger. A failed ingest is retried like Lambda's
        # asynchronous invocation (twice), then dropped with an error line.
        self._create_queue("s3-events", f"{self.name}-s3-events", {"VisibilityTimeout": "2"})

        s3.create_bucket(Bucket=self.bucket_name)
        s3.put_bucket_versioning(
            Bucket=self.bucket_name, VersioningConfiguration={"Status": "Enabled"}
        )
        events, rules = _upload_trigger()
        s3.put_bucket_notification_configuration(
            Bucket=self.bucket_name,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": self._queue_arns["s3-events"],
                        "Events": events,
                        **({"Filter": {"Key": {"FilterRules": rules}}} if rules else {}),
                    }
                ]
            },
        )

    def _create_queue(self, role: str, name: str, attributes: Mapping[str, str]) -> None:
        sqs = self._clients["sqs"]
        url = sqs.create_queue(QueueName=name, Attributes=dict(attributes))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._queue_urls[role] = url
        self._queue_arns[role] = arn

    def _configure_functions(self, web_url: str) -> None:
        account = "123456789012"
        globals_ = _globals()
        for short, logical_id in FUNCTIONS.items():
            props = _props(logical_id)
            fname = f"{self.name}-{short}"
            self._functions[short] = _Function(
                name=short,
                logical_id=logical_id,
                function_name=fname,
                memory_mb=self._number(props.get("MemorySize", globals_.get("MemorySize")), 128),
                timeout_s=self._number(props.get("Timeout", globals_.get("Timeout")), 3),
                arn=f"arn:aws:lambda:{self.region}:{account}:function:{fname}",
            )
        env = self._template_environment()
        env.update(
            {
                # The template declares it empty so `sam local invoke --env-vars` can set it.
                "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
                "TABLE_NAME": self.table_name,
                "PUSH_QUEUE_URL": self._queue_urls["push"],
                "SITE_BASE_URL": web_url,
                "SITE_ORIGIN": web_url,
                # Only here: the local push service listens on loopback over plain HTTP.
                "ALLOW_LOOPBACK_PUSH_ENDPOINTS": "true",
                "TOPIC_SHARDS": str(self.topic_shards),
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        env.setdefault("VAPID_PRIVATE_KEY_PARAMETER", DEFAULT_VAPID_PRIVATE_PARAMETER)
        env.setdefault("VAPID_PUBLIC_KEY_PARAMETER", DEFAULT_VAPID_PUBLIC_PARAMETER)
        env.setdefault("VAPID_SUBJECT", DEFAULT_VAPID_SUBJECT)
        env.setdefault("POWERTOOLS_SERVICE_NAME", "stoppress")
        env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "stoppress")
        if self.quiet_handlers:
            env["POWERTOOLS_METRICS_DISABLED"] = "true"
            from stoppress.core.observability import logger

            self._saved_log_level = logger.log_level
            logger.setLevel(logging.WARNING)
            # The cold-start metric is printed even with metrics disabled.
            from aws_lambda_powertools.metrics.provider import cold_start

            cold_start.is_cold_start = False
        env.update(self.env_overrides)
        self.function_env = env
        # Lambda gives each function its own process; here they share one, so the
        # environment is the union of the functions' variables (they agree on names).
        self._set_env(env)
        self._forget_cached_clients()

    def _refs(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """Local values for the template's !Ref and !GetAtt targets (parameter defaults)."""
        refs: dict[str, str] = {
            "AWS::Region": self.region,
            "AWS::AccountId": "123456789012",
            "AWS::StackName": self.name,
            "AWS::Partition": "aws",
            "Table": self.table_name,
            "ArticlesBucket": self.bucket_name,
            "PushJobsQueue": self._queue_urls["push"],
        }
        for pname, pdef in (tpl.load_template().get("Parameters") or {}).items():
            if "Default" in pdef:
                refs[pname] = str(pdef["Default"])
        getatts = {
            ("PushJobsQueue", "QueueUrl"): self._queue_urls["push"],
            ("PushJobsQueue", "Arn"): self._queue_arns["push"],
            ("PushJobsQueue", "QueueName"): self.push_queue_name,
        }
        return refs, getatts

    def _number(self, value: Any, default: float) -> int:
        resolved = _resolve(value, *self._refs()) if value is not None else None
        try:
            return int(float(resolved)) if resolved is not None else int(default)
        except ValueError:
            return int(default)

    def _template_environment(self) -> dict[str, str]:
        """The functions' environment variables as the template declares them, resolved locally."""
        refs, getatts = self._refs()
        variables: dict[str, Any] = dict(
            _globals().get("Environment", {}).get("Variables", {}) or {}
        )
        for logical_id in FUNCTIONS.values():
            variables.update(_props(logical_id).get("Environment", {}).get("Variables", {}) or {})
        env: dict[str, str] = {}
        for k, v in variables.items():
            resolved = _resolve(v, refs, getatts)
            if resolved is not None:
                env[k] = resolved
        return env

    def _store_vapid_keys(self) -> str:
        from stoppress_dev.vapid import store_vapid_keys

        return store_vapid_keys(
            self.function_env["VAPID_PRIVATE_KEY_PARAMETER"],
            self.function_env["VAPID_PUBLIC_KEY_PARAMETER"],
            overwrite=True,
        )

    # -- invoking handlers -----------------------------------------------------------------

    def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
        """Call a handler as Lambda would: one invocation at a time per function, with a context."""
        spec = self._functions[function]
        with self._locks[function]:
            handler = self._handlers.get(function)
            if handler is None:
                try:
                    handler = _load_handler(function)
                except (ImportError, AttributeError) as e:
                    raise HandlerError(f"{function} handler cannot be loaded: {e}") from e
                self._handlers[function] = handler
            context = LambdaContext(
                function_name=spec.function_name,
                invoked_function_arn=spec.arn,
                memory_limit_in_mb=spec.memory_mb,
                timeout_seconds=spec.timeout_s,
            )
            started = time.monotonic()
            try:
                result = handler(dict(event), context)
            except Exception as e:  # the Lambda runtime boundary: reported to the event source
                raise HandlerError(f"{function} handler failed: {type(e).__name__}: {e}") from e
            finally:
                if self.quiet_handlers:
                    # Metrics are disabled, and a disabled flush keeps what it would print.
                    from stoppress.core.observability import metrics

                    metrics.clear_metrics()
                elapsed = time.monotonic() - started
                if elapsed > spec.timeout_s:
                    log.warning(
                        "%s took %.1f s, over its %.0f s Lambda timeout",
                        function,
                        elapsed,
                        spec.timeout_s,
                    )
            return result

    # -- event sources ---------------------------------------------------------------------

    def _start_workers(self) -> None:
        for name, target in (
            ("s3-events", self._s3_events_loop),
            ("stream", self._stream_loop),
            ("push", self._push_jobs_loop),
        ):
            self._busy[name] = False
            self._idle_poll_at[name] = 0.0
            t = threading.Thread(
                target=self._guard(name, target), name=f"stack-{name}", daemon=True
            )
            self._threads.append(t)
            t.start()

    def _guard(self, name: str, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    loop()
                    return
                except (ClientError, BotoCoreError) as e:
                    if self._stop.is_set():
                        return
                    log.warning("%s event source: %s; polling again", name, e)
                    self._stop.wait(0.5)
                except Exception as e:  # a bug here must not silently stop the pipeline
                    log.exception("%s event source crashed; polling again", name)
                    self.steps.append(PipelineStep("error", f"{name} event source crashed: {e!r}"))
                    self._stop.wait(1.0)

        return run

    def _worked(self) -> None:
        with self._activity_lock:
            self._activity += 1

    def _emit(self, step: PipelineStep) -> None:
        self.steps.append(step)
        if step.kind == "error":
            log.error("%s", step.text)
        elif step.kind == "delivery":  # one per job; the version's "delivered" line sums them
            log.debug("%s", step.text)
        else:
            log.info("%s", step.text)
        if self.on_step is not None:
            self.on_step(step)

    # S3 -> ingest

    def _s3_events_loop(self) -> None:
        sqs = self._clients["sqs"]
        url = self._queue_urls["s3-events"]
        while not self._stop.is_set():
            polled_at = time.monotonic()
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=1,
                WaitTimeSeconds=0,
                AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not messages:
                self._idle_poll_at["s3-events"] = polled_at
                self._stop.wait(POLL_INTERVAL)
                continue
            self._busy["s3-events"] = True
            try:
                for message in messages:
                    self._deliver_s3_event(message)
            finally:
                self._worked()
                self._busy["s3-events"] = False

    def _deliver_s3_event(self, message: Mapping[str, Any]) -> None:
        sqs = self._clients["sqs"]
        url = self._queue_urls["s3-events"]
        event = json.loads(message["Body"])
        if event.get("Event") == "s3:TestEvent":
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return
        keys = []
        for r in event.get("Records", []):
            key = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
            # moto encodes "/" as %2F; S3 leaves it alone (and still writes spaces as "+").
            r["s3"]["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
            keys.append(key)
        before = {k: self._article_snapshot(k) for k in keys}
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            self.invoke("ingest", event)
        except HandlerError as e:
            log.debug("ingest failed", exc_info=e.__cause__)
            final = attempt > self._number(
                _props("IngestFunction").get("EventInvokeConfig", {}).get("MaximumRetryAttempts"), 2
            )
            self._emit(
                PipelineStep(
                    "error",
                    f"upload {', '.join(keys)} → ingest failed (attempt {attempt}"
                    f"{', giving up' if final else ''}): {e.__cause__}",
                    key=keys[0] if keys else None,
                )
            )
            if final:
                self._to_dead_letter_queue(
                    "ingest-dlq",
                    "ingest",
                    attempt,
                    e,
                    {"requestPayload": event},
                )
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        for k in keys:
            step = self._describe_upload(k, before[k])
            if step is not None:
                self._emit(step)

    def _article_snapshot(self, key: str) -> tuple[str | None, int, int]:
        from stoppress.contracts.keys import article_id_from_key, article_pk, rejection_pk

        ddb = self._clients["dynamodb"]
        try:
            article_id: str | None = article_id_from_key(key)
        except ValueError:
            article_id = None
        version = 0
        if article_id is not None:
            head = ddb.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": "HEAD"}},
            ).get("Item")
            version = int(head["version"]["N"]) if head and "version" in head else 0
        rejected = ddb.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": rejection_pk(key)}},
            Select="COUNT",
        )["Count"]
        return article_id, version, rejected

    def _describe_upload(
        self, key: str, before: tuple[str | None, int, int]
    ) -> PipelineStep | None:
        article_id, old_version, old_rejected = before
        _, new_version, new_rejected = self._article_snapshot(key)
        if article_id is not None and new_version > old_version:
            return None  # the stream reports the new version
        if new_rejected > old_rejected:
            reason = self._latest_rejection(key)
            return PipelineStep(
                "upload",
                f"upload {key} → rejected: {reason}",
                key=key,
                article_id=article_id,
                details={"rejected": reason},
            )
        return PipelineStep(
            "upload",
            f"upload {key} → unchanged (version {new_version}), nothing to send",
            key=key,
            article_id=article_id,
            version=new_version or None,
            details={"unchanged": True},
        )

    def _latest_rejection(self, key: str) -> str:
        from stoppress.contracts.keys import rejection_pk

        items = self._clients["dynamodb"].query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": rejection_pk(key)}},
            ScanIndexForward=False,
            Limit=1,
        )["Items"]
        return _plain(items[0]).get("reason", "?") if items else "?"

    # table stream -> notify

    def _stream_loop(self) -> None:
        ddb, streams = self._clients["dynamodb"], self._clients["dynamodbstreams"]
        stream_arn = ddb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        iterators: dict[str, str | None] = {
            s["ShardId"]: streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for s in shards
        }
        source = _props("NotifyFunction").get("Events", {}).get("VersionStream", {})
        batch_size = self._number(source.get("Properties", {}).get("BatchSize"), 100)
        patterns = _notify_patterns()
        while not self._stop.is_set():
            polled_at = time.monotonic()
            got = False
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                # Like Lambda: read up to 1,000 records, filter them, then batch what passes.
                resp = streams.get_records(ShardIterator=iterator, Limit=1000)
                iterators[shard_id] = resp.get("NextShardIterator")
                records = resp.get("Records", [])
                if records:
                    got = True
                    self._busy["stream"] = True
                    try:
                        self._deliver_stream_records(
                            records, stream_arn, shard_id, patterns, batch_size
                        )
                    finally:
                        self._worked()
                        self._busy["stream"] = False
            if not got:
                self._idle_poll_at["stream"] = polled_at
                self._stop.wait(POLL_INTERVAL)

    def _deliver_stream_records(
        self,
        records: list[dict[str, Any]],
        stream_arn: str,
        shard_id: str,
        patterns: list[str],
        batch_size: int,
    ) -> None:
        shaped = [lambda_events.stream_record(r, stream_arn, self.region) for r in records]
        passing = []
        for record in shaped:
            passes = matches_any(patterns, record)
            if passes:
                passing.append(record)
            if lambda_events.is_version_insert(record):
                # Reported from the stream, not after ingest returns, so the lines keep
                # the pipeline's order: this version, then its jobs.
                self._emit(_version_step(record, filtered=not passes))
        for start in range(0, len(passing), max(1, batch_size)):
            self._invoke_notify(passing[start : start + batch_size], stream_arn, shard_id)

    def _invoke_notify(self, passing: list[dict[str, Any]], stream_arn: str, shard_id: str) -> None:
        source = _props("NotifyFunction").get("Events", {}).get("VersionStream", {})
        retries = self._number(source.get("Properties", {}).get("MaximumRetryAttempts"), 3)
        error: HandlerError | None = None
        for attempt in range(1, retries + 2):
            try:
                result = self.invoke("notify", {"Records": passing})
            except HandlerError as e:
                error = e
                log.debug("notify failed", exc_info=e.__cause__)
                self._emit(
                    PipelineStep("error", f"notify failed (attempt {attempt}): {e.__cause__}")
                )
                self._stop.wait(0.2 * attempt)
                continue
            failed = lambda_events.stream_failures(result, passing)
            self._report_jobs(passing[: len(passing) - len(failed)] if failed else passing)
            if not failed:
                return
            self._emit(
                PipelineStep("error", f"notify reported {len(failed)} failed records; retrying")
            )
            passing = failed
        self._emit(
            PipelineStep(
                "error",
                f"notify gave up on {len(passing)} record(s) after {retries + 1} attempts; "
                "their batch info is in the notify dead-letter queue",
            )
        )
        seqs = [r["dynamodb"].get("SequenceNumber") for r in passing]
        self._to_dead_letter_queue(
            "notify-dlq",
            "notify",
            retries + 1,
            error,
            {
                "DDBStreamBatchInfo": {
                    "shardId": shard_id,
                    "startSequenceNumber": seqs[0],
                    "endSequenceNumber": seqs[-1],
                    "batchSize": len(passing),
                    "streamArn": stream_arn,
                }
            },
        )

    def _to_dead_letter_queue(
        self,
        role: str,
        function: str,
        attempts: int,
        error: HandlerError | None,
        payload: Mapping[str, Any],
    ) -> None:
        """What Lambda's on-failure destination receives, so redrive can be tried locally."""
        cause = error.__cause__ if error is not None else None
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._functions[function].arn,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorType": type(cause).__name__ if cause else "BatchItemFailures",
                "errorMessage": str(cause) if cause else "records reported as failed",
            },
            **payload,
        }
        self._clients["sqs"].send_message(
            QueueUrl=self._queue_urls[role], MessageBody=json.dumps(record, default=str)
        )

    def _report_jobs(self, records: list[dict[str, Any]]) -> None:
        from stoppress.contracts.keys import article_pk

        for record in records:
            image = _plain(record["dynamodb"].get("NewImage", {}))
            article_id, number = image.get("article_id"), _int(image.get("number"))
            if article_id is None or number is None:
                continue
            claims = self._clients["dynamodb"].query(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
                ExpressionAttributeValues={
                    ":pk": {"S": article_pk(article_id)},
                    ":sk": {"S": f"JOB#{number:06d}#"},
                },
                ProjectionExpression="sk",
            )["Items"]
            topics = sorted({c["sk"]["S"].split("#")[2] for c in claims})
            self._jobs_planned(article_id, number, len(claims))
            self._emit(
                PipelineStep(
                    "jobs",
                    f"{article_id} v{number} → {len(claims)} job{'s' if len(claims) != 1 else ''}"
                    f"{' for ' + ', '.join(topics) if topics else ''}",
                    article_id=article_id,
                    version=number,
                    details={"jobs": len(claims), "topics": topics},
                )
            )

    # push jobs -> send

    def _push_jobs_loop(self) -> None:
        sqs = self._clients["sqs"]
        url = self._queue_urls["push"]
        source = _props("SendFunction").get("Events", {}).get("PushJobs", {}).get("Properties", {})
        batch_size = max(1, min(self._number(source.get("BatchSize"), 10), 10))
        while not self._stop.is_set():
            polled_at = time.monotonic()
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=batch_size,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                self._idle_poll_at["push"] = polled_at
                self._stop.wait(POLL_INTERVAL)
                continue
            self._busy["push"] = True
            try:
                self._deliver_push_jobs(messages)
            finally:
                self._worked()
                self._busy["push"] = False

    def _deliver_push_jobs(self, messages: list[dict[str, Any]]) -> None:
        sqs = self._clients["sqs"]
        url = self._queue_urls["push"]
        records = [
            lambda_events.sqs_record(m, self._queue_arns["push"], self.region) for m in messages
        ]
        try:
            result = self.invoke("send", {"Records": records})
        except HandlerError as e:
            log.debug("send failed", exc_info=e.__cause__)
            self._emit(
                PipelineStep(
                    "error",
                    f"send failed for {len(records)} job(s), they reappear after the "
                    f"visibility timeout: {e.__cause__}",
                )
            )
            return
        failed_ids = lambda_events.sqs_failures(result, records)
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        for i in range(0, len(done), 10):
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[i : i + 10])
                ],
            )
        if failed_ids:
            self._emit(
                PipelineStep(
                    "error",
                    f"send reported {len(failed_ids)} of {len(records)} job(s) failed; "
                    "they reappear after the visibility timeout",
                )
            )
        self._report_deliveries(messages, failed_ids)

    def _report_deliveries(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        for m in messages:
            try:
                job = json.loads(m["Body"])
                article_id, number = str(job["article_id"]), int(job["version"])
                where = f"{job['topic']}#{job['shard']}"
                attempt = int(job.get("attempt", 0))
            except (ValueError, KeyError, TypeError):
                continue
            counts = self.delivery_counts(article_id, number)
            totals = ", ".join(f"{k} {counts[k]}" for k in _COUNTS)
            retry = f" (retry {attempt})" if attempt else ""
            self._emit(
                PipelineStep(
                    "delivery",
                    f"{article_id} v{number} job {where}{retry} done → so far {totals}",
                    article_id=article_id,
                    version=number,
                    details=counts,
                )
            )
            if attempt == 0 and m["MessageId"] not in failed:
                self._job_finished(article_id, number)

    def _jobs_planned(self, article_id: str, number: int, jobs: int) -> None:
        with self._activity_lock:
            self._planned[(article_id, number)] = jobs
        self._job_finished(article_id, number, count=0)

    def _job_finished(self, article_id: str, number: int, count: int = 1) -> None:
        ident = (article_id, number)
        with self._activity_lock:
            self._finished[ident] = self._finished.get(ident, 0) + count
            complete = self._planned.get(ident) == self._finished[ident]
            if complete:
                del self._planned[ident]
        if complete:
            counts = self.delivery_counts(article_id, number)
            self._emit(
                PipelineStep(
                    "delivered",
                    f"{article_id} v{number} → "
                    + ", ".join(f"{k} {counts[k]}" for k in _COUNTS if k != "retried")
                    + (f" ({counts['retried']} retried)" if counts["retried"] else ""),
                    article_id=article_id,
                    version=number,
                    details=counts,
                )
            )

    def delivery_counts(self, article_id: str, number: int) -> dict[str, int]:
        """The DELIVERY#n counters send keeps for a version (zeros before any send)."""
        from stoppress.contracts.keys import article_pk, delivery_sk

        item = (
            self._clients["dynamodb"]
            .get_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(number)}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        plain = _plain(item or {})
        return {k: _int(plain.get(k)) or 0 for k in _COUNTS}

    # -- waiting for the pipeline -----------------------------------------------------------

    def queue_depths(self) -> dict[str, int]:
        """Messages visible + in flight + delayed, per queue."""
        sqs = self._clients["sqs"]
        depths = {}
        for role in ("s3-events", "push"):
            attrs = sqs.get_queue_attributes(
                QueueUrl=self._queue_urls[role],
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            depths[role] = sum(int(v) for v in attrs.values())
        return depths

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until uploads, stream records and push jobs are handled; TimeoutError if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._activity_lock:
                activity = self._activity
            mark = time.monotonic()
            if any(self.queue_depths().values()) or any(self._busy.values()):
                self._stop.wait(POLL_INTERVAL)
                continue
            # Every source must have polled and found nothing since the mark.
            while time.monotonic() < deadline and any(
                t < mark for t in self._idle_poll_at.values()
            ):
                self._stop.wait(POLL_INTERVAL / 2)
            with self._activity_lock:
                unchanged = activity == self._activity
            if unchanged and not any(self.queue_depths().values()):
                return
        raise TimeoutError(f"pipeline still busy after {timeout:.0f} s: {self.queue_depths()}")

    # -- reading back ------------------------------------------------------------------------

    def version_item(self, article_id: str, number: int) -> dict[str, Any] | None:
        from stoppress.contracts.keys import article_pk, version_sk

        item = (
            self._clients["dynamodb"]
            .get_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": version_sk(number)}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return _plain(item) if item else None

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every stored version of an article, oldest first (plain values)."""
        from stoppress.contracts.keys import VERSION_SK_PREFIX, article_pk

        paginator = self._clients["dynamodb"].get_paginator("query")
        out: list[dict[str, Any]] = []
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={
                ":pk": {"S": article_pk(article_id)},
                ":v": {"S": VERSION_SK_PREFIX},
            },
        ):
            out.extend(_plain(i) for i in page["Items"])
        return out

    def _latest_article(self, article_id: str) -> dict[str, Any] | None:
        from stoppress.contracts.keys import article_pk

        if not re.fullmatch(r"[a-z0-9-]{1,120}", article_id):
            return None
        head = (
            self._clients["dynamodb"]
            .get_item(
                TableName=self.table_name,
                Key={"pk": {"S": article_pk(article_id)}, "sk": {"S": "HEAD"}},
            )
            .get("Item")
        )
        if not head:
            return None
        number = int(head["version"]["N"])
        item = self.version_item(article_id, number)
        if item is None:
            return None
        return {
            "headline": item.get("headline"),
            "dateline": item.get("dateline"),
            "body": item.get("body") or item.get("summary"),
            "updated": item.get("article_updated_at") or item.get("created_at"),
            "version": number,
        }


def _load_handler(function: str) -> Callable[[Any, Any], Any]:
    """``functions.<name>.app.lambda_handler``, from the checkout when it is not on sys.path.

    The installed ``stoppress`` command has only the packages on its path; the
    handlers live next to the template, as Lambda's CodeUri expects.
    """
    name = f"functions.{function}.app"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name not in ("functions", f"functions.{function}"):
            raise
        path = PROJECT_ROOT / "functions" / function / "app.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    handler: Callable[[Any, Any], Any] = module.lambda_handler
    return handler


# -- template helpers --------------------------------------------------------------------------


def _props(logical_id: str) -> dict[str, Any]:
    resources = tpl.load_template().get("Resources") or {}
    return dict(resources.get(logical_id, {}).get("Properties") or {})


def _globals() -> dict[str, Any]:
    return dict((tpl.load_template().get("Globals") or {}).get("Function") or {})


def _notify_patterns() -> list[str]:
    try:
        return tpl.stream_filter_patterns("NotifyFunction", "VersionStream")
    except KeyError:
        log.warning("template has no NotifyFunction VersionStream filter; passing every record")
        return []


def _queue_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    names = (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
    )
    attrs = {n: str(props[n]) for n in names if isinstance(props.get(n), int | str)}
    attrs.setdefault("VisibilityTimeout", "30")
    return attrs


def _upload_trigger() -> tuple[list[str], list[dict[str, str]]]:
    upload = _props("IngestFunction").get("Events", {}).get("Upload", {}).get("Properties", {})
    events = upload.get("Events", ["s3:ObjectCreated:*"])
    events = [events] if isinstance(events, str) else list(events)
    rules = upload.get("Filter", {}).get("S3Key", {}).get("Rules") or [
        {"Name": "prefix", "Value": "articles/"}
    ]
    return events, [{"Name": r["Name"], "Value": r["Value"]} for r in rules]


def _api_routes() -> list[tuple[str, str]]:
    events = _props("SubscribeFunction").get("Events", {})
    routes = [
        (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"]))
        for e in events.values()
        if e.get("Type") == "HttpApi" and "Path" in e.get("Properties", {})
    ]
    return routes or list(DEFAULT_ROUTES)


def _cors_configuration() -> dict[str, Any] | None:
    """The HttpApi's CORS settings (API Gateway answers preflights itself when they are set)."""
    resources = tpl.load_template().get("Resources") or {}
    cors: Any = None
    for res in resources.values():
        if res.get("Type") == "AWS::Serverless::HttpApi":
            cors = (res.get("Properties") or {}).get("CorsConfiguration")
    cors = cors or (tpl.load_template().get("Globals") or {}).get("HttpApi", {}).get(
        "CorsConfiguration"
    )
    if not cors:
        return None
    cfg = cors if isinstance(cors, Mapping) else {}
    origins = cfg.get("AllowOrigins")
    return {
        "origins": origins if isinstance(origins, list) and "*" in origins else [],
        "methods": _strings(cfg.get("AllowMethods")) or ["GET", "POST", "DELETE", "OPTIONS"],
        "headers": _strings(cfg.get("AllowHeaders")) or ["content-type"],
        "max_age": cfg.get("MaxAge", 600) if isinstance(cfg.get("MaxAge"), int) else 600,
    }


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _resolve(
    value: Any, refs: Mapping[str, str], getatts: Mapping[tuple[str, str], str]
) -> str | None:
    """A template value as a string, or None when it cannot be known locally."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return refs.get(arg)
        if fn == "Fn::GetAtt" and isinstance(arg, list) and len(arg) == 2:
            return getatts.get((arg[0], arg[1]))
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            missing = False

            def sub(m: re.Match[str]) -> str:
                nonlocal missing
                name = m.group(1)
                if name in extra:
                    got = _resolve(extra[name], refs, getatts)
                elif "." in name:
                    got = getatts.get(tuple(name.split(".", 1)))  # type: ignore[arg-type]
                else:
                    got = refs.get(name)
                if got is None:
                    missing = True
                    return ""
                return got

            out = re.sub(r"\$\{([^}!]+)\}", sub, text)
            return None if missing else out
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            if isinstance(arg[1], Mapping):
                # A list parameter (CommaDelimitedList): its default is already comma-separated.
                joined = _resolve(arg[1], refs, getatts)
                return None if joined is None else str(arg[0]).join(joined.split(","))
            parts = [_resolve(p, refs, getatts) for p in arg[1]]
            if any(p is None for p in parts):
                return None
            return str(arg[0]).join(p for p in parts if p is not None)
    return None


# -- reading items and steps ----------------------------------------------------------------


_COUNTS = ("sent", "expired", "failed", "retried")


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _version_step(record: Mapping[str, Any], *, filtered: bool) -> PipelineStep:
    image = _plain(record["dynamodb"].get("NewImage", {}))
    article_id, number = image.get("article_id"), _int(image.get("number"))
    change, audience = image.get("change", "?"), image.get("audience", "?")
    key = image.get("source_key", "?")
    return PipelineStep(
        "filtered" if filtered else "upload",
        f"upload {key} → {article_id} version {number} ({change}, {audience})"
        + (" → no push" if filtered else ""),
        key=key,
        article_id=article_id,
        version=number,
        details={"change": change, "audience": audience, "headline": image.get("headline")},
    )


@contextlib.contextmanager
def running_stack(**kwargs: Any) -> Iterator[LocalStack]:
    """``with running_stack() as stack:`` — a started stack that always stops."""
    stack = LocalStack(**kwargs)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def write_state_file(path: Path, state: StackState) -> None:
    """Write atomically, so a reader polling for the file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(state.to_json() + "\n", encoding="utf-8")
    tmp.replace(path)
