"""Copies of EU data made in another region (issue 13), against moto.

A read replica, a snapshot copy, a restore or an import is a new resource where the
call is logged; its source (an instance, snapshot, backup or table, often named by
an ARN in another region) is never a target. So: the copy outside the EU is killed
and its EU source survives; a copy made in the EU is spared whatever its source;
a copy of a source outside the EU is judged only by where the copy lands.
"""
from __future__ import annotations

import boto3
import pytest

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import load_event
from kinds import KINDS
from kinds.rds_clusters import ENGINE, flatten

EU, US = "eu-central-1", "us-east-1"
ACCOUNT = "123456789012"
_, db_exists = KINDS["AWS::RDS::DBInstance"]
_, snapshot_exists = KINDS["AWS::RDS::DBSnapshot"]
_, cluster_exists = KINDS["AWS::RDS::DBCluster"]
_, table_exists = KINDS["AWS::DynamoDB::Table"]


def _reap_last(trail, settings, clients):
    return reaper.reap(trail.events[-1], settings, clients)


def _db(region, name):
    boto3.client("rds", region).create_db_instance(
        DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="secret-password",
        BackupRetentionPeriod=1)
    return f"arn:aws:rds:{region}:{ACCOUNT}:db:{name}"


def _db_snapshot(region, name):
    _db(region, f"{name}-db")
    boto3.client("rds", region).create_db_snapshot(DBSnapshotIdentifier=name,
                                                   DBInstanceIdentifier=f"{name}-db")
    return f"arn:aws:rds:{region}:{ACCOUNT}:snapshot:{name}"


def _table(region, name):
    ddb = boto3.client("dynamodb", region)
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return ddb


def _killed(outcome, name, region):
    return (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, name, region)


# -- the recorded events name the copy, never the source ---------------------------

RECORDED = [
    ("rds.CreateDBInstanceReadReplica", "orders-db-virginia-replica", "db:orders-db"),
    ("rds.CopyDBSnapshot", "orders-db-dr-copy", "orders-db-nightly"),
    ("rds.RestoreDBInstanceFromDBSnapshot", "orders-db-restored", "snapshot:orders-db-dr-copy"),
    ("rds.RestoreDBInstanceFromS3", "orders-mysql-from-s3", "orders-xtrabackup-eu"),
    ("rds.RestoreDBInstanceToPointInTime", "orders-db-pitr", "auto-backup"),
    ("rds.RestoreDBClusterFromSnapshot", "orders-aurora-restored", "cluster-snapshot"),
    ("rds.RestoreDBClusterToPointInTime", "orders-aurora-pitr", "'orders-aurora'"),
    ("rds.RestoreDBClusterFromS3", "orders-aurora-from-s3", "orders-xtrabackup-eu"),
    ("dynamodb.RestoreTableFromBackup", "orders-restored", "backup"),
    ("dynamodb.RestoreTableToPointInTime", "orders-pitr", "table/orders'"),
    ("dynamodb.ImportTable", "orders-imported", "orders-export-eu"),
]


@pytest.mark.parametrize("name, copy, source", RECORDED, ids=[r[0] for r in RECORDED])
def test_a_recorded_copy_event_targets_only_the_copy(name, copy, source):
    verdict = reaper.explain(load_event(name), Settings())
    assert [(t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        (copy, US, "kill")]
    assert source not in str(verdict["targets"])


# -- RDS instances and snapshots ------------------------------------------------------

def test_a_us_read_replica_of_an_eu_instance_is_killed_and_the_source_survives(
        aws, trail, kill_settings, clients):
    source = _db(EU, "orders-db")
    trail.call(boto3.client("rds", US), "create_db_instance_read_replica",
               DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier=source,
               DBInstanceClass="db.t3.micro")
    flatten(trail, "dBInstance")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "orders-replica", US)
    assert not db_exists(US, "orders-replica")
    assert db_exists(EU, "orders-db")


def test_an_eu_read_replica_of_a_us_instance_is_spared(aws, trail, kill_settings, clients):
    source = _db(US, "legacy-db")
    trail.call(boto3.client("rds", EU), "create_db_instance_read_replica",
               DBInstanceIdentifier="legacy-replica", SourceDBInstanceIdentifier=source,
               DBInstanceClass="db.t3.micro")
    flatten(trail, "dBInstance")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.SPARED, "legacy-replica", EU)
    assert db_exists(EU, "legacy-replica")


def test_a_us_copy_of_an_eu_db_snapshot_is_killed_and_the_source_survives(
        aws, trail, kill_settings, clients):
    source = _db_snapshot(EU, "nightly")
    trail.call(boto3.client("rds", US), "copy_db_snapshot",
               SourceDBSnapshotIdentifier=source, TargetDBSnapshotIdentifier="nightly-dr")
    flatten(trail, "dBSnapshot")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "nightly-dr", US)
    assert not snapshot_exists(US, "nightly-dr")
    assert snapshot_exists(EU, "nightly")


def test_an_eu_copy_of_a_us_db_snapshot_is_spared(aws, trail, kill_settings, clients):
    source = _db_snapshot(US, "legacy-nightly")
    trail.call(boto3.client("rds", EU), "copy_db_snapshot",
               SourceDBSnapshotIdentifier=source, TargetDBSnapshotIdentifier="brought-home")
    flatten(trail, "dBSnapshot")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert snapshot_exists(EU, "brought-home")


