import pytest

from stoppress.contracts.keys import article_id_from_key, shard_of, subscription_id, version_sk


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
