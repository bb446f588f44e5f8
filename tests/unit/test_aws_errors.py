import pytest
from botocore.exceptions import ClientError

from stoppress.aws.errors import is_transient


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
