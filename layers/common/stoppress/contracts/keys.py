"""Identifiers and the table's key layout, in one place.

Every pk/sk string the package reads or writes is built here, so the table
layout can change without rippling through the domain code.
"""

import hashlib
import re
import unicodedata
from typing import Annotated, Final

from pydantic import Field

ARTICLE_PREFIX: Final = "articles/"
ARTICLE_ID_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$"
SUB_ID_PATTERN: Final = r"^[0-9a-f]{32}$"

ArticleId = Annotated[str, Field(pattern=ARTICLE_ID_PATTERN)]
SubscriptionId = Annotated[str, Field(pattern=SUB_ID_PATTERN)]

TOPIC_ALL: Final = "all"
ARTICLE_TOPIC_PREFIX: Final = "article:"
TAG_TOPIC_PREFIX: Final = "tag:"
# A tag's slug: what ``tag_slug`` makes of a section or tag name ("City Hall" ->
# "city-hall"); the snippet and the subscribe API accept exactly this form.
TAG_SLUG_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$"
MAX_TAG_SLUG_LENGTH: Final = 60

HEAD_SK: Final = "HEAD"
# A story's cooldown window (notify.cooldown), beside its head and versions.
COOLDOWN_SK: Final = "COOLDOWN"
# Its attributes ingest reads too: the version the followers last got, and the
# update waiting for the window's end (0: none).
COOLDOWN_PUSHED: Final = "pushed_version"
COOLDOWN_HELD: Final = "held_version"
SUB_SK: Final = "SUB"
VERSION_SK_PREFIX: Final = "VERSION#"
SUB_PK_PREFIX: Final = "SUB#"
TOPIC_PK_PREFIX: Final = "TOPIC#"
# Partitions of any topic other than ``all`` (``topic_partitions``). Fixed: a
# member is found where it was written, and only the SUB item's shard is stored.
FOLLOW_TOPIC_PARTITIONS: Final = 8
# A topic's audience count, spread over counter items (``audience_count_sk``).
AUDIENCE_PK_PREFIX: Final = "AUDIENCE#"
AUDIENCE_BATCH_SK: Final = "APPLIED"


MAX_ARTICLE_ID_LENGTH: Final = 120
# A slug longer than the id allows keeps its start and gains a hash of the
# whole: two long keys that share their first 120 characters stay two stories.
_LONG_ID_HASH_CHARS: Final = 10


def story_name(key: str) -> str:
    """The part of an S3 key that names one story: prefix and extension dropped.

    ``articles/2024/NATO Talks.md`` and ``articles/2024/NATO Talks.html`` are one
    story (an editor may switch formats); ``articles/2024/nato-talks.md`` is another,
    although both slug to the same article id.
    """
    path = key[len(ARTICLE_PREFIX) :] if key.startswith(ARTICLE_PREFIX) else key
    stem, dot, ext = path.rpartition(".")
    if dot and "/" not in ext and 0 < len(ext) <= 5:
        return stem
    return path


def article_id_from_key(key: str) -> str:
    """Derive a stable, URL-safe article id from an S3 key.

    ``articles/2024/NATO Resumes Contacts.txt`` -> ``2024-nato-resumes-contacts``:
    the prefix and extension go, accents fold to ASCII, anything else becomes a
    hyphen. The same story uploaded as .txt, .md or .html keeps one id. Different
    names that fold to one id (``a b.txt``, ``A-B.md``) are told apart at ingest,
    which refuses the second (see ``story_name``).
    """
    slug = _slug(story_name(key))
    if not slug:
        raise ValueError(f"no usable article id in key {key!r}")
    if len(slug) <= MAX_ARTICLE_ID_LENGTH:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:_LONG_ID_HASH_CHARS]
    keep = MAX_ARTICLE_ID_LENGTH - _LONG_ID_HASH_CHARS - 1
    return f"{slug[:keep].rstrip('-')}-{digest}"


