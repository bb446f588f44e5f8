"""The local push service refuses what a real one would (it is the judge in the send tests)."""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stoppress.core import base64url
from stoppress.webpush.encryption import encrypt
from stoppress_dev.pushservice import PushService, Subscriber

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64url.encode(
    KEY.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
)


def jwt(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey = KEY) -> str:
    head = base64url.encode(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    body = base64url.encode(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{head}.{body}.{base64url.encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.fixture(scope="module")
def service() -> Iterator[PushService]:
    with PushService(vapid_public_key=PUBLIC, max_body_bytes=2000) as running:
        yield running


def push(
    service: PushService,
    sub: Subscriber,
    *,
    claims: dict[str, Any] | None = None,
    authorization: str | None = None,
    headers: dict[str, str] | None = None,
    size: int = 50,
) -> tuple[int, dict[str, str]]:
    info = sub.subscription_info()
    body = encrypt(
        json.dumps({"x": "y" * size}).encode(), info["keys"]["p256dh"], info["keys"]["auth"]
    )
    claims = claims or {
        "aud": service.origin,
        "exp": int(time.time()) + 3600,
        "sub": "mailto:a@news.example",
    }
    all_headers = {
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
        "Authorization": authorization or f"vapid t={jwt(claims)}, k={PUBLIC}",
        **(headers or {}),
    }
    request = urllib.request.Request(sub.endpoint, data=body, headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)


def test_a_well_formed_push_is_accepted_and_decrypted(service: PushService) -> None:
    sub = service.new_subscriber()
    assert push(service, sub, headers={"Topic": "a-b_C", "Urgency": "low"})[0] == 201
    [delivery] = sub.deliveries
    assert delivery.payload == {"x": "y" * 50}
    assert (delivery.headers["topic"], delivery.headers["urgency"]) == ("a-b_C", "low")


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"aud": "http://127.0.0.1:1", "sub": "mailto:a@news.example"}, 403),
        ({"sub": "mailto:a@news.example", "exp_in": -10}, 403),
        ({"sub": "mailto:a@news.example", "exp_in": 25 * 3600}, 403),
        ({"sub": "a@news.example"}, 403),
        ({"sub": "http://news.example"}, 403),
    ],
)
def test_vapid_claims_are_checked(
    service: PushService, claims: dict[str, Any], status: int
) -> None:
    full = {"aud": service.origin, "exp": int(time.time()) + claims.pop("exp_in", 3600), **claims}
    sub = service.new_subscriber()
    assert push(service, sub, claims=full)[0] == status
    assert sub.deliveries == []


def test_a_token_signed_with_another_key_is_refused(service: PushService) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    claims = {"aud": service.origin, "exp": int(time.time()) + 60, "sub": "mailto:a@b.example"}
    sub = service.new_subscriber()
    assert push(service, sub, authorization=f"vapid t={jwt(claims, other)}, k={PUBLIC}")[0] == 403
    assert push(service, sub, authorization="WebPush abc")[0] == 401


@pytest.mark.parametrize(
    "headers",
    [{"TTL": "soon"}, {"Topic": "x" * 33}, {"Topic": "a.b"}, {"Urgency": "urgent"}],
)
def test_malformed_headers_are_refused(service: PushService, headers: dict[str, str]) -> None:
    assert push(service, service.new_subscriber(), headers=headers)[0] == 400


def test_told_answers_then_back_to_accepting(service: PushService) -> None:
    sub = service.new_subscriber()
    sub.respond_with(429, retry_after=7, times=1)
    sub.respond_with(500, times=1)
    status, headers = push(service, sub)
    assert (status, headers.get("Retry-After")) == (429, "7")
    assert push(service, sub)[0] == 500
    assert push(service, sub)[0] == 201
    gone = service.new_subscriber()
    gone.respond_with(410)
    assert [push(service, gone)[0] for _ in range(2)] == [410, 410]
    assert push(service, service.new_subscriber(), size=3000)[0] == 413
