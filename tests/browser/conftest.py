"""The browser tests drive the same in-process local stack as the end-to-end tests."""

from tests.e2e.fixtures import push, stack, upload

__all__ = ["push", "stack", "upload"]
