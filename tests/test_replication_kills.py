"""What a replication set-up on an EU resource creates outside the EU is killed where
it lands (issue 13); the EU source and its own rule are never targets, and nothing is
called in an allowed region.

EFS: moto has no replication, so botocore's Stubber plays EFS with the real response
shapes for the replication part, and moto deletes a destination file system. S3 and
ECR: the destination bucket and the replicated repository are killed in moto by the
nightly scan (and the repository by its own create event), the EU source untouched.
"""
from __future__ import annotations

import copy
import datetime

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.aws import Clients
from chalicelib.config import EU_REGIONS, Settings
from conftest import load_event

ACCOUNT = "123456789012"
EU = Settings(allowed_regions=frozenset(EU_REGIONS))
KILL = Settings(allowed_regions=frozenset(EU_REGIONS), dry_run=False)
SOURCE, SOURCE_REGION = "fs-0a1b2c3d4e5f60718", "eu-west-3"
DEST, DEST_REGION = "fs-0f1e2d3c4b5a69788", "ap-southeast-2"
WHEN = datetime.datetime(2026, 11, 29, 11, 3, 44, tzinfo=datetime.timezone.utc)


def efs_event(**destination) -> dict:
    """The recorded CreateReplicationConfiguration (EU source, destination in Sydney),
    its response's destination changed by ``destination``."""
    event = copy.deepcopy(load_event("elasticfilesystem.CreateReplicationConfiguration"))
    event["detail"]["responseElements"]["destinations"][0].update(destination)
    if "region" in destination:  # the request names it too
        event["detail"]["requestParameters"]["destinations"][0]["region"] = \
            destination["region"]
    return event


class Recording:
    """Hands out one stubbed client and remembers every (service, region) asked for."""

    def __init__(self, client):
        self._client, self.asked = client, []

    def client(self, service, region, account=None):
        self.asked.append((service, region))
        return self._client


def _described(protection: str) -> dict:
    return {"FileSystems": [{
        "OwnerId": ACCOUNT, "CreationToken": "console-replica-0c3f", "FileSystemId": DEST,
        "FileSystemArn": f"arn:aws:elasticfilesystem:{DEST_REGION}:{ACCOUNT}:file-system/{DEST}",
        "CreationTime": WHEN, "LifeCycleState": "available", "NumberOfMountTargets": 0,
        "SizeInBytes": {"Value": 6144}, "PerformanceMode": "generalPurpose",
        "Encrypted": True, "ThroughputMode": "bursting", "Tags": [],
        "FileSystemProtection": {"ReplicationOverwriteProtection": protection}}]}


def _replication(status: str) -> dict:
    return {"Replications": [{
        "SourceFileSystemId": SOURCE, "SourceFileSystemRegion": SOURCE_REGION,
        "SourceFileSystemArn": f"arn:aws:elasticfilesystem:{SOURCE_REGION}:{ACCOUNT}:"
                               f"file-system/{SOURCE}",
        "OriginalSourceFileSystemArn": f"arn:aws:elasticfilesystem:{SOURCE_REGION}:"
                                       f"{ACCOUNT}:file-system/{SOURCE}",
        "CreationTime": WHEN,
        "Destinations": [{"Status": status, "FileSystemId": DEST, "Region": DEST_REGION,
                          "OwnerId": ACCOUNT}]}]}


def _stubbed():
    efs = boto3.client("efs", DEST_REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return efs, Stubber(efs)


# --- EFS: the destination file system ---------------------------------------------

def test_explain_names_the_destination_and_never_the_eu_source():
    result = reaper.explain(efs_event(), EU)
    assert result["decision"] == "kill"
    assert [(t["id"], t["region"], t["decision"]) for t in result["targets"]] == [
        (DEST, DEST_REGION, "kill")]
    assert SOURCE not in {t["id"] for t in result["targets"]}
    # The kill ends the flow: no report saying nothing was deleted beside it.
    assert "data_flows" not in result


def test_the_replication_is_deleted_from_the_destination_region_then_the_kill_waits():
    efs, stub = _stubbed()
    with stub:
        stub.add_response("describe_file_systems", _described("REPLICATING"),
                          {"FileSystemId": DEST})
        stub.add_response("describe_replication_configurations", _replication("ENABLED"),
                          {"FileSystemId": DEST})
        stub.add_response("delete_replication_configuration", {},
                          {"SourceFileSystemId": SOURCE})
        clients = Recording(efs)
        [outcome] = reaper.reap(efs_event(), KILL, clients)
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id, outcome.region) == (reaper.DEFERRED, DEST, DEST_REGION)
    assert f"replication of {SOURCE} ({SOURCE_REGION}) deleted from {DEST_REGION}" \
        in outcome.reason
    # Every call went to the destination's region: none to the EU source's.
    assert clients.asked and {region for _, region in clients.asked} == {DEST_REGION}


