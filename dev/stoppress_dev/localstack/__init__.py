"""The whole pipeline on one machine: moto for AWS, the handlers wired as Lambda would wire them.

``LocalStack`` starts a moto server on loopback, points this process's AWS
clients at it (``AWS_ENDPOINT_URL``), creates what ``template.yaml`` declares
(table with stream and TTL, versioned bucket, push-jobs queue with its
dead-letter queue, VAPID keys in SSM) and runs the event sources in background
threads:

- S3 ``ObjectCreated`` under ``articles/`` -> an SQS queue (moto cannot invoke
  Lambdas) -> ``functions.ingest.app.lambda_handler`` with the S3 event;
- the table's stream -> each stream event source's filter read from the template
  (NotifyFunction ``VersionStream``, AudienceFunction ``MembershipStream``) -> that
  function's ``lambda_handler`` with Lambda-shaped records;
- the push-jobs queue -> ``functions.send.app.lambda_handler`` with Lambda-shaped
  SQS batches; ``batchItemFailures`` stay in the queue and reappear after the
  visibility timeout, the rest are deleted.

It also serves the HTTP API (API Gateway HTTP API v2 events into
``functions.subscribe.app.lambda_handler``) and ``web/`` with the demo article
page. Each pipeline step is logged on one line, and reported to ``on_step``.

    with LocalStack() as stack:          # or stack = LocalStack(); state = stack.start()
        boto3.client("s3").put_object(Bucket=stack.state.bucket, Key="articles/a.txt", Body=...)
        stack.wait_idle()

Only this process sees the endpoint; other processes use the state file.

Modules, one per job: ``resources`` (what the template declares, made locally),
``handlers`` (invoking a function as Lambda does), ``uploads``, ``stream`` and
``push_jobs`` (the three event sources, on the shared ``sources``), ``items``
and ``progress`` (reading the table back, pipeline steps, waiting for idle),
``lifecycle`` (``LocalStack`` itself and the state file), ``ttl`` (the table's TTL,
which moto lacks: expired items are deleted every few seconds, or at
``stack.expire_items(at=...)``).
"""

from stoppress_dev.localstack.lifecycle import (
    LocalStack,
    StackState,
    running_stack,
    write_state_file,
)
from stoppress_dev.localstack.progress import PipelineStep
from stoppress_dev.template import PROJECT_ROOT

__all__ = [
    "PROJECT_ROOT",
    "LocalStack",
    "PipelineStep",
    "StackState",
    "running_stack",
    "write_state_file",
]
