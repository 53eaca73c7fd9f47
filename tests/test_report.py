"""The report for the data-protection officer, from a verdict table in moto that the
real handlers filled: event-path kills, a scan kill, a failure, an exemption, an
uncovered create. Its numbers are checked against the records themselves."""
from __future__ import annotations

import dataclasses
import datetime
import json

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib import audit, breaker, cli, reaper, report, report_html, scan, verdicts
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.exemptions import parse
from kinds import KINDS
from test_uncovered import fresh, no_generic_table  # noqa: F401 (autouse: the uncovered create stays unclaimed)

TABLE = "monocyte-verdicts-report"
HOME = "eu-central-1"
SOON = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
EXEMPT = json.dumps([{"type": "AWS::DynamoDB::Table", "region": "us-east-1", "id": "keep-*",
                      "reason": "a migration", "owner": "dpo@example.com", "expires": SOON}])


@pytest.fixture
def filled(aws, trail, monkeypatch):
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "0")
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)
    settings = Settings(dry_run=False, audit_table=TABLE, scan_grace_seconds=0,
                        exemptions=parse(EXEMPT))
    clients = Clients(settings)
    judge = verdicts.build(settings, clients)
    create = KINDS["AWS::DynamoDB::Table"][0]
    for region in ("us-east-1", "ap-southeast-1"):  # two event-path kills
        create(trail, region)
        reaper.reap(trail.events[-1], settings, clients, judge)
    real = botocore.client.BaseClient._make_api_call

    def refuse(self, operation, params):  # one delete AWS refuses
        if operation == "DeleteTable" and params.get("TableName", "").startswith("fail-"):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "no"}},
                              operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)
    boto3.client("dynamodb", "us-west-2").create_table(
        TableName="fail-1", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    boto3.client("dynamodb", "us-east-1").create_table(
        TableName="keep-1", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    create(trail, "eu-west-1")  # the EU twin: never in the report
    made_by_hand = create(trail, "sa-east-1")  # the events never reached us
    scan.scan(settings, clients, regions=["us-west-2", "sa-east-1", "us-east-1", "eu-west-1"],
              types=["AWS::DynamoDB::Table"], verdicts=judge)
    reaper.reap(fresh(), settings, clients, judge)  # an uncovered create
    # The breaker, for real: one kill per account allowed; a fresh resource weighs a
    # fifth of one (breaker.weight), so the sixth opens it there.
    tight = dataclasses.replace(settings, breaker_limit=10, breaker_account_limit=1)
    fuse = breaker.build(tight, clients, alert=judge.alert)
    for _ in range(6):
        create(trail, "ca-central-1")
        reaper.reap(trail.events[-1], tight, clients, judge, fuse)
    return settings, made_by_hand


def records() -> list[dict]:
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    return audit.VerdictLog(boto3.client("dynamodb", HOME), TABLE).recent(since)


def test_the_numbers_are_the_records(filled):
    settings, by_hand = filled
    found = records()
    start, end = report.period("30d")
    built = report.build(found, start, end, settings.exemptions)
    head = built["headline"]
    actions = [r["action"] for r in found]
    assert head["killed"] == actions.count("killed") == 9
    assert head["failed"] == actions.count("failed") == 1
    assert head["alive_now"] == 1 and built["alive"][0]["id"] == "fail-1"
    assert head["uncovered"] == actions.count("uncovered") == 1
    assert head["exempted"] == 1
    assert head["exemptions_in_force"] == head["exemptions_expiring_30d"] == 1
    assert head["breaker_openings"] == 1
    [opening] = built["breaker"]
    assert opening["account"] == "123456789012" and "quarantined" in opening["reason"]
    assert head["found"] == 10
    paths = [w for w in built["by_path_per_week"].values()]
    assert sum(w["event"] for w in paths) == 8 and sum(w["scan"] for w in paths) == 1
    scan_kills = [r for r in found if r["action"] == "killed" and r["event"] == "scan"]
    assert [r["missed"] for r in scan_kills] == [True]
    fresh_scan_kill = dict(scan_kills[0], missed=False)  # found by a scan within the grace
    assert report.path_of(fresh_scan_kill) == "scan"
    assert built["kills_by"]["region"] == {"ca-central-1": 6, "ap-southeast-1": 1,
                                            "sa-east-1": 1, "us-east-1": 1}
    assert "eu-west-1" not in {e["region"] for e in built["entries"]}
    why = {e["id"]: e["why"] for e in built["longest"]}
    assert why[by_hand] == "missed by events" and why["fail-1"] == "failed"
    assert len(built["exposure"]["seconds"]) == 9
    keys = {f"{r['day']}/{r['at']}" for r in found}
    assert all(e["record"] in keys for e in built["entries"])  # each traceable
    csv_text = report.to_csv(built)
    assert len(csv_text.strip().splitlines()) == 1 + len(built["entries"])
    page = report_html.render(built)
    assert page.count("<svg") >= 4 and "<path" in page and "http" not in page.split("<svg")[0]


def test_the_cli_writes_html_csv_and_json(filled, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", TABLE)
    page, sheet = tmp_path / "r.html", tmp_path / "r.csv"
    assert cli.main(["report", "--since", "30d", "--html", str(page), "--csv", str(sheet),
                     "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["headline"]["killed"] == 9
    assert "<svg" in page.read_text() and "fail-1" in sheet.read_text()


def test_an_empty_period_says_so(aws, monkeypatch, capsys):
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", TABLE)
    assert cli.main(["report", "--month", "2026-01"]) == 0
    assert "no verdicts in this period" in capsys.readouterr().out
    start, end = report.period(month="2026-01")
    assert "No verdicts in this period" in report_html.render(report.build([], start, end))


def test_the_monthly_run_stores_html_and_csv_and_posts_the_numbers(filled):
    from chalicelib import notify, report_store
    from chalicelib.sandbox import SlackSink

    settings, _ = filled
    boto3.client("s3", HOME).create_bucket(
        Bucket="monocyte-reports-123456789012",
        CreateBucketConfiguration={"LocationConstraint": HOME})
    this_month = datetime.date.today().replace(day=1)
    next_first = (this_month + datetime.timedelta(days=32)).replace(day=1)
    with SlackSink() as sink:
        done = report_store.monthly(settings, Clients(settings), notify.Slack(sink.url),
                                    today=next_first)
    month = this_month.strftime("%Y-%m")
    assert done["object"] == (f"s3://monocyte-reports-123456789012/reports/{month}/"
                              f"monocyte-{month}.html")
    s3 = boto3.client("s3", HOME)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="monocyte-reports-123456789012")[
        "Contents"]}
    assert keys == {f"reports/{month}/monocyte-{month}.html",
                    f"reports/{month}/monocyte-{month}.csv"}
    [message] = sink.messages
    shown = notify.render_text(message)
    for fact in ("10 found outside the EU", "9 killed", "1 failed", "1 still alive",
                 "1 uncovered", "1 breaker openings", done["object"]):
        assert fact in shown, fact


def test_the_reports_bucket_is_private_encrypted_versioned_and_expires():
    from chalicelib import report_store

    props = report_store.template()["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Ref": "ReportRetentionDays"}
