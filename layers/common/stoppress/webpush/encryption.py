"""Message encryption for Web Push (RFC 8291 over RFC 8188 ``aes128gcm``).

Every message gets a fresh ephemeral P-256 key and a random salt, exactly as
pywebpush's ``WebPusher.encode`` does; the result decrypts with ``http_ece``.
This is the same computation without pywebpush's per-message overhead (a deep
copy of the subscription, a case-insensitive dict, HKDF objects): the key
derivation is five HMAC-SHA256 calls (the standard library's ``hmac.digest``), and
the single record is sealed with one AES-GCM call.
"""

import hmac
import os
import struct

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stoppress.core import base64url

RECORD_SIZE = 4096
_TAG_LENGTH = 16
_KEY_INFO = b"WebPush: info\x00"
_CEK_INFO = b"Content-Encoding: aes128gcm\x00\x01"
_NONCE_INFO = b"Content-Encoding: nonce\x00\x01"
_CURVE = ec.SECP256R1()
_ECDH = ec.ECDH()
_RS = struct.pack("!I", RECORD_SIZE)
# One record: plaintext + the 0x02 last-record delimiter + the GCM tag.
MAX_PLAINTEXT = RECORD_SIZE - _TAG_LENGTH - 1


def _receiver(p256dh: str) -> tuple[bytes, ec.EllipticCurvePublicKey]:
    raw = base64url.decode(p256dh)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("p256dh must be a 65-byte uncompressed P-256 point")
    return raw, ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, raw)


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.digest(key, msg, "sha256")


def encrypt(plaintext: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm request body carrying ``plaintext`` to the holder of ``p256dh``/``auth``.

    Raises ValueError for malformed keys or a plaintext too large for one record.
    """
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"plaintext longer than {MAX_PLAINTEXT} bytes")
    auth_secret = base64url.decode(auth)
    if len(auth_secret) != 16:
        raise ValueError("auth must be a 16-byte secret")
    ua_raw, ua_public = _receiver(p256dh)
    ephemeral = ec.generate_private_key(_CURVE)
    as_raw = ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    shared = ephemeral.exchange(_ECDH, ua_public)
    # RFC 8291 §3.3: IKM = HKDF(auth, ecdh, "WebPush: info" || ua_public || as_public, 32)
    ikm = _hmac(_hmac(auth_secret, shared), _KEY_INFO + ua_raw + as_raw + b"\x01")
    salt = os.urandom(16)
    # RFC 8188 §2.2: CEK and nonce from HKDF(salt, IKM).
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, _CEK_INFO)[:16]
    nonce = _hmac(prk, _NONCE_INFO)[:12]
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return b"".join((salt, _RS, b"\x41", as_raw, ciphertext))
