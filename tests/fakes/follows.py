"""What subscriptions follow, in memory: a stand-in for subscribe's ``FollowsRepository``."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from stoppress.subscribe.service import Followed


@dataclass
class FakeFollows:
    """``subscriptions``: sub id -> what its SUB item says; ``live``: sub id -> the topics
    whose membership is there and unexpired; ``heads``: article id -> headline.
    Records each headline read, so a test can tell a read that was not needed."""

    subscriptions: dict[str, Followed] = field(default_factory=dict)
    live: dict[str, set[str]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    headline_reads: list[list[str]] = field(default_factory=list)

    def followed(self, sub_id: str, *, now: datetime) -> Followed | None:
        return self.subscriptions.get(sub_id)

    def live_topics(
        self, sub_id: str, shard: int, topics: Collection[str], *, now: datetime
    ) -> frozenset[str]:
        return frozenset(t for t in topics if t in self.live.get(sub_id, set()))

    def headlines(self, article_ids: Collection[str]) -> dict[str, str]:
        self.headline_reads.append(list(article_ids))
        return {a: self.heads[a] for a in article_ids if a in self.heads}
