"""Logger and Metrics shared by every function (configured by POWERTOOLS_* variables).

A neutral module: services may import it without importing anything from functions/.

No Powertools Tracer: the X-Ray SDK it loads costs ~200 ms of every cold start and 16 MB of
layer (it pulls in its own botocore). Lambda's active tracing and API Gateway's tracing still
record every invocation's segment; the request id in every log line links them.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics

# Powertools' own DEBUG lines quote each route's parsed body (recipients, variables, template
# content): keep them off whatever the function's log level (the service logs no bodies).
logging.getLogger("aws_lambda_powertools").setLevel(logging.INFO)

logger = Logger()
metrics = Metrics()
