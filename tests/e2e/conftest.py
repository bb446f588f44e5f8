"""End-to-end fixtures (shared with the browser tests): ``stack``, ``push``, ``upload``."""

from tests.e2e.fixtures import push, stack, upload

__all__ = ["push", "stack", "upload"]
