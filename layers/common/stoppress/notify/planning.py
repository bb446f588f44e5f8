"""Fan-out planning: which topic partitions hear about a version, as one push job each.

Subscribers are spread over ``shards`` shards (``keys.shard_of``); topic ``all``
over every one of them, any other topic over a few (``keys.topic_partitions``).
One version becomes a small job per partition of each of its topics, which
SendFunction instances run in parallel, each paging through one partition's members.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from stoppress.articles.model import Audience, ChangeKind, Version
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import (
    ARTICLE_TOPIC_PREFIX,
    TOPIC_ALL,
    article_topic,
    tag_slug,
    tag_topic,
    topic_partitions,
)
from stoppress.notify.payload import SiteLook, build_payload
from stoppress.webpush.headers import Urgency, topic_header

BREAKING_TAG: Final = "breaking"
# A new story reaches the followers of at most this many of its tags (the first
# ones the file names): each tag topic costs jobs, and a story's first few tags
# are its section and main subjects.
MAX_TAG_TOPICS: Final = 5


@dataclass(frozen=True)
class PushTtls:
    """How long push services keep an undelivered push (seconds), by its urgency.

    Push services drop a push older than its TTL rather than deliver it late:
    breaking news is stale within the hour, an ordinary update within the day.
    """

    high: int = 3_600
    normal: int = 43_200
    low: int = 86_400

    def for_urgency(self, urgency: Urgency) -> int:
        if urgency is Urgency.HIGH:
            return self.high
        if urgency is Urgency.NORMAL:
            return self.normal
        return self.low


def audience_topics(version: Version) -> tuple[str, ...]:
    """The topics whose subscribers hear about ``version``, in the order that decides
    which one a subscriber in several hears it from (empty when nobody does).

    ``all`` on an update means everyone *and* the story's followers, some of whom
    follow it without being subscribed to everything. A new story has no
    followers yet (a story can be followed only once it is published); it
    reaches the followers of its sections and tags instead, beside everyone when
    its audience is ``all``. An update stays with the story's own followers:
    a section's followers asked for new stories, not for every edit of them.
    """
    if version.audience is Audience.NONE:
        return ()
    if version.change is ChangeKind.NEW:
        sections = tag_topics(version.tags)
        return (TOPIC_ALL, *sections) if version.audience is Audience.ALL else sections
    story = article_topic(version.article_id)
    return (TOPIC_ALL, story) if version.audience is Audience.ALL else (story,)


def tag_topics(tags: Sequence[str]) -> tuple[str, ...]:
    """The topics of a story's tags, in the order named, at most ``MAX_TAG_TOPICS``.

    ``breaking`` is an urgency, not a section anyone follows.
    """
    slugs = (tag_slug(tag) for tag in tags)
    unique = dict.fromkeys(s for s in slugs if s and s != BREAKING_TAG)
    return tuple(tag_topic(s) for s in list(unique)[:MAX_TAG_TOPICS])


def push_urgency(version: Version) -> Urgency:
    """The version's urgency, raised to high for a story tagged breaking."""
    if any(tag.strip().lower() == BREAKING_TAG for tag in version.tags):
        return Urgency.HIGH
    return version.urgency


def plan_fanout(
    version: Version,
    *,
    shards: int,
    site_base_url: str,
    ttls: PushTtls | None = None,
    look: SiteLook | None = None,
    covers: int | None = None,
) -> list[PushJob]:
    """Push jobs for the version's audience topics (none for audience none): one per
    partition of each topic (``keys.topic_partitions``).

    ``covers``: how many updates the push stands for (a cooldown window's release).
    """
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    topics = audience_topics(version)
    urgency = push_urgency(version)
    ttl = (ttls or PushTtls()).for_urgency(urgency)
    header = topic_header(version.article_id)
    jobs: list[PushJob] = []
    for topic in topics:
        payload = build_payload(
            version,
            site_base_url=site_base_url,
            look=look,
            to_followers=topic.startswith(ARTICLE_TOPIC_PREFIX),
            urgency=urgency,
            covers=covers,
        )
        jobs += [
            PushJob(
                article_id=version.article_id,
                version=version.number,
                topic=topic,
                shard=shard,
                payload=payload,
                urgency=urgency,
                ttl=ttl,
                topic_header=header,
                audience=topics if len(topics) > 1 else None,
            )
            for shard in range(topic_partitions(topic, shards))
        ]
    return jobs
