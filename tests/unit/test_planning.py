"""Fan-out planning: the audience decides the topic, the shard count the number of jobs."""

import json
from datetime import UTC, datetime

import pytest

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.contracts.jobs import PushJob
from stoppress.contracts.keys import FOLLOW_TOPIC_PARTITIONS
from stoppress.notify.payload import build_payload
from stoppress.notify.planning import PushTtls, plan_fanout
from stoppress.webpush.headers import Urgency, topic_header

SITE = "https://news.example"
CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def make_version(**changes: object) -> Version:
    fields: dict[str, object] = {
        "article_id": "storm-warning",
        "number": 1,
        "headline": "Storm warning for the coast",
        "summary": "Gusts up to 120 km/h expected tonight.",
        "change": ChangeKind.NEW,
        "audience": Audience.ALL,
        "content_hash": "a" * 64,
        "source": SourceObject(bucket="b", key="articles/storm-warning.md", event_time=CREATED),
        "created_at": CREATED,
    }
    fields.update(changes)
    return Version.model_validate(fields)


def test_audience_all_gets_one_job_per_shard_of_topic_all() -> None:
    version = make_version()
    jobs = plan_fanout(version, shards=4, site_base_url=SITE)

    assert [(j.topic, j.shard) for j in jobs] == [("all", 0), ("all", 1), ("all", 2), ("all", 3)]
    expected_payload = build_payload(version, site_base_url=SITE)
    for job in jobs:
        assert job.article_id == "storm-warning"
        assert job.version == 1
        assert job.payload == expected_payload
        assert job.ttl == 43_200
        assert job.urgency is Urgency.NORMAL
        assert job.topic_header == topic_header("storm-warning")
        assert job.recipients is None
        assert job.attempt == 0


def test_followers_get_the_articles_own_topic() -> None:
    version = make_version(number=2, change=ChangeKind.UPDATE, audience=Audience.FOLLOWERS)
    jobs = plan_fanout(version, shards=3, site_base_url=SITE)

    assert [(j.topic, j.shard) for j in jobs] == [
        ("article:storm-warning", 0),
        ("article:storm-warning", 1),
        ("article:storm-warning", 2),
    ]
    assert {j.payload["article"]["change"] for j in jobs} == {"update"}
    assert {j.version for j in jobs} == {2}
    # Followers may stop following from the notification; a push to everyone has no such button.
    assert all(a["action"] != "unfollow" for a in jobs[0].payload["notification"]["actions"][:1])
    assert jobs[0].payload["notification"]["actions"][-1]["action"] == "unfollow"
    everyone = plan_fanout(make_version(), shards=1, site_base_url=SITE)[0]
    assert [a["action"] for a in everyone.payload["notification"]["actions"]] == ["read"]


@pytest.mark.parametrize(
    ("urgency", "tags", "ttl"),
    [
        (Urgency.HIGH, (), 600),
        (Urgency.NORMAL, ("Breaking",), 600),
        (Urgency.NORMAL, (), 7_200),
        (Urgency.LOW, (), 86_000),
        (Urgency.VERY_LOW, (), 86_000),
    ],
)
def test_the_ttl_follows_the_pushs_urgency(
    urgency: Urgency, tags: tuple[str, ...], ttl: int
) -> None:
    version = make_version(urgency=urgency, tags=tags)
    ttls = PushTtls(high=600, normal=7_200, low=86_000)
    [job] = plan_fanout(version, shards=1, site_base_url=SITE, ttls=ttls)
    assert job.ttl == ttl
    assert ("requireInteraction" in job.payload["notification"]) is (ttl == 600)


def test_audience_none_plans_nothing() -> None:
    version = make_version(number=3, change=ChangeKind.CORRECTION, audience=Audience.NONE)
    assert plan_fanout(version, shards=16, site_base_url=SITE) == []


@pytest.mark.parametrize(
    ("urgency", "tags", "expected"),
    [
        (Urgency.LOW, (), Urgency.LOW),
        (Urgency.HIGH, (), Urgency.HIGH),
        (Urgency.NORMAL, ("weather", "Breaking"), Urgency.HIGH),
        (Urgency.VERY_LOW, ("breaking",), Urgency.HIGH),
    ],
)
def test_urgency_comes_from_the_version_and_breaking_is_high(
    urgency: Urgency, tags: tuple[str, ...], expected: Urgency
) -> None:
    jobs = plan_fanout(make_version(urgency=urgency, tags=tags), shards=1, site_base_url=SITE)
    assert {j.urgency for j in jobs} == {expected}


