"""VAPID (RFC 8292): one signed JWT per push-service origin, cached.

A push service only needs to see that the application server holds the key;
signing a new JWT for every message (what pywebpush's ``webpush()`` does) is
pure cost. Tokens here live 12 hours and are re-signed once fewer than 11
remain, so a warm sender signs about once an hour per origin and never sends a
token that expires within the hour (push services accept at most 24 h).

Signing uses ``cryptography`` directly: the key is loaded once from the raw
scalar the project stores in SSM, and every origin gets its own claims dict
(a shared mutable claims dict would leak one origin's ``aud`` into another's).
"""

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from stoppress.core import base64url

TOKEN_LIFETIME = 12 * 3600
# Re-sign when less than this remains: at most one signature per origin per hour.
REFRESH_BELOW = 11 * 3600
_JWT_HEADER = base64url.encode(b'{"typ":"JWT","alg":"ES256"}')


def origin_of(endpoint: str) -> str:
    """The push service's origin (``scheme://host[:port]``): the JWT's ``aud``."""
    parts = urlsplit(endpoint)
    if not parts.scheme or not parts.netloc:
        raise ValueError("endpoint has no origin")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class VapidAuthorizer:
    """Builds ``Authorization: vapid t=<jwt>, k=<public key>`` headers, one JWT per origin."""

    def __init__(
        self,
        private_key: str,
        subject: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not subject.startswith(("mailto:", "https://")):
            raise ValueError("VAPID subject must be a mailto: or https: URI")
        raw = base64url.decode(private_key)
        if len(raw) != 32:
            raise ValueError("VAPID private key must be a raw 32-byte P-256 scalar")
        self._key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        self.public_key = base64url.encode(
            self._key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        self.subject = subject
        self._clock = clock
        self._cache: dict[str, tuple[str, int]] = {}  # origin -> (header value, exp)
        self.signatures = 0

    def header_for(self, endpoint: str) -> str:
        """The Authorization header value for a push to ``endpoint``."""
        return self.header_for_origin(origin_of(endpoint))

    def header_for_origin(self, origin: str) -> str:
        now = int(self._clock())
        cached = self._cache.get(origin)
        if cached is not None and cached[1] - now >= REFRESH_BELOW:
            return cached[0]
        exp = now + TOKEN_LIFETIME
        token = self._sign({"aud": origin, "exp": exp, "sub": self.subject})
        header = f"vapid t={token}, k={self.public_key}"
        self._cache[origin] = (header, exp)
        return header

    def _sign(self, claims: dict[str, str | int]) -> str:
        body = base64url.encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{_JWT_HEADER}.{body}"
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        self.signatures += 1
        return f"{signing_input}.{base64url.encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
