"""Runs moto's server, as moto_server does, with DynamoDB's calls one at a time.

Usage: python3 scripts/moto_server.py HOST PORT
       TANDA_MOTO_PROFILE=FILE python3 scripts/moto_server.py HOST PORT

DynamoDB applies a conditional write atomically: the condition and the write
are one step for the item. moto's server handles requests on threads and
checks a condition, then writes, without a lock, so two concurrent
conditional writes to one item can both succeed and one update is lost
(seen as a flaky TestTerminateRacingFinishEndsOnce on the AWS backend).
Tanda's store relies on DynamoDB's contract (docs/DYNAMODB.md), so the tests
serve DynamoDB's calls one at a time, which gives them that atomicity. Other
services keep moto's threads: SQS long polls must not block the rest.

With TANDA_MOTO_PROFILE set, the server also sums, by operation (with the
DynamoDB table's last name part and index, and the caller's access key id),
the calls and the thread CPU time moto spent on them, and writes the sums to
that file as JSON every 5 seconds ({"op": [calls, cpu seconds, wall seconds]}):
where moto's time goes in a run (docs/RELIABILITY.md, defect 4).
"""

import collections
import io
import json
import os
import re
import sys
import threading
import time
import urllib.parse

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class Profile:
    """Sums calls and CPU time by operation and writes them to a file."""

    def __init__(self, path):
        self.path = path
        self.sums = collections.defaultdict(lambda: [0, 0.0, 0.0])
        self.lock = threading.Lock()
        threading.Thread(target=self.write_every, args=(5,), daemon=True).start()

    def write_every(self, seconds):
        while True:
            time.sleep(seconds)
            with self.lock:
                sums = {op: list(v) for op, v in self.sums.items()}
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(sums, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)

    def add(self, op, cpu, wall):
        with self.lock:
            s = self.sums[op]
            s[0] += 1
            s[1] += cpu
            s[2] += wall


def operation(environ, body):
    """Names a call: its target or query action, DynamoDB's table and index, the caller's key."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    op = target
    if target.startswith("DynamoDB_"):
        try:
            req = json.loads(body)
            table = req.get("TableName") or ",".join(req.get("RequestItems", {}))
            op = " ".join(filter(None, [op, table.split("-")[-1], req.get("IndexName")]))
        except ValueError:
            pass
    if not op:
        op = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", ["?"])[0]
    key = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return op + " [" + (key.group(1) if key else "unsigned") + "]"


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()
    profile = Profile(os.environ["TANDA_MOTO_PROFILE"]) if os.environ.get("TANDA_MOTO_PROFILE") else None

    def dispatch(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # Consume the answer under the lock: the write happens as
                # the response is produced.
                return list(app(environ, start_response))
        return app(environ, start_response)

    def profiled(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        cpu, wall = time.thread_time(), time.time()
        try:
            return list(dispatch(environ, start_response))
        finally:
            profile.add(operation(environ, body), time.thread_time() - cpu, time.time() - wall)

    run_simple(host, port, profiled if profile else dispatch, threaded=True)


if __name__ == "__main__":
    main()
