"""Send: one push job becomes encrypted Web Push requests, every answer accounted for.

``service.send_job`` sends: ``job_run`` is one pass over the recipients,
``retries`` says when to try again, ``model`` holds the ports and terms, and
``parallel`` splits a job across processes. ``claims``, ``delivery_stats`` and
``push_http`` are its DynamoDB and HTTP adapters; ``runtime`` holds what warm
invocations reuse.
"""
