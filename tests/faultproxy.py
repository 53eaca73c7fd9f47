"""A fault-injecting HTTP proxy between boto3 and moto's server, for tests and bench.

Point ``AWS_ENDPOINT_URL`` at ``FaultProxy.url``: every request is forwarded to
moto unchanged, except that a fraction ``rate`` of them (drawn from a seeded
``random.Random``) get one of these faults instead:

- ``throttle``: the service's own throttling error, in its own wire format, with
  a code botocore's retry handler recognises (botocore/retries/standard.py,
  ThrottledRetryableChecker): EC2 ``RequestLimitExceeded`` (503, EC2's XML), query
  services ``Throttling`` (400, ErrorResponse XML), JSON services
  ``ThrottlingException`` (400, ``__type``), REST-JSON ``TooManyRequestsException``
  (429, ``x-amzn-ErrorType``), S3 ``SlowDown`` (503, S3's XML);
- ``error``: HTTP 500 ``InternalError`` (``InternalFailure`` for query/JSON
  services), in the same formats; botocore retries any 500;
- ``drop``: the connection closed without an answer, the request never forwarded;
- ``lost``: the request forwarded (moto did it), then the connection closed without
  the answer: the caller must retry something that already happened;
- ``slow``: forwarded after ``delay`` seconds; the answer is the real one.

It counts what it injected by kind (``injected``), the requests it saw and those it
forwarded, and, from botocore's ``amz-sdk-invocation-id`` / ``amz-sdk-request``
headers (the same id on every attempt of one call), the attempts of each call.

The fault sequence is fixed by the seed; which request gets which fault also
depends on the order concurrent requests arrive in (one scan worker makes it fixed).
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import http.client
import http.server
import itertools
import json
import random
import re
import threading
import time
import urllib.parse
import uuid
from typing import Callable

KINDS = ("throttle", "error", "drop", "lost", "slow")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
        "proxy-connection", "te", "trailer", "upgrade"}


@dataclasses.dataclass
class Request:
    method: str
    path: str
    service: str      # the signing name: ec2, s3, dynamodb, sqs, sts...
    region: str
    protocol: str     # ec2, query, json, rest-json, rest-xml
    operation: str    # DeleteTable, TerminateInstances, or "POST /bucket?delete" for REST
    invocation: str   # botocore's amz-sdk-invocation-id: the same on every attempt
    attempt: int      # from amz-sdk-request; 1 when absent
    max_attempts: int | None
    body: bytes = dataclasses.field(default=b"", repr=False)


def _protocol(service: str, headers, body: bytes) -> str:
    if headers.get("X-Amz-Target"):
        return "json"
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return "ec2" if service == "ec2" else "query"
    return "rest-xml" if service == "s3" else "rest-json"


def _operation(method: str, path: str, protocol: str, headers, body: bytes) -> str:
    if protocol == "json":
        return headers["X-Amz-Target"].rsplit(".", 1)[-1]
    if protocol in ("ec2", "query"):
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    split = urllib.parse.urlsplit(path)
    keys = sorted(k for k, _ in urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    return f"{method} {split.path}" + (f"?{'&'.join(keys)}" if keys else "")


def error_answer(request: Request, kind: str) -> tuple[int, dict, bytes]:
    """The status, headers and body AWS would send for a throttle or an internal
    error, in the request's protocol."""
    rid = str(uuid.uuid4())
    throttle = kind == "throttle"
    if request.protocol == "ec2":
        code, status = ("RequestLimitExceeded", 503) if throttle else ("InternalError", 500)
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                f"<Code>{code}</Code><Message>Request limit exceeded.</Message></Error>"
                f"</Errors><RequestID>{rid}</RequestID></Response>")
        return status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode()
    if request.protocol == "query":
        code, status = ("Throttling", 400) if throttle else ("InternalFailure", 500)
        body = (f"<ErrorResponse xmlns=\"https://{request.service}.amazonaws.com/doc/\">"
                f"<Error><Type>{'Sender' if throttle else 'Receiver'}</Type><Code>{code}"
                f"</Code><Message>Rate exceeded</Message></Error><RequestId>{rid}"
                f"</RequestId></ErrorResponse>")
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body.encode()
    if request.protocol == "json":
        code, status = ("ThrottlingException", 400) if throttle else ("InternalFailure", 500)
        body = json.dumps({"__type": f"com.amazonaws.{request.service}#{code}",
                           "message": "Rate exceeded"})
        return status, {"Content-Type": "application/x-amz-json-1.0",
                        "x-amzn-RequestId": rid}, body.encode()
    if request.protocol == "rest-xml":
        code, status = ("SlowDown", 503) if throttle else ("InternalError", 500)
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                f"<Message>Please reduce your request rate.</Message>"
                f"<RequestId>{rid}</RequestId></Error>")
        return status, {"Content-Type": "application/xml", "x-amz-request-id": rid}, \
            body.encode()
    code, status = ("TooManyRequestsException", 429) if throttle else ("InternalFailure", 500)
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code,
                    "x-amzn-RequestId": rid}, json.dumps({"message": "Rate exceeded"}).encode()


