"""Notify: a new version becomes push jobs on the queue, each enqueued once.

``service.notify_version`` plans (``planning``, ``payload``) and enqueues; ``job_ledger``
records which jobs are on the queue; ``stream`` reads versions from the table's stream."""
