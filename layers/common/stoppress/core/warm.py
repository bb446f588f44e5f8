"""What warm invocations reuse, and the one way to forget it.

A Lambda process serves many invocations, so clients, settings, parameters and
the sender's HTTP session are built once and kept. Everything kept that way is
made by a function decorated with ``cached`` (or ``cached_closing``, for values
that hold connections), so that ``reset()`` forgets all of it at once: tests
and the local stack switch AWS backends between runs, and a forked sender
process must not use its parent's connections.
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_forget_steps: list[Callable[[bool], None]] = []


def _remembered(factory: Callable[P, R], close: Callable[[R], None] | None) -> Callable[P, R]:
    memo = functools.cache(factory)
    built: list[R] = []

    @functools.wraps(factory)
    def get(*args: P.args, **kwargs: P.kwargs) -> R:
        before = memo.cache_info().currsize
        value = memo(*args, **kwargs)  # type: ignore[arg-type]
        if close is not None and memo.cache_info().currsize > before:
            built.append(value)
        return value

    def forget(shut_down: bool) -> None:
        values, built[:] = list(built), []
        memo.cache_clear()
        if shut_down and close is not None:
            for value in values:
                close(value)

    _forget_steps.append(forget)
    return get


def cached(factory: Callable[P, R]) -> Callable[P, R]:
    """``functools.cache`` whose values ``reset()`` forgets."""
    return _remembered(factory, None)


def cached_closing(close: Callable[[R], None]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Like ``cached``; ``reset()`` also calls ``close(value)`` on each value it forgets."""

    def wrap(factory: Callable[P, R]) -> Callable[P, R]:
        return _remembered(factory, close)

    return wrap


def reset(*, close: bool = True) -> None:
    """Forget every warm value: clients, settings, parameters, HTTP sessions.

    ``close=False`` drops them without shutting anything down: what a forked
    process does with the connections and event loop it inherited, which
    belong to its parent.
    """
    for step in list(_forget_steps):
        step(close)
