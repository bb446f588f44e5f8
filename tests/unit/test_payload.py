"""The push payload contract: shape, size bound, body truncation and the Topic header."""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoppress.articles.model import Audience, ChangeKind, SourceObject, Version
from stoppress.contracts.payload import (
    ELLIPSIS,
    MAX_PAYLOAD_BYTES,
    encode_payload,
    shrink_payload,
    smaller_payload,
    without_optional_fields,
)
from stoppress.notify.payload import SiteLook, build_payload
from stoppress.webpush.headers import Urgency, topic_header

SITE = "https://news.example/"
CREATED = datetime(2026, 11, 26, 9, 30, 15, 250000, tzinfo=UTC)


def make_version(**changes: object) -> Version:
    fields: dict[str, object] = {
        "article_id": "2024-nato-resumes-contacts",
        "number": 1,
        "headline": "NATO resumes contacts with Moscow",
        "summary": "Alliance envoys meet for the first time in two years.",
        "change": ChangeKind.NEW,
        "audience": Audience.ALL,
        "content_hash": "0" * 64,
        "source": SourceObject(bucket="b", key="articles/2024/nato.txt", event_time=CREATED),
        "created_at": CREATED,
    }
    fields.update(changes)
    return Version.model_validate(fields)


def test_payload_has_the_contract_shape() -> None:
    payload = build_payload(make_version(), site_base_url=SITE)

    assert payload == {
        "web_push": 8030,
        "notification": {
            "title": "NATO resumes contacts with Moscow",
            "body": "Alliance envoys meet for the first time in two years.",
            "navigate": "https://news.example/articles/2024-nato-resumes-contacts",
            "tag": "article-2024-nato-resumes-contacts",
            "timestamp": 1_795_685_415_250,
            "lang": "en",
            "actions": [
                {
                    "action": "read",
                    "title": "Read",
                    "navigate": "https://news.example/articles/2024-nato-resumes-contacts",
                }
            ],
        },
        "article": {"id": "2024-nato-resumes-contacts", "version": 1, "change": "new"},
    }
    assert json.loads(encode_payload(payload)) == payload


def test_timestamp_is_when_the_version_was_posted_not_the_files_own_date() -> None:
    stale = datetime(2016, 7, 27, tzinfo=UTC)
    payload = build_payload(make_version(article_updated_at=stale), site_base_url=SITE)
    assert payload["notification"]["timestamp"] == 1_795_685_415_250


@pytest.mark.parametrize(
    ("change", "expected"),
    [(ChangeKind.NEW, "new"), (ChangeKind.UPDATE, "update"), (ChangeKind.CORRECTION, "update")],
)
def test_every_non_new_change_is_an_update(change: ChangeKind, expected: str) -> None:
    payload = build_payload(make_version(number=3, change=change), site_base_url=SITE)
    assert payload["article"] == {
        "id": "2024-nato-resumes-contacts",
        "version": 3,
        "change": expected,
    }


def test_navigate_joins_base_url_without_double_slash() -> None:
    for base in ("https://news.example", "https://news.example/", "https://news.example//"):
        payload = build_payload(make_version(), site_base_url=base)
        assert payload["notification"]["navigate"] == (
            "https://news.example/articles/2024-nato-resumes-contacts"
        )


def test_long_summary_is_cut_on_a_word_boundary_and_the_json_stays_whole() -> None:
    words = [f"word{i}" for i in range(2000)]
    summary = " ".join(words)
    payload = build_payload(make_version(summary=summary), site_base_url=SITE)

    encoded = encode_payload(payload)
    assert len(encoded) <= MAX_PAYLOAD_BYTES
    assert len(encoded) > MAX_PAYLOAD_BYTES - 20  # cut close to the limit, not far below
    body = payload["notification"]["body"]
    assert body.endswith(ELLIPSIS)
    kept = body.removesuffix(ELLIPSIS).split(" ")
    assert kept == words[: len(kept)]  # whole words only
    assert payload["notification"]["title"] == "NATO resumes contacts with Moscow"
    assert json.loads(encoded)["article"]["id"] == "2024-nato-resumes-contacts"


