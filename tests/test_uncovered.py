"""Uncovered creates: a create outside the allowed regions that no type claims is
recorded once, posted to Slack once a day per (account, region, call), listed in the
nightly summary, ranked by `monocyte coverage --seen`, and explained as `report`."""
from __future__ import annotations

import copy
import datetime
import json

import boto3
import pytest

from chalicelib import audit, cli, fleet, notify, reaper, runtime, seen, uncovered, verdicts
from chalicelib.config import EU_REGIONS, Settings
from chalicelib.sandbox import SlackSink
from conftest import load_event
from test_pattern import call

TABLE = "monocyte-verdicts-uncovered"
HOME = "eu-central-1"
EU = Settings(allowed_regions=frozenset(EU_REGIONS))


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fresh(name: str = "cognito-identity.CreateIdentityPool", event_id: str = "evt-1",
          region: str | None = None) -> dict:
    """A recorded uncovered create, made just now (the verdict log files it by time)."""
    event = copy.deepcopy(load_event(name))
    event["detail"]["eventTime"] = now()
    event["detail"]["eventID"] = event_id
    if region:
        event["detail"]["awsRegion"] = event["region"] = region
    return event


def records(since_hours: int = 2) -> list[dict]:
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=since_hours)
    return audit.VerdictLog(boto3.client("dynamodb", HOME), TABLE).recent(since)


@pytest.fixture(autouse=True)
def no_generic_table(monkeypatch):
    """Its samples (Cognito identity pools, log groups) are generic types now (issue 12);
    what these tests guard is a create no layer claims, so the generic table is left out."""
    from chalicelib.generic import reap as generic

    monkeypatch.setattr(generic, "types_for", lambda source, name: ())


@pytest.fixture
def table(aws):
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)
    return TABLE


@pytest.fixture
def deployed(table, monkeypatch):
    """The `reap` handler's runtime as deployed: a verdict table in moto, Slack at the
    sandbox's stand-in, stage prod (kills)."""
    with SlackSink() as sink:
        monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", table)
        monkeypatch.setenv("MONOCYTE_SLACK_WEBHOOK_URL", sink.url)
        monkeypatch.setenv("MONOCYTE_DRY_RUN", "false")
        runtime.reset()
        yield sink
        runtime.reset()


def test_an_uncovered_create_is_one_verdict_and_one_message(deployed):
    sink = deployed
    event = fresh()
    [outcome] = runtime.reap(event)
    assert outcome["action"] == reaper.UNCOVERED == "uncovered"
    assert (outcome["region"], outcome["account"]) == ("us-east-1", "123456789012")
    [record] = records()
    assert record["action"] == "uncovered"
    assert record["event"] == "cognito-identity.amazonaws.com:CreateIdentityPool"
    assert record["creator"] == "arn:aws:iam::123456789012:user/Alice"
    [message] = sink.messages
    shown = notify.render_text(message)
    for fact in ("Uncovered create: CreateIdentityPool", "us-east-1", "123456789012",
                 "arn:aws:iam::123456789012:user/Alice", "coverage --seen"):
        assert fact in shown, fact

    runtime.reap(copy.deepcopy(event))  # the same event, delivered again: nothing new
    runtime.reset()  # ... even to a new cold start: the table remembers, not memory
    runtime.reap(copy.deepcopy(event))
    assert len(records()) == 1 and len(sink.messages) == 1

    for n in range(2, 5):  # a burst of the same call: recorded, one message a day
        runtime.reset()
        runtime.reap(fresh(event_id=f"evt-{n}"))
    assert len(records()) == 4 and len(sink.messages) == 1

    runtime.reap(fresh("logs.CreateLogGroup", event_id="evt-logs"))  # another call
    assert len(records()) == 5 and len(sink.messages) == 2


def test_the_same_call_inside_the_eu_gives_nothing(deployed):
    sink = deployed
    assert runtime.reap(fresh(region="eu-west-1")) == []
    assert records() == [] and sink.posts == 0


def test_another_region_or_account_is_its_own_message(deployed):
    sink = deployed
    runtime.reap(fresh(event_id="a"))
    runtime.reap(fresh(event_id="b", region="ap-southeast-2"))
    other = fresh(event_id="c")
    other["detail"]["recipientAccountId"] = other["account"] = "111122223333"
    runtime.reap(other)
    assert len(sink.messages) == 3 and len(records()) == 3


def test_without_a_table_the_process_remembers(aws):
    with SlackSink() as sink:
        settings = Settings(slack_webhook_url=sink.url)
        sink_verdicts = verdicts.build(settings, None)
        for event_id in ("x", "x", "y"):
            reaper.reap(fresh(event_id=event_id), settings, None, sink_verdicts)
    assert len(sink.messages) == 1
    assert [o.id for o in sink_verdicts.uncovered] == ["x", "y"]


@pytest.mark.parametrize("source, name, why", [
    ("iam.amazonaws.com", "CreateRole", "global"),
    ("guardduty.amazonaws.com", "CreateDetector", "defender"),
    ("securityhub.amazonaws.com", "CreateHub", "defender"),
    ("config.amazonaws.com", "PutConfigurationRecorder", "defender"),
    ("logs.amazonaws.com", "CreateLogStream", "no resource"),
    ("ec2.amazonaws.com", "CreateTags", "no resource"),
    ("sagemaker.amazonaws.com", "CreatePresignedDomainUrl", "no resource"),
])
def test_defenders_globals_and_non_resources_are_not_reported(source, name, why):
    result = reaper.explain(call(source, name, "us-east-1"), EU)
    assert result["decision"] == "ignore"
    reason = uncovered.exemption(source, name)
    assert reason and (why in reason or name == "PutConfigurationRecorder")


