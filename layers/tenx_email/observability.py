"""Logger, Tracer and Metrics shared by every function (configured by POWERTOOLS_* variables).

A neutral module: services may import it without importing anything from functions/."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer

# Powertools' own DEBUG lines quote each route's parsed body (recipients, variables, template
# content): keep them off whatever the function's log level (the service logs no bodies).
logging.getLogger("aws_lambda_powertools").setLevel(logging.INFO)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