def subscription_id(endpoint: str) -> str:
    """The subscription id is a hash of its endpoint, so re-subscribing replaces.

    Pass the canonical spelling (``webpush.endpoints.canonical_endpoint``), so that
    every spelling of one endpoint has one id.
    """
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


def shard_of(sub_id: str, shard_count: int) -> int:
    """Which topic shard a subscription lives in; stable for a given shard count."""
    return int(sub_id[:8], 16) % shard_count


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def tag_slug(tag: str) -> str | None:
    """The slug of a section or tag name, as its topic uses it; None when nothing is left.

    ``City Hall`` -> ``city-hall``, ``Économie`` -> ``economie``. Longer names keep
    their first 60 characters, cut back to a whole word where one ends.
    """
    slug = _slug(tag)
    if len(slug) > MAX_TAG_SLUG_LENGTH:
        cut = slug[:MAX_TAG_SLUG_LENGTH]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or None


def article_topic(article_id: str) -> str:
    return f"{ARTICLE_TOPIC_PREFIX}{article_id}"


def tag_topic(slug: str) -> str:
    return f"{TAG_TOPIC_PREFIX}{slug}"


def article_pk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def version_sk(number: int) -> str:
    return f"{VERSION_SK_PREFIX}{number:06d}"


def delivery_sk(number: int) -> str:
    return f"DELIVERY#{number:06d}"


def job_ledger_prefix(number: int) -> str:
    """The sort key prefix shared by every ledger entry of one version."""
    return f"JOB#{number:06d}#"


def job_ledger_sk(number: int, topic: str, shard: int) -> str:
    return f"{job_ledger_prefix(number)}{topic}#{shard}"


def send_claim_sk(number: int, job_key: str) -> str:
    """A sender's lease on one job; ``job_key`` is the job id, plus the part when a job is split."""
    return f"SEND#{number:06d}#{job_key}"


def subscription_pk(sub_id: str) -> str:
    return f"{SUB_PK_PREFIX}{sub_id}"


def topic_partitions(topic: str, shards: int) -> int:
    """How many partitions hold ``topic``'s members when subscriptions use ``shards``.

    ``all`` is spread over every shard: it is the largest audience, and each
    partition is one push job, so the shard count is its fan-out parallelism.
    Every other topic (a story, a section) folds onto at most
    ``FOLLOW_TOPIC_PARTITIONS``: followers are far fewer, and a fan-out reads
    every partition of its topics whether anyone is in them or not.
    """
    return shards if topic == TOPIC_ALL else min(shards, FOLLOW_TOPIC_PARTITIONS)


def topic_pk(topic: str, shard: int) -> str:
    """The partition of ``topic`` that holds the members of a subscription in ``shard``.

    ``shard`` is the subscription's (``shard_of``, kept on its SUB item) or a
    partition number below ``topic_partitions``: folding one gives itself, so a
    member read from a partition is written back to the same one.
    """
    partition = shard if topic == TOPIC_ALL else shard % FOLLOW_TOPIC_PARTITIONS
    return f"{TOPIC_PK_PREFIX}{topic}#{partition}"


def topic_of_member_pk(pk: str) -> str | None:
    """The topic of a member item's pk (``topic_pk``'s inverse); None for any other pk."""
    if not pk.startswith(TOPIC_PK_PREFIX):
        return None
    topic, sep, shard = pk[len(TOPIC_PK_PREFIX) :].rpartition("#")
    return topic if sep and topic and shard.isdigit() else None


def audience_pk(topic: str) -> str:
    return f"{AUDIENCE_PK_PREFIX}{topic}"


def audience_count_sk(counter: int) -> str:
    return f"COUNT#{counter}"


def audience_batch_pk(first_sequence: str) -> str:
    """The marker of one applied stream batch, named by its first record's sequence number."""
    return f"{AUDIENCE_PK_PREFIX}BATCH#{first_sequence}"


def topic_member_sk(sub_id: str) -> str:
    return f"{SUB_PK_PREFIX}{sub_id}"


def rejection_pk(source_key: str) -> str:
    return f"REJECTED#{source_key}"
