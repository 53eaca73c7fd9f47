"""Replication set-ups on an EU resource towards a region outside the EU (issue 13):
each is one `data-flow` verdict and one Slack message a day per (account, source,
destination region), listed in the nightly summary, explained as `report` with the EU
source NOT a target, and nothing is ever deleted. All-EU destinations and failed calls
give nothing. (What the replication creates outside is killed where it lands:
tests/test_replication_kills.py; here the EFS destination is another account's.)"""
from __future__ import annotations

import copy
import datetime

import boto3
import pytest

from chalicelib import dataflow, fleet, notify, reaper, runtime, scan
from chalicelib.config import EU_REGIONS, Settings
from conftest import load_event
from test_uncovered import deployed, records, table  # noqa: F401 (fixtures)

EU = Settings(allowed_regions=frozenset(EU_REGIONS))
ACCOUNT = "123456789012"

# sample -> (its EU source, the destination outside the EU)
SAMPLES = {
    "s3.PutBucketReplication": ("eu-customer-data", "unknown"),
    "ecr.PutReplicationConfiguration": (ACCOUNT, "us-east-1"),
    "redshift.EnableSnapshotCopy": ("eu-analytics", "us-east-1"),
    "elasticfilesystem.CreateReplicationConfiguration": ("fs-0a1b2c3d4e5f60718",
                                                         "ap-southeast-2"),
}


def fresh(name: str, event_id: str = "evt-1") -> dict:
    event = copy.deepcopy(load_event(name))
    event["detail"]["eventTime"] = datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"]["eventID"] = event_id
    return event


def only_first_destination(event: dict) -> dict:
    """The ECR sample names three destinations; most tests want one."""
    rules = event["detail"]["requestParameters"]["replicationConfiguration"]["rules"]
    rules[0]["destinations"] = [d for d in rules[0]["destinations"]
                                if d["region"] == "us-east-1"]
    return event


def in_another_account(event: dict) -> dict:
    """The EFS sample's destination made in another account: the event's account
    cannot kill it there (tests/test_replication_kills.py kills a same-account one),
    so the replication stays a data flow only."""
    for dest in event["detail"]["responseElements"]["destinations"]:
        dest["ownerId"] = "999988887777"
    return event


def sample(name: str, event_id: str = "evt-1") -> dict:
    event = fresh(name, event_id)
    if name.startswith("elasticfilesystem."):
        return in_another_account(event)
    return only_first_destination(event) if name.startswith("ecr.") else event


