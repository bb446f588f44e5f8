"""Function settings: pydantic models over the environment, validated once.

Each handler asks for its own model with ``load_settings(Model)`` on first use
(never at import time); a missing or malformed variable fails loudly with its
name.
"""

import os
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stoppress.core import warm
from stoppress.core.errors import SettingsError

DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


class _Settings(BaseModel):
    # Built on first use: each function loads one settings model of the several here.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)


HostList = Annotated[tuple[str, ...], Field(min_length=1)]


def _split_hosts(value: object) -> object:
    if isinstance(value, str):
        return tuple(h.strip().lower().lstrip(".") for h in value.split(",") if h.strip())
    return value


# Each setting is declared once, on the smallest model that needs it, and the
# function models combine them; every default equals what template.yaml sets.


class _Table(_Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class _PushQueue(_Settings):
    push_queue_url: str = Field(alias="PUSH_QUEUE_URL", min_length=1)


class _TopicShards(_Settings):
    # Subscribe writes members into shards and notify plans one job per shard:
    # both read this one declaration, and the template gives both the same value.
    topic_shards: int = Field(alias="TOPIC_SHARDS", default=64, ge=1, le=1000)


class ExpirySettings(_Settings):
    """How long a story follow lasts without a push, and a subscription without a confirmation.

    Days, fractions allowed: the local stack and tests run them in seconds.
    """

    follow_expiry_days: float = Field(alias="FOLLOW_EXPIRY_DAYS", default=14, gt=0, le=365)
    subscription_expiry_days: float = Field(
        alias="SUBSCRIPTION_EXPIRY_DAYS", default=300, gt=0, le=3650
    )


class PushEndpointSettings(_Settings):
    allowed_push_hosts: HostList = Field(alias="ALLOWED_PUSH_HOSTS", default=DEFAULT_PUSH_HOSTS)
    # Loopback push services exist only on a developer's machine.
    allow_loopback_endpoints: bool = Field(alias="ALLOW_LOOPBACK_PUSH_ENDPOINTS", default=False)

    _hosts = field_validator("allowed_push_hosts", mode="before")(_split_hosts)


class IngestSettings(_Table):
    # Bodies larger than this stay in S3 and the version keeps a pointer.
    inline_body_limit: int = Field(alias="INLINE_BODY_LIMIT", default=100_000, gt=0)
    # How far ahead an embargo may be: further is more likely a typed year than a plan.
    embargo_horizon_days: int = Field(alias="EMBARGO_HORIZON_DAYS", default=30, ge=1, le=365)


class SubscribeSettings(PushEndpointSettings, _Table, _TopicShards, ExpirySettings):
    vapid_public_key_parameter: str = Field(alias="VAPID_PUBLIC_KEY_PARAMETER", min_length=1)
    # The site allowed to call the API from a browser; unset means no CORS headers.
    site_origin: str | None = Field(alias="SITE_ORIGIN", default=None, pattern=r"^https?://")


class NotifySettings(_Table, _PushQueue, _TopicShards):
    site_base_url: str = Field(alias="SITE_BASE_URL", pattern=r"^https?://")
    # How long a push service keeps an undelivered push, by urgency: breaking news
    # an hour later is no longer breaking.
    push_ttl_high: int = Field(alias="PUSH_TTL_HIGH", default=3_600, ge=0, le=2_419_200)
    push_ttl_normal: int = Field(alias="PUSH_TTL_NORMAL", default=43_200, ge=0, le=2_419_200)
    push_ttl_low: int = Field(alias="PUSH_TTL_LOW", default=86_400, ge=0, le=2_419_200)
    # The site's notification icon and monochrome badge: absolute https URLs, or empty.
    site_icon_url: str = Field(alias="SITE_ICON_URL", default="", pattern=r"^(https://\S{1,500})?$")
    site_badge_url: str = Field(
        alias="SITE_BADGE_URL", default="", pattern=r"^(https://\S{1,500})?$"
    )
    # A story's followers get at most one update push per this many seconds; the
    # updates in between are held and the latest goes out when it ends. 0: no cooldown.
    update_cooldown: int = Field(alias="UPDATE_COOLDOWN_SECONDS", default=600, ge=0, le=86_400)
    # Where a cooldown window's closing message waits until the window ends.
    cooldown_queue_url: str = Field(alias="COOLDOWN_QUEUE_URL", min_length=1)


class AudienceSettings(_Table):
    pass


class SendSettings(PushEndpointSettings, _Table, _PushQueue, ExpirySettings):
    vapid_private_key_parameter: str = Field(alias="VAPID_PRIVATE_KEY_PARAMETER", min_length=1)
    vapid_subject: str = Field(alias="VAPID_SUBJECT", pattern=r"^(mailto:|https://)")
    max_in_flight: int = Field(alias="PUSH_MAX_IN_FLIGHT", default=128, ge=1, le=2048)
    request_timeout: float = Field(alias="PUSH_REQUEST_TIMEOUT", default=10.0, gt=0, le=60)
    max_attempts: int = Field(alias="PUSH_MAX_ATTEMPTS", default=5, ge=1, le=20)
    # Sender processes per job: one per vCPU the function's memory size buys
    # (about one per 1,769 MB). 1 sends from the handler's own process.
    processes: int = Field(alias="PUSH_SENDER_PROCESSES", default=1, ge=1, le=6)
    retire_after_versions: int = Field(
        alias="RETIRE_AFTER_FAILED_VERSIONS", default=5, ge=1, le=1000
    )
    retire_after_hours: float = Field(
        alias="RETIRE_AFTER_FAILING_HOURS", default=72, ge=0, le=24 * 365
    )


S = TypeVar("S", bound=_Settings)


@warm.cached
def load_settings(model: type[S]) -> S:
    """Read ``model`` from the environment once per process."""
    try:
        return model.model_validate(dict(os.environ))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise SettingsError(f"invalid settings for {model.__name__}: {problems}") from e
