"""Subscribe/unsubscribe request models: keys, topics and endpoint rules."""

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import ValidationError

from stoppress.core import base64url
from stoppress.core.settings import PushEndpointSettings
from stoppress.subscribe.requests import (
    ENDPOINT_SETTINGS,
    MAX_REQUEST_TOPICS,
    MAX_TOPICS,
    LookupRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    kept_topics,
)

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:APA91b-token"


def padded(data: bytes) -> str:
    """base64url with its padding, which browsers do not send but the models accept."""
    return base64.urlsafe_b64encode(data).decode()


def public_point() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def body(**overrides: Any) -> dict[str, object]:
    keys = {"p256dh": base64url.encode(public_point()), "auth": base64url.encode(os.urandom(16))}
    keys.update(overrides.pop("keys", {}))
    subscription = {"endpoint": ENDPOINT, "expirationTime": None, "keys": keys}
    subscription.update(overrides.pop("subscription", {}))
    return {"subscription": subscription, **overrides}


def error_fields(e: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in err["loc"]) for err in e.value.errors()}


def test_a_browser_subscription_is_accepted_with_default_topic() -> None:
    request = SubscribeRequest.model_validate(body())
    assert request.topics == ["all"]
    assert request.subscription.endpoint == ENDPOINT


def test_keys_are_normalised_to_unpadded_base64url() -> None:
    point, secret = public_point(), os.urandom(16)
    request = SubscribeRequest.model_validate(
        body(keys={"p256dh": padded(point), "auth": padded(secret)})
    )
    assert request.subscription.keys.p256dh == base64url.encode(point)
    assert base64url.decode(request.subscription.keys.p256dh) == point
    assert base64url.decode(request.subscription.keys.auth) == secret


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        (
            {"p256dh": base64url.encode(b"\x04" + b"\x01" * 64)},
            "p256dh",
        ),  # right shape, not on the curve
        ({"p256dh": base64url.encode(b"\x04" + b"\x00" * 64)}, "p256dh"),
        ({"p256dh": base64url.encode(public_point()[:33])}, "p256dh"),
        ({"p256dh": base64url.encode(b"\x03" + public_point()[1:])}, "p256dh"),  # wrong prefix byte
        (
            {"p256dh": base64url.encode(public_point()).replace("-", "+").replace("_", "/") + "!"},
            "p256dh",
        ),
        ({"p256dh": ""}, "p256dh"),
        ({"auth": base64url.encode(os.urandom(15))}, "auth"),
        ({"auth": base64url.encode(os.urandom(32))}, "auth"),
        ({"auth": "not base64 at all"}, "auth"),
        ({"auth": "A"}, "auth"),
    ],
)
def test_bad_keys_are_refused_naming_the_field(keys: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest.model_validate(body(keys=keys))
    assert error_fields(caught) == {f"subscription.keys.{field}"}


def test_keys_that_are_missing_are_refused() -> None:
    data = body()
    del data["subscription"]["keys"]["auth"]  # type: ignore[index]
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest.model_validate(data)
    assert error_fields(caught) == {"subscription.keys.auth"}


@pytest.mark.parametrize(
    "topics",
    [
        ["all", "article:nato-resumes-contacts"],
        ["article:2024-budget"],
        ["article:a"],
        ["tag:city-hall", "all", "article:a"],
        ["tag:a", "tag:" + "x" * 60, "tag:9-to-5"],
    ],
)
def test_known_topic_forms_are_accepted(topics: list[str]) -> None:
    assert SubscribeRequest.model_validate(body(topics=topics)).topics == topics


@pytest.mark.parametrize(
    "topics",
    [
        [],
        ["everything"],
        ["ALL"],
        ["article:"],
        ["article:Upper-Case"],
        ["article:-leading-hyphen"],
        ["article:has space"],
        ["article:../../etc"],
        ["article:x#1"],
        ["TOPIC#all#0"],
        ["article:" + "a" * 121],
        ["tag:"],
        ["tag:City-Hall"],
        ["tag:city hall"],
        ["tag:-city"],
        ["tag:city-"],
        ["tag:" + "x" * 61],
        ["tag:économie"],
        ["tag:a#1"],
        ["section:politics"],
        [1],
        "all",
        [f"article:s{i}" for i in range(MAX_REQUEST_TOPICS + 1)],
    ],
)
def test_unknown_or_unbounded_topics_are_refused(topics: object) -> None:
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest.model_validate(body(topics=topics))
    assert all(f.startswith("topics") for f in error_fields(caught))


def test_repeated_topics_collapse_keeping_order() -> None:
    request = SubscribeRequest.model_validate(body(topics=["article:b", "all", "article:b", "all"]))
    assert request.topics == ["article:b", "all"]


def test_endpoint_rules_apply_with_deployed_defaults_without_context() -> None:
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest.model_validate(
            body(subscription={"endpoint": "http://127.0.0.1:9000/push/x"})
        )
    assert error_fields(caught) == {"subscription.endpoint"}
    assert "loopback" in caught.value.errors()[0]["msg"]


def test_endpoint_rules_follow_the_settings_in_context() -> None:
    local = {ENDPOINT_SETTINGS: PushEndpointSettings(allow_loopback_endpoints=True)}
    request = SubscribeRequest.model_validate(
        body(subscription={"endpoint": "http://127.0.0.1:9000/push/x"}), context=local
    )
    assert request.subscription.endpoint == "http://127.0.0.1:9000/push/x"
    with pytest.raises(ValidationError):
        SubscribeRequest.model_validate(
            body(subscription={"endpoint": "https://169.254.169.254/"}), context=local
        )


def test_expiration_time_may_be_a_number() -> None:
    request = SubscribeRequest.model_validate(body(subscription={"expirationTime": 1.8e12}))
    assert request.subscription.expirationTime == 1.8e12
    with pytest.raises(ValidationError):
        SubscribeRequest.model_validate(body(subscription={"expirationTime": "soon"}))


def test_unsubscribe_needs_endpoint_and_a_16_byte_secret() -> None:
    secret = os.urandom(16)
    request = UnsubscribeRequest.model_validate({"endpoint": ENDPOINT, "auth": padded(secret)})
    assert request.auth == base64url.encode(secret)
    for bad in (
        {"endpoint": ENDPOINT},
        {"auth": base64url.encode(secret)},
        {"endpoint": "", "auth": base64url.encode(secret)},
    ):
        with pytest.raises(ValidationError):
            UnsubscribeRequest.model_validate(bad)
    with pytest.raises(ValidationError):
        UnsubscribeRequest.model_validate(
            {"endpoint": "x" * 2000, "auth": base64url.encode(secret)}
        )


def test_one_more_story_follow_lets_the_oldest_go() -> None:
    follows = [f"article:story-{i}" for i in range(MAX_TOPICS)]
    request = SubscribeRequest.model_validate(body(topics=["all", *follows]))
    kept = kept_topics(request.topics)
    assert len(kept) == MAX_TOPICS
    assert kept == ("all", *follows[1:])


def test_topics_within_the_limit_are_kept_as_given() -> None:
    assert kept_topics(["article:a", "all"]) == ("article:a", "all")


def test_section_follows_count_toward_the_limit_and_story_follows_give_way_to_them() -> None:
    sections = [f"tag:section-{i}" for i in range(MAX_TOPICS - 2)]
    stories = ["article:old", "article:new"]
    request = SubscribeRequest.model_validate(body(topics=["all", *stories, *sections]))
    assert kept_topics(request.topics) == ("all", "article:new", *sections)


def test_more_lasting_topics_than_the_limit_is_refused_with_a_reason() -> None:
    sections = [f"tag:section-{i}" for i in range(MAX_TOPICS)]
    at_limit = SubscribeRequest.model_validate(body(topics=[*sections, "article:a"]))
    assert kept_topics(at_limit.topics) == tuple(sections)
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest.model_validate(body(topics=["all", *sections]))
    assert error_fields(caught) == {"topics"}
    message = caught.value.errors()[0]["msg"]
    assert "at most 20 topics that are not story follows" in message
    assert "21 were named" in message


def test_repeated_section_follows_count_once() -> None:
    sections = [f"tag:section-{i}" for i in range(MAX_TOPICS)]
    request = SubscribeRequest.model_validate(body(topics=[*sections, *sections]))
    assert request.topics == sections


def test_unfollowing_a_section_is_a_known_topic_form() -> None:
    secret = base64url.encode(os.urandom(16))
    request = UnsubscribeRequest.model_validate(
        {"endpoint": ENDPOINT, "auth": secret, "topics": ["tag:city-hall"]}
    )
    assert request.topics == ["tag:city-hall"]


def test_a_lookup_needs_the_endpoint_and_a_16_byte_secret() -> None:
    secret = os.urandom(16)
    request = LookupRequest.model_validate({"endpoint": ENDPOINT, "auth": padded(secret)})
    assert request.auth == base64url.encode(secret)
    for bad in (
        {"endpoint": ENDPOINT},
        {"auth": base64url.encode(secret)},
        {"endpoint": ENDPOINT, "auth": base64url.encode(secret[:8])},
        {"endpoint": "", "auth": base64url.encode(secret)},
    ):
        with pytest.raises(ValidationError):
            LookupRequest.model_validate(bad)
