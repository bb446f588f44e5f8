"""When a push that could not be delivered yet is tried again."""

import email.utils
import time
from typing import Final

MAX_DELAY_SECONDS: Final = 900  # SQS DelaySeconds limit
RETRY_BASE_SECONDS: Final = 30


def retry_delay(attempt: int, retry_after: int) -> int:
    """SQS delay for the retry of a job at ``attempt``: backoff, or longer if a service asked."""
    backoff = RETRY_BASE_SECONDS * 2**attempt
    return min(MAX_DELAY_SECONDS, max(backoff, retry_after))


def parse_retry_after(value: str | None, *, now: float | None = None) -> int:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); 0 if absent or bad."""
    if not value:
        return 0
    value = value.strip()
    if value.isdigit():
        return min(int(value), MAX_DELAY_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0
    if when.tzinfo is None:
        return 0
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0, min(int(seconds + 0.999), MAX_DELAY_SECONDS))
