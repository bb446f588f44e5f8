"""Browser fixtures: headless Chromium (Debian's) and the e2e tests' in-process local stack.

``desktop_chromium`` is Chromium with a persistent profile whose notifications go
to a notification server the test controls (tests/fakes/desktop_notifications.py),
so a test can click a notification's button for real.
"""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fixtures import push, stack, upload
from tests.fakes.desktop_notifications import NotificationServer, dbus_daemon, desktop

__all__ = [
    "chromium",
    "desktop_chromium",
    "notification_server",
    "playwright",
    "push",
    "stack",
    "upload",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser-deps installs Debian's chromium)")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """One Playwright per module: its sync API cannot run two at once in a thread."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


def _require_dbus_daemon() -> None:
    """dbus-daemon, installed from Debian's dbus package when we may (as browser-deps does)."""
    if dbus_daemon() is not None:
        return
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "dbus"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    if dbus_daemon() is None:
        pytest.skip("dbus-daemon is not installed (Debian's dbus package; make browser-deps)")


@pytest.fixture
def notification_server(tmp_path: Path) -> Iterator[tuple[str, NotificationServer]]:
    """A private session bus (its address) and the notification server on it."""
    pytest.importorskip("jeepney", reason="jeepney (a dev dependency) plays the desktop")
    _require_dbus_daemon()
    folder = tmp_path / "dbus"
    folder.mkdir()
    with desktop(folder) as (bus, server):
        yield bus.address, server


@pytest.fixture
def desktop_chromium(
    playwright: Any, notification_server: tuple[str, NotificationServer], tmp_path: Path
) -> Iterator[Any]:
    """A persistent-profile Chromium context whose notifications reach ``notification_server``.

    Only a persistent profile hands notifications to the desktop; the server must
    own its bus name before Chromium starts, which looks for it once.
    """
    address, _ = notification_server
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
    )
    try:
        yield context
    finally:
        context.close()
