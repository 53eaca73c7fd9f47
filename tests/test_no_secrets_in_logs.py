"""Credentials and the webhook URL never reach a log line, whatever happens: a start-up,
a kill, a failed kill, a failed Slack post, a malformed event, a failed unit."""
from __future__ import annotations

import boto3
from botocore.exceptions import ClientError
from chalice.test import Client

from app import app
from chalicelib import audit, runtime
from chalicelib import aws as aws_sessions
from chalicelib.sandbox import SlackSink
from kinds import KINDS

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
SESSION_TOKEN = "FwoGZXIvYXdzSESSIONTOKENSECRET"


def _refusing_deletes():
    def session():
        made = boto3.session.Session()

        def refuse(model, **kwargs):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, model.name)
        made.events.register("before-call.dynamodb.DeleteTable", refuse)
        return made
    return session


def test_nothing_secret_is_logged(aws, trail, monkeypatch, caplog):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    audit.create_table(boto3.client("dynamodb", "eu-central-1"), "monocyte-verdicts-prod")
    create_table, _ = KINDS["AWS::DynamoDB::Table"]
    with SlackSink(answers=[500] * 20) as sink:
        monkeypatch.setenv("MONOCYTE_SLACK_WEBHOOK_URL", sink.url)
        monkeypatch.delenv("MONOCYTE_SLACK_WEBHOOK_PARAMETER", raising=False)
        # INFO and up from every logger: what Lambda keeps. (botocore's own DEBUG
        # output signs requests in the clear; nothing here ever turns it on.)
        caplog.set_level("INFO")
        caplog.set_level("DEBUG", logger="monocyte")
        runtime.reset()
        with Client(app, stage_name="prod") as client:
            create_table(trail, "us-east-1")
            client.lambda_.invoke("reap", trail.events[-1])            # a kill
            monkeypatch.setattr(aws_sessions, "new_session", _refusing_deletes())
            runtime.reset()
            create_table(trail, "us-east-1")
            client.lambda_.invoke("reap", trail.events[-1])            # a failed kill
            client.lambda_.invoke("reap", {"detail": "not a record"})  # malformed
        runtime.reset()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert '"action": "killed"' in logged and '"action": "failed"' in logged
    assert "slack-failed" in logged
    for secret in (SECRET_KEY, SESSION_TOKEN, sink.url, "/services/T000"):
        assert secret not in logged
