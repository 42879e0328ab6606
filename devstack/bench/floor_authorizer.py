"""The least a token authorizer can import with this stack: PyJWT with its RSA keys (the
`cryptography` backend), Logger, Metrics and one pydantic model; no boto3 (the authorizer
calls no AWS API). See floor_route.py."""

from aws_lambda_powertools import Logger, Metrics
from jwt import PyJWK, PyJWKSet
from jwt.algorithms import RSAAlgorithm
from pydantic import BaseModel

logger, metrics = Logger(), Metrics()
KEYS = (PyJWK, PyJWKSet, RSAAlgorithm)


class Claims(BaseModel):
    sub: str
