"""VAPID keys from SSM Parameter Store, cached by Powertools for warm invocations.

The private key is a SecureString (base64url of the raw 32-byte P-256 scalar),
the public key a String (base64url of the 65-byte uncompressed point); both are
written by ``stoppress vapid init``. Values are never logged.

Powertools' parameters package is imported on the first read: the subscribe
function serves its other routes without it.
"""

from typing import TYPE_CHECKING, Final

from stoppress.aws import clients
from stoppress.aws.errors import as_transient
from stoppress.core import warm
from stoppress.core.errors import NotFoundError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

# Key rotation reaches warm functions within this many seconds.
MAX_AGE_SECONDS: Final = 300


@warm.cached
def _provider() -> "SSMProvider":
    # The provider holds the value cache: warm.reset() forgets it with the client.
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=clients.client("ssm"))


def _get(name: str, *, decrypt: bool) -> str:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _provider().get(name, max_age=MAX_AGE_SECONDS, decrypt=decrypt)
    except GetParameterError as e:
        # Powertools wraps every failure; the SDK's own error is the one it was raised during.
        transient = as_transient(e.__context__, "reading a VAPID key") if e.__context__ else None
        if transient is not None:
            raise transient from e.__context__
        raise NotFoundError(
            f"VAPID key parameter {name} is not readable; run `stoppress vapid init`"
        ) from e
    if not isinstance(value, str) or not value:
        raise NotFoundError(f"VAPID key parameter {name} is empty")
    return value


def public_key(name: str) -> str:
    """The application server's public key, as browsers pass it to ``pushManager.subscribe``."""
    return _get(name, decrypt=False)


def private_key(name: str) -> str:
    """The private signing key (SecureString, decrypted)."""
    return _get(name, decrypt=True)
