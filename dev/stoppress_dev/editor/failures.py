"""Failures an editor can act on, each said in one line instead of a traceback.

``explain`` returns None for anything it does not recognise: that is a bug, and
its traceback is worth more than a guess.
"""

from __future__ import annotations

from typing import Final

from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from stoppress.aws.errors import NETWORK_ERRORS, error_code
from stoppress.core.errors import ArticleParseError, NotFoundError, TransientError
from stoppress_dev.editor.target import EditorError, Target

_EXPIRED: Final = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_BAD_CREDENTIALS: Final = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"}
)


def explain(error: Exception, target: Target | None) -> str | None:
    """One line saying what went wrong and what to do, or None for an unexpected error."""
    where = target.where if target else "the stack"
    if isinstance(error, EditorError):
        return str(error)
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return (
            "no AWS credentials: pass --profile, set AWS_PROFILE, or sign in "
            "(aws sso login / aws configure)"
        )
    if isinstance(error, TokenRetrievalError):
        return f"the AWS sign-in has expired ({error}): run aws sso login"
    if isinstance(error, ProfileNotFound):
        return f"no AWS profile {error.kwargs.get('profile')!r} in the AWS config files"
    if isinstance(error, NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(error, (TransientError, *NETWORK_ERRORS)):
        hint = "; is `stoppress dev` still running?" if target and target.endpoint_url else ""
        return f"cannot reach {where} ({error}){hint}"
    if isinstance(error, ClientError):
        return _client_error(error, where)
    if isinstance(error, (NotFoundError, ArticleParseError)):
        # A version whose body is in S3, and that S3 object version is gone or unreadable.
        return f"cannot read a stored version's source from S3: {error}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
    return None


def _client_error(error: ClientError, where: str) -> str:
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message") or code
    if code == "ResourceNotFoundException":
        return f"no such {where}: {message}"
    if code in _EXPIRED:
        return f"the AWS credentials have expired ({code}): sign in again"
    if code in _BAD_CREDENTIALS:
        return f"AWS does not accept these credentials ({code}): check --profile"
    if code.startswith("AccessDenied") or code in ("403", "Forbidden"):
        return f"access denied to {where}: {message}"
    return f"{code} from {where}: {message}"