def test_multibyte_and_escaped_text_is_measured_in_encoded_bytes() -> None:
    summary = 'Ελληνικά «quoted» "text" \\ 新闻 ' * 200
    payload = build_payload(make_version(summary=summary), site_base_url=SITE)
    assert len(encode_payload(payload)) <= MAX_PAYLOAD_BYTES
    assert payload["notification"]["body"].endswith(ELLIPSIS)


def test_a_payload_that_fits_is_left_alone() -> None:
    payload = build_payload(make_version(), site_base_url=SITE)
    assert shrink_payload(payload, MAX_PAYLOAD_BYTES) == payload


def test_shrink_returns_a_copy_that_fits_and_keeps_the_original() -> None:
    payload = without_optional_fields(build_payload(make_version(), site_base_url=SITE))
    original = json.loads(json.dumps(payload))
    limit = len(encode_payload(payload)) - 20

    smaller = shrink_payload(payload, limit)

    assert payload == original
    assert len(encode_payload(smaller)) <= limit
    assert smaller["notification"]["body"] == "Alliance envoys meet for the…"
    assert smaller["notification"]["navigate"] == payload["notification"]["navigate"]


def test_shrink_cuts_the_title_only_once_the_body_is_gone() -> None:
    payload = without_optional_fields(
        build_payload(
            make_version(headline="One two three four five six seven eight"), site_base_url=SITE
        )
    )
    without_body = dict(payload, notification=dict(payload["notification"], body=""))
    limit = len(encode_payload(without_body)) - 10

    smaller = shrink_payload(payload, limit)

    assert smaller["notification"]["body"] == ""
    assert smaller["notification"]["title"] == "One two three four five…"
    assert len(encode_payload(smaller)) <= limit


def test_shrink_refuses_an_impossible_limit() -> None:
    payload = build_payload(make_version(), site_base_url=SITE)
    with pytest.raises(ValueError, match="cannot fit"):
        shrink_payload(payload, 100)


def test_a_smaller_payload_keeps_the_title_and_at_most_half_the_body() -> None:
    summary = "Alliance envoys meet for the first time in two years, in Vienna, on Friday."
    payload = build_payload(make_version(summary=summary), site_base_url=SITE)

    smaller = smaller_payload(payload, at_most=1_024)

    assert smaller is not None
    assert len(encode_payload(smaller)) < len(encode_payload(payload))
    assert smaller["notification"]["title"] == payload["notification"]["title"]
    assert smaller["notification"]["body"] == "Alliance envoys meet for the first…"
    assert {k: v for k, v in smaller.items() if k != "notification"} == {
        k: v for k, v in payload.items() if k != "notification"
    }


def test_a_smaller_payload_is_capped_but_never_below_its_fixed_fields() -> None:
    long = build_payload(make_version(summary="word " * 1000), site_base_url=SITE)
    capped = smaller_payload(long, at_most=1_024)
    assert capped is not None
    assert 1_000 < len(encode_payload(capped)) <= 1_024

    headline = "Headline " * 20
    short = build_payload(make_version(headline=headline, summary="Two words."), site_base_url=SITE)
    kept = smaller_payload(short, at_most=100)
    assert kept is not None
    assert kept["notification"]["title"] == short["notification"]["title"]
    assert kept["notification"]["body"] == ""


def test_without_a_body_the_title_is_halved_and_without_text_there_is_nothing_smaller() -> None:
    payload = build_payload(make_version(summary=""), site_base_url=SITE)
    smaller = smaller_payload(payload, at_most=1_024)
    assert smaller is not None
    assert smaller["notification"]["title"] == "NATO resumes…"

    empty = dict(payload, notification=dict(payload["notification"], title="", body=""))
    assert smaller_payload(empty, at_most=1_024) is None


@given(summary=st.text(max_size=600), headline=st.text(max_size=200))
def test_a_smaller_payload_is_always_genuinely_smaller(summary: str, headline: str) -> None:
    payload = build_payload(make_version(summary=summary), site_base_url=SITE)
    payload["notification"]["title"] = headline
    smaller = smaller_payload(payload, at_most=1_024)

    if not payload["notification"]["body"] and not headline:
        assert smaller is None
        return
    assert smaller is not None
    assert len(encode_payload(smaller)) < len(encode_payload(payload))
    if payload["notification"]["body"]:
        assert smaller["notification"]["title"] == headline


