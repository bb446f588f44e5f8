"""The local stack's event filter judges stream records the way Lambda would."""

import json

import pytest

from stoppress_dev.eventfilter import UnsupportedPatternError, matches, matches_any

NOTIFY_PATTERN = json.dumps(
    {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"sk": {"S": [{"prefix": "VERSION#"}]}},
            "NewImage": {"audience": {"S": [{"anything-but": ["none"]}]}},
        },
    }
)


def stream_record(event_name: str, sk: str, audience: str | None) -> dict:
    new_image: dict = {"pk": {"S": "ARTICLE#a"}, "sk": {"S": sk}}
    if audience is not None:
        new_image["audience"] = {"S": audience}
    return {
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"pk": {"S": "ARTICLE#a"}, "sk": {"S": sk}}, "NewImage": new_image},
    }


@pytest.mark.parametrize(
    ("event_name", "sk", "audience", "expected"),
    [
        ("INSERT", "VERSION#000001", "all", True),
        ("INSERT", "VERSION#000002", "followers", True),
        ("INSERT", "VERSION#000003", "none", False),
        ("MODIFY", "VERSION#000001", "all", False),
        ("INSERT", "HEAD", "all", False),
        ("INSERT", "DELIVERY#000001", None, False),
        ("INSERT", "VERSION#000001", None, False),
    ],
)
def test_notify_filter(event_name: str, sk: str, audience: str | None, expected: bool) -> None:
    assert matches(NOTIFY_PATTERN, stream_record(event_name, sk, audience)) is expected


def test_filters_are_ored_and_empty_means_everything() -> None:
    record = {"eventName": "REMOVE"}
    assert matches_any([], record)
    assert matches_any(['{"eventName": ["INSERT"]}', '{"eventName": ["REMOVE"]}'], record)
    assert not matches_any(['{"eventName": ["INSERT"]}'], record)


def test_exact_values_are_typed() -> None:
    assert matches({"n": [5]}, {"n": 5.0})
    assert not matches({"n": ["5"]}, {"n": 5})
    assert not matches({"b": [True]}, {"b": 1})
    assert matches({"x": [None]}, {"x": None})


def test_exists_numeric_suffix_and_anything_but_prefix() -> None:
    assert matches({"a": [{"exists": False}]}, {})
    assert not matches({"a": [{"exists": True}]}, {})
    assert matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 5})
    assert not matches({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": 6})
    assert matches({"k": [{"suffix": ".txt"}]}, {"k": "a.txt"})
    assert matches({"k": [{"anything-but": {"prefix": "tmp/"}}]}, {"k": "articles/a"})
    assert not matches({"k": [{"anything-but": {"prefix": "tmp/"}}]}, {"k": "tmp/a"})
    assert matches({"tags": ["x"]}, {"tags": ["y", "x"]})


def test_unknown_operator_fails_loudly() -> None:
    with pytest.raises(UnsupportedPatternError):
        matches({"a": [{"wildcard": "*"}]}, {"a": "b"})
