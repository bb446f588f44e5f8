"""Packaging check: what ``sam build`` produces must work on its own, as Lambda runs it.

``python -m stoppress_dev.samcheck`` (``make sam-check``):

1. ``sam validate --lint`` and ``sam build`` (with Python 3.13 on PATH through pyenv,
   since SAM builds python3.13 functions with the runtime's own interpreter);
2. the built layer's size, unzipped and zipped (Lambda's limits are 250 MB unzipped
   for a function and its layers, 50 MB zipped for a direct upload);
3. for each built function, in a Python 3.13 virtualenv holding only boto3 (what the
   Lambda runtime provides), with PYTHONPATH = the built function + the built layer's
   ``python/``: the handler's cold import time next to a bare ``import boto3``, and
   that ingest, subscribe and notify do not load pywebpush, aiohttp or http_ece;
4. with a local stack (``stoppress dev --state-file``, started here unless
   ``--stack-state`` names a running one): each function invoked with every
   ``events/`` file whose event source matches one of the function's template events.

Imports run with PYTHONDONTWRITEBYTECODE: Lambda's code and layer directories are
read-only, so a cold start compiles every source that comes without a .pyc, and so
does this check. The layer's build (layers/common/Makefile) ships unchecked-hash
.pyc files for everything in it; the function directories hold sources only. The
venv's boto3 is precompiled, as the runtime's own is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stoppress_dev.samcheck.build import sam_validate_and_build
from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.samcheck.functions import load_local_env, template_functions
from stoppress_dev.samcheck.imports import measure_imports, print_import_profiles
from stoppress_dev.samcheck.invoke import invoke_events
from stoppress_dev.samcheck.report import print_table
from stoppress_dev.samcheck.runtime import runtime_python
from stoppress_dev.samcheck.sizes import report_sizes
from stoppress_dev.samcheck.stack import local_stack


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stoppress_dev.samcheck", description=__doc__)
    parser.add_argument("--skip-build", action="store_true", help="use the existing .aws-sam/build")
    parser.add_argument("--no-cache", action="store_true", help="sam build without --cached")
    parser.add_argument("--no-invoke", action="store_true", help="imports only, no local stack")
    parser.add_argument(
        "--profile-imports",
        action="store_true",
        help="also show each handler's import time by package (python -X importtime)",
    )
    parser.add_argument(
        "--stack-state", type=Path, help="state file of a running `stoppress dev` to invoke against"
    )
    args = parser.parse_args(argv)

    functions = template_functions()
    try:
        if not args.skip_build:
            sam_validate_and_build(cached=not args.no_cache)
        report_sizes(functions)
        python = runtime_python()
        local_env = load_local_env()
        baseline = measure_imports(python, functions, local_env)
        if args.profile_imports:
            print_import_profiles(python, functions, local_env)
        invoked = False
        if not args.no_invoke:
            with local_stack(args.stack_state) as state:
                if state is not None:
                    invoke_events(python, functions, local_env, state)
                    invoked = True
    except CheckError as e:
        print(f"sam-check: {e}", file=sys.stderr, flush=True)
        return 1
    print_table(functions, baseline, invoked)
    failed = [fn for fn in functions if fn.problems]
    for fn in failed:
        for problem in fn.problems:
            print(f"FAIL {fn.logical_id}: {problem}", file=sys.stderr)
    if failed:
        return 1
    print("sam-check passed", flush=True)
    return 0
