"""Which AWS errors are worth retrying, decided in one place for every adapter.

Every adapter wraps its AWS calls in ``translated(action)``: throttling, 5xx
answers and a network that fails (refused, timed out, reset, cut short) after
botocore's own retries become ``TransientError``, which every stage answers
with a retry (and the HTTP API with a 503). Anything else is re-raised as it
was. An adapter's own cases (a failed condition, a missing object) are mapped
to their typed errors inside the block, so they pass through untouched.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    IncompleteReadError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from stoppress.core.errors import TransientError

TRANSIENT_CODES: Final = frozenset(
    {
        # DynamoDB
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
        "LimitExceededException",
        # S3
        "SlowDown",
        "InternalError",
        "RequestTimeout",
        "503",
        "500",
        # SQS
        "RequestThrottled",
        "InternalFailure",
        "KmsThrottled",
        "AWS.SimpleQueueService.KmsThrottled",
    }
)

# What botocore raises when the network fails: EndpointConnectionError,
# ConnectTimeoutError, SSLError and ProxyConnectionError are ConnectionErrors;
# ReadTimeoutError, ConnectionClosedError and ResponseStreamingError are
# HTTPClientErrors; IncompleteReadError is a streamed body cut short.
NETWORK_ERRORS: Final = (BotoConnectionError, HTTPClientError, IncompleteReadError)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# Why DynamoDB cancelled a transaction, per item: worth retrying ("None" marks
# the items that were fine).
TRANSIENT_CANCELLATION_REASONS: Final = frozenset(
    {
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
        "TransactionConflict",
    }
)


def is_transient(error: ClientError) -> bool:
    """Throttling, conflicts with an in-flight transaction, and any 5xx: try again later.

    A cancelled transaction is transient when what cancelled it was: throttling
    or a conflict on some item, and no failed condition.
    """
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = error_code(error)
    if code == "TransactionCanceledException":
        reasons = {str(r.get("Code")) for r in error.response.get("CancellationReasons") or []}
        return bool(reasons & TRANSIENT_CANCELLATION_REASONS) and reasons <= (
            TRANSIENT_CANCELLATION_REASONS | {"None"}
        )
    return code in TRANSIENT_CODES or int(status or 0) >= 500


def as_transient(error: BaseException, action: str) -> TransientError | None:
    """The ``TransientError`` that ``error`` amounts to, or None if retrying would not help."""
    if isinstance(error, ClientError):
        return TransientError(f"{action}: {error_code(error)}") if is_transient(error) else None
    if isinstance(error, NETWORK_ERRORS):
        return TransientError(f"{action}: {type(error).__name__}")
    return None


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Raise ``TransientError`` (from the original) for AWS errors worth retrying.

    ``action`` says what was being done, for the log line of whoever handles it.
    """
    try:
        yield
    except (ClientError, *NETWORK_ERRORS) as e:
        transient = as_transient(e, action)
        if transient is None:
            raise
        raise transient from e
