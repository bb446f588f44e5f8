"""Ingest: an S3 upload becomes (at most) one new article version.

``service.ingest_upload`` decides; ``articles_table`` and ``objects`` are its DynamoDB and
S3 adapters."""
