import re

import pytest

from stoppress.contracts.keys import (
    ARTICLE_ID_PATTERN,
    article_id_from_key,
    shard_of,
    story_name,
    subscription_id,
    version_sk,
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("articles/nato-resumes-contacts.txt", "nato-resumes-contacts"),
        ("articles/2024/NATO Resumes Contacts.md", "2024-nato-resumes-contacts"),
        ("articles/Café Société.html", "cafe-societe"),
        ("articles/no-extension", "no-extension"),
    ],
)
def test_article_id_is_stable_and_url_safe(key: str, expected: str) -> None:
    assert article_id_from_key(key) == expected


def test_article_id_refuses_keys_without_letters_or_digits() -> None:
    with pytest.raises(ValueError, match="no usable article id"):
        article_id_from_key("articles/___.txt")


def test_subscription_id_and_shard_are_deterministic() -> None:
    sub = subscription_id("https://fcm.googleapis.com/fcm/send/abc")
    assert sub == subscription_id("https://fcm.googleapis.com/fcm/send/abc")
    assert len(sub) == 32
    assert 0 <= shard_of(sub, 16) < 16


def test_version_sort_key_sorts_numerically() -> None:
    assert version_sk(2) < version_sk(10)


def test_long_keys_sharing_a_long_start_keep_distinct_ids() -> None:
    start = "articles/" + "a-very-long-headline-word " * 8
    one = article_id_from_key(start + "ends here.txt")
    two = article_id_from_key(start + "ends there.txt")
    assert one != two
    for article_id in (one, two):
        assert len(article_id) <= 120
        assert re.fullmatch(ARTICLE_ID_PATTERN, article_id)
    assert one == article_id_from_key(start + "ends here.md")


def test_a_short_id_is_the_plain_slug() -> None:
    key = "articles/" + "x" * 120 + ".txt"
    assert article_id_from_key(key) == "x" * 120


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("articles/2024/NATO Talks.md", "2024/NATO Talks"),
        ("articles/2024/NATO Talks.html", "2024/NATO Talks"),
        ("articles/v1.2/story", "v1.2/story"),
        ("articles/story", "story"),
    ],
)
def test_story_name_drops_prefix_and_extension_only(key: str, name: str) -> None:
    assert story_name(key) == name
