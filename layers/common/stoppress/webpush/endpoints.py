"""Push endpoint rules, applied at subscribe time and again before sending.

The rules are the ones docs/design.md lists under "Security".

An endpoint is a URL our senders will POST to, so a bad one is a way to make
our Lambdas reach places they must not (instance metadata, private networks,
someone else's server). The rules are deliberately narrow: a browser's real
push subscription always passes them.

- ``https`` only, printable ASCII only (no IDN look-alikes, no whitespace or
  backslashes that parsers disagree about), at most ``MAX_ENDPOINT_LENGTH``.
- No credentials, no fragment, no explicit port other than 443.
- The host is a plain DNS name on the push-service allowlist, matched on the
  parsed host with a dot boundary (``host == h`` or ``host`` ends with
  ``"." + h``), so ``fcm.googleapis.com.evil.example`` and
  ``evilfcm.googleapis.com`` do not pass.
- No IP literals of any spelling: dotted quads, IPv6 in brackets, and the
  integer, octal and hex forms (``2130706433``, ``0x7f.1``) that URL parsers
  turn into addresses. A host whose last label is numeric is refused, which is
  the test the WHATWG URL parser uses to decide a host is IPv4.
- Trailing-dot hosts (``fcm.googleapis.com.``) are refused: browsers never hand
  them out and they would dodge exact-match comparisons elsewhere.
- Loopback (``localhost``, 127.0.0.0/8 as a dotted quad, ``[::1]``, over http or
  https, any port) only when ``allow_loopback_endpoints`` is set, which only
  the local development stack does.

An endpoint that passes comes back in one canonical spelling (``canonical_endpoint``),
because the subscription id is a hash of it: ``HTTPS://FCM.googleapis.com:443/x?``
and ``https://fcm.googleapis.com/x`` are one browser and must be one subscription.
"""

import ipaddress
import re
from typing import Final
from urllib.parse import SplitResult, urlsplit

from stoppress.core.errors import InvalidSubscriptionError
from stoppress.core.settings import PushEndpointSettings

MAX_ENDPOINT_LENGTH: Final = 1024
MAX_HOST_LENGTH: Final = 253

# Printable ASCII without space, backslash and the characters no push service uses.
_URL_CHARS = re.compile(r"[!#-\[\]-~]+")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# WHATWG: a host whose last label is a number (decimal or 0x-hex) is parsed as IPv4.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_LOOPBACK_NAMES: Final = frozenset({"localhost"})
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def canonical_endpoint(url: str) -> str:
    """The one spelling of ``url``: what every spelling of the same push resource becomes.

    Scheme and host in lower case, no default port, ``/`` for an empty path, no empty
    ``?``. The path and query stay exactly as given: push services' tokens are
    case-sensitive. A URL that is not plainly an http(s) URL without credentials or
    fragment comes back unchanged, for the rules to refuse.
    """
    if not _URL_CHARS.fullmatch(url) or "#" in url:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return url
    return _spelled(parts, port)


def _spelled(parts: SplitResult, port: int | None) -> str:
    """An http(s) URL with a host, no credentials and no fragment, canonically spelled."""
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}{parts.path or '/'}{query}"


def validate_endpoint(url: str, settings: PushEndpointSettings) -> str:
    """Return ``url`` in its canonical spelling if it is an acceptable push endpoint.

    Raises ``InvalidSubscriptionError`` whose ``reason`` names the broken rule.
    """
    if not isinstance(url, str) or not url:
        raise InvalidSubscriptionError("endpoint is empty")
    if len(url) > MAX_ENDPOINT_LENGTH:
        raise InvalidSubscriptionError(f"endpoint is longer than {MAX_ENDPOINT_LENGTH} characters")
    if not _URL_CHARS.fullmatch(url):
        raise InvalidSubscriptionError(
            "endpoint may only contain printable ASCII without spaces or backslashes"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InvalidSubscriptionError("endpoint is not a valid URL") from e

    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise InvalidSubscriptionError("endpoint must use https")
    if "#" in url:
        raise InvalidSubscriptionError("endpoint must not have a fragment")
    if "@" in parts.netloc:
        raise InvalidSubscriptionError("endpoint must not contain credentials")

    if _is_loopback(parts):
        if not settings.allow_loopback_endpoints:
            raise InvalidSubscriptionError("endpoint host must not be loopback")
        return _spelled(parts, port)

    if scheme != "https":
        raise InvalidSubscriptionError("endpoint must use https")
    host = _dns_host(parts)
    if port is not None and port != 443:
        raise InvalidSubscriptionError("endpoint must not name a port other than 443")
    if not _on_allowlist(host, settings.allowed_push_hosts):
        raise InvalidSubscriptionError("endpoint host is not a known push service")
    return _spelled(parts, port)


def _is_loopback(parts: SplitResult) -> bool:
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return True
    if "[" in parts.netloc:
        return host == "::1"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return address.is_loopback


def _dns_host(parts: SplitResult) -> str:
    """The parsed host if it is a plain DNS name; refuse every other spelling."""
    if "[" in parts.netloc or "]" in parts.netloc:
        raise InvalidSubscriptionError("endpoint host must not be an IP address")
    host = parts.hostname or ""
    if not host:
        raise InvalidSubscriptionError("endpoint has no host")
    if host.endswith("."):
        raise InvalidSubscriptionError("endpoint host must not end with a dot")
    if len(host) > MAX_HOST_LENGTH:
        raise InvalidSubscriptionError("endpoint host is too long")
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise InvalidSubscriptionError("endpoint host must not be an IP address")
    for label in labels:
        if not _DNS_LABEL.fullmatch(label):
            raise InvalidSubscriptionError("endpoint host is not a valid DNS name")
        if label.startswith("xn--"):
            # Push services use plain ASCII names; punycode only serves look-alikes here.
            raise InvalidSubscriptionError("endpoint host must not be an internationalised name")
    return host


def _on_allowlist(host: str, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        suffix = entry.strip().lower().strip(".")
        if suffix and (host == suffix or host.endswith("." + suffix)):
            return True
    return False
