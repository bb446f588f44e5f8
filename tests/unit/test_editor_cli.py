"""The editor's subcommands on the command line: options, and failures in one line."""

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from stoppress.core.errors import TransientError
from stoppress_dev import cli
from stoppress_dev.editor import commands
from stoppress_dev.editor.failures import explain
from stoppress_dev.editor.history import story_id
from stoppress_dev.editor.target import DEFAULT_STATE_FILE, EditorError, Target, resolve_target

STATE = {
    "aws_endpoint_url": "http://127.0.0.1:4566",
    "region": "us-east-1",
    "bucket": "stoppress-local-articles",
    "table": "stoppress-local",
    "api_url": "http://127.0.0.1:8080",
    "web_url": "http://127.0.0.1:8081",
}


def write_state(path: Path, **changes: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(STATE | changes), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["preview", "history", "diff", "rejected"])
def test_every_editor_command_takes_the_stack_options(command: str, tmp_path: Path) -> None:
    positional = {"preview": ["a.txt"], "history": ["story"], "diff": ["story"], "rejected": []}
    args = cli.build_parser().parse_args(
        [command, *positional[command], "--state-file", str(tmp_path / "s.json"), "--json"]
    )
    assert args.state_file == tmp_path / "s.json"
    assert args.json is True
    assert (args.stack_name, args.region, args.profile) == (None, None, None)
    assert callable(args.run)


def test_a_stack_name_and_a_state_file_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["history", "a", "--stack-name", "s", "--state-file", "x"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_diff_versions_and_rejected_defaults() -> None:
    args = cli.build_parser().parse_args(["diff", "story", "2", "v4"])
    assert (args.article, args.first, args.second, args.full) == ("story", "2", "v4", False)
    args = cli.build_parser().parse_args(["rejected"])
    assert (args.since, args.limit, args.scan_limit) == ("24h", 100, 200_000)


@pytest.mark.parametrize("text", ["0", "x", "-1", "v", "1.5", "1234567"])
def test_bad_version_numbers_are_refused(text: str) -> None:
    with pytest.raises(EditorError, match="a version is a number from 1") as caught:
        commands._version_number(text)
    assert caught.value.usage


def test_version_numbers() -> None:
    assert [commands._version_number(t) for t in ("3", "v3", "V12", None)] == [3, 3, 12, None]


def test_an_article_is_named_by_id_file_name_or_key() -> None:
    assert story_id("nato-resumes-contacts") == "nato-resumes-contacts"
    assert story_id("nato-resumes-contacts.txt") == "nato-resumes-contacts"
    assert story_id("articles/2024/NATO Talks.md") == "2024-nato-talks"
    with pytest.raises(EditorError, match="names no article"):
        story_id("articles/---.txt")


def test_the_state_file_names_the_local_stack(tmp_path: Path) -> None:
    target = resolve_target(stack_name=None, state_file=write_state(tmp_path / "state.json"))
    assert (target.table, target.bucket, target.region) == (
        "stoppress-local",
        "stoppress-local-articles",
        "us-east-1",
    )
    assert target.endpoint_url == "http://127.0.0.1:4566"
    # The template's default: counting the local stack's fewer shards misses nobody.
    assert target.topic_shards == 64
    assert "the local stack" in target.where


def test_the_default_state_file_is_used_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EditorError, match="which stack") as caught:
        resolve_target(stack_name=None, state_file=None)
    assert caught.value.usage
    write_state(tmp_path / DEFAULT_STATE_FILE, table="from-default", topic_shards=4)
    target = resolve_target(stack_name=None, state_file=None)
    assert (target.table, target.topic_shards) == ("from-default", 4)


def test_a_missing_or_broken_state_file_is_one_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.json"
    assert cli.main(["history", "story", "--state-file", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"stoppress history: no state file at {missing}")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert cli.main(["rejected", "--state-file", str(broken)]) == 1
    assert "is not a `stoppress dev` state file" in capsys.readouterr().err


def test_usage_mistakes_exit_2_in_one_line(tmp_path: Path, capsys) -> None:
    state = str(write_state(tmp_path / "state.json"))
    assert cli.main(["diff", "story", "0", "--state-file", state]) == 2
    assert cli.main(["rejected", "--since", "yesterday", "--state-file", state]) == 2
    assert cli.main(["preview", str(tmp_path / "none.txt"), "--state-file", state]) == 2
    sample = tmp_path / "story.txt"
    sample.write_text("Headline\n\nBody.", encoding="utf-8")
    assert (
        cli.main(["preview", str(sample), "--key", "drafts/story.txt", "--state-file", state]) == 2
    )
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "stoppress diff: a version is a number from 1 (3 or v3), not '0'",
        "stoppress rejected: --since takes an age (24h, 90m, 7d) or a date (2026-11-30), "
        "not 'yesterday'",
        f"stoppress preview: no file at {tmp_path / 'none.txt'}",
        "stoppress preview: --key 'drafts/story.txt' is outside articles/: "
        "only uploads there are ingested",
    ]


TARGET = Target(
    table="t",
    bucket="b",
    region="eu-west-1",
    topic_shards=4,
    endpoint_url="http://127.0.0.1:9",
    description="the local stack",
)


def client_error(code: str, message: str = "m") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Query")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (NoCredentialsError(), "no AWS credentials"),
        (TransientError("query: EndpointConnectionError"), "cannot reach table t"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "cannot reach table t"),
        (client_error("ResourceNotFoundException", "no table"), "no such table t"),
        (client_error("AccessDeniedException", "not you"), "access denied to table t"),
        (client_error("ExpiredTokenException"), "credentials have expired"),
        (client_error("UnrecognizedClientException"), "does not accept these credentials"),
        (EditorError("no article 'x'"), "no article 'x'"),
    ],
)
def test_failures_are_explained(error: Exception, says: str) -> None:
    message = explain(error, TARGET)
    assert message is not None
    assert says in message
    assert "\n" not in message


def test_an_unexpected_error_is_not_hidden() -> None:
    assert explain(ZeroDivisionError("bug"), TARGET) is None


def test_no_credentials_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    # No files to read credentials from, and no instance metadata to ask: signing fails
    # before any request leaves.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert cli.main(["history", "x", "--stack-name", "news-prod", "--region", "us-east-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stoppress history: no AWS credentials: pass --profile")
    assert err.count("\n") == 1
