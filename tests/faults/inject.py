"""Faults in AWS calls: the first N calls of one operation fail, later ones pass through.

The patch sits on botocore's ``BaseClient._make_api_call``, above the SDK's own
retries, so one injected failure is what an adapter sees once botocore has
given up: a fault costs no SDK backoff, and every client in the process (cached
ones included, moto or not) gets it.

    with inject(Fault("GetItem", throttled)) as faults:
        ...
    assert faults[0].hits == 1
"""

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, cast
from unittest.mock import patch

from botocore.client import BaseClient
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.response import StreamingBody
from urllib3.exceptions import ProtocolError

Params = dict[str, Any]
Call = Callable[[Params], Any]
ErrorFactory = Callable[[str], Exception]
# What a fault does to one call: ``call`` passes (possibly changed) parameters through.
Action = Callable[[Call, str, Params], Any]

ENDPOINT = "https://aws.example"


# -- errors, as botocore raises them -------------------------------------------------


def aws_error(code: str, status: int) -> ErrorFactory:
    """A service's error answer with ``code`` and HTTP ``status``."""

    def make(operation: str) -> Exception:
        return ClientError(
            {
                "Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {
                    "RequestId": "injected",
                    "HostId": "",
                    "HTTPStatusCode": status,
                    "HTTPHeaders": {},
                    "RetryAttempts": 3,
                },
            },
            operation,
        )

    return make


def unreachable(_: str) -> Exception:
    """Connection refused or no route: nothing reached the service."""
    return EndpointConnectionError(endpoint_url=ENDPOINT)


def read_timeout(_: str) -> Exception:
    """The request went out; no answer came back in time."""
    return ReadTimeoutError(endpoint_url=ENDPOINT)


def transaction_throttled(operation: str) -> Exception:
    """A transaction cancelled because one of its items was throttled."""
    error = aws_error("TransactionCanceledException", 400)(operation)
    assert isinstance(error, ClientError)
    error.response["CancellationReasons"] = [{"Code": "None"}, {"Code": "ThrottlingError"}]
    return error


THROUGHPUT_EXCEEDED = aws_error("ProvisionedThroughputExceededException", 400)
THROTTLING = aws_error("ThrottlingException", 400)
INTERNAL_SERVER_ERROR = aws_error("InternalServerError", 500)
S3_SLOW_DOWN = aws_error("SlowDown", 503)
S3_NO_SUCH_KEY = aws_error("NoSuchKey", 404)
S3_ACCESS_DENIED = aws_error("AccessDenied", 403)
SQS_THROTTLED = aws_error("RequestThrottled", 400)
SQS_INTERNAL = aws_error("InternalFailure", 500)
SSM_NOT_FOUND = aws_error("ParameterNotFound", 400)
ACCESS_DENIED = aws_error("AccessDeniedException", 400)


# -- what a fault does ---------------------------------------------------------------


def raising(error: ErrorFactory) -> Action:
    """The call fails before it reaches the service."""

    def act(call: Call, operation: str, params: Params) -> Any:
        raise error(operation)

    return act


def answer_lost(error: ErrorFactory = read_timeout) -> Action:
    """The service does the work, then the answer is lost (a timeout or a reset)."""

    def act(call: Call, operation: str, params: Params) -> Any:
        call(params)
        raise error(operation)

    return act


def entries_failing(count: int, code: str = "InternalError") -> Action:
    """SendMessageBatch takes all but the first ``count`` entries, reporting those as failed."""

    def act(call: Call, operation: str, params: Params) -> Any:
        entries = params["Entries"]
        refused, taken = entries[:count], entries[count:]
        response = call({**params, "Entries": taken}) if taken else {"Successful": []}
        response.setdefault("Failed", [])
        response["Failed"] += [
            {"Id": e["Id"], "SenderFault": False, "Code": code, "Message": "injected"}
            for e in refused
        ]
        return response

    return act


class _ResetStream:
    """A socket stream that gives ``good`` bytes, then fails as a reset connection does."""

    def __init__(self, good: bytes, error: Exception) -> None:
        self._good, self._error = good, error

    def read(self, amt: int | None = None) -> bytes:
        if self._good:
            data, self._good = self._good, b""
            return data
        raise self._error

    def close(self) -> None:
        pass


def body_reset(after_bytes: int = 16) -> Action:
    """GetObject answers, then the connection is reset while the body is being read."""

    def act(call: Call, operation: str, params: Params) -> Any:
        response = call(params)
        whole = response["Body"].read()
        error = ProtocolError("Connection broken", ConnectionResetError(104, "reset by peer"))
        stream = _ResetStream(whole[:after_bytes], error)
        response["Body"] = StreamingBody(cast("IO[bytes]", stream), len(whole))
        return response

    return act


def body_cut_short(after_bytes: int = 16) -> Action:
    """GetObject's body ends before its Content-Length (the connection closed early)."""

    def act(call: Call, operation: str, params: Params) -> Any:
        response = call(params)
        whole = response["Body"].read()
        stream = _Truncated(whole[:after_bytes])
        response["Body"] = StreamingBody(cast("IO[bytes]", stream), len(whole))
        return response

    return act


class _Truncated:
    """A socket stream whose peer closed early: its bytes, then the end."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, amt: int | None = None) -> bytes:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        pass


# -- the injector --------------------------------------------------------------------


@dataclass
class Fault:
    """Make ``operation`` (e.g. ``"GetItem"``) do ``action`` for the next ``times`` calls.

    ``times`` None: every call. ``when`` narrows the calls that count to those whose
    parameters it accepts (one table item kind, one key).
    """

    operation: str
    action: Action
    times: int | None = 1
    when: Callable[[Mapping[str, Any]], bool] | None = None
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, operation: str, params: Mapping[str, Any]) -> bool:
        """Whether this call gets the fault (and count it if so)."""
        if operation != self.operation or (self.when is not None and not self.when(params)):
            return False
        with self._lock:
            if self.times is not None and self.hits >= self.times:
                return False
            self.hits += 1
            return True


@contextmanager
def inject(*faults: Fault) -> Iterator[tuple[Fault, ...]]:
    """Apply ``faults`` to every botocore client while the block runs."""
    original = BaseClient.__dict__["_make_api_call"]

    def make_api_call(self: BaseClient, operation: str, params: Params) -> Any:
        def through(changed: Params) -> Any:
            return original(self, operation, changed)

        for fault in faults:
            if fault.take(operation, params):
                return fault.action(through, operation, params)
        return through(params)

    with patch.object(BaseClient, "_make_api_call", make_api_call):
        yield faults


def key_sk_starts(prefix: str) -> Callable[[Mapping[str, Any]], bool]:
    """Calls on one kind of table item: those whose key's ``sk`` starts with ``prefix``."""

    def check(params: Mapping[str, Any]) -> bool:
        key = params.get("Key") or params.get("Item") or {}
        return str(key.get("sk", {}).get("S", "")).startswith(prefix)

    return check
