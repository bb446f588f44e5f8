"""VAPID key pair: generate it and store it in SSM Parameter Store (``stoppress vapid init``).

The private key goes to a SecureString parameter and never leaves this
process otherwise; only the public key is printed. Formats (the functions read
them back through ``stoppress.aws.vapid_keys``):

- private: base64url, no padding, of the raw 32-byte P-256 private scalar;
- public: base64url, no padding, of the 65-byte uncompressed point.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Final

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stoppress.aws import clients
from stoppress.core import base64url

DEFAULT_PRIVATE_PARAMETER: Final = "/stoppress/vapid/private-key"
DEFAULT_PUBLIC_PARAMETER: Final = "/stoppress/vapid/public-key"


class VapidKeysExistError(RuntimeError):
    """Only one half of a key pair is stored; refusing to guess which to keep."""


def generate_vapid_keys() -> tuple[str, str]:
    """A fresh P-256 key pair as (private_b64, public_b64)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private_raw = key.private_numbers().private_value.to_bytes(32, "big")
    public_raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64url.encode(private_raw), base64url.encode(public_raw)


def _read(name: str, *, decrypt: bool) -> str | None:
    try:
        response = clients.client("ssm").get_parameter(Name=name, WithDecryption=decrypt)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return str(response["Parameter"]["Value"])


def store_vapid_keys(private_name: str, public_name: str, *, overwrite: bool = False) -> str:
    """Make sure a key pair is stored under the two names; return the public key.

    Without ``overwrite`` an existing pair is kept (running init twice is
    harmless: subscriptions made with the old key stay valid) and only half a
    pair is an error. With ``overwrite`` a new pair replaces the old one, which
    invalidates every existing subscription.
    """
    if not overwrite:
        existing_public = _read(public_name, decrypt=False)
        existing_private = _read(private_name, decrypt=True)
        if existing_public and existing_private:
            return existing_public
        if existing_public or existing_private:
            raise VapidKeysExistError(
                f"only one of {private_name} and {public_name} exists; "
                "pass overwrite=True (--overwrite) to replace both"
            )
    private_b64, public_b64 = generate_vapid_keys()
    ssm = clients.client("ssm")
    ssm.put_parameter(
        Name=private_name,
        Value=private_b64,
        Type="SecureString",
        Overwrite=overwrite,
        Description="stoppress VAPID private key (raw P-256 scalar, base64url)",
    )
    ssm.put_parameter(
        Name=public_name,
        Value=public_b64,
        Type="String",
        Overwrite=overwrite,
        Description="stoppress VAPID public key (uncompressed P-256 point, base64url)",
    )
    return public_b64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``stoppress vapid init``; the CLI passes the parsed namespace to ``run``."""
    parser.add_argument(
        "--private-parameter",
        default=os.environ.get("VAPID_PRIVATE_KEY_PARAMETER", DEFAULT_PRIVATE_PARAMETER),
        help="SSM SecureString name for the private key (default: %(default)s)",
    )
    parser.add_argument(
        "--public-parameter",
        default=os.environ.get("VAPID_PUBLIC_KEY_PARAMETER", DEFAULT_PUBLIC_PARAMETER),
        help="SSM String name for the public key (default: %(default)s)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing key pair (existing subscriptions stop working)",
    )


def run(args: argparse.Namespace) -> int:
    """Store (or keep) the key pair and print the public key on stdout."""
    try:
        public = store_vapid_keys(
            args.private_parameter, args.public_parameter, overwrite=args.overwrite
        )
    except VapidKeysExistError as e:
        print(f"stoppress vapid init: {e}", file=sys.stderr)
        return 1
    print(public)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``vapid init`` on its own: ``python -m stoppress_dev.vapid init [--overwrite]``."""
    parser = argparse.ArgumentParser(prog="stoppress vapid", description="VAPID key pair in SSM")
    commands = parser.add_subparsers(dest="command", required=True)
    add_arguments(commands.add_parser("init", help="generate and store a VAPID key pair"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
