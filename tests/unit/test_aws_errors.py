import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from stoppress.aws.errors import error_code, is_transient, translated
from stoppress.core.errors import NotFoundError, TransientError


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "x"},
            "ResponseMetadata": {
                "RequestId": "req-1",
                "HostId": "",
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "Op",
    )


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("ProvisionedThroughputExceededException", 400, True),
        ("ThrottlingException", 400, True),
        ("TransactionConflictException", 400, True),
        ("SlowDown", 503, True),
        ("SomethingNew", 502, True),
        ("ConditionalCheckFailedException", 400, False),
        ("ValidationException", 400, False),
        ("AccessDeniedException", 400, False),
    ],
)
def test_only_throttling_conflicts_and_server_errors_are_retried(
    code: str, status: int, transient: bool
) -> None:
    assert is_transient(client_error(code, status)) is transient


CONNECTION_ERRORS = [
    EndpointConnectionError(endpoint_url="https://dynamodb.example"),
    ConnectTimeoutError(endpoint_url="https://dynamodb.example"),
    ReadTimeoutError(endpoint_url="https://dynamodb.example"),
    ConnectionClosedError(endpoint_url="https://dynamodb.example"),
    HTTPClientError(error=OSError("reset")),
    ConnectionError(error=OSError("refused")),
    IncompleteReadError(actual_bytes=1, expected_bytes=2),
]


@pytest.mark.parametrize(
    "error",
    [*CONNECTION_ERRORS, client_error("ThrottlingException", 400), client_error("X", 503)],
    ids=lambda e: type(e).__name__ if not isinstance(e, ClientError) else error_code(e),
)
def test_unreachable_throttled_and_failing_services_become_transient(error: Exception) -> None:
    with (
        pytest.raises(TransientError, match=r"^reading a thing: ") as caught,
        translated("reading a thing"),
    ):
        raise error
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException", 400),
        client_error("ValidationException", 400),
        ParamValidationError(report="bad"),
        NoCredentialsError(),
        ValueError("not ours"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_pass_through_unchanged(error: Exception) -> None:
    with pytest.raises(type(error)) as caught, translated("writing a thing"):
        raise error
    assert caught.value is error


def test_typed_errors_raised_inside_pass_through() -> None:
    with pytest.raises(NotFoundError), translated("reading a thing"):
        raise NotFoundError("gone")
