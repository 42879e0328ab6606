"""Starts the local stack's parts in dependency order and stops them in reverse."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Any

import boto3
from werkzeug.serving import WSGIRequestHandler, make_server

from devstack import seed, ses_tenants, state
from devstack.environment import ACCOUNT_ID, HOST, JWT_AUDIENCE, REGION, STAGE, LocalEnvironment
from devstack.fake_aws import LocalQueue, ensure_port_free, provision, start_moto
from devstack.gateway import ApiGateway
from devstack.idp import LocalIdentityProvider
from devstack.lambdas import LambdaRunner
from devstack.local_api import local_endpoints
from devstack.local_ses import LocalSes
from devstack.moto_retention import MotoRetention
from devstack.moto_transactions import CheapTransactionUndo
from devstack.pollers import CONSUMERS, SqsPoller
from devstack.scheduler import SchedulerEmulator
from devstack.ses_events import LocalSesEvents
from devstack.ses_rate import SesSendRate
from devstack.streams import StreamPoller, stream_arn
from tenx_email import resources
from tenx_email.adapters.table_stream import streams_client
from tenx_email.routes import PUBLIC_ROUTES, ROUTES
from tenx_email.services.outgoing import UNSUBSCRIBE_PATH

READY_TIMEOUT_SECONDS = 10

_log = logging.getLogger(__name__)


class _RequestLog(WSGIRequestHandler):
    """One line per API request, under our logger: werkzeug's own logger also carries moto's
    request lines (every SQS poll), so the stack keeps that one quiet."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        _log.info("%s %s -> %s", self.command, _loggable(self.path), code)


def _loggable(path: str) -> str:
    """The path, without an unsubscribe link's token (never logged) or a query string (page
    tokens, addresses)."""
    path = path.partition("?")[0]
    if path.startswith(UNSUBSCRIBE_PATH):
        return f"{UNSUBSCRIBE_PATH}<token>"
    return path


@contextmanager
def _serving(app: ApiGateway, port: int) -> Iterator[None]:
    server = make_server(HOST, port, app, threaded=True, request_handler=_RequestLog)
    thread = threading.Thread(target=server.serve_forever, name="gateway", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def _running(workers: list[Callable[[threading.Event], None]]) -> Iterator[None]:
    stop = threading.Event()
    # Daemon threads only as a backstop: they are always stopped and joined below.
    threads = [threading.Thread(target=work, args=(stop,), daemon=True) for work in workers]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _wait_until_answering(url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own http:// URL)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _workers(
    queues: dict[str, LocalQueue], lambdas: LambdaRunner, scheduler: SchedulerEmulator
) -> list[Callable[[threading.Event], None]]:
    sqs = boto3.client("sqs", region_name=REGION)
    workers: list[Callable[[threading.Event], None]] = [scheduler.run_until]
    for key, module in CONSUMERS.items():
        queue = queues[key]
        consumer = partial(
            lambdas.invoke, module, timeout_seconds=queue.spec.consumer_timeout_seconds
        )
        workers.append(SqsPoller(sqs, queue.spec, queue.url, queue.arn, consumer).run_until)
    table_stream = stream_arn(
        boto3.client("dynamodb", region_name=REGION), resources.table_name(STAGE)
    )
    readers: list[StreamPoller] = []
    for spec in resources.STREAM_CONSUMERS:
        consume = partial(lambdas.invoke, spec.module, timeout_seconds=spec.timeout_seconds)
        dead_letters = sqs.get_queue_url(
            QueueName=resources.stream_dead_letter_queue_name(STAGE, spec)
        )["QueueUrl"]
        poller = StreamPoller(
            streams_client(REGION), table_stream, spec, consume, partial(_give_up, dead_letters)
        )
        workers.append(poller.run_until)
        readers.append(poller)
    workers.append(MotoRetention(resources.table_name(STAGE), readers).run_until)
    return workers


def _give_up(dead_letters: str, record: dict[str, Any]) -> None:
    """A stream batch the consumer gave up on: its place in the stream, for replay."""
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=dead_letters, MessageBody=json.dumps(record)
    )


