"""AWS plumbing shared by the stages: cached clients, which errors are retried, the push
job queue (SQS) and the VAPID key parameters (SSM)."""
