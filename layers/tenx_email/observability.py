"""Logger, Tracer and Metrics shared by every function (configured by POWERTOOLS_* variables).

A neutral module: services may import it without importing anything from functions/."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
