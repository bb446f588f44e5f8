"""AWS errors moto does not produce, answered by the client before a request reaches moto."""

from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders


def error_answer(
    status: int, code: str, message: str | None = None, **extra: Any
) -> tuple[AWSResponse, dict[str, Any]]:
    """What a ``before-call`` event handler returns to make the call fail with ``code``.

    ``extra`` adds top-level fields of the parsed error, such as ``CancellationReasons``.
    """
    error = {
        "Error": {"Code": code, "Message": code if message is None else message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return AWSResponse("https://aws.example", status, HTTPHeaders(), None), error
