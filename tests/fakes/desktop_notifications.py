"""A desktop for a real browser's notifications: a private D-Bus session bus and a
notification server on it that a test can click.

Chromium on Linux hands each notification to whatever owns
``org.freedesktop.Notifications`` on its session bus (the freedesktop Desktop
Notifications protocol). A click there comes back to it as the ``ActionInvoked``
signal, and Chromium then fires a genuine, trusted ``notificationclick`` in the
service worker, as it would for a reader's click.

``SessionBus`` runs ``dbus-daemon`` (Debian's ``dbus`` package) on a socket in a
folder of the test's; ``NotificationServer`` plays the desktop with jeepney on a
thread of its own, records what it is asked to show, and clicks on request.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

NOTIFICATIONS_NAME: Final = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH: Final = "/org/freedesktop/Notifications"
# The action key of a click on the notification itself rather than on a button.
DEFAULT_ACTION: Final = "default"
# NotificationClosed reasons (Desktop Notifications 1.2): expired, dismissed by the user,
# closed by a CloseNotification call.
DISMISSED: Final = 2
CLOSED_BY_CALL: Final = 3
CAPABILITIES: Final = ["actions", "body", "body-hyperlinks", "icon-static", "persistence"]
_START_TIMEOUT: Final = 10.0


def dbus_daemon() -> str | None:
    """Where ``dbus-daemon`` is, or None when it is not installed."""
    return shutil.which("dbus-daemon")


class SessionBus:
    """A private session bus: nothing on the machine's own buses sees the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.address = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SessionBus:
        daemon = dbus_daemon()
        if daemon is None:
            raise RuntimeError("dbus-daemon is not installed (Debian's dbus package)")
        socket_path = self.folder / "bus"
        self._process = subprocess.Popen(
            [
                daemon,
                "--session",
                "--nofork",
                "--nopidfile",
                f"--address=unix:path={socket_path}",
                "--print-address=1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        # It prints its address once it listens.
        self.address = self._process.stdout.readline().strip()
        if not self.address:
            self.__exit__(None, None, None)
            raise RuntimeError("dbus-daemon did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


@dataclass
class DesktopNotification:
    """One ``Notify`` call, as the desktop received it."""

    id: int
    app_name: str
    summary: str
    body: str
    # Action key -> label, in the order the browser sent them.
    actions: dict[str, str]
    hints: dict[str, Any]
    closed: bool = False
    updates: int = 0

    def action_key(self, label: str) -> str:
        """The key of the button labelled ``label``; the browser chooses the keys."""
        for key, shown in self.actions.items():
            if shown == label:
                return key
        raise KeyError(f"no button {label!r} on {self.summary!r}: {self.actions}")


@dataclass
class NotificationServer:
    """``org.freedesktop.Notifications`` on ``bus``, recording and clicking."""

    bus_address: str
    notifications: dict[int, DesktopNotification] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _connection: Any = None
    _error: BaseException | None = None

    def __enter__(self) -> NotificationServer:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self._connection = open_dbus_connection(bus=self.bus_address)
        reply = self._connection.send_and_get_reply(
            message_bus.RequestName(NOTIFICATIONS_NAME), timeout=_START_TIMEOUT
        )
        if reply.body != (1,):  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
            self._connection.close()
            raise RuntimeError(f"could not own {NOTIFICATIONS_NAME}: {reply.body}")
        self._thread = threading.Thread(target=self._serve, name="notification-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._connection is not None:
            self._connection.close()

    # -- what the test does ------------------------------------------------------------

    def wait_for(
        self,
        predicate: Callable[[list[DesktopNotification]], Any],
        *,
        timeout: float = 15.0,
        what: str = "a notification",
    ) -> Any:
        """Wait until ``predicate(notifications)`` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if self._error is not None:
                    raise RuntimeError("the notification server stopped") from self._error
                value = predicate(list(self.notifications.values()))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what}; the desktop has "
                        f"{list(self.notifications.values())}"
                    )
                self._changed.wait(min(left, 0.2))

    def click(self, notification: DesktopNotification, label: str | None = None) -> None:
        """Click the button labelled ``label``, or the notification itself."""
        key = DEFAULT_ACTION if label is None else notification.action_key(label)
        self._signal("ActionInvoked", "us", (notification.id, key))

    def dismiss(self, notification: DesktopNotification) -> None:
        with self._changed:
            notification.closed = True
            self._changed.notify_all()
        self._signal("NotificationClosed", "uu", (notification.id, DISMISSED))

    # -- the desktop's side ------------------------------------------------------------

    def _signal(self, name: str, signature: str, body: tuple[Any, ...]) -> None:
        from jeepney import DBusAddress, new_signal

        emitter = DBusAddress(NOTIFICATIONS_PATH, interface=NOTIFICATIONS_NAME)
        with self._send_lock:
            self._connection.send(new_signal(emitter, name, signature, body))

    def _reply(self, call: Any, signature: str | None = None, body: tuple[Any, ...] = ()) -> None:
        from jeepney import new_method_return

        with self._send_lock:
            self._connection.send(new_method_return(call, signature, body))

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error

        try:
            while not self._stop.is_set():
                try:
                    message = self._connection.receive(timeout=0.1)
                except TimeoutError:
                    continue
                if message.header.message_type != MessageType.method_call:
                    continue
                fields = message.header.fields
                interface = fields.get(HeaderFields.interface)
                member = fields.get(HeaderFields.member)
                handler = getattr(self, f"_on_{member}", None)
                if interface not in (NOTIFICATIONS_NAME, None) or handler is None:
                    with self._send_lock:
                        self._connection.send(
                            new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")
                        )
                    continue
                with self._changed:
                    self.calls.append(member)
                handler(message)
        except BaseException as e:
            with self._changed:
                self._error = e
                self._changed.notify_all()

    def _on_GetCapabilities(self, call: Any) -> None:
        self._reply(call, "as", (CAPABILITIES,))

    def _on_GetServerInformation(self, call: Any) -> None:
        self._reply(call, "ssss", ("stoppress-test-desktop", "stoppress", "1", "1.2"))

    def _on_Notify(self, call: Any) -> None:
        app_name, replaces_id, _icon, summary, body, actions, hints, _timeout = call.body
        pairs = dict(zip(actions[::2], actions[1::2], strict=True))
        with self._changed:
            existing = self.notifications.get(replaces_id) if replaces_id else None
            if existing is not None:
                existing.summary, existing.body, existing.actions = summary, body, pairs
                existing.hints = {k: v for k, (_sig, v) in hints.items()}
                existing.closed = False
                existing.updates += 1
                notification_id = existing.id
            else:
                notification_id = next(self._ids)
                self.notifications[notification_id] = DesktopNotification(
                    id=notification_id,
                    app_name=app_name,
                    summary=summary,
                    body=body,
                    actions=pairs,
                    hints={k: v for k, (_sig, v) in hints.items()},
                )
            self._changed.notify_all()
        self._reply(call, "u", (notification_id,))

    def _on_CloseNotification(self, call: Any) -> None:
        (notification_id,) = call.body
        with self._changed:
            notification = self.notifications.get(notification_id)
            if notification is not None:
                notification.closed = True
            self._changed.notify_all()
        self._reply(call)
        if notification is not None:
            self._signal("NotificationClosed", "uu", (notification_id, CLOSED_BY_CALL))


@contextlib.contextmanager
def desktop(folder: Path) -> Iterator[tuple[SessionBus, NotificationServer]]:
    """A session bus in ``folder`` with a notification server on it."""
    with SessionBus(folder) as bus, NotificationServer(bus.address) as server:
        yield bus, server
