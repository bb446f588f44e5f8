"""Calling the handlers as Lambda would: ``functions/<name>/app.py``, one invocation at a
time per function, with a Lambda context; and what a failed invocation leaves behind."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from stoppress_dev.lambda_events import HandlerError, LambdaContext
from stoppress_dev.localstack.resources import FunctionSpec
from stoppress_dev.template import PROJECT_ROOT

# Not under "stoppress": Powertools filters records of loggers whose name contains its
# service name out of the root handlers.
log = logging.getLogger("local-stack")

Handler = Callable[[Any, Any], Any]


class Handlers:
    """The four functions, loaded on first use and invoked one event at a time each."""

    def __init__(self, specs: Mapping[str, FunctionSpec], *, quiet: bool) -> None:
        self.specs = dict(specs)
        self.quiet = quiet
        self._locks = {name: threading.Lock() for name in self.specs}
        self._loaded: dict[str, Handler] = {}

    def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
        """The handler's result; HandlerError (with the cause chained) when it raised."""
        spec = self.specs[function]
        with self._locks[function]:
            handler = self._loaded.get(function)
            if handler is None:
                try:
                    handler = load_handler(function)
                except (ImportError, AttributeError) as e:
                    raise HandlerError(f"{function} handler cannot be loaded: {e}") from e
                self._loaded[function] = handler
            context = LambdaContext(
                function_name=spec.function_name,
                invoked_function_arn=spec.arn,
                memory_limit_in_mb=spec.memory_mb,
                timeout_seconds=spec.timeout_s,
            )
            started = time.monotonic()
            try:
                return handler(dict(event), context)
            except Exception as e:  # the Lambda runtime boundary: reported to the event source
                raise HandlerError(f"{function} handler failed: {type(e).__name__}: {e}") from e
            finally:
                if self.quiet:
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


def load_handler(function: str) -> Handler:
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
    handler: Handler = module.lambda_handler
    return handler


def quiet_powertools() -> int:
    """Keep the handlers' logs to warnings; returns the log level to restore afterwards."""
    from stoppress.core.observability import logger

    saved: int = logger.log_level
    logger.setLevel(logging.WARNING)
    # The cold-start metric is printed even with metrics disabled.
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = False
    return saved


def restore_log_level(level: int) -> None:
    from stoppress.core.observability import logger

    logger.setLevel(level)


def failure_record(
    function_arn: str,
    attempts: int,
    error: HandlerError | None,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """What Lambda's on-failure destination receives, so redrive can be tried locally."""
    cause = error.__cause__ if error is not None else None
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
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
