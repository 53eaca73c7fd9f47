"""A service that a region (or the endpoint, an emulator) does not offer has nothing
to find: the unit is "not offered here", one line, not a failure; a real failure
(a refused connection, an XML 500) is still FAILED."""
from __future__ import annotations

import dataclasses
import socket

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from urllib3.exceptions import NameResolutionError

from chalicelib import aws, cli, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings

QUEUES = "AWS::SQS::Queue"
NOTEBOOKS = "AWS::SageMaker::NotebookInstance"


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def _answer(status: int, content_type: str, body: bytes):
    def send(request, **_):
        return AWSResponse(request.url, status, {"content-type": content_type}, _Raw(body))
    return send


def _no_host(request, **_):
    cause = NameResolutionError("lightsail.ap-east-1.amazonaws.com", None,
                                socket.gaierror(-2, "Name or service not known"))
    raise EndpointConnectionError(endpoint_url=request.url, error=cause)


def _refused(request, **_):
    raise EndpointConnectionError(endpoint_url=request.url,
                                  error=ConnectionRefusedError(111, "Connection refused"))


def _scan(send, *types: str) -> scan.Report:
    """Run the units of ``types`` in us-east-1 with every request answered by ``send``."""
    def session():
        made = aws.new_session(aws_access_key_id="k", aws_secret_access_key="s",
                               region_name="us-east-1")
        made.events.register("before-send", send)
        return made

    settings = dataclasses.replace(Settings(dry_run=True), max_attempts=1)
    units = [scan.Unit(None, "us-east-1", t) for t in types]
    return scan.run_units(units, {"us-east-1"}, settings, Clients(settings, session),
                          scan.Report())


HTML_500 = b"<!doctype html>\n<title>500 Internal Server Error</title>\n<h1>Internal</h1>"


@pytest.mark.parametrize("send", [_no_host, _answer(500, "text/html; charset=utf-8",
                                                    HTML_500)],
                         ids=["no-such-endpoint", "emulator-html-500"])
def test_a_service_not_offered_is_not_a_failure(send):
    report = _scan(send, QUEUES, NOTEBOOKS)
    assert report.ok and not report.failures and not report.outcomes
    assert sorted(u.type for u in report.not_offered) == sorted([QUEUES, NOTEBOOKS])
    lines = cli._not_offered_lines(report)
    assert sorted(lines) == [f"not offered here: {QUEUES} in us-east-1",
                             f"not offered here: {NOTEBOOKS} in us-east-1"]
    assert not any("html" in line.lower() for line in lines)


def test_unknown_endpoint_code_is_not_offered():
    body = (b'{"__type": "UnknownEndpoint", "message": "Inaccessible host"}')
    report = _scan(_answer(400, "application/x-amz-json-1.1", body), NOTEBOOKS)
    assert report.ok and report.not_offered == [scan.Unit(None, "us-east-1", NOTEBOOKS)]


@pytest.mark.parametrize("send", [
    _refused,
    _answer(500, "application/x-amz-json-1.1",
            b'{"__type": "InternalFailure", "message": "try later"}'),
], ids=["connection-refused", "json-500"])
def test_a_real_failure_is_still_failed(send):
    report = _scan(send, NOTEBOOKS)
    assert not report.ok and not report.not_offered
    assert [f.unit.type for f in report.failures] == [NOTEBOOKS]
