"""What importing a handler loads: modules a cold start must not pay for.

Each import runs in a fresh interpreter, so modules earlier tests loaded do not
hide a regression. (cryptography is not checked here: in this environment
botocore's urllib3 loads it through pyOpenSSL, which the Lambda runtime lacks;
the cold-start benchmark measures the built handlers there.)
"""

from pathlib import Path

import pytest

from stoppress_dev.cold_imports import loaded_modules_after_import

ROOT = Path(__file__).resolve().parents[2]

# Loaded only by the send path (or only by requests that need them).
SEND_ONLY = ("pywebpush", "aiohttp", "http_ece")


def loaded_after_import(module: str, candidates: tuple[str, ...]) -> list[str]:
    return loaded_modules_after_import(
        module,
        candidates,
        [ROOT / "layers" / "common", ROOT],
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("handler", "unwanted"),
    [
        (
            "functions.ingest.app",
            (*SEND_ONLY, "aws_lambda_powertools.utilities.data_classes"),
        ),
        (
            "functions.subscribe.app",
            (
                *SEND_ONLY,
                "stoppress.contracts.jobs",
                "aws_lambda_powertools.utilities.parameters",
            ),
        ),
    ],
)
def test_handler_import_leaves_out_what_it_does_not_need(
    handler: str, unwanted: tuple[str, ...]
) -> None:
    assert loaded_after_import(handler, unwanted) == []


def test_the_check_sees_a_module_that_is_loaded() -> None:
    assert loaded_after_import("stoppress.subscriptions.table", ("stoppress.contracts.keys",)) == [
        "stoppress.contracts.keys"
    ]
