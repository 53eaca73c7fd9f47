"""`monocyte coverage --data`: the data-moving operations of botocore's models, each
handled (a type kills the copy), reported (the pattern forwards it and it is reported
as uncovered), exempt (with a reason) or unseen."""
from __future__ import annotations

from chalicelib import dataflow_coverage as dataflow
from chalicelib import pattern


def _by_name():
    return {(o.service, o.operation): o for o in dataflow.measure()}


def test_the_rds_and_dynamodb_copies_and_restores_are_handled():
    found = _by_name()
    for key in [("rds", "CreateDBInstanceReadReplica"), ("rds", "CopyDBSnapshot"),
                ("rds", "RestoreDBInstanceFromDBSnapshot"), ("rds", "RestoreDBInstanceFromS3"),
                ("rds", "RestoreDBInstanceToPointInTime"), ("rds", "RestoreDBClusterFromS3"),
                ("rds", "RestoreDBClusterFromSnapshot"), ("rds", "RestoreDBClusterToPointInTime"),
                ("dynamodb", "RestoreTableFromBackup"), ("dynamodb", "RestoreTableToPointInTime"),
                ("dynamodb", "ImportTable"), ("ec2", "CopySnapshot"), ("kms", "ReplicateKey"),
                ("rds", "StartDBInstanceAutomatedBackupsReplication"), ("backup", "StartCopyJob")]:
        assert found[key].status == dataflow.HANDLED, key


def test_a_replication_set_up_no_type_claims_is_reported_from_any_region():
    found = _by_name()
    for key in [("redshift-serverless", "CreateSnapshotCopyConfiguration")]:
        assert found[key].status == dataflow.REPORTED, key
        assert (found[key].event_source, key[1]) in pattern.CROSS_REGION_CALLS
        assert found[key].why == "cross-region call, reported from any region"


def test_the_calls_of_the_data_flow_table_are_reported_as_data_flows_out_of_the_eu():
    from chalicelib import dataflow as flows

    found = _by_name()
    for key in [("ecr", "PutReplicationConfiguration"), ("s3", "PutBucketReplication"),
                ("redshift", "EnableSnapshotCopy"), ("backup", "CreateBackupPlan"),
                ("backup", "UpdateBackupPlan"), ("keyspaces", "CreateKeyspace"),
                ("keyspaces", "UpdateKeyspace")]:
        assert found[key].status == dataflow.REPORTED, key
        assert flows.covers(found[key].event_source, key[1]), key
        assert found[key].why.startswith("data flow out of the EU"), key
    # Every row is forwarded from the EU, where such a call is logged...
    assert set(flows.FLOWS) <= set(pattern.CROSS_REGION_CALLS)
    # ...and measured, whatever its name looks like.
    measured = {(o.event_source, o.operation) for o in dataflow.measure()}
    assert set(flows.FLOWS) <= measured


def test_operations_that_only_read_or_remove_a_replica_are_not_counted():
    names = {o.operation for o in dataflow.measure()}
    assert "DescribeBotReplica" not in names
    assert "RemoveRegionsFromReplication" not in names
    # A mutating call with a destination-region parameter is counted by that alone.
    assert "EnableSnapshotCopy" in names


def test_a_call_the_pattern_never_forwards_is_unseen_not_reported():
    assert _by_name()[("dms", "StartReplicationTask")].status == dataflow.UNSEEN


def test_at_least_nine_in_ten_data_moving_operations_are_handled_reported_or_exempt():
    total = dataflow.totals(dataflow.measure())
    assert total["operations"] > 150
    assert total["percent"] >= 90.0
    assert total["handled"] + total["reported"] + total["exempt"] + total["unseen"] == \
        total["operations"]


def test_the_report_ends_with_the_totals(capsys):
    from chalicelib import cli

    assert cli.main(["coverage", "--data"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("  Data-moving operations: ") or last.startswith("Data-moving")
    assert "% handled, reported or exempt" in last


def test_a_cross_region_call_a_type_claims_is_measured_whatever_its_name():
    """A 2017 global table's CreateGlobalTable names no copy verb, but it places a
    replica in every region of its group: measured, and handled."""
    found = _by_name()
    for key in [("dynamodb", "CreateGlobalTable"), ("dynamodb", "UpdateGlobalTable"),
                ("dynamodb", "UpdateTable")]:
        assert found[key].status == dataflow.HANDLED, key
    # Keyspaces' UpdateTable is forwarded only by the pattern's product: no type
    # claims it, so it is not counted as moving data.
    assert ("keyspaces", "UpdateTable") not in found
