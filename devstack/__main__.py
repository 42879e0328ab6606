"""`python -m devstack` (`make dev`): the local stack in one process, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from devstack.environment import LocalEnvironment


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("devstack").setLevel(logging.INFO)
    # moto logs every request it serves (each SQS poll) through werkzeug's logger.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        env = LocalEnvironment.from_environ(os.environ)
    except ValueError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 2
    env.apply()

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    # Imported only now: Powertools and boto3 read the environment as the service loads.
    from devstack.fake_aws import PortInUse
    from devstack.stack import run

    try:
        run(env, stopping)
    except PortInUse as error:
        print(
            f"devstack: {error}; choose others with PORT=... (and MOTO_PORT=...)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
