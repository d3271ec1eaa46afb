"""Runs moto's server, as moto_server does, with DynamoDB's calls one at a time.

Usage: python3 scripts/moto_server.py HOST PORT

DynamoDB applies a conditional write atomically: the condition and the write
are one step for the item. moto's server handles requests on threads and
checks a condition, then writes, without a lock, so two concurrent
conditional writes to one item can both succeed and one update is lost
(seen as a flaky TestTerminateRacingFinishEndsOnce on the AWS backend).
Tanda's store relies on DynamoDB's contract (docs/DYNAMODB.md), so the tests
serve DynamoDB's calls one at a time, which gives them that atomicity. Other
services keep moto's threads: SQS long polls must not block the rest.
"""

import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def serve(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # Consume the answer under the lock: the write happens as
                # the response is produced.
                return list(app(environ, start_response))
        return app(environ, start_response)

    run_simple(host, port, serve, threaded=True)


if __name__ == "__main__":
    main()
