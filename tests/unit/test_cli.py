"""The stoppress command line: subcommands and their options."""

import pytest

from stoppress_dev import cli


def test_dev_defaults_match_the_local_stack_contract(tmp_path) -> None:
    args = cli.build_parser().parse_args(["dev", "--state-file", str(tmp_path / "s.json")])
    assert (args.aws_port, args.api_port, args.web_port) == (4566, 8080, 8081)
    assert args.state_file == tmp_path / "s.json"
    assert args.run is cli._dev


def test_dev_needs_a_state_file() -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["dev"])


def test_vapid_init_is_wired_to_the_key_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, bool]] = []

    def store_vapid_keys(private: str, public: str, *, overwrite: bool) -> str:
        calls.append((private, public, overwrite))
        return "PUB"

    monkeypatch.setattr("stoppress_dev.vapid.store_vapid_keys", store_vapid_keys)
    assert cli.main(["vapid", "init", "--overwrite", "--private-parameter", "/p/priv"]) == 0
    assert calls == [("/p/priv", "/stoppress/vapid/public-key", True)]


def test_demo_and_unknown_commands() -> None:
    assert cli.build_parser().parse_args(["demo"]).run is cli._demo
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["deploy"])
