"""Set-ups in the EU that send copies of data out of it from then on (issue 13): a
backup plan whose rules copy to a vault outside the EU, a multi-Region keyspace with
a region outside the EU, an S3 table bucket or table replicated to a table bucket
outside the EU. Each is one
`data-flow` verdict and one Slack message, explained as `report` with the EU source
NOT a target; nothing is deleted, no AWS call is made. The copies a plan makes are
the service's own jobs, logged as no API call: the nightly scan kills the vault outside
the EU that holds them (AWS::Backup::BackupVault, tests/test_stubbed_backup.py)."""
from __future__ import annotations

import copy

import boto3
import pytest

from chalicelib import notify, reaper, runtime
from chalicelib.config import EU_REGIONS, Settings
from conftest import load_event
from test_data_flows import fresh
from test_uncovered import deployed, records, table  # noqa: F401 (fixtures)

EU = Settings(allowed_regions=frozenset(EU_REGIONS))
ACCOUNT = "123456789012"

# sample -> (its EU source, the destinations outside the EU)
SAMPLES = {
    "backup.CreateBackupPlan": ("eu-orders-daily", ["us-east-1"]),
    "backup.UpdateBackupPlan": ("eu-orders-daily", ["ap-southeast-2"]),
    "cassandra.CreateKeyspace": ("orders", ["us-east-1"]),
    "cassandra.CreateKeyspace.cql": ("orders", ["us-east-1"]),
    "cassandra.UpdateKeyspace": ("orders", ["ap-southeast-2"]),
    # Two destinations, one in eu-west-1: only the other is a flow out of the EU.
    "s3tables.PutTableBucketReplication": (
        f"arn:aws:s3tables:eu-central-1:{ACCOUNT}:bucket/eu-analytics", ["us-east-1"]),
    "s3tables.PutTableReplication": (
        f"arn:aws:s3tables:eu-central-1:{ACCOUNT}:bucket/eu-analytics/table/"
        "0c3d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f", ["ap-southeast-2"]),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_explain_reports_the_flow_and_names_no_target(name):
    source, destinations = SAMPLES[name]
    result = reaper.explain(load_event(name), EU)
    assert result["decision"] == "report" and result["targets"] == []
    assert [f["destination"] for f in result["data_flows"]] == destinations
    assert all(f["source"] == source for f in result["data_flows"])
    assert "NOT a target" in result["reason"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_path_makes_no_aws_call(name):
    """No client is given: any call would fail loudly."""
    outcomes = reaper.reap(load_event(name), EU, clients=None)
    assert [(o.action, o.id) for o in outcomes] == [
        (reaper.DATA_FLOW, SAMPLES[name][0])] * len(SAMPLES[name][1])


def test_a_plan_copying_out_of_the_eu_is_one_verdict_and_one_message(deployed):
    sink = deployed
    backup = boto3.client("backup", "eu-central-1")
    backup.create_backup_vault(BackupVaultName="eu-primary")
    [outcome] = runtime.reap(fresh("backup.CreateBackupPlan"))
    assert (outcome["action"], outcome["id"]) == ("data-flow", "eu-orders-daily")
    assert outcome["notes"] == ["destination: us-east-1", "event: evt-1"]
    [record] = records()
    assert record["action"] == "data-flow"
    shown = notify.render_text(sink.messages[0])
    assert "Data flow out of the EU" in shown and "us-east-1" in shown
    assert "copies its backups to us-east-1" in outcome["reason"]
    # The EU vault the plan backs up into is untouched.
    assert backup.describe_backup_vault(BackupVaultName="eu-primary")["BackupVaultName"]


def test_a_plan_whose_copies_stay_in_the_eu_gives_nothing(deployed):
    sink = deployed
    event = fresh("backup.CreateBackupPlan")
    [rule] = [r for r in event["detail"]["requestParameters"]["backupPlan"]["rules"]
              if r.get("copyActions")]
    rule["copyActions"][0]["destinationBackupVaultArn"] = (
        f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:eu-secondary")
    assert runtime.reap(event) == []
    assert records() == [] and sink.posts == 0
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_a_plan_without_copy_actions_gives_nothing():
    event = load_event("backup.CreateBackupPlan")
    for rule in event["detail"]["requestParameters"]["backupPlan"]["rules"]:
        rule.pop("copyActions", None)
    assert reaper.reap(event, EU, clients=None) == []


def test_a_copy_into_another_account_says_it_may_be_outside_the_organization():
    event = load_event("backup.CreateBackupPlan")
    [rule] = [r for r in event["detail"]["requestParameters"]["backupPlan"]["rules"]
              if r.get("copyActions")]
    rule["copyActions"][0]["destinationBackupVaultArn"] = (
        "arn:aws:backup:us-west-2:999988887777:backup-vault:partner")
    [flow] = reaper.explain(event, EU)["data_flows"]
    assert flow["destination"] == "us-west-2"
    assert "destination account 999988887777 is not the caller's" in flow["reason"]


def test_a_vault_arn_naming_no_known_region_is_reported_as_doubtful():
    event = load_event("backup.CreateBackupPlan")
    [rule] = [r for r in event["detail"]["requestParameters"]["backupPlan"]["rules"]
              if r.get("copyActions")]
    rule["copyActions"][0]["destinationBackupVaultArn"] = "not-an-arn"
    [flow] = reaper.explain(event, EU)["data_flows"]
    assert flow["destination"] == "unknown"


def test_a_plan_made_outside_the_eu_is_not_a_data_flow():
    # Logged outside the EU, the plan itself is a resource there: the uncovered path
    # (and the generic AWS::Backup::BackupPlan) judge it, not this report.
    event = copy.deepcopy(load_event("backup.CreateBackupPlan"))
    event["detail"]["awsRegion"] = event["region"] = "us-east-1"
    result = reaper.explain(event, EU)
    assert "data_flows" not in result


def test_a_keyspace_all_in_the_eu_gives_nothing():
    event = load_event("cassandra.CreateKeyspace")
    spec = event["detail"]["requestParameters"]["replicationSpecification"]
    spec["regionList"] = ["eu-west-1", "eu-central-1"]
    assert reaper.explain(event, EU)["decision"] == "ignore"
    cql = load_event("cassandra.CreateKeyspace.cql")
    cql["detail"]["requestParameters"]["rawQuery"] = (
        "CREATE KEYSPACE \"orders\" WITH REPLICATION = {'class': 'SingleRegionStrategy'}")
    assert reaper.explain(cql, EU)["decision"] == "ignore"


def test_a_keyspace_says_a_human_must_decide():
    [flow] = reaper.explain(load_event("cassandra.CreateKeyspace"), EU)["data_flows"]
    assert "no way to remove one region from a keyspace" in flow["reason"]


def test_a_keyspaces_table_update_is_forwarded_but_never_reported():
    from test_pattern import call, forwards

    event = call("cassandra.amazonaws.com", "UpdateTable", "eu-west-1", requestParameters={
        "keyspaceName": "orders", "tableName": "line_items",
        "replicaSpecifications": [{"region": "us-east-1"}]})
    assert forwards(event)
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_a_table_replicated_to_another_accounts_bucket_says_so():
    """The destination ARN names the account: another one is flagged as outside the
    organization as far as the record shows."""
    [flow] = reaper.explain(load_event("s3tables.PutTableReplication"), EU)["data_flows"]
    assert "destination account 210987654321 is not the caller's" in flow["reason"]
