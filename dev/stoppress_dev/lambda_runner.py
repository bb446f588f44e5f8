"""Runs inside a clean Lambda-like Python: times a cold import, then invokes a handler.

``samcheck`` executes this file's source with ``python -c`` in a Python 3.13
environment that holds only boto3 (what the Lambda runtime provides), with
PYTHONPATH set to the built function directory and the built layer's
``python/`` directory, and the working directory at the function's build
output (Lambda's /var/task). It must therefore use the standard library only.

    python -c "<this source>" request.json result.json

request: {"mode": "boto3"}, {"mode": "modules", "modules": [...]} (imported in order),
         or {"mode": "handler", "handler": "app.lambda_handler",
          "function_name": ..., "memory_mb": ..., "timeout_s": ...,
          "events": [{"name": ..., "event": {...}}, ...]}
result:  {"import_ms": float, "import_cpu_ms": float,
          "loaded": [watched modules in sys.modules after the import],
          "invocations": [{"name", "ok", "response" | "error"}]}
"""

# Before the handler, Lambda's runtime interface client (awslambdaric's bootstrap,
# its runtime client and marshaller) has already loaded these standard modules:
# the handler's import does not pay for them on Lambda, nor here.
import decimal  # noqa: F401
import http.client  # noqa: F401
import importlib
import json
import logging  # noqa: F401
import sys
import time
import traceback
import uuid
import warnings  # noqa: F401

# Modules only SendFunction may pay for at cold start.
WATCHED_MODULES = ("pywebpush", "aiohttp", "http_ece")


# The same attributes as stoppress_dev.lambda_events.LambdaContext, written again rather
# than imported: this source runs with `python -c` in the runtime-like venv, where
# stoppress_dev (and the aiohttp that lambda_events needs) is not installed, only the
# standard library and boto3.
class LambdaContext:
    """The context attributes handlers and Powertools read."""

    def __init__(self, function_name, memory_mb, timeout_s):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = int(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"samcheck/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + float(timeout_s)

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def run(request):
    if request["mode"] in ("boto3", "modules"):
        names = request.get("modules", ["boto3"])
        started, cpu_started = time.perf_counter(), time.process_time()
        for name in names:
            importlib.import_module(name)
        return {
            "import_ms": (time.perf_counter() - started) * 1000,
            "import_cpu_ms": (time.process_time() - cpu_started) * 1000,
        }

    module_name, _, attribute = request["handler"].rpartition(".")
    started, cpu_started = time.perf_counter(), time.process_time()
    module = importlib.import_module(module_name)
    import_ms = (time.perf_counter() - started) * 1000
    import_cpu_ms = (time.process_time() - cpu_started) * 1000
    loaded = sorted(name for name in WATCHED_MODULES if name in sys.modules)
    handler = getattr(module, attribute)

    invocations = []
    for item in request.get("events", []):
        context = LambdaContext(
            request["function_name"], request["memory_mb"], request["timeout_s"]
        )
        try:
            response = handler(item["event"], context)
        except Exception:  # noqa: BLE001 - reported to the parent, which fails the check
            invocations.append(
                {"name": item["name"], "ok": False, "error": traceback.format_exc(limit=8)}
            )
        else:
            invocations.append({"name": item["name"], "ok": True, "response": response})
    return {
        "import_ms": import_ms,
        "import_cpu_ms": import_cpu_ms,
        "loaded": loaded,
        "invocations": invocations,
    }


def main(argv):
    request_path, result_path = argv[1], argv[2]
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    result = run(request)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
