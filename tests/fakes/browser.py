"""A browser's push subscription keys: the public half it gives the site, the half it keeps."""

import os
from dataclasses import dataclass

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stoppress.core import base64url


@dataclass(frozen=True)
class BrowserKeys:
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @classmethod
    def new(cls, auth_secret: bytes | None = None) -> "BrowserKeys":
        """A fresh P-256 key pair and a 16-byte auth secret (random unless given)."""
        return cls(ec.generate_private_key(ec.SECP256R1()), auth_secret or os.urandom(16))

    @property
    def p256dh(self) -> str:
        """The public key as ``PushSubscription.toJSON()`` spells it (base64url, 65 bytes)."""
        point = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return base64url.encode(point)

    @property
    def auth(self) -> str:
        return base64url.encode(self.auth_secret)

    def decrypt(self, body: bytes) -> bytes:
        """What the browser reads from an ``aes128gcm`` push body addressed to these keys."""
        plaintext: bytes = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return plaintext