@given(
    summary=st.text(min_size=0, max_size=4000),
    limit=st.integers(min_value=600, max_value=MAX_PAYLOAD_BYTES),
)
def test_shrunk_payload_always_fits_and_stays_a_prefix(summary: str, limit: int) -> None:
    payload = build_payload(make_version(summary=summary), site_base_url=SITE)
    smaller = shrink_payload(payload, limit)

    assert len(encode_payload(smaller)) <= limit
    body = smaller["notification"]["body"]
    assert summary.startswith(body.removesuffix(ELLIPSIS))


def test_topic_header_is_32_base64url_chars_of_the_ids_hash() -> None:
    header = topic_header("2024-nato-resumes-contacts")
    digest = hashlib.sha256(b"2024-nato-resumes-contacts").digest()
    assert header == base64.urlsafe_b64encode(digest).decode()[:32]
    assert len(header) == 32
    assert set(header) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert topic_header("another-story") != header


UPDATE_LINE = "Russia said it would send a delegation to Brussels next week."


def make_update(**changes: object) -> Version:
    fields: dict[str, object] = {
        "number": 3,
        "change": ChangeKind.UPDATE,
        "audience": Audience.FOLLOWERS,
        "change_line": UPDATE_LINE,
        "compared_with": 1,
    }
    fields.update(changes)
    return make_version(**fields)


def test_an_update_says_what_changed_and_what_it_is_measured_against() -> None:
    payload = build_payload(make_update(), site_base_url=SITE, to_followers=True)

    assert payload["notification"]["body"] == UPDATE_LINE
    assert payload["notification"]["title"] == "NATO resumes contacts with Moscow"
    assert payload["article"] == {
        "id": "2024-nato-resumes-contacts",
        "version": 3,
        "change": "update",
        "previous_version": 1,
    }
    assert [a["action"] for a in payload["notification"]["actions"]] == ["read", "unfollow"]


def test_an_update_without_a_change_line_falls_back_to_the_summary() -> None:
    payload = build_payload(make_update(change_line=None), site_base_url=SITE)
    assert (
        payload["notification"]["body"] == "Alliance envoys meet for the first time in two years."
    )


def test_a_new_story_shows_its_summary_and_offers_no_unfollow() -> None:
    payload = build_payload(make_version(change_line="ignored"), site_base_url=SITE)
    assert payload["notification"]["body"].startswith("Alliance envoys")
    assert [a["action"] for a in payload["notification"]["actions"]] == ["read"]
    assert "previous_version" not in payload["article"]


def test_the_site_look_the_image_and_the_language_are_carried() -> None:
    payload = build_payload(
        make_update(lang="de-CH", image="https://img.news.example/lead.jpg", urgency=Urgency.HIGH),
        site_base_url=SITE,
        look=SiteLook(icon="https://news.example/icon.png", badge="https://news.example/b.png"),
    )
    notification = payload["notification"]
    assert notification["lang"] == "de-CH"
    assert notification["image"] == "https://img.news.example/lead.jpg"
    assert notification["icon"] == "https://news.example/icon.png"
    assert notification["badge"] == "https://news.example/b.png"
    assert notification["requireInteraction"] is True


def test_only_high_urgency_asks_to_stay_on_screen() -> None:
    payload = build_payload(make_update(), site_base_url=SITE)
    assert "requireInteraction" not in payload["notification"]


@given(
    headline=st.text(min_size=1, max_size=500),
    line=st.text(max_size=3_000),
    image=st.booleans(),
    followers=st.booleans(),
    look=st.booleans(),
)
def test_every_combination_fits_and_pictures_and_buttons_go_before_any_text(
    headline: str, line: str, image: bool, followers: bool, look: bool
) -> None:
    long_url = "https://img.news.example/" + "x" * 480
    version = make_update(
        headline=headline, change_line=line or None, image=long_url if image else None
    )
    site = SiteLook(icon=long_url, badge=long_url) if look else None
    payload = build_payload(version, site_base_url=SITE, look=site, to_followers=followers)

    assert len(encode_payload(payload)) <= MAX_PAYLOAD_BYTES
    notification = payload["notification"]
    text_cut = notification["title"] != headline or notification["body"] != (
        line or version.summary
    )
    if text_cut:
        assert not {"image", "actions", "badge", "icon"} & set(notification)
