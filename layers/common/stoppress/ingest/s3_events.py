"""S3 event notification records, read as the uploads they announce."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from stoppress.articles.model import SourceObject


# S3 notification records are read as plain dicts: the few fields used here do not
# justify Powertools' data classes, whose package import costs every cold start.
def upload_from_record(record: Mapping[str, Any]) -> SourceObject:
    """The uploaded object an S3 event record names (keys arrive URL-encoded, '+' for spaces)."""
    s3 = record["s3"]
    obj = s3["object"]
    size = obj.get("size")
    return SourceObject(
        bucket=s3["bucket"]["name"],
        key=unquote_plus(obj["key"]),
        version_id=obj.get("versionId") or None,
        sequencer=obj.get("sequencer") or None,
        event_time=record["eventTime"],
        size=int(size) if size is not None else None,
    )
