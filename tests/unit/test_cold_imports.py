"""What importing a handler loads: modules a cold start must not pay for.

Each import runs in a fresh interpreter, so modules earlier tests loaded do not
hide a regression. (cryptography is not checked here: in this environment
botocore's urllib3 loads it through pyOpenSSL, which the Lambda runtime lacks;
the cold-start benchmark measures the built handlers there.)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Loaded only by the send path (or only by requests that need them).
SEND_ONLY = ("pywebpush", "aiohttp", "http_ece")


def loaded_after_import(module: str, candidates: tuple[str, ...]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps([m for m in {list(candidates)!r} if m in sys.modules]))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


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
