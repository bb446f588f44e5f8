"""Plain Python values to DynamoDB's typed attribute values and back (boto3's own serializers)."""

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attrs(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item (or key, or expression values) in the low-level client's typed form."""
    return {k: _serializer.serialize(v) for k, v in item.items()}


def from_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item as plain values (numbers come back as ``Decimal``)."""
    return {k: _deserializer.deserialize(v) for k, v in attrs.items()}
