"""The cooldown queue (SQS): a message per story window, delayed until the window closes.

SQS delays a message by at most 15 minutes; a window that ends later gets the
longest delay, and its handler sends the message again until it is due.
"""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from stoppress.aws import clients
from stoppress.aws.errors import translated
from stoppress.contracts.keys import ARTICLE_ID_PATTERN

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_DELAY_SECONDS: Final = 900
_ARTICLE_ID: Final = re.compile(ARTICLE_ID_PATTERN)


@dataclass(frozen=True)
class WindowMessage:
    """A story's window came (or may have come) due."""

    article_id: str
    due: float

    def to_body(self) -> str:
        return json.dumps({"article_id": self.article_id, "due": self.due})

    @classmethod
    def from_body(cls, body: str) -> "WindowMessage":
        """Raises ValueError for anything that is not a window message."""
        data: Any = json.loads(body)
        if not isinstance(data, Mapping):
            raise ValueError("a window message is a JSON object")
        article_id, due = data.get("article_id"), data.get("due")
        if not isinstance(article_id, str) or not _ARTICLE_ID.fullmatch(article_id):
            raise ValueError("a window message needs an article_id")
        if not isinstance(due, int | float) or isinstance(due, bool) or not math.isfinite(due):
            raise ValueError("a window message needs a due time")
        return cls(article_id, float(due))


def delay_for(due: float, now: float) -> int:
    """The SQS delay that brings a message back at ``due``, or as near as SQS allows."""
    return max(0, min(MAX_DELAY_SECONDS, math.ceil(due - now)))


class WindowQueue:
    def __init__(self, queue_url: str, client: "SQSClient | None" = None) -> None:
        self._queue_url = queue_url
        self._client = client or clients.sqs()

    def schedule(self, article_id: str, *, due: float, now: float) -> None:
        with translated("scheduling a cooldown window"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=WindowMessage(article_id, due).to_body(),
                DelaySeconds=delay_for(due, now),
            )