def test_control_towers_own_role_is_a_defender():
    event = call("logs.amazonaws.com", "CreateLogGroup", "us-east-1")
    event["detail"]["userIdentity"] = {"type": "AssumedRole", "sessionContext": {
        "sessionIssuer": {"type": "Role", "userName": "AWSControlTowerExecution"}}}
    assert reaper.explain(event, EU)["decision"] == "ignore"


@pytest.mark.parametrize("identity", ["AssumedRole", ["a"], 7,
                                      {"sessionContext": "not an object"}])
def test_a_malformed_identity_is_reported_like_any_uncovered_create(identity):
    # A userIdentity that is not an object proves nothing about Control Tower: the
    # create is reported, and neither reap nor explain raises.
    event = call("logs.amazonaws.com", "CreateLogGroup", "us-east-1")
    event["detail"]["userIdentity"] = identity
    assert reaper.explain(event, EU)["decision"] == "report"
    [outcome] = reaper.reap(event, EU, clients=None)
    assert outcome.action == reaper.UNCOVERED


def test_explain_answers_report_with_no_targets():
    result = reaper.explain(load_event("logs.CreateLogGroup"), EU)
    assert result == {"decision": "report", "targets": [], "reason": (
        "no resource type covers logs.amazonaws.com:CreateLogGroup in ap-southeast-2, "
        "outside the allowed regions")}


def test_failed_read_only_and_unplaceable_creates_are_not_reported():
    for detail in ({"errorCode": "AccessDenied"}, {"readOnly": True},
                   {"awsRegion": "mars-north-1"}, {"recipientAccountId": "nobody"}):
        event = call("kafka.amazonaws.com", "CreateClusterV2", "us-east-1", **detail)
        if detail.get("recipientAccountId"):
            event["account"] = None
        assert reaper.explain(event, EU)["decision"] == "ignore", detail


@pytest.mark.parametrize("vault_region, decision", [
    ("us-east-1", "report"), ("eu-central-1", "ignore")])
def test_a_cross_region_call_is_reported_when_it_names_a_region_outside(vault_region,
                                                                       decision, monkeypatch):
    # A cross-region call no type claims (StartCopyJob is AWS::Backup::BackupVault's
    # now): one made up, so that no later type can claim it.
    from chalicelib import pattern

    unclaimed = ("example-backup.amazonaws.com", "StartDataCopy")
    monkeypatch.setattr(pattern, "CROSS_REGION_CALLS", pattern.CROSS_REGION_CALLS + (unclaimed,))
    event = call(*unclaimed, "eu-west-1", requestParameters={
        "recoveryPointArn": "arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f67890",
        "sourceVaultName": "Default",
        "destinationVaultArn":
            f"arn:aws:backup:{vault_region}:123456789012:backup-vault:Default"})
    result = reaper.explain(event, EU)
    assert result["decision"] == decision
    if decision == "report":
        assert "places data in us-east-1" in result["reason"]


def test_a_cross_region_call_naming_no_region_is_reported_as_doubtful():
    event = call("s3.amazonaws.com", "PutBucketReplication", "eu-west-1", requestParameters={
        "bucketName": "eu-data", "ReplicationConfiguration": {"Rule": {
            "Destination": {"Bucket": "arn:aws:s3:::somewhere"}}}})
    assert reaper.explain(event, EU)["decision"] == "report"


def test_the_nightly_summary_lists_them(deployed):
    runtime.reap(fresh(event_id="1"))
    runtime.reap(fresh(event_id="2"))
    report = fleet.summary_from_log(records(), [])
    assert [r["event"] for r in report.uncovered] == [
        "cognito-identity.amazonaws.com:CreateIdentityPool"] * 2
    shown = notify.render_text(notify.summary_message(report, dry_run=False))
    assert "2 uncovered creates" in shown
    assert "cognito-identity.amazonaws.com:CreateIdentityPool in us-east-1" in shown
    # Summaries built from a scan alone read them from the verdict log.
    sink = deployed
    from chalicelib import scan

    runtime.verdicts().summary(scan.Report())
    assert "2 uncovered creates" in notify.render_text(sink.messages[-1])


def test_coverage_seen_ranks_them(deployed, capsys):
    for n in range(3):
        runtime.reap(fresh("logs.CreateLogGroup", event_id=f"logs-{n}"))
    runtime.reap(fresh(event_id="pool"))
    assert cli.main(["coverage", "--seen", "--since", "1d", "--table", TABLE, "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert [(r["event"], r["count"]) for r in ranked] == [
        ("logs.amazonaws.com:CreateLogGroup", 3),
        ("cognito-identity.amazonaws.com:CreateIdentityPool", 1)]
    assert ranked[0]["regions"] == ["ap-southeast-2"]
    assert ranked[0]["accounts"] == ["123456789012"]
    assert ranked[0]["first"] <= ranked[0]["last"]
    assert cli.main(["coverage", "--seen", "--table", TABLE]) == 0
    assert "logs.amazonaws.com:CreateLogGroup" in capsys.readouterr().out


def test_rank_ignores_other_verdicts():
    rows = seen.rank([{"action": "killed", "event": "ec2.amazonaws.com:RunInstances"},
                      {"action": "uncovered", "event": "a:B", "account": "1", "region": "r",
                       "created": "2026-12-01T00:00:00Z"}])
    assert [r.to_dict()["event"] for r in rows] == ["a:B"]


def test_uncovered_outcomes_are_worth_recording():
    outcome = reaper.Outcome(reaper.UNCOVERED, "", "evt", "us-east-1", "123456789012", "x")
    assert audit.worth_recording(outcome)
