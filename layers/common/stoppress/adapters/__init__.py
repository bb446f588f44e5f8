"""Adapters: the only code that talks to AWS (DynamoDB, S3, SQS, SSM) or the network."""