def test_an_instance_restored_from_a_snapshot_outside_the_eu_is_killed_the_snapshot_kept(
        aws, trail, kill_settings, clients):
    # The snapshot is itself a US copy (its own event kills it); the restore is
    # judged by where the new instance is, and never touches the snapshot.
    _db_snapshot(US, "copied-in")
    trail.call(boto3.client("rds", US), "restore_db_instance_from_db_snapshot",
               DBInstanceIdentifier="restored-db", DBSnapshotIdentifier="copied-in")
    flatten(trail, "dBInstance")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "restored-db", US)
    assert not db_exists(US, "restored-db")
    assert snapshot_exists(US, "copied-in")


def test_a_point_in_time_restore_outside_the_eu_is_killed_its_source_kept(
        aws, trail, kill_settings, clients):
    _db(US, "source-db")
    trail.call(boto3.client("rds", US), "restore_db_instance_to_point_in_time",
               SourceDBInstanceIdentifier="source-db", TargetDBInstanceIdentifier="pitr-db",
               UseLatestRestorableTime=True)
    flatten(trail, "dBInstance")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "pitr-db", US)
    assert not db_exists(US, "pitr-db")
    assert db_exists(US, "source-db")


def test_a_point_in_time_restore_in_the_eu_is_spared(aws, trail, kill_settings, clients):
    _db(EU, "eu-db")
    trail.call(boto3.client("rds", EU), "restore_db_instance_to_point_in_time",
               SourceDBInstanceIdentifier="eu-db", TargetDBInstanceIdentifier="eu-pitr",
               UseLatestRestorableTime=True)
    flatten(trail, "dBInstance")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert db_exists(EU, "eu-pitr")


# -- Aurora clusters -------------------------------------------------------------------

def _cluster_snapshot(region, cluster, name):
    rds = boto3.client("rds", region)
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine=ENGINE, MasterUsername="admin",
                          MasterUserPassword="secret-password")
    rds.create_db_cluster_snapshot(DBClusterIdentifier=cluster, DBClusterSnapshotIdentifier=name)
    return rds


def test_a_cluster_restored_from_a_snapshot_outside_the_eu_is_killed(
        aws, trail, kill_settings, clients):
    rds = _cluster_snapshot(US, "orders", "orders-snap")
    trail.call(rds, "restore_db_cluster_from_snapshot", DBClusterIdentifier="orders-restored",
               SnapshotIdentifier="orders-snap", Engine=ENGINE)
    flatten(trail, "dBCluster")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "orders-restored", US)
    assert not cluster_exists(US, "orders-restored")
    assert cluster_exists(US, "orders")


def test_a_cluster_restored_in_the_eu_is_spared(aws, trail, kill_settings, clients):
    rds = _cluster_snapshot(EU, "orders", "orders-snap")
    trail.call(rds, "restore_db_cluster_to_point_in_time", DBClusterIdentifier="orders-pitr",
               SourceDBClusterIdentifier="orders", UseLatestRestorableTime=True)
    flatten(trail, "dBCluster")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert cluster_exists(EU, "orders-pitr")


# -- DynamoDB --------------------------------------------------------------------------

def test_a_table_restored_from_a_backup_outside_the_eu_is_killed_the_source_kept(
        aws, trail, kill_settings, clients):
    ddb = _table(US, "orders")
    backup = ddb.create_backup(TableName="orders", BackupName="nightly")
    trail.call(ddb, "restore_table_from_backup", TargetTableName="orders-restored",
               BackupArn=backup["BackupDetails"]["BackupArn"])
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "orders-restored", US)
    assert not table_exists(US, "orders-restored")
    assert table_exists(US, "orders")


def test_a_point_in_time_table_restore_in_the_eu_is_spared(aws, trail, kill_settings, clients):
    ddb = _table(EU, "orders")
    ddb.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    trail.call(ddb, "restore_table_to_point_in_time", SourceTableName="orders",
               TargetTableName="orders-pitr", UseLatestRestorableTime=True)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert table_exists(EU, "orders-pitr")


def test_a_us_table_imported_from_an_eu_bucket_is_killed_the_bucket_kept(
        aws, trail, kill_settings, clients):
    s3 = boto3.client("s3", EU)
    s3.create_bucket(Bucket="orders-export-eu",
                     CreateBucketConfiguration={"LocationConstraint": EU})
    s3.put_object(Bucket="orders-export-eu", Key="exports/data.json",
                  Body=b'{"Item": {"pk": {"S": "1"}}}\n')
    ddb = boto3.client("dynamodb", US)
    trail.call(ddb, "import_table", InputFormat="DYNAMODB_JSON",
               S3BucketSource={"S3Bucket": "orders-export-eu", "S3KeyPrefix": "exports/"},
               TableCreationParameters={
                   "TableName": "orders-imported", "BillingMode": "PAY_PER_REQUEST",
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert _killed(outcome, "orders-imported", US)
    assert not table_exists(US, "orders-imported")
    assert s3.head_bucket(Bucket="orders-export-eu")
