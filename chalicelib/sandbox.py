"""The local stand-ins behind ``monocyte demo`` and the tests: moto's server on
127.0.0.1, and a trail emulator that turns boto3 calls into the events CloudTrail
would deliver to EventBridge.

Nothing here runs in Lambda; moto is imported only when a server is started.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import socket
import uuid
from typing import Any, Iterator

DEMO_ACCOUNT = "123456789012"  # moto's default account
DEMO_USER = f"arn:aws:iam::{DEMO_ACCOUNT}:user/dev-team"
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SESSION_TOKEN": "testing"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's server on a free 127.0.0.1 port and point boto3 at it.

    Sets ``AWS_ENDPOINT_URL`` and fake credentials for the duration, so every client
    made inside, ours included, talks to the emulator and never to AWS.
    """
    import logging

    from moto.server import ThreadedMotoServer

    from chalicelib import moto_fixes

    moto_fixes.apply()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in [*_FAKE_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(_FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    try:
        with cloud_control(url):
            yield url
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def cloud_control(moto_url: str) -> Iterator[str]:
    """Issue 12: the Cloud Control stand-in over this moto server (moto has no Cloud
    Control), so generic types die in the sandbox as in AWS."""
    from chalicelib.generic import standin

    with standin.serving(moto_url) as url:
        yield url


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _plain(value: Any, ec2: bool) -> Any:
    """A botocore value in CloudTrail's spelling: lowerCamel keys; EC2's lists are
    ``fooSet: {items: [...]}`` as its query protocol has them."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            name = _lower_first(key)
            if ec2 and isinstance(item, list):
                name = name if name.endswith("Set") else name + "Set"
                out[name] = {"items": [_plain(i, ec2) for i in item]}
            else:
                out[name] = _plain(item, ec2)
        return out
    if isinstance(value, list):
        return [_plain(i, ec2) for i in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return None  # CloudTrail does not log payloads
    return value


def _s3_shape(operation: str, params: dict, region: str) -> tuple[dict, dict | None]:
    # S3 logs the bucket and host, keeps the XML element names of the body, and has
    # no response elements for CreateBucket.
    request = {"bucketName": params.get("Bucket"),
               "Host": f"{params.get('Bucket')}.s3.{region}.amazonaws.com"}
    if "CreateBucketConfiguration" in params:
        request["CreateBucketConfiguration"] = {
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            **params["CreateBucketConfiguration"]}
    return request, None


def cloudtrail_event(client: Any, operation: str, params: dict, response: dict | None,
                     error_code: str | None = None, account: str = DEMO_ACCOUNT,
                     user_arn: str = DEMO_USER) -> dict:
    """The EventBridge event CloudTrail delivers for one API call made with ``client``."""
    model = client.meta.service_model
    # CloudTrail's eventSource: the endpoint prefix, or the signing name where they
    # differ (SageMaker's endpoint is api.sagemaker, its events sagemaker).
    prefix = model.signing_name or model.endpoint_prefix
    region = client.meta.region_name
    if prefix == "s3":
        request, answer = _s3_shape(operation, params, region)
        # Real records log a constrained CreateBucket in the constraint's region.
        region = params.get("CreateBucketConfiguration", {}).get("LocationConstraint") or region
    else:
        request = _plain(params, prefix == "ec2")
        answer = None if response is None else _plain(response, prefix == "ec2")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEVTEAM",
                         "arn": user_arn, "accountId": account, "userName": "dev-team"},
        "eventTime": now,
        "eventSource": f"{prefix}.amazonaws.com",
        "eventName": operation,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "monocyte-sandbox",
        "requestParameters": request,
        "responseElements": answer,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": operation.startswith(("Describe", "Get", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error_code:
        detail["errorCode"] = error_code
        detail["errorMessage"] = f"{operation} failed"
        detail["responseElements"] = None
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
            "source": f"aws.{prefix}", "account": account, "time": now, "region": region,
            "resources": [], "detail": detail}


class Trail:
    """Makes boto3 calls the way a team would, and keeps the events CloudTrail would
    have delivered for them, in order."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def call(self, client: Any, method: str, **params: Any) -> dict:
        response = getattr(client, method)(**params)
        operation = client.meta.method_to_api_mapping[method]
        self.events.append(cloudtrail_event(client, operation, params, response))
        return response


class CallLog:
    """Counts the AWS API calls made through sessions it has seen: give
    ``CallLog().session`` to :class:`chalicelib.aws.Clients` as its session factory."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def session(self):
        import boto3

        session = boto3.session.Session()
        session.events.register("before-call.*.*", self._record)
        return session

    def _record(self, model, context=None, **kwargs) -> None:
        service = model.service_model
        region = (context or {}).get("client_region", "")
        self.calls.append((service.signing_name or service.endpoint_prefix, model.name, region))


class SlackSink:
    """A Slack-compatible incoming webhook on 127.0.0.1 that keeps what it receives.

    ``answers`` scripts the status codes of the next posts (429 comes with a
    Retry-After of one second, as Slack sends it); after them every post gets 200.
    """

    def __init__(self, answers: list[int] | None = None) -> None:
        import http.server
        import json
        import threading

        self.messages: list[dict] = []
        self.answers = list(answers or [])
        self.posts = 0
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.posts += 1
                status = sink.answers.pop(0) if sink.answers else 200
                if status == 200:
                    sink.messages.append(json.loads(body))
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/XXXX"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "SlackSink":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
