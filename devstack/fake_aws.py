"""moto as AWS: the server, in this process, and the stack's resources inside it."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from devstack.environment import HOST, REGION, STAGE
from devstack.resources import (
    create_queue,
    create_table,
    create_token_keys,
    create_webhook_secrets_key,
)
from tenx_email import resources


class PortInUse(Exception):
    pass


def ensure_port_free(port: int) -> None:
    """Fail fast on a taken port: ThreadedMotoServer binds in its own thread and, when that
    fails, its start() waits forever."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise PortInUse(f"port {port} on {HOST} is taken ({error.strerror})") from error


def start_moto(port: int) -> ThreadedMotoServer:
    ensure_port_free(port)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


@dataclass(frozen=True)
class LocalQueue:
    spec: resources.QueueSpec
    url: str
    arn: str


def provision() -> dict[str, LocalQueue]:
    """Create what the CDK stack defines, from the same definitions; return the work queues
    by key."""
    create_table(boto3.client("dynamodb", region_name=REGION), resources.table_name(STAGE))
    create_token_keys(
        boto3.client("secretsmanager", region_name=REGION),
        resources.token_keys_secret_name(STAGE),
    )
    create_webhook_secrets_key(
        boto3.client("kms", region_name=REGION), resources.webhook_secrets_key_alias(STAGE)
    )
    sqs = boto3.client("sqs", region_name=REGION)
    queues = {}
    for spec in resources.QUEUES:
        url = create_queue(sqs, STAGE, spec).queue_url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queues[spec.key] = LocalQueue(spec=spec, url=url, arn=arn)
    # The stream consumers' on-failure destinations (a batch each gave up on, for replay).
    for stream_consumer in resources.STREAM_CONSUMERS:
        sqs.create_queue(QueueName=resources.stream_dead_letter_queue_name(STAGE, stream_consumer))
    boto3.client("scheduler", region_name=REGION).create_schedule_group(
        Name=resources.schedule_group_name(STAGE)
    )
    boto3.client("sesv2", region_name=REGION).create_configuration_set(
        ConfigurationSetName=resources.configuration_set_name(STAGE)
    )
    boto3.client("events", region_name=REGION).create_event_bus(
        Name=resources.event_bus_name(STAGE)
    )
    return queues
