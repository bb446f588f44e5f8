"""New versions off the table's stream: a stream record's NewImage back to a ``Version``."""

from collections.abc import Mapping
from typing import Any, Final

from stoppress.articles.items import version_from_item
from stoppress.articles.model import Audience, Version
from stoppress.aws.items import from_attrs
from stoppress.contracts.keys import VERSION_SK_PREFIX

_INSERT: Final = "INSERT"


def new_version(record: Mapping[str, Any]) -> Version | None:
    """The version a stream record inserted, if it is one to notify about; else None.

    That is a version with an audience, or one stored under an embargo: even a
    silent one can call the held push off or delay it. The event source's
    filter already drops everything else; checking again here keeps a filter
    mistake (or a hand-made event) from sending anything.
    """
    change = record.get("dynamodb") or {}
    sk = (change.get("Keys") or {}).get("sk", {}).get("S", "")
    image = change.get("NewImage")
    if record.get("eventName") != _INSERT or not sk.startswith(VERSION_SK_PREFIX):
        return None
    if not image:
        return None
    silent = image.get("audience", {}).get("S", Audience.NONE.value) == Audience.NONE
    if silent and "embargo_until" not in image:
        return None
    return version_from_item(from_attrs(image))