class FaultProxy:
    """``with FaultProxy(moto_url, rate=0.2, seed=7) as proxy: ... proxy.url``.

    ``weights`` chooses among KINDS (default: all equally); ``services`` limits the
    faults to some signing names (default: all); ``on_forwarded(request)`` is
    called after moto answered a forwarded request and before the answer goes back:
    returning True drops the answer (the test's way to kill a caller mid-call).
    ``rate``, ``weights`` and ``services`` may be changed while it runs.
    """

    def __init__(self, upstream: str, rate: float = 0.0, seed: int = 0,
                 weights: dict[str, float] | None = None, delay: float = 0.2,
                 services: set[str] | None = None,
                 on_forwarded: Callable[[Request], bool] | None = None) -> None:
        split = urllib.parse.urlsplit(upstream)
        self.upstream = (split.hostname, split.port)
        self.rate, self.delay, self.services = rate, delay, services
        self.weights = dict(weights or {k: 1.0 for k in KINDS})
        self.on_forwarded = on_forwarded
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.reset()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects

            def do_any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_any  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Forget every count (the seeded sequence goes on)."""
        with self._lock:
            self.injected: collections.Counter = collections.Counter()
            self.injected_by_service: collections.Counter = collections.Counter()
            self.requests = 0
            self.forwarded = 0
            self.attempts: collections.Counter = collections.Counter()  # invocation -> seen
            self.max_header: set[int] = set()  # the max= values botocore announced
            self.retries = 0  # requests whose amz-sdk-request says attempt > 1
            self.log: list[tuple[Request, str]] = []  # every request and what it got

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the figures -------------------------------------------------------------
    @property
    def most_attempts(self) -> int:
        """The most attempts the proxy saw for one call (one invocation id)."""
        with self._lock:
            return max(self.attempts.values(), default=0)

    def figures(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "forwarded": self.forwarded,
                    "retries": self.retries, "injected": dict(self.injected),
                    "calls": len(self.attempts),
                    "most_attempts": max(self.attempts.values(), default=0)}

    # -- the work ----------------------------------------------------------------
    def _choose(self, request: Request) -> str:
        with self._lock:
            self.requests += 1
            self.attempts[request.invocation] += 1
            self.retries += request.attempt > 1
            if request.max_attempts:
                self.max_header.add(request.max_attempts)
            draw, pick = self._random.random(), self._random.random()
            if self.services is not None and request.service not in self.services:
                kind = "none"
            elif draw >= self.rate:
                kind = "none"
            else:
                names = [k for k, w in self.weights.items() if w > 0]
                edges = list(itertools.accumulate(self.weights[k] for k in names))
                kind = names[min(bisect.bisect(edges, pick * edges[-1]), len(names) - 1)]
            if kind != "none":
                self.injected[kind] += 1
                self.injected_by_service[(request.service, kind)] += 1
            self.log.append((request, kind))
            return kind

    @staticmethod
    def _read_body(handler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _handle(self, handler) -> None:
        body = self._read_body(handler)
        headers = handler.headers
        scope = _SCOPE.search(headers.get("Authorization", ""))
        region, service = scope.groups() if scope else ("", "")
        protocol = _protocol(service, headers, body)
        sdk = dict(part.strip().split("=", 1) for part in
                   headers.get("amz-sdk-request", "").split(";") if "=" in part)
        request = Request(
            handler.command, handler.path, service, region, protocol,
            _operation(handler.command, handler.path, protocol, headers, body),
            headers.get("amz-sdk-invocation-id") or str(uuid.uuid4()),
            int(sdk.get("attempt", 1)), int(sdk["max"]) if "max" in sdk else None, body)
        kind = self._choose(request)
        if kind == "drop":
            handler.close_connection = True
            return
        if kind in ("throttle", "error"):
            self._answer(handler, *error_answer(request, kind))
            return
        if kind == "slow":
            time.sleep(self.delay)
        status, reason, answer_headers, answer = self._forward(handler, body)
        with self._lock:
            self.forwarded += 1
        dropped = kind == "lost"
        if self.on_forwarded and self.on_forwarded(request):
            dropped = True
        if dropped:
            handler.close_connection = True
            return
        self._answer(handler, status, answer_headers, answer, reason)

    def _forward(self, handler, body: bytes) -> tuple[int, str, dict, bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
            if body or handler.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP}
            if handler.command == "HEAD" and response.getheader("Content-Length"):
                kept["Content-Length"] = response.getheader("Content-Length")
            return response.status, response.reason, kept, answer
        finally:
            connection.close()

    @staticmethod
    def _answer(handler, status: int, headers: dict, body: bytes, reason: str = "") -> None:
        handler.send_response(status, reason or None)
        for key, value in headers.items():
            handler.send_header(key, value)
        if "Content-Length" not in headers:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
