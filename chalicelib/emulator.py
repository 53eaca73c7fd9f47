"""``monocyte sandbox``: the corrected emulator as a standalone server, in the foreground.

It is the one the demo and the tests use (moto with chalicelib/moto_fixes.py), on
127.0.0.1 with fake credentials, so ``monocyte scan --endpoint-url`` has something
honest to talk to. Nothing here runs in Lambda.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

from chalicelib.sandbox import _FAKE_CREDENTIALS

# What is made ready before the server answers: each corrects or adds to the emulator
# in this process. Another backend (a stand-in moto lacks) is one more line here.
def _moto_corrections() -> None:
    from chalicelib import moto_fixes

    moto_fixes.apply()


BACKENDS: list[Callable[[], None]] = [
    _moto_corrections,
]

# The small estate of --seed: (service, region, what); EU and non-EU side by side.
SEED_REGIONS = ("eu-central-1", "us-east-1", "ap-southeast-1")


def exports(url: str) -> list[str]:
    lines = [f"export AWS_ENDPOINT_URL={url}"]
    lines += [f"export {key}={value}" for key, value in _FAKE_CREDENTIALS.items()]
    lines.append("export AWS_DEFAULT_REGION=eu-central-1")
    return lines


class _Server:
    """moto's WSGI app behind the stand-ins, bound in the caller's thread so a port in
    use is an OSError here rather than a thread that never starts."""

    def __init__(self, port: int) -> None:
        from werkzeug.serving import make_server
        from moto.moto_server.werkzeug_app import (DomainDispatcherApplication,
                                                   MotoRequestHandler, create_backend_app)

        app = _with_stand_ins(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", port, app, True,
                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

        from chalicelib.generic import standin

        saved = os.environ.get("AWS_ENDPOINT_URL_CLOUDCONTROL")
        self._cloud_control = standin.serving(f"http://127.0.0.1:{self._server.server_port}")
        CLOUD_CONTROL["url"] = self._cloud_control.__enter__()
        # serving() points this process's clients at the stand-in; ours go through moto.
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL_CLOUDCONTROL", None)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        CLOUD_CONTROL["url"] = ""
        self._cloud_control.__exit__(None, None, None)


def _lightsail_empty(target: str) -> tuple[int, dict] | None:
    # moto has no Lightsail: every call was a raw HTML 500. A fresh account has no
    # instances, which is what AWS answers; anything else is not emulated, said so.
    if not target.startswith("Lightsail_20161128."):
        return None
    if target.endswith(".GetInstances"):
        return 200, {"instances": []}
    return 400, {"__type": "UnknownOperationException",
                 "message": f"{target} is not emulated by the Monocyte sandbox"}


# Services moto lacks, answered by X-Amz-Target (JSON protocol): each takes the
# target and answers (status, body) or None. One more stand-in is one more line.
STAND_INS: list[Callable[[str], "tuple[int, dict] | None"]] = [
    _lightsail_empty,
]


# Where Cloud Control's calls are passed on (issue 12's stand-in over this very moto
# server, started with it): a user's AWS_ENDPOINT_URL then reaches every service.
CLOUD_CONTROL = {"url": ""}


def _pass_to_cloud_control(environ, start_response):
    import urllib.error
    import urllib.request

    length = int(environ.get("CONTENT_LENGTH") or 0)
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
               if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONTENT_LENGTH")}
    headers["Content-Type"] = environ.get("CONTENT_TYPE", "application/x-amz-json-1.0")
    request = urllib.request.Request(CLOUD_CONTROL["url"] + "/", method="POST",
                                     data=environ["wsgi.input"].read(length), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, body, kind = answer.status, answer.read(), answer.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers["Content-Type"]
    start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                   [("Content-Type", kind or "application/x-amz-json-1.0"),
                    ("Content-Length", str(len(body)))])
    return [body]


def _with_stand_ins(app):
    import json

    def wsgi(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("CloudApiService.") and CLOUD_CONTROL["url"]:
            return _pass_to_cloud_control(environ, start_response)
        for stand_in in STAND_INS if target else ():
            answer = stand_in(target)
            if answer:
                status, body = answer
                data = json.dumps(body).encode()
                start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}",
                               [("Content-Type", "application/x-amz-json-1.1"),
                                ("Content-Length", str(len(data)))])
                return [data]
        return app(environ, start_response)

    return wsgi


def start(port: int) -> _Server:
    """The started server on 127.0.0.1:port (OSError when it cannot listen)."""
    import logging

    for prepare in BACKENDS:
        prepare()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return _Server(port)


def seed(url: str) -> list[str]:
    """Create a small mixed estate; returns one line per resource made."""
    import boto3

    made = []
    for region in SEED_REGIONS:
        kwargs = dict(region_name=region, endpoint_url=url,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
        s3 = boto3.client("s3", **kwargs)
        bucket = f"sandbox-{region}"
        config = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **config)
        made.append(f"AWS::S3::Bucket {bucket} ({region})")
        queue = f"sandbox-queue-{region}"
        boto3.client("sqs", **kwargs).create_queue(QueueName=queue)
        made.append(f"AWS::SQS::Queue {queue} ({region})")
    return made


def _cannot_listen(port: int) -> str | None:
    # werkzeug prints a paragraph and exits 1 on a port in use; one line, exit 2, here.
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def serve(port: int = 5000, seed_estate: bool = False) -> int:
    """Run until SIGINT or SIGTERM; exit 0 when stopped so."""
    problem = _cannot_listen(port)
    if problem:
        print(f"monocyte: cannot listen on 127.0.0.1:{port}: {problem}", file=sys.stderr)
        return 2
    server = start(port)
    url = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if seed_estate:
            for line in seed(url):
                print(f"seeded {line}")
        print(f"Monocyte sandbox on {url} (fake credentials; Ctrl-C stops it). In another shell:")
        for line in exports(url):
            print(line)
        print(f"monocyte scan --endpoint-url {url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("sandbox stopped", flush=True)
    return 0
