"""Reading uploaded article files from S3, one exact object version at a time."""

from typing import Any, Final

from botocore.exceptions import ClientError

from stoppress.aws import clients
from stoppress.aws.errors import error_code, translated
from stoppress.core.errors import ArticleParseError, NotFoundError
from stoppress.ingest.service import StoredObject

_MISSING_CODES: Final = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchBucket", "404"})


class ObjectTooLargeError(ArticleParseError):
    """The file is larger than any article could be: a permanent rejection, not a retry."""


class ObjectStore:
    """Reads S3 objects by key and version id, refusing anything over a size limit."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or clients.s3()

    def read(
        self, bucket: str, key: str, *, version_id: str | None = None, max_bytes: int
    ) -> StoredObject:
        """The object's bytes (the given version, else the current one).

        Raises ``NotFoundError`` when it is gone, ``ObjectTooLargeError`` above
        ``max_bytes`` (without downloading it), ``TransientError`` for
        throttling, 5xx and network failures.
        """
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        with translated(f"get_object s3://{bucket}/{key}"):
            try:
                response = self.client.get_object(**kwargs)
                size = int(response["ContentLength"])
                body = response["Body"]
                if size > max_bytes:
                    body.close()
                    raise ObjectTooLargeError(
                        f"file is {size} bytes; articles are at most {max_bytes} bytes"
                    )
                data = body.read()
            except ClientError as e:
                code = error_code(e)
                if code in _MISSING_CODES:
                    raise NotFoundError(
                        f"s3://{bucket}/{key} ({version_id or 'latest'}): {code}"
                    ) from e
                raise
        return StoredObject(data=data, version_id=response.get("VersionId"), size=size)
