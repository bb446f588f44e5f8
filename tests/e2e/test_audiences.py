"""Who hears about a version, through the local stack: every reader in any of its topics, once."""

from pathlib import Path

from stoppress.subscriptions.audience_table import AudienceTable
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService
from tests.e2e.apiclient import call_api
from tests.e2e.test_pipeline import KEY, STORY, subscribe


def test_an_update_to_everyone_reaches_each_reader_and_follower_exactly_once(
    stack: LocalStack, push: PushService, upload, tmp_path: Path
) -> None:
    everyone = push.new_subscriber("everyone")
    both = push.new_subscriber("everyone-and-follower")
    follower = push.new_subscriber("follower-only")
    subscribe(stack, everyone, ["all"])
    subscribe(stack, both, ["all", f"article:{STORY}"])
    subscribe(stack, follower, [f"article:{STORY}"])

    upload(f"{STORY}.txt", KEY)
    stack.wait_idle(timeout=30)
    # The follower-only reader asked for this story's updates, not for new stories.
    assert [len(s.deliveries) for s in (everyone, both, follower)] == [1, 1, 0]

    urgent = tmp_path / "update.txt"
    urgent.write_bytes(b"Notify: all\n" + (SAMPLES / f"{STORY}-update.txt").read_bytes())
    upload(urgent, KEY)
    stack.wait_idle(timeout=30)

    v2 = stack.version_item(STORY, 2)
    assert v2 is not None
    assert (v2["change"], v2["audience"]) == ("update", "all")
    assert [len(s.deliveries) for s in (everyone, both, follower)] == [2, 2, 1]
    for sub in (everyone, both, follower):
        assert sub.deliveries[-1].payload is not None
        assert sub.deliveries[-1].payload["article"]["version"] == 2
    # Followers (whichever topic reached them) may stop following from the notification.
    last = follower.deliveries[-1].payload
    assert last is not None
    assert [a["action"] for a in last["notification"]["actions"]] == ["read", "unfollow"]
    assert stack.delivery_counts(STORY, 2)["sent"] == 3
    assert not [s for s in stack.steps if s.kind == "error"]


def test_a_new_story_reaches_its_sections_followers_once_and_its_updates_do_not(
    stack: LocalStack, push: PushService, upload, tmp_path: Path
) -> None:
    everyone = push.new_subscriber("everyone")
    section = push.new_subscriber("city-hall-only")
    both = push.new_subscriber("everyone-and-city-hall")
    elsewhere = push.new_subscriber("sports-only")
    subscribe(stack, everyone, ["all"])
    subscribe(stack, section, ["tag:city-hall"])
    subscribe(stack, both, ["all", "tag:city-hall"])
    subscribe(stack, elsewhere, ["tag:sports"])

    story = tmp_path / "story.txt"
    story.write_bytes(b"Tags: City Hall, Budget\n" + (SAMPLES / f"{STORY}.txt").read_bytes())
    upload(story, KEY)
    stack.wait_idle(timeout=30)

    assert [len(s.deliveries) for s in (everyone, section, both, elsewhere)] == [1, 1, 1, 0]
    first = section.deliveries[0].payload
    assert first is not None
    assert (first["article"]["version"], first["article"]["change"]) == (1, "new")
    assert stack.delivery_counts(STORY, 1)["sent"] == 3

    update = tmp_path / "update.txt"
    update.write_bytes(
        b"Tags: City Hall, Budget\n" + (SAMPLES / f"{STORY}-update.txt").read_bytes()
    )
    upload(update, KEY)
    stack.wait_idle(timeout=30)
    # A section's followers asked for new stories, not for every update of them.
    assert [len(s.deliveries) for s in (everyone, section, both, elsewhere)] == [1, 1, 1, 0]
    assert not [s for s in stack.steps if s.kind == "error"]


def test_audience_counts_follow_subscribes_and_unsubscribes_off_the_stream(
    stack: LocalStack, push: PushService
) -> None:
    readers = [push.new_subscriber(f"reader-{n}") for n in range(3)]
    for reader in readers:
        subscribe(stack, reader, ["all", "tag:city-hall"])
    info = readers[0].subscription_info()
    gone = call_api(
        stack.state.api_url,
        "DELETE",
        "/subscriptions",
        {"endpoint": info["endpoint"], "auth": info["keys"]["auth"]},
    )
    assert gone.status == 204
    stack.wait_idle(timeout=30)

    counts = AudienceTable(stack.state.table).counts(["all", "tag:city-hall", "tag:sports"])
    assert counts == {"all": 2, "tag:city-hall": 2, "tag:sports": 0}
    assert not [s for s in stack.steps if s.kind == "error"]
