"""Packaging check: what ``sam build`` produces must work on its own, as Lambda runs it.

``python -m stoppress_dev.samcheck`` (``make sam-check``) runs it; ``cli`` lists the
steps. One module per step:

- ``build``: ``sam validate --lint`` and ``sam build``;
- ``functions``: the template's functions, where the build put them, what was found;
- ``sizes``: the built layers' and functions' sizes;
- ``runtime``: a Python 3.13 holding only boto3, and ``lambda_runner`` run inside it;
- ``imports``: cold import times, the push stack kept out, import profiles;
- ``stack``: the local stack the events go to;
- ``events``: the ``events/`` files, made ready for that stack;
- ``invoke``: the handlers invoked with them, and their answers judged;
- ``report``: the closing table.
"""

from stoppress_dev.samcheck.build import sam_validate_and_build
from stoppress_dev.samcheck.cli import main
from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.samcheck.functions import (
    BUILD_DIR,
    Function,
    layer_dirs,
    load_local_env,
    template_functions,
)
from stoppress_dev.samcheck.imports import IMPORT_BUDGET_MS, measure_imports
from stoppress_dev.samcheck.runtime import run_in_runtime, runtime_env, runtime_python

__all__ = [
    "BUILD_DIR",
    "IMPORT_BUDGET_MS",
    "CheckError",
    "Function",
    "layer_dirs",
    "load_local_env",
    "main",
    "measure_imports",
    "run_in_runtime",
    "runtime_env",
    "runtime_python",
    "sam_validate_and_build",
    "template_functions",
]