def _document(env: LocalEnvironment, idp: LocalIdentityProvider) -> dict[str, Any]:
    return {
        "apiBase": env.api_base,
        "handle": seed.HANDLE,
        "domain": seed.DOMAIN,
        "campaignId": seed.CAMPAIGN_ID,
        "tokens": {role: idp.mint(sub) for role, sub in seed.USERS.items()},
        "users": dict(seed.USERS),
        "jwt": {
            "issuer": idp.issuer,
            "audience": idp.audience,
            "jwksUrl": env.jwks_url,
            "devPrivateKeyPem": idp.private_key_pem(),
        },
        "aws": {
            "endpointUrl": env.aws_endpoint,
            "region": REGION,
            "tableName": env.table_name,
            "stage": STAGE,
        },
    }


def _queue_environment(queues: dict[str, LocalQueue]) -> dict[str, str]:
    trigger_jobs = resources.TRIGGER_JOBS_QUEUE
    sqs = boto3.client("sqs", region_name=REGION)
    dead_letter_url = sqs.get_queue_url(
        QueueName=resources.queue_name(STAGE, trigger_jobs, dead_letter=True)
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    return {
        "DELIVERY_QUEUE_URL": queues[resources.DELIVERY_QUEUE.key].url,
        "TRIGGER_JOBS_QUEUE_URL": queues[trigger_jobs.key].url,
        "WEBHOOK_QUEUE_URL": queues[resources.WEBHOOK_QUEUE.key].url,
        "TRIGGER_JOBS_QUEUE_ARN": queues[trigger_jobs.key].arn,
        "TRIGGER_JOBS_DLQ_ARN": dead_letter_arn,
        "SCHEDULE_GROUP_NAME": resources.schedule_group_name(STAGE),
        # moto's Scheduler stores the role and never assumes it.
        "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT_ID}:role/local-scheduler",
    }


def run(env: LocalEnvironment, stopping: threading.Event) -> None:
    """Run the stack until `stopping` is set; leave nothing running behind."""
    for port in (env.port, env.moto_port):
        ensure_port_free(port)
    # A file left by a killed run would point clients at a dead port and a forgotten key.
    env.state_path.unlink(missing_ok=True)
    with ExitStack() as running:
        running.callback(start_moto(env.moto_port).stop)
        transactions = CheapTransactionUndo()
        transactions.install()
        running.callback(transactions.uninstall)
        queues = provision()
        # As the deployed stack tells the functions where the queues and schedules are.
        os.environ.update(_queue_environment(queues))
        # Local only: what moto lacks of SES (identities that wait for DNS, sending events,
        # the requests the mail viewer shows, the send rate, tenants), stood in for at the
        # boto3 boundary before any SES client exists.
        tenants_file = env.state_path.with_name(ses_tenants.STATE_FILE)
        tenants_file.unlink(missing_ok=True)  # moto starts empty: so do its SES tenants
        local_ses = LocalSes(
            LocalSesEvents(boto3.client("sqs", region_name=REGION), queues["feedback"].url),
            rate=SesSendRate(env.ses_max_send_rate),
            tenants_file=tenants_file,
        )
        local_ses.install()
        running.callback(local_ses.uninstall)
        # The demo's domain is to be READY: its records are in DNS before it is attached.
        local_ses.dns.publish(seed.DOMAIN)
        seed.seed_demo()

        idp = LocalIdentityProvider(env.jwt_issuer, JWT_AUDIENCE)
        lambdas = LambdaRunner()
        scheduler = SchedulerEmulator(
            boto3.client("scheduler", region_name=REGION),
            boto3.client("sqs", region_name=REGION),
            resources.schedule_group_name(STAGE),
        )
        endpoints = local_endpoints(idp, scheduler, local_ses, env.api_base)
        gateway = ApiGateway(ROUTES, lambdas.invoke, endpoints, PUBLIC_ROUTES)
        running.enter_context(_serving(gateway, env.port))
        running.enter_context(_running(_workers(queues, lambdas, scheduler)))
        _wait_until_answering(env.jwks_url)

        document = _document(env, idp)
        state.write(env.state_path, document)
        running.callback(env.state_path.unlink, missing_ok=True)
        print(state.banner(document, env.state_path), flush=True)
        stopping.wait()
        _log.info("stopping")