def test_while_the_replication_is_going_nothing_more_is_called():
    efs, stub = _stubbed()
    with stub:
        stub.add_response("describe_file_systems", _described("REPLICATING"),
                          {"FileSystemId": DEST})
        stub.add_response("describe_replication_configurations", _replication("DELETING"),
                          {"FileSystemId": DEST})
        [outcome] = reaper.reap(efs_event(), KILL, Recording(efs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED and "still being deleted" in outcome.reason


def test_a_later_run_deletes_the_destination_once_it_has_left_the_replication():
    efs, stub = _stubbed()
    with stub:
        stub.add_response("describe_file_systems", _described("REPLICATING"),
                          {"FileSystemId": DEST})
        stub.add_client_error("describe_replication_configurations", "ReplicationNotFound",
                              f"No replication configuration found for {DEST}", 404,
                              expected_params={"FileSystemId": DEST})
        stub.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": DEST})
        stub.add_response("delete_file_system", {}, {"FileSystemId": DEST})
        [outcome] = reaper.reap(efs_event(), KILL, Recording(efs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_a_file_system_that_does_not_replicate_is_deleted_without_asking():
    efs, stub = _stubbed()
    with stub:
        stub.add_response("describe_file_systems", _described("ENABLED"),
                          {"FileSystemId": DEST})
        stub.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": DEST})
        stub.add_response("delete_file_system", {}, {"FileSystemId": DEST})
        [outcome] = reaper.reap(efs_event(), KILL, Recording(efs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_in_dry_run_the_destination_would_be_killed_and_nothing_is_deleted():
    efs, stub = _stubbed()
    with stub:
        stub.add_response("describe_file_systems", _described("REPLICATING"),
                          {"FileSystemId": DEST})
        [outcome] = reaper.reap(efs_event(), EU, Recording(efs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.WOULD_KILL


def test_a_destination_whose_kill_fails_is_still_reported_as_a_data_flow():
    efs, stub = _stubbed()
    with stub:
        stub.add_client_error("describe_file_systems", "BadRequest", "refused", 400,
                              expected_params={"FileSystemId": DEST})
        outcomes = reaper.reap(efs_event(), KILL, Recording(efs))
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW, reaper.FAILED]
    assert outcomes[0].id == SOURCE and outcomes[1].id == DEST


def test_a_destination_in_the_eu_is_spared_without_any_call():
    result = reaper.explain(efs_event(region="eu-central-1"), EU)
    assert result["decision"] == "spare"
    assert [(t["id"], t["decision"]) for t in result["targets"]] == [(DEST, "spare")]
    [outcome] = reaper.reap(efs_event(region="eu-central-1"), KILL, clients=None)
    assert outcome.action == reaper.SPARED


@pytest.mark.parametrize("other", [{"ownerId": "999988887777"},
                                   {"roleArn": "arn:aws:iam::999988887777:role/efs-repl"}])
def test_a_destination_in_another_account_stays_a_reported_data_flow(other):
    """This event's account cannot act in the other one: the flow is reported, as
    before, and that account's own scan finds the file system."""
    result = reaper.explain(efs_event(**other), EU)
    assert result["decision"] == "report" and result["targets"] == []
    assert [f["destination"] for f in result["data_flows"]] == [DEST_REGION]
    [outcome] = reaper.reap(efs_event(**other), KILL, clients=None)
    assert outcome.action == reaper.DATA_FLOW and outcome.id == SOURCE


def test_a_replication_between_two_regions_outside_the_eu_kills_only_the_copy():
    """Logged outside the EU: the copy is judged by where it lands, the source (not
    a target) by its own create."""
    event = efs_event(region="us-west-2")
    event["detail"]["awsRegion"] = event["region"] = "us-east-1"
    result = reaper.explain(event, EU)
    assert [(t["id"], t["region"]) for t in result["targets"]] == [(DEST, "us-west-2")]


def test_moto_deletes_the_destination_and_the_eu_source_survives(aws):
    source = boto3.client("efs", SOURCE_REGION).create_file_system(
        CreationToken="eu-share")["FileSystemId"]
    dest = boto3.client("efs", DEST_REGION).create_file_system(
        CreationToken="replica")["FileSystemId"]
    event = efs_event(fileSystemId=dest)
    event["detail"]["requestParameters"]["sourceFileSystemId"] = source
    event["detail"]["responseElements"]["sourceFileSystemId"] = source
    [outcome] = reaper.reap(event, KILL, Clients(KILL))
    assert (outcome.action, outcome.id) == (reaper.KILLED, dest)
    assert boto3.client("efs", DEST_REGION).describe_file_systems()["FileSystems"] == []
    [kept] = boto3.client("efs", SOURCE_REGION).describe_file_systems()["FileSystems"]
    assert kept["FileSystemId"] == source


# --- S3: the destination bucket of a replication rule -----------------------------

EU_BUCKET, COPY = "eu-customer-data", "us-customer-data-copy"


def s3_event(**destination) -> dict:
    """The recorded PutBucketReplication: eu-customer-data (eu-west-1) to the bucket
    us-customer-data-copy, its rule's Destination changed by ``destination``."""
    event = copy.deepcopy(load_event("s3.PutBucketReplication"))
    event["detail"]["requestParameters"]["ReplicationConfiguration"]["Rule"][
        "Destination"].update(destination)
    return event


def _versioned(name: str, region: str) -> None:
    s3 = boto3.client("s3", region)
    where = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **where)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _replicating(copy_region: str = "us-east-1") -> dict:
    """The EU bucket replicating to the copy, as the sample's call left them."""
    _versioned(EU_BUCKET, "eu-west-1")
    _versioned(COPY, copy_region)
    boto3.client("s3", copy_region).put_object(Bucket=COPY, Key="customers.csv", Body=b"x")
    rule = s3_event()["detail"]["requestParameters"]["ReplicationConfiguration"]
    config = {"Role": rule["Role"], "Rules": [{
        "ID": "to-virginia", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{COPY}"}}]}
    eu = boto3.client("s3", "eu-west-1")
    eu.put_bucket_replication(Bucket=EU_BUCKET, ReplicationConfiguration=config)
    return eu.get_bucket_replication(Bucket=EU_BUCKET)["ReplicationConfiguration"]


def _buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3", "us-east-1").list_buckets()["Buckets"]}


def test_the_destination_bucket_outside_the_eu_is_killed_the_eu_bucket_and_rule_kept(aws):
    before = _replicating()
    outcomes = reaper.reap(s3_event(), KILL, Clients(KILL))
    assert [(o.action, o.id, o.region) for o in outcomes] == [
        (reaper.DATA_FLOW, EU_BUCKET, "eu-west-1"), (reaper.KILLED, COPY, "us-east-1")]
    assert _buckets() == {EU_BUCKET}
    after = boto3.client("s3", "eu-west-1").get_bucket_replication(
        Bucket=EU_BUCKET)["ReplicationConfiguration"]
    assert after == before  # the rule on the EU bucket is untouched


def test_in_dry_run_the_destination_bucket_would_be_killed(aws):
    _replicating()
    outcomes = reaper.reap(s3_event(), EU, Clients(EU))
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW, reaper.WOULD_KILL]
    assert _buckets() == {EU_BUCKET, COPY}


def test_a_destination_bucket_in_the_eu_is_left_alone(aws):
    _replicating("eu-central-1")
    outcomes = reaper.reap(s3_event(), KILL, Clients(KILL))
    # The record cannot say where the bucket is, so the flow is still reported.
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW]
    assert _buckets() == {EU_BUCKET, COPY}


def test_a_destination_that_does_not_exist_is_only_reported(aws):
    _versioned(EU_BUCKET, "eu-west-1")
    outcomes = reaper.reap(s3_event(), KILL, Clients(KILL))
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW]


def test_a_destination_in_an_account_not_watched_is_reported_and_never_asked():
    outcomes = reaper.reap(s3_event(Account="999988887777"), KILL, clients=None)
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW]
    assert "outside the organization as far as the record shows" in outcomes[0].reason


def test_a_bucket_of_another_owner_is_never_taken_for_ours():
    """S3 answers 403 to GetBucketLocation when ExpectedBucketOwner is not the
    bucket's owner: not located, so not a target."""
    s3 = boto3.client("s3", "eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_client_error("get_bucket_location", "AccessDenied", "Access Denied", 403,
                              expected_params={"Bucket": COPY,
                                               "ExpectedBucketOwner": ACCOUNT})
        clients = Recording(s3)
        outcomes = reaper.reap(s3_event(), KILL, clients)
        stub.assert_no_pending_responses()
    assert [o.action for o in outcomes] == [reaper.DATA_FLOW]
    assert clients.asked == [("s3", "eu-west-1")]  # one read, nothing else


def test_explain_stays_offline_and_names_no_bucket_as_a_target():
    result = reaper.explain(s3_event(), EU)
    assert result["decision"] == "report" and result["targets"] == []


def test_a_destination_in_another_watched_account_is_killed_there(aws):
    """The rule names the destination's account, one of the fleet's: the bucket is
    looked for and killed there, through that account's member role."""
    other = "999988887777"
    _versioned(EU_BUCKET, "eu-west-1")
    creds = boto3.client("sts", "eu-central-1").assume_role(
        RoleArn=f"arn:aws:iam::{other}:role/team", RoleSessionName="team")["Credentials"]
    theirs = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                   aws_secret_access_key=creds["SecretAccessKey"],
                                   aws_session_token=creds["SessionToken"]).client(
        "s3", "us-east-1")
    theirs.create_bucket(Bucket=COPY)
    fleet_wide = Settings(allowed_regions=frozenset(EU_REGIONS), dry_run=False,
                          accounts=(ACCOUNT, other), member_role="monocyte-member")
    outcomes = reaper.reap(s3_event(Account=other), fleet_wide, Clients(fleet_wide))
    assert [(o.action, o.id, o.account) for o in outcomes] == [
        (reaper.DATA_FLOW, EU_BUCKET, ACCOUNT), (reaper.KILLED, COPY, other)]
    assert theirs.list_buckets()["Buckets"] == []
    assert _buckets() == {EU_BUCKET}


# --- ECR: repositories the replication makes in the destination region ------------

REPO = "team/eu-billing"


def _repository(region: str) -> None:
    ecr = boto3.client("ecr", region)
    ecr.create_repository(repositoryName=REPO)
    manifest = ('{"schemaVersion": 2, "mediaType": '
                '"application/vnd.docker.distribution.manifest.v2+json"}')
    ecr.put_image(repositoryName=REPO, imageManifest=manifest, imageTag="v1")


def _repositories(region: str) -> list[str]:
    ecr = boto3.client("ecr", region)
    return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def test_explain_names_the_replicated_repository_where_it_lands():
    """ECR makes the destination's repository with CreateRepository in that region
    (its replication is granted ecr:CreateRepository there, ECR User Guide, registry
    permissions for replication); the sample is built from the API's shape."""
    result = reaper.explain(load_event("ecr.CreateRepository.replication"), EU)
    assert [(t["id"], t["region"], t["decision"]) for t in result["targets"]] == [
        (REPO, "us-east-1", "kill")]


def test_the_replicated_repository_is_killed_by_its_event_the_eu_source_survives(aws):
    _repository("eu-west-1")
    _repository("us-east-1")  # what the replication made, images and all
    [outcome] = reaper.reap(load_event("ecr.CreateRepository.replication"), KILL,
                            Clients(KILL))
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, REPO, "us-east-1")
    assert _repositories("us-east-1") == []
    assert _repositories("eu-west-1") == [REPO]


def test_without_an_event_the_nightly_scan_kills_it_and_spares_the_eu_source(aws):
    from chalicelib import scan

    _repository("eu-west-1")
    _repository("us-east-1")
    report = scan.scan(KILL, Clients(KILL), regions=["us-east-1", "eu-west-1"],
                       types=["AWS::ECR::Repository"])
    assert [(o.action, o.id, o.region) for o in report.outcomes
            if o.action == reaper.KILLED] == [(reaper.KILLED, REPO, "us-east-1")]
    assert _repositories("us-east-1") == []
    assert _repositories("eu-west-1") == [REPO]


# --- Redshift: snapshots copied out of the EU by EnableSnapshotCopy ---------------

SNAPSHOT = "eu-analytics-before-migration"


def _cluster_with_snapshot(region: str, cluster: str, snapshot: str) -> None:
    redshift = boto3.client("redshift", region)
    redshift.create_cluster(ClusterIdentifier=cluster, NodeType="ra3.large",
                            ClusterType="single-node", MasterUsername="admin",
                            MasterUserPassword="Secret-password1")
    redshift.create_cluster_snapshot(SnapshotIdentifier=snapshot, ClusterIdentifier=cluster)


def _snapshots(region: str) -> list[tuple[str, str]]:
    found = boto3.client("redshift", region).describe_cluster_snapshots()["Snapshots"]
    return sorted((s["SnapshotIdentifier"], s["SnapshotType"]) for s in found)


def test_the_scan_kills_a_copied_manual_snapshot_the_eu_cluster_and_its_own_kept(aws):
    """moto cannot copy across regions: the copy in us-east-1 is made there, as the
    copy's manual snapshot would be; moto also adds each cluster's automated one."""
    from chalicelib import scan

    _cluster_with_snapshot("eu-north-1", "eu-analytics", SNAPSHOT)
    _cluster_with_snapshot("us-east-1", "eu-analytics", SNAPSHOT)
    eu_before = _snapshots("eu-north-1")
    report = scan.scan(KILL, Clients(KILL), regions=["us-east-1", "eu-north-1"],
                       types=["AWS::Redshift::ClusterSnapshot"])
    assert [(o.action, o.id, o.region) for o in report.outcomes
            if o.action != reaper.SPARED] == [(reaper.KILLED, SNAPSHOT, "us-east-1")]
    # The automated snapshot cannot be deleted by anyone but Redshift: not a finding.
    assert [t for _, t in _snapshots("us-east-1")] == ["automated"]
    assert _snapshots("eu-north-1") == eu_before
    [cluster] = boto3.client("redshift", "eu-north-1").describe_clusters()["Clusters"]
    assert cluster["ClusterIdentifier"] == "eu-analytics"


def _described_snapshot(kind: str, shared: list[str]) -> dict:
    return {"Snapshots": [{
        "SnapshotIdentifier": SNAPSHOT, "ClusterIdentifier": "eu-analytics",
        "SnapshotCreateTime": WHEN, "Status": "available", "Port": 5439,
        "AvailabilityZone": "us-east-1a", "ClusterCreateTime": WHEN,
        "MasterUsername": "admin", "ClusterVersion": "1.0", "SnapshotType": kind,
        "NodeType": "ra3.large", "NumberOfNodes": 1, "DBName": "dev", "Encrypted": True,
        "AccountsWithRestoreAccess": [{"AccountId": a} for a in shared],
        "OwnerAccount": ACCOUNT, "SourceRegion": "eu-north-1", "Tags": [],
        "ManualSnapshotRetentionPeriod": -1}]}


def _snapshot_target():
    from chalicelib.events import Target

    return Target("AWS::Redshift::ClusterSnapshot", SNAPSHOT, "us-east-1", ACCOUNT)


def test_a_shared_copy_has_its_restore_access_revoked_then_is_deleted():
    redshift = boto3.client("redshift", "us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x")
    with Stubber(redshift) as stub:
        stub.add_response("describe_cluster_snapshots",
                          _described_snapshot("manual", ["999988887777"]),
                          {"SnapshotIdentifier": SNAPSHOT})
        stub.add_response("revoke_snapshot_access", {"Snapshot": _described_snapshot(
            "manual", [])["Snapshots"][0]}, {"SnapshotIdentifier": SNAPSHOT,
                                             "AccountWithRestoreAccess": "999988887777",
                                             "SnapshotClusterIdentifier": "eu-analytics"})
        stub.add_response("delete_cluster_snapshot", {"Snapshot": _described_snapshot(
            "manual", [])["Snapshots"][0]}, {"SnapshotIdentifier": SNAPSHOT,
                                             "SnapshotClusterIdentifier": "eu-analytics"})
        clients = Recording(redshift)
        outcome = reaper.handle(_snapshot_target(), KILL, clients)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["restore access revoked from 1 account"]
    assert {region for _, region in clients.asked} == {"us-east-1"}


def test_a_copied_automated_snapshot_is_spared_and_says_why():
    redshift = boto3.client("redshift", "us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x")
    with Stubber(redshift) as stub:
        stub.add_response("describe_cluster_snapshots", _described_snapshot("automated", []),
                          {"SnapshotIdentifier": SNAPSHOT})
        outcome = reaper.handle(_snapshot_target(), KILL, Recording(redshift))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.SPARED
    assert "only Redshift deletes it" in outcome.reason