def make_sources(region_of: dict) -> None:
    """The EU resources the samples replicate, in moto."""
    boto3.client("s3", "eu-west-1").create_bucket(
        Bucket="eu-customer-data",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    boto3.client("redshift", "eu-north-1").create_cluster(
        ClusterIdentifier="eu-analytics", NodeType="dc2.large", MasterUsername="admin",
        MasterUserPassword="Passw0rd-long-enough")
    efs = boto3.client("efs", "eu-west-3")
    region_of["efs"] = efs.create_file_system(CreationToken="eu-share")["FileSystemId"]


def sources_alive(region_of: dict) -> bool:
    boto3.client("s3", "eu-west-1").head_bucket(Bucket="eu-customer-data")
    [cluster] = boto3.client("redshift", "eu-north-1").describe_clusters(
        ClusterIdentifier="eu-analytics")["Clusters"]
    [fs] = boto3.client("efs", "eu-west-3").describe_file_systems(
        FileSystemId=region_of["efs"])["FileSystems"]
    return cluster["ClusterStatus"] == "available" and fs["LifeCycleState"] == "available"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_replication_out_of_the_eu_is_one_data_flow_and_one_message(deployed, name):
    sink = deployed
    made: dict = {}
    make_sources(made)
    source, destination = SAMPLES[name]
    [outcome] = runtime.reap(sample(name))
    assert outcome["action"] == reaper.DATA_FLOW == "data-flow"
    assert outcome["id"] == source
    assert outcome["notes"] == [f"destination: {destination}", "event: evt-1"]
    assert "NOT a target" in outcome["reason"]
    [record] = records()
    assert record["action"] == "data-flow" and record["id"] == source
    [message] = sink.messages
    shown = notify.render_text(message)
    assert "Data flow out of the EU" in shown and source in shown and destination in shown
    assert "Nothing was deleted" in shown
    assert sources_alive(made)

    runtime.reap(sample(name))  # delivered again: nothing new
    runtime.reset()
    runtime.reap(sample(name, "evt-2"))  # another call, same flow, same day: recorded, not posted
    assert len(records()) == 2 and len(sink.messages) == 1
    assert sources_alive(made)


def test_the_path_makes_no_aws_call_at_all():
    """No client is even given: a delete (or any call) would fail loudly. S3 is not
    here: it asks where the destination bucket lives (tests/test_replication_kills.py)."""
    for name in set(SAMPLES) - {"s3.PutBucketReplication"}:
        outcomes = reaper.reap(sample(name), EU, clients=None)
        assert [o.action for o in outcomes] == [reaper.DATA_FLOW], name


def test_explain_reports_and_names_the_eu_source_as_not_a_target():
    result = reaper.explain(load_event("redshift.EnableSnapshotCopy"), EU)
    assert result["decision"] == "report" and result["targets"] == []
    assert result["reason"] == (
        "data flow out of the EU: Redshift cluster eu-analytics in eu-north-1 replicates "
        "to us-east-1. The source eu-analytics is in eu-north-1, an allowed region, and is "
        "NOT a target: neither it nor its rule is deleted, only reported")


def test_s3_says_the_destination_region_is_not_in_the_record():
    result = reaper.explain(load_event("s3.PutBucketReplication"), EU)
    assert "destination bucket us-customer-data-copy, region unknown from the record" \
        in result["reason"]


def test_several_s3_rules_and_a_foreign_account_are_each_named():
    event = load_event("s3.PutBucketReplication")
    config = event["detail"]["requestParameters"]["ReplicationConfiguration"]
    rule = config["Rule"]
    other = copy.deepcopy(rule)
    other["Destination"] = {"Bucket": "arn:aws:s3:::partner-bucket", "Account": "999988887777"}
    config["Rule"] = [rule, other]
    flows = reaper.explain(event, EU)["data_flows"]
    assert [f["reason"].split(" replicates to ")[1].split(".")[0] for f in flows] == [
        "destination bucket us-customer-data-copy, region unknown from the record",
        "destination bucket partner-bucket, region unknown from the record; the "
        "destination account 999988887777 is not the caller's (123456789012): outside the "
        "organization as far as the record shows"]


def test_an_ecr_destination_in_another_account_is_outside_the_organization():
    result = reaper.explain(load_event("ecr.PutReplicationConfiguration"), EU)
    flows = result["data_flows"]
    # eu-west-1 is allowed: only the two destinations outside are flows.
    assert [f["destination"] for f in flows] == ["us-east-1", "us-west-2"]
    assert "not the caller's" not in flows[0]["reason"]
    assert "destination account 999988887777 is not the caller's" in flows[1]["reason"]
    assert "outside the organization" in flows[1]["reason"]


def all_eu(name: str) -> dict:
    event = sample(name)
    params = event["detail"]["requestParameters"]
    if name.startswith("ecr."):
        params["replicationConfiguration"]["rules"][0]["destinations"] = [
            {"region": "eu-west-1", "registryId": ACCOUNT}]
    elif name.startswith("redshift."):
        params["destinationRegion"] = "eu-west-1"
    else:
        params["destinations"] = [{"region": "eu-central-1"}]
        event["detail"]["responseElements"]["destinations"][0]["region"] = "eu-central-1"
    return event


@pytest.mark.parametrize("name", ["ecr.PutReplicationConfiguration",
                                  "redshift.EnableSnapshotCopy",
                                  "elasticfilesystem.CreateReplicationConfiguration"])
def test_a_destination_inside_the_eu_gives_nothing(deployed, name):
    sink = deployed
    assert runtime.reap(all_eu(name)) == []
    assert records() == [] and sink.posts == 0
    assert reaper.explain(all_eu(name), EU)["decision"] == "ignore"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_failed_call_gives_nothing(deployed, name):
    sink = deployed
    event = sample(name)
    event["detail"].update(errorCode="AccessDenied", errorMessage="denied",
                           responseElements=None)
    assert runtime.reap(event) == []
    assert records() == [] and sink.posts == 0
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_a_replication_logged_outside_the_eu_stays_with_the_uncovered_path():
    event = load_event("redshift.EnableSnapshotCopy")
    event["detail"]["awsRegion"] = event["region"] = "us-west-2"
    [outcome] = reaper.reap(event, EU, clients=None)
    assert outcome.action == reaper.UNCOVERED


def test_each_destination_region_is_its_own_message(deployed):
    sink = deployed
    outcomes = runtime.reap(fresh("ecr.PutReplicationConfiguration"))
    assert [o["notes"][0] for o in outcomes] == ["destination: us-east-1",
                                                 "destination: us-west-2"]
    assert len(records()) == 2 and len(sink.messages) == 2


def test_the_nightly_summary_lists_them(deployed):
    sink = deployed
    runtime.reap(sample("redshift.EnableSnapshotCopy"))
    runtime.reap(sample("elasticfilesystem.CreateReplicationConfiguration", "evt-efs"))
    report = fleet.summary_from_log(records(), [])
    shown = notify.render_text(notify.summary_message(report, dry_run=False))
    assert "2 data flows out of the EU" in shown
    assert "`eu-analytics` in eu-north-1 (123456789012) to us-east-1" in shown
    assert "`fs-0a1b2c3d4e5f60718` in eu-west-3 (123456789012) to ap-southeast-2" in shown
    runtime.verdicts().summary(scan.Report())  # a scan's summary reads the verdict log
    assert "2 data flows out of the EU" in notify.render_text(sink.messages[-1])


def test_the_table_is_one_row_per_call_of_the_forwarded_ones():
    from chalicelib import pattern

    assert set(dataflow.FLOWS) <= set(pattern.CROSS_REGION_CALLS)
