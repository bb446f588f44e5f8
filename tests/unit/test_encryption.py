"""aes128gcm message encryption (RFC 8291): what browsers can decrypt, checked with http_ece."""

import os
import struct

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from stoppress.core import base64url
from stoppress.webpush.encryption import MAX_PLAINTEXT, RECORD_SIZE, encrypt
from tests.fakes.browser import BrowserKeys


@pytest.fixture(scope="module")
def browser() -> tuple[ec.EllipticCurvePrivateKey, bytes, str, str]:
    keys = BrowserKeys.new()
    return keys.private_key, keys.auth_secret, keys.p256dh, keys.auth


@pytest.mark.parametrize("size", [1, 100, 2_700, MAX_PLAINTEXT])
def test_the_browser_decrypts_it(browser: tuple, size: int) -> None:
    key, auth, p256dh, auth_b64 = browser
    plaintext = os.urandom(size)
    body = encrypt(plaintext, p256dh, auth_b64)
    assert http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm") == (
        plaintext
    )


def test_header_carries_salt_record_size_and_a_fresh_sender_key(browser: tuple) -> None:
    _, _, p256dh, auth_b64 = browser
    first, second = encrypt(b"{}", p256dh, auth_b64), encrypt(b"{}", p256dh, auth_b64)
    for body in (first, second):
        assert struct.unpack("!I", body[16:20])[0] == RECORD_SIZE
        assert body[20] == 65
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body[21:86])
    assert first[:16] != second[:16]  # salt
    assert first[21:86] != second[21:86]  # ephemeral key


def test_refuses_what_cannot_be_sent(browser: tuple) -> None:
    _, _, p256dh, auth_b64 = browser
    with pytest.raises(ValueError, match="longer"):
        encrypt(b"x" * (MAX_PLAINTEXT + 1), p256dh, auth_b64)
    with pytest.raises(ValueError, match="16-byte"):
        encrypt(b"x", p256dh, base64url.encode(b"short"))
    with pytest.raises(ValueError, match="65-byte"):
        encrypt(b"x", base64url.encode(b"\x04" + b"\x00" * 10), auth_b64)
    with pytest.raises(ValueError, match="Invalid EC key"):
        encrypt(b"x", base64url.encode(b"\x04" + b"\x00" * 64), auth_b64)  # not on the curve


def test_same_wire_format_as_pywebpush(browser: tuple) -> None:
    """Our body and pywebpush's differ only in their random parts (salt, sender key, ciphertext)."""
    from pywebpush import WebPusher

    key, auth, p256dh, auth_b64 = browser
    plaintext = b'{"web_push": 8030}'
    theirs = WebPusher(
        {"endpoint": "https://push.example/x", "keys": {"p256dh": p256dh, "auth": auth_b64}}
    ).encode(plaintext, content_encoding="aes128gcm")["body"]
    ours = encrypt(plaintext, p256dh, auth_b64)
    assert len(ours) == len(theirs)
    assert ours[16:21] == theirs[16:21]  # record size and key length
    for body in (ours, theirs):
        assert http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm") == (
            plaintext
        )
