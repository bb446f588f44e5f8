"""The objects the ``events/`` S3 files name, put in the local stack's bucket.

``events/s3-put.json`` and ``events/s3-put-update.json`` announce two versions of one
article, each by its S3 version id, as a versioned bucket's events do; IngestFunction
reads exactly that version. moto makes up its own version ids, so the stack stores
these two through moto's backend (it runs in the stack's process) under the ids the
events name, and without a notification: the stack's own pipeline leaves them alone,
and the events are what ingests them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stoppress_dev.template import PROJECT_ROOT

SAMPLES_DIR = PROJECT_ROOT / "samplecontent"


@dataclass(frozen=True)
class SampleObject:
    """One version of an object an event file names, and the sample file it holds."""

    key: str
    version_id: str
    sample: str

    @property
    def body(self) -> bytes:
        return Path(SAMPLES_DIR, self.sample).read_bytes()


# Oldest first: the last is the object's current version.
SAMPLE_OBJECTS = (
    SampleObject(
        key="articles/nato-resumes-contacts.txt",
        version_id="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        sample="nato-resumes-contacts.txt",
    ),
    SampleObject(
        key="articles/nato-resumes-contacts.txt",
        version_id="Wq9xGf0v1pN4.bZk7sRyLm2DcT8uHeJa",
        sample="nato-resumes-contacts-update.txt",
    ),
)


def seed_sample_objects(bucket: str) -> None:
    """Store ``SAMPLE_OBJECTS`` in ``bucket`` of this process's moto server."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for sample in SAMPLE_OBJECTS:
        stored = backend.put_object(bucket, sample.key, sample.body, disable_notification=True)
        # moto has no way to choose a version id through its API; its key keeps it here.
        stored._version_id = sample.version_id