def test_jobs_survive_the_queue_round_trip() -> None:
    jobs = plan_fanout(make_version(), shards=2, site_base_url=SITE)
    for job in jobs:
        message = job.to_message()
        assert PushJob.from_message(message) == job
        assert json.loads(message)["payload"]["notification"]["tag"] == "article-storm-warning"
    assert len({j.job_id for j in jobs}) == 2


def test_shard_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="shards"):
        plan_fanout(make_version(), shards=0, site_base_url=SITE)


def test_an_update_to_everyone_reaches_its_followers_too() -> None:
    version = make_version(number=2, change=ChangeKind.UPDATE, audience=Audience.ALL)
    jobs = plan_fanout(version, shards=2, site_base_url=SITE)

    assert [(j.topic, j.shard) for j in jobs] == [
        ("all", 0),
        ("all", 1),
        ("article:storm-warning", 0),
        ("article:storm-warning", 1),
    ]
    assert {j.audience for j in jobs} == {("all", "article:storm-warning")}
    assert len({j.job_id for j in jobs}) == 4
    # Only the followers' push offers to stop following.
    assert [len(j.payload["notification"]["actions"]) for j in jobs] == [1, 1, 2, 2]


@pytest.mark.parametrize("shards", [1, 7, 8, 9, 20, 64, 1000])
def test_everyone_is_read_from_every_shard_and_a_story_from_eight_at_most(shards: int) -> None:
    version = make_version(number=2, change=ChangeKind.UPDATE, audience=Audience.ALL)
    jobs = plan_fanout(version, shards=shards, site_base_url=SITE)

    assert [j.shard for j in jobs if j.topic == "all"] == list(range(shards))
    later = [j.shard for j in jobs if j.topic == "article:storm-warning"]
    assert later == list(range(min(shards, FOLLOW_TOPIC_PARTITIONS)))
    assert len({j.job_id for j in jobs}) == len(jobs)


def test_a_new_story_goes_to_everyone_alone() -> None:
    jobs = plan_fanout(make_version(), shards=2, site_base_url=SITE)
    assert {j.topic for j in jobs} == {"all"}
    assert {j.audience for j in jobs} == {None}


def test_a_new_story_reaches_everyone_then_the_followers_of_its_sections() -> None:
    version = make_version(tags=("City Hall", "Économie", "breaking", "city hall", "  "))
    jobs = plan_fanout(version, shards=2, site_base_url=SITE)

    topics = ["all", "tag:city-hall", "tag:economie"]
    assert [(j.topic, j.shard) for j in jobs] == [
        ("all", 0),
        ("all", 1),
        ("tag:city-hall", 0),
        ("tag:city-hall", 1),
        ("tag:economie", 0),
        ("tag:economie", 1),
    ]
    # A reader in several of them hears it from the first: the senders need the order.
    assert {j.audience for j in jobs} == {tuple(topics)}
    # Breaking is an urgency, not a section.
    assert {j.urgency for j in jobs} == {Urgency.HIGH}


def test_a_new_story_for_followers_only_reaches_its_sections_and_not_everyone() -> None:
    version = make_version(tags=("Politics",), audience=Audience.FOLLOWERS)
    jobs = plan_fanout(version, shards=1, site_base_url=SITE)

    assert [j.topic for j in jobs] == ["tag:politics"]
    assert jobs[0].audience is None
    assert (
        plan_fanout(make_version(audience=Audience.FOLLOWERS), shards=1, site_base_url=SITE) == []
    )


def test_updates_stay_with_the_storys_followers_whatever_its_tags() -> None:
    tags = ("Politics", "Europe")
    followers = make_version(
        number=2, change=ChangeKind.UPDATE, audience=Audience.FOLLOWERS, tags=tags
    )
    everyone = make_version(number=2, change=ChangeKind.UPDATE, audience=Audience.ALL, tags=tags)

    assert {j.topic for j in plan_fanout(followers, shards=1, site_base_url=SITE)} == {
        "article:storm-warning"
    }
    assert [j.topic for j in plan_fanout(everyone, shards=1, site_base_url=SITE)] == [
        "all",
        "article:storm-warning",
    ]


def test_a_story_reaches_the_followers_of_its_first_five_tags_only() -> None:
    version = make_version(tags=tuple(f"Tag {n}" for n in range(9)))
    topics = [j.topic for j in plan_fanout(version, shards=1, site_base_url=SITE)]

    assert topics == ["all"] + [f"tag:tag-{n}" for n in range(5)]
