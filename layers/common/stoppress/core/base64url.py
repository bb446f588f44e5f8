"""base64url without padding (RFC 4648 §5), as Web Push spells keys, secrets and tokens."""

import base64
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(text: str) -> bytes:
    """Decode with or without padding; anything outside the alphabet is a ``ValueError``."""
    if not _ALPHABET.fullmatch(text):
        raise ValueError("must be base64url")
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except ValueError as e:
        raise ValueError("must be base64url") from e
