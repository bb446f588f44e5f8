"""What a real push service checks before it accepts a message, as plain functions.

The local push service (``pushservice``) applies these to every request, so a
test passes only if what stoppress sends would pass at FCM or Mozilla: a valid
VAPID JWT for this origin, the RFC 8030 headers, a body within the size limit,
and an aes128gcm body that the subscriber's keys decrypt to a JSON object.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stoppress.core import base64url

MAX_JWT_LIFETIME = 24 * 3600
# RFC 8030 §7.2 asks services to accept at least 4096 bytes of (encrypted) payload.
DEFAULT_MAX_BODY = 4096
URGENCIES = frozenset({"very-low", "low", "normal", "high"})
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_VAPID_RE = re.compile(r"^vapid\s+(.+)$", re.IGNORECASE)


class Rejected(Exception):
    """The push service refuses the message with ``status`` and says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_headers(headers: Mapping[str, str], body_size: int, max_body: int) -> None:
    """TTL, Urgency, Topic, Content-Encoding and the body size, as RFC 8030 and 8188 ask."""
    ttl = headers.get("TTL")
    if ttl is None or not ttl.isdigit():
        raise Rejected(400, "missing or malformed TTL")
    urgency = headers.get("Urgency")
    if urgency is not None and urgency not in URGENCIES:
        raise Rejected(400, "bad Urgency")
    topic = headers.get("Topic")
    if topic is not None and not TOPIC_RE.match(topic):
        raise Rejected(400, "bad Topic")
    if headers.get("Content-Encoding") != "aes128gcm":
        raise Rejected(415, "Content-Encoding must be aes128gcm")
    if body_size > max_body:
        raise Rejected(413, "payload too large")


def verify_vapid(
    authorization: str, now: int, *, origin: str, expected_key: str | None = None
) -> int:
    """Check an ``Authorization: vapid t=..., k=...`` header (RFC 8292); returns the JWT's exp."""
    m = _VAPID_RE.match(authorization.strip())
    if not m:
        raise Rejected(401, "missing vapid authorization")
    params: dict[str, str] = {}
    for part in m.group(1).split(","):
        name, eq, value = part.strip().partition("=")
        if eq:
            params[name.strip().lower()] = value.strip()
    token, key = params.get("t"), params.get("k")
    if not token or not key:
        raise Rejected(401, "vapid authorization needs t and k")
    if expected_key is not None and key != expected_key:
        raise Rejected(403, "unknown application server key")
    return _verify_jwt(token, key, now, origin)


def _verify_jwt(token: str, key: str, now: int, origin: str) -> int:
    try:
        header_b64, claims_b64, sig_b64 = token.split(".")
        header = json.loads(base64url.decode(header_b64))
        claims = json.loads(base64url.decode(claims_b64))
        sig = base64url.decode(sig_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), base64url.decode(key))
    except ValueError as e:
        raise Rejected(401, f"malformed vapid token: {e}") from e
    if header.get("alg") != "ES256" or len(sig) != 64:
        raise Rejected(401, "vapid token must be ES256")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as e:
        raise Rejected(403, "bad vapid signature") from e
    if claims.get("aud") != origin:
        raise Rejected(403, f"aud {claims.get('aud')!r} is not {origin!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + MAX_JWT_LIFETIME:
        raise Rejected(403, "exp must be in the future and at most 24 h away")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
        raise Rejected(403, "sub must be a mailto: or https: URI")
    return exp


def decrypt_payload(
    body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes
) -> dict[str, Any]:
    """The JSON object an aes128gcm body carries to the holder of these keys."""
    try:
        plaintext = http_ece.decrypt(
            body, private_key=private_key, auth_secret=auth_secret, version="aes128gcm"
        )
    except (http_ece.ECEException, InvalidTag, ValueError) as e:
        raise Rejected(400, "cannot decrypt") from e
    try:
        payload = json.loads(plaintext)
    except ValueError as e:
        raise Rejected(400, "payload is not JSON") from e
    if not isinstance(payload, dict):
        raise Rejected(400, "payload is not a JSON object")
    return payload
