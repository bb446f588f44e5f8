"""Logger, metrics and tracer shared by every layer of the package.

Powertools reads its service name and metrics namespace from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE); the defaults here keep
local runs and tests readable without them.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "stoppress"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=SERVICE, service=SERVICE)
tracer = Tracer(service=SERVICE)
