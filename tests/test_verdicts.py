"""Every kill recorded, then posted to Slack: a local HTTP server stands in for
Slack, moto for DynamoDB and SSM."""
from __future__ import annotations

import dataclasses
import datetime
import json

import boto3
import pytest

from chalicelib import aws, audit, cli, notify, reaper, scan, verdicts
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.sandbox import CallLog, SlackSink
from kinds import KINDS

TABLE = "monocyte-verdicts-test"
HOME = "eu-central-1"


@pytest.fixture
def table(aws):
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)
    return TABLE


def recorded() -> list[dict]:
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    return audit.VerdictLog(boto3.client("dynamodb", HOME), TABLE).recent(since)


def settings_for(sink_url: str | None, **more) -> Settings:
    return Settings(dry_run=False, audit_table=TABLE, slack_webhook_url=sink_url,
                    account_names=(("123456789012", "team-sandbox"),), **more)


def reap_last(trail, settings):
    clients = Clients(settings)
    return reaper.reap(trail.events[-1], settings, clients, verdicts.build(settings, clients))


def test_each_kill_posts_one_message_with_the_facts(table, trail):
    with SlackSink() as sink:
        settings = settings_for(sink.url)
        name = KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1", protect=True)
        [outcome] = reap_last(trail, settings)
        [again] = reap_last(trail, settings)  # redelivered
    assert (outcome.action, again.action) == (reaper.KILLED, reaper.GONE)
    [message] = sink.messages
    shown = notify.render_text(message)
    for fact in ("Killed: AWS::DynamoDB::Table", name, "us-east-1",
                 "123456789012 (team-sandbox)", "arn:aws:iam::123456789012:user/dev-team",
                 "deletion protection disabled", "Lived: "):
        assert fact in shown, fact
    assert "{" not in shown  # no raw JSON on a phone
    [record] = recorded()
    assert (record["action"], record["id"], record["type"]) == ("killed", name,
                                                                "AWS::DynamoDB::Table")


def test_an_eu_resource_is_neither_recorded_nor_posted(table, trail):
    with SlackSink() as sink:
        KINDS["AWS::DynamoDB::Table"][0](trail, HOME)
        [outcome] = reap_last(trail, settings_for(sink.url))
    assert outcome.action == reaper.SPARED
    assert sink.posts == 0 and recorded() == []


def test_dry_run_is_marked_would_kill(table, trail):
    with SlackSink() as sink:
        KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1")
        reap_last(trail, dataclasses.replace(settings_for(sink.url), dry_run=True))
    [message] = sink.messages
    assert message["blocks"][0]["text"]["text"].startswith("Would kill (dry run)")
    assert [r["action"] for r in recorded()] == ["would-kill"]


def test_rate_limited_then_accepted_is_delivered_once(table, trail):
    with SlackSink(answers=[429]) as sink:
        KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1")
        reap_last(trail, settings_for(sink.url))
    assert sink.posts == 2 and len(sink.messages) == 1


def test_slack_down_keeps_the_kill_and_the_record_and_never_logs_the_url(table, trail,
                                                                        caplog):
    with SlackSink() as sink:
        url = sink.url
    # The sink is closed now: nothing listens at the URL.
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "us-east-1")
    with caplog.at_level("INFO"):
        [outcome] = reap_last(trail, settings_for(url))
    assert outcome.action == reaper.KILLED and not exists("us-east-1", name)
    assert [r["id"] for r in recorded()] == [name]
    failures = [json.loads(r.getMessage()) for r in caplog.records
                if r.name == "monocyte" and "slack-failed" in r.getMessage()]
    assert len(failures) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert url not in logged and "/services/" not in logged


