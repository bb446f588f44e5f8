"""Logger, metrics and tracer shared by every layer of the package.

Powertools reads its service name and metrics namespace from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE); the defaults here keep
local runs and tests readable without them.

Tracing. The functions run with X-Ray Active tracing: the Lambda service records
every invocation's segment (initialisation, invocation and overhead durations,
errors) on its own, with no SDK in the function. What needs the AWS X-Ray SDK is
the detail inside an invocation: a subsegment per AWS call (botocore patched) and
per ``tracer.capture_*`` decorator. The layer leaves that SDK out on purpose:
it depends on its own copy of botocore, which would shadow the runtime's
precompiled one, and importing and patching it costs every cold start more than
the ingest and subscribe functions' whole import budget. So:

- without ``aws_xray_sdk`` installed (the deployed layer), ``tracer`` is a
  stand-in whose decorators return the function unchanged and whose annotation
  calls do nothing; the handlers' code is the same either way;
- with it installed (add ``aws-xray-sdk`` to layers/common/requirements.txt to
  trade the cold start for subsegments; the development environment has it),
  ``tracer`` is Powertools' Tracer, patching botocore only: patching every
  library the SDK knows would import requests and others at cold start for
  calls these functions do not make through them.
"""

import threading
from collections.abc import Callable
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "stoppress"
XRAY_SDK = "aws_xray_sdk"
TRACED_MODULES = ("botocore",)

F = TypeVar("F", bound=Callable[..., Any])


class UntracedTracer:
    """Powertools Tracer's surface used here, for a runtime without the X-Ray SDK."""

    disabled = True

    def __init__(self, service: str) -> None:
        self.service = service

    def capture_lambda_handler(
        self,
        lambda_handler: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        if lambda_handler is None:
            return _unchanged
        return lambda_handler

    def capture_method(
        self,
        method: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        if method is None:
            return _unchanged
        return method

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        return None


def _unchanged(function: F) -> F:
    return function


def _tracer() -> "Tracer | UntracedTracer":
    if find_spec(XRAY_SDK) is None:
        return UntracedTracer(SERVICE)
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE, patch_modules=TRACED_MODULES)


class SerialEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF metrics, added to and flushed under one lock.

    Lambda runs one invocation per execution environment at a time, so the set
    is never shared there. The local stack and the test suite run several
    handlers in threads of one process, sharing this one set: unlocked, one
    handler's flush can empty it between another's check and its serialisation
    ("Must contain at least one metric"), failing a request whose work is done.
    """

    _lock = threading.RLock()

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super().add_metric(*args, **kwargs)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        with self._lock:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


logger = Logger(service=SERVICE)
metrics = Metrics(provider=SerialEMFProvider(namespace=SERVICE, service=SERVICE))
tracer = _tracer()
