"""Which AWS client errors are worth retrying, decided in one place for every adapter."""

from typing import Final

from botocore.exceptions import ClientError

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
    }
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    """Throttling, conflicts with an in-flight transaction, and any 5xx: try again later."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return error_code(error) in TRANSIENT_CODES or int(status or 0) >= 500