def test_the_webhook_url_comes_from_a_secure_parameter_read_once(table, trail):
    with SlackSink() as sink:
        boto3.client("ssm", HOME).put_parameter(
            Name="/monocyte/slack-webhook", Value=sink.url.replace("http://", "https://"),
            Type="SecureString")
        calls = CallLog()
        settings = Settings(dry_run=False, slack_webhook_parameter="/monocyte/slack-webhook")
        clients = Clients(settings, session_factory=calls.session)
        built = verdicts.build(settings, clients)
        assert built.slack is not None
    assert [c for c in calls.calls if c[1] == "GetParameter"] == [("ssm", "GetParameter", HOME)]


@pytest.mark.parametrize("parameter, value, expected", [
    ("/monocyte/missing", None, "cannot be read (ParameterNotFound)"),
    ("/monocyte/not-a-url", "hello", "does not hold an https:// URL"),
])
def test_a_bad_parameter_is_one_clear_error_and_kills_go_on(table, trail, caplog, parameter,
                                                             value, expected):
    if value:
        boto3.client("ssm", HOME).put_parameter(Name=parameter, Value=value,
                                                Type="SecureString")
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "us-east-1")
    settings = dataclasses.replace(settings_for(None), slack_webhook_parameter=parameter)
    with caplog.at_level("INFO", logger="monocyte"):
        [outcome] = reap_last(trail, settings)
    errors = [json.loads(r.getMessage()) for r in caplog.records
              if "notify-config-error" in r.getMessage()]
    assert len(errors) == 1 and expected in errors[0]["reason"]
    assert outcome.action == reaper.KILLED and not exists("us-east-1", name)
    assert [r["id"] for r in recorded()] == [name]


def _deny(region):
    def session():
        from botocore.exceptions import ClientError

        made = boto3.session.Session()

        def refuse(model, context=None, **kwargs):
            if (context or {}).get("client_region") == region:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}},
                                  model.name)
        made.events.register("before-call.*.*", refuse)
        return made
    return session


def test_the_nightly_summary_counts_kills_failures_and_misses(table, trail, monkeypatch):
    KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1")
    KINDS["AWS::DynamoDB::Table"][0](trail, "ap-southeast-1")
    monkeypatch.setattr(aws, "new_session", _deny("ap-southeast-1"))
    with SlackSink() as sink:
        settings = settings_for(sink.url, scan_grace_seconds=0)
        clients = Clients(settings)
        sink_verdicts = verdicts.build(settings, clients)
        report = scan.scan(settings, clients, regions=["us-east-1", "ap-southeast-1"],
                           types=["AWS::DynamoDB::Table"], verdicts=sink_verdicts)
        sink_verdicts.summary(report)
    *kills, summary = sink.messages
    assert len(kills) == 1
    shown = notify.render_text(summary)
    assert "Nightly scan: 1 killed, 1 failed, 1 missed by events" in shown
    assert "unit ap-southeast-1 AWS::DynamoDB::Table" in shown and "AccessDenied" in shown
    lines = shown.splitlines()
    # Worst first: the failed unit's row comes before the row with the kill.
    assert lines.index(next(l for l in lines if l.startswith("ap-southeast-1"))) < \
        lines.index(next(l for l in lines if l.startswith("us-east-1")))


def test_monocyte_log_filters_the_recent_verdicts(table, trail, capsys, monkeypatch):
    for region in ("us-east-1", "ap-southeast-1"):
        KINDS["AWS::DynamoDB::Table"][0](trail, region)
        reap_last(trail, settings_for(None))
    KINDS["AWS::S3::Bucket"][0](trail, "us-east-1")
    reap_last(trail, settings_for(None))
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", TABLE)
    monkeypatch.setenv("MONOCYTE_HOME_REGION", HOME)
    assert cli.main(["log", "--json", "--region", "us-east-1"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert sorted(v["type"] for v in found) == ["AWS::DynamoDB::Table", "AWS::S3::Bucket"]
    assert cli.main(["log", "--type", "AWS::S3::Bucket"]) == 0
    out = capsys.readouterr().out
    assert "1 verdict since" in out and "AWS::S3::Bucket" in out
    assert cli.main(["log", "--since", "yesterday-ish"]) == 2
