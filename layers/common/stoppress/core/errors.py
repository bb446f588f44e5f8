"""Typed errors: callers branch on these types, never on message text."""


class StoppressError(Exception):
    """Base class for every error the package raises on purpose."""


class ArticleParseError(StoppressError):
    """The file cannot be an article. ``reason`` says what an editor should fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VersionConflictError(StoppressError):
    """The article head moved while a new version was being written (optimistic lock)."""


class TransientError(StoppressError):
    """A dependency failed in a way worth retrying (throttling, timeouts, 5xx)."""


class NotFoundError(StoppressError):
    """The thing asked for does not exist."""


class InvalidSubscriptionError(StoppressError):
    """A push subscription or subscribe request breaks a rule; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ForbiddenError(StoppressError):
    """The caller could not prove it owns what it asked to change."""


class UnknownVersionError(StoppressError):
    """A request names a story or version that was never stored; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SettingsError(StoppressError):
    """A required setting (environment variable) is missing or malformed."""
