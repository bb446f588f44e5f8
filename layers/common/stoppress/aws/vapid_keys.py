"""VAPID keys from SSM Parameter Store, cached by Powertools for warm invocations.

The private key is a SecureString (base64url of the raw 32-byte P-256 scalar),
the public key a String (base64url of the 65-byte uncompressed point); both are
written by ``stoppress vapid init``. Values are never logged.

Powertools' parameters package is imported on the first read: the subscribe
function serves its other routes without it.
"""

from typing import TYPE_CHECKING, Any, Final

from stoppress.aws import clients
from stoppress.core.errors import NotFoundError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

# Key rotation reaches warm functions within this many seconds.
MAX_AGE_SECONDS: Final = 300

# (client, provider): the provider holds the value cache and is rebuilt whenever
# the cached client changes, so clients.reset() also forgets cached keys.
_current: list[tuple[Any, "SSMProvider"]] = []


def _provider() -> "SSMProvider":
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    ssm = clients.client("ssm")
    if not _current or _current[0][0] is not ssm:
        _current[:] = [(ssm, SSMProvider(boto3_client=ssm))]
    return _current[0][1]


def _get(name: str, *, decrypt: bool) -> str:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _provider().get(name, max_age=MAX_AGE_SECONDS, decrypt=decrypt)
    except GetParameterError as e:
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
