"""What every fuzz target asserts, besides its own typed errors."""

import html
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

# Far above what any input of the sizes fuzzed takes; past it, an input has found
# work that grows faster than it should.
TIME_BUDGET_S: Final = 2.0

_BIDI_FORMATTING: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_TAG_OPENER: Final = re.compile(r"<[A-Za-z/!?]")


class SlowInputError(AssertionError):
    """One input took longer than the budget."""


@contextmanager
def time_budget(seconds: float = TIME_BUDGET_S) -> Iterator[None]:
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    if elapsed > seconds:
        raise SlowInputError(f"one input took {elapsed:.2f} s; the budget is {seconds} s")


def valid_unicode(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise AssertionError(f"{what} is not valid Unicode: {value!r}") from e


def screen_text(value: str, what: str, *, screen: Callable[[str], str]) -> None:
    """``value`` is text a reader may see: the rule ``stoppress.articles.screen`` states."""
    valid_unicode(value, what)
    bad = [c for c in value if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_FORMATTING]
    if bad:
        raise AssertionError(f"{what} holds {bad!r}: {value!r}")
    if _TAG_OPENER.search(value) is not None:
        raise AssertionError(f"{what} holds markup: {value!r}")
    if html.unescape(value) != value:
        raise AssertionError(f"{what} holds a character reference: {value!r}")
    if screen(value) != value:
        raise AssertionError(f"{what} changes when screened again: {value!r}")
