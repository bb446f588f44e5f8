"""VAPID Authorization headers: valid ES256 JWTs, one per origin, cached and refreshed hourly."""

import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from stoppress.core import base64url
from stoppress.webpush.vapid import REFRESH_BELOW, TOKEN_LIFETIME, VapidAuthorizer, origin_of
from tests.fakes.clock import Clock


@pytest.fixture
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authorizer(private_key: ec.EllipticCurvePrivateKey, clock: Clock) -> VapidAuthorizer:
    raw = private_key.private_numbers().private_value.to_bytes(32, "big")
    return VapidAuthorizer(base64url.encode(raw), "mailto:push@example.com", clock=clock)


def parse(header: str) -> tuple[dict, dict, bytes, str, str]:
    assert header.startswith("vapid ")
    params = dict(p.strip().split("=", 1) for p in header[len("vapid ") :].split(","))
    head_b64, claims_b64, sig_b64 = params["t"].split(".")
    return (
        json.loads(base64url.decode(head_b64)),
        json.loads(base64url.decode(claims_b64)),
        base64url.decode(sig_b64),
        f"{head_b64}.{claims_b64}",
        params["k"],
    )


def test_header_is_a_valid_es256_jwt_for_the_origin(
    authorizer: VapidAuthorizer, private_key: ec.EllipticCurvePrivateKey, clock: Clock
) -> None:
    header = authorizer.header_for("https://fcm.googleapis.com/fcm/send/abc:def")
    jwt_header, claims, sig, signed, k = parse(header)
    assert jwt_header == {"typ": "JWT", "alg": "ES256"}
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "exp": int(clock.now) + TOKEN_LIFETIME,
        "sub": "mailto:push@example.com",
    }
    assert claims["exp"] - clock.now <= 24 * 3600
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), base64url.decode(k))
    assert public.public_numbers() == private_key.public_key().public_numbers()
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public.verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))  # raises if invalid


def test_one_signature_per_origin_reused_within_the_hour(
    authorizer: VapidAuthorizer, clock: Clock
) -> None:
    first = authorizer.header_for("https://fcm.googleapis.com/fcm/send/a")
    clock.now += TOKEN_LIFETIME - REFRESH_BELOW - 1
    assert authorizer.header_for("https://fcm.googleapis.com/fcm/send/b") is first
    assert authorizer.signatures == 1


def test_re_signed_once_less_than_eleven_hours_remain(
    authorizer: VapidAuthorizer, clock: Clock
) -> None:
    first = authorizer.header_for("https://fcm.googleapis.com/fcm/send/a")
    clock.now += TOKEN_LIFETIME - REFRESH_BELOW + 1
    second = authorizer.header_for("https://fcm.googleapis.com/fcm/send/a")
    assert second != first
    assert parse(second)[1]["exp"] == int(clock.now) + TOKEN_LIFETIME
    assert authorizer.signatures == 2


def test_each_origin_gets_its_own_audience(authorizer: VapidAuthorizer) -> None:
    fcm = parse(authorizer.header_for("https://fcm.googleapis.com/fcm/send/a"))[1]
    moz = parse(authorizer.header_for("https://updates.push.services.mozilla.com/wpush/v2/x"))[1]
    again = parse(authorizer.header_for("https://fcm.googleapis.com/fcm/send/b"))[1]
    assert fcm["aud"] == again["aud"] == "https://fcm.googleapis.com"
    assert moz["aud"] == "https://updates.push.services.mozilla.com"
    assert authorizer.signatures == 2


def test_origin_keeps_an_explicit_port_and_lowercases() -> None:
    assert origin_of("http://127.0.0.1:8123/push/x") == "http://127.0.0.1:8123"
    assert origin_of("HTTPS://FCM.googleapis.com/x") == "https://fcm.googleapis.com"
    with pytest.raises(ValueError, match="origin"):
        origin_of("/relative/path")


@pytest.mark.parametrize("subject", ["push@example.com", "http://example.com", ""])
def test_subject_must_be_mailto_or_https(subject: str) -> None:
    key = base64url.encode(b"\x01" * 32)
    with pytest.raises(ValueError, match="subject"):
        VapidAuthorizer(key, subject)


def test_private_key_must_be_a_raw_scalar() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        VapidAuthorizer(base64url.encode(b"\x01" * 31), "mailto:a@example.com")
