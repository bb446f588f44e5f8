"""What a reader did with a notification, as the API takes it and the version's
``DELIVERY#<n>`` item counts it: send adds the delivery counts to that item, subscribe
adds these, so a version's click rate is ``clicks / sent``."""

from typing import Final, Literal

EngagementAction = Literal["click", "unfollow"]

# The DELIVERY#<n> attribute each action adds one to.
ENGAGEMENT_COUNTERS: Final[dict[str, str]] = {"click": "clicks", "unfollow": "unfollows"}
