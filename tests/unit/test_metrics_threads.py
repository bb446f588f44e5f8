"""The shared metrics set stays whole when handlers run in threads of one process, as
they do in the local stack and the test suite (Lambda itself runs one at a time)."""

import contextlib
import io
import json
import sys
import threading
import warnings
from collections.abc import Iterator

from aws_lambda_powertools import Metrics

from stoppress.core.observability import SerialEMFProvider

THREADS = 8
ROUNDS = 300


@contextlib.contextmanager
def switching_often() -> Iterator[None]:
    """Let threads change hands after almost every bytecode, so a race shows at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_concurrent_flushes_emit_every_metric_once_and_never_fail() -> None:
    metrics = Metrics(provider=SerialEMFProvider(namespace="test", service="test"))
    errors: list[BaseException] = []

    def handler_runs() -> None:
        try:
            for _ in range(ROUNDS):
                metrics.add_metric(name="Done", unit="Count", value=1)
                metrics.flush_metrics()
        except BaseException as e:
            errors.append(e)

    out = io.StringIO()
    with switching_often(), contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a flush that finds the set emptied by another
        threads = [threading.Thread(target=handler_runs) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert errors == []
    blobs = [json.loads(line) for line in out.getvalue().splitlines()]
    values = [
        v
        for blob in blobs
        for v in (blob["Done"] if isinstance(blob["Done"], list) else [blob["Done"]])
    ]
    assert sum(values) == THREADS * ROUNDS
