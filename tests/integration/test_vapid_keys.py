"""VAPID keys: generated in the right formats, stored in SSM, read back with caching."""

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from stoppress.aws import vapid_keys
from stoppress.core.base64url import decode as decode_base64url
from stoppress.core.errors import NotFoundError
from stoppress_dev.vapid import (
    VapidKeysExistError,
    generate_vapid_keys,
    main,
    store_vapid_keys,
)

PRIVATE = "/stoppress/vapid/private-key"
PUBLIC = "/stoppress/vapid/public-key"


def public_of(private_b64: str) -> bytes:
    scalar = int.from_bytes(decode_base64url(private_b64), "big")
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def test_generated_keys_are_a_matching_p256_pair_in_unpadded_base64url() -> None:
    private_b64, public_b64 = generate_vapid_keys()
    assert "=" not in private_b64 + public_b64
    assert len(decode_base64url(private_b64)) == 32
    public_raw = decode_base64url(public_b64)
    assert len(public_raw) == 65
    assert public_raw[0] == 4
    assert public_of(private_b64) == public_raw
    assert generate_vapid_keys() != (private_b64, public_b64)


def test_store_writes_a_secure_private_key_and_a_plain_public_key(aws: None) -> None:
    public_b64 = store_vapid_keys(PRIVATE, PUBLIC)
    ssm = boto3.client("ssm")
    private = ssm.get_parameter(Name=PRIVATE, WithDecryption=True)["Parameter"]
    public = ssm.get_parameter(Name=PUBLIC)["Parameter"]
    assert private["Type"] == "SecureString"
    assert public["Type"] == "String"
    assert public["Value"] == public_b64
    assert public_of(private["Value"]) == decode_base64url(public_b64)


def test_init_twice_keeps_the_pair_unless_told_to_overwrite(aws: None) -> None:
    first = store_vapid_keys(PRIVATE, PUBLIC)
    assert store_vapid_keys(PRIVATE, PUBLIC) == first
    replaced = store_vapid_keys(PRIVATE, PUBLIC, overwrite=True)
    assert replaced != first
    private = boto3.client("ssm").get_parameter(Name=PRIVATE, WithDecryption=True)
    assert public_of(private["Parameter"]["Value"]) == decode_base64url(replaced)


def test_half_a_pair_is_not_silently_completed(aws: None) -> None:
    boto3.client("ssm").put_parameter(Name=PUBLIC, Value="Bstale", Type="String")
    with pytest.raises(VapidKeysExistError):
        store_vapid_keys(PRIVATE, PUBLIC)
    assert store_vapid_keys(PRIVATE, PUBLIC, overwrite=True) != "Bstale"


def test_cli_prints_only_the_public_key(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--private-parameter", PRIVATE, "--public-parameter", PUBLIC]) == 0
    out = capsys.readouterr().out.strip()
    private = boto3.client("ssm").get_parameter(Name=PRIVATE, WithDecryption=True)
    assert out == boto3.client("ssm").get_parameter(Name=PUBLIC)["Parameter"]["Value"]
    assert private["Parameter"]["Value"] not in out


def test_functions_read_the_keys_and_cache_them(aws: None) -> None:
    public_b64 = store_vapid_keys(PRIVATE, PUBLIC)
    private_b64 = boto3.client("ssm").get_parameter(Name=PRIVATE, WithDecryption=True)["Parameter"][
        "Value"
    ]
    assert vapid_keys.public_key(PUBLIC) == public_b64
    assert vapid_keys.private_key(PRIVATE) == private_b64

    # A warm function keeps serving what it read (max_age) instead of calling SSM each time.
    store_vapid_keys(PRIVATE, PUBLIC, overwrite=True)
    assert vapid_keys.public_key(PUBLIC) == public_b64
    assert vapid_keys.private_key(PRIVATE) == private_b64


def test_a_missing_parameter_is_a_typed_error(aws: None) -> None:
    with pytest.raises(NotFoundError, match="vapid init"):
        vapid_keys.public_key("/stoppress/vapid/nowhere")
