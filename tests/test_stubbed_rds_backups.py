"""Replicated RDS automated backups with botocore's Stubber (moto 5 has neither the
replication calls nor DeleteDBInstanceAutomatedBackup): the real response shapes, the
event path, the scan's listing, and the EU source instance never called."""
from __future__ import annotations

import datetime

import pytest

from chalicelib import iam, reaper, registry, scan
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import RegionClients, load_event, stubbed_us_and_eu

TYPE = "AWS::RDS::DBInstanceAutomatedBackup"
EU, US, SG = "eu-central-1", "us-east-1", "ap-southeast-1"
ACCOUNT = "123456789012"
SOURCE = f"arn:aws:rds:{EU}:{ACCOUNT}:db:orders-db"  # the sample's Frankfurt instance
BACKUP = f"arn:aws:rds:{US}:{ACCOUNT}:auto-backup:ab-7xq2lm4rv9kd3ts6wpzb1nfyhc"
RESOURCE_ID = "db-ORDERSEUEXAMPLE7Q3RZL5KXW4"
CREATED = datetime.datetime(2026, 11, 2, 8, 14, 55, tzinfo=datetime.timezone.utc)


def _backup(status="replicating", source=SOURCE, arn=BACKUP, region=EU, identifier="orders-db"):
    """One DBInstanceAutomatedBackup as RDS describes it in the backup's region."""
    return {"DBInstanceArn": source, "DbiResourceId": RESOURCE_ID, "Region": region,
            "DBInstanceIdentifier": identifier, "Status": status, "AllocatedStorage": 20,
            "Port": 5432, "InstanceCreateTime": CREATED, "MasterUsername": "probeadmin",
            "Engine": "postgres", "EngineVersion": "16.4",
            "LicenseModel": "postgresql-license", "Encrypted": True, "StorageType": "gp3",
            "IAMDatabaseAuthenticationEnabled": False, "BackupRetentionPeriod": 7,
            "DBInstanceAutomatedBackupsArn": arn, "BackupTarget": "region",
            "RestoreWindow": {"EarliestTime": CREATED, "LatestTime": CREATED},
            "TagList": [{"Key": "team", "Value": "data"}]}


def _described(**kwargs):
    return {"DBInstanceAutomatedBackups": [_backup(**kwargs)]}


def _answer(**kwargs):
    return {"DBInstanceAutomatedBackup": _backup(**kwargs)}


@pytest.fixture
def stubs():
    with stubbed_us_and_eu("rds") as found:
        yield found


def _reap(clients, settings=None, event=None):
    return reaper.reap(event or load_event("rds.StartDBInstanceAutomatedBackupsReplication"),
                       settings or Settings(dry_run=False), clients)


def _event(region, source_region, backup_id="ab-brought-home"):
    event = load_event("rds.StartDBInstanceAutomatedBackupsReplication")
    detail = event["detail"]
    event["region"] = detail["awsRegion"] = region
    source = f"arn:aws:rds:{source_region}:{ACCOUNT}:db:legacy-db"
    detail["requestParameters"]["sourceDBInstanceArn"] = source
    detail["responseElements"].update(
        dBInstanceArn=source, region=source_region,
        dBInstanceAutomatedBackupsArn=f"arn:aws:rds:{region}:{ACCOUNT}:auto-backup:{backup_id}")
    return event


def test_replication_out_of_the_eu_is_stopped_and_the_copy_deleted_where_it_lands(stubs):
    us_stub, clients, eu_calls = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described(),
                         {"DBInstanceAutomatedBackupsArn": BACKUP})
    us_stub.add_response("stop_db_instance_automated_backups_replication", _answer(),
                         {"SourceDBInstanceArn": SOURCE})
    us_stub.add_response("delete_db_instance_automated_backup", _answer(status="retained"),
                         {"DBInstanceAutomatedBackupsArn": BACKUP})
    [outcome] = _reap(clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, BACKUP, US)
    assert outcome.notes == [f"replication from {EU} stopped", "replicated backups deleted"]
    assert eu_calls == []  # the source instance's region is never called


def test_explain_never_names_the_eu_source():
    verdict = reaper.explain(load_event("rds.StartDBInstanceAutomatedBackupsReplication"),
                             Settings())
    assert [(t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        (BACKUP, US, "kill")]
    for name in (SOURCE, "orders-db", RESOURCE_ID, EU):
        assert name not in str(verdict["targets"])


def test_backups_replicated_into_the_eu_are_spared_without_a_call(stubs):
    # No response queued in any client: a call would fail the test.
    [outcome] = _reap(stubs[1], event=_event(EU, US))
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert stubs[2] == []


def test_a_copy_of_a_non_eu_source_is_judged_by_where_it_lands():
    assert [(t["region"], t["decision"]) for t in reaper.explain(
        _event(US, SG), Settings())["targets"]] == [(US, "kill")]
    assert [(t["region"], t["decision"]) for t in reaper.explain(
        _event("eu-west-1", SG), Settings())["targets"]] == [("eu-west-1", "spare")]


def test_a_backup_whose_replication_already_stopped_is_deleted_without_a_stop(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described(status="retained"))
    us_stub.add_response("delete_db_instance_automated_backup", _answer(status="retained"),
                         {"DBInstanceAutomatedBackupsArn": BACKUP})
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED and outcome.notes == ["replicated backups deleted"]


def test_a_source_already_deleted_leaves_only_the_delete(stubs):
    us_stub, clients, eu_calls = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described())
    us_stub.add_client_error("stop_db_instance_automated_backups_replication",
                             "DBInstanceNotFound", http_status_code=404)
    us_stub.add_response("delete_db_instance_automated_backup", _answer(status="retained"))
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED
    assert outcome.notes[0] == "its source instance is gone: nothing replicates any more"
    assert eu_calls == []


def test_a_delete_refused_while_the_stop_settles_is_deferred(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described())
    us_stub.add_response("stop_db_instance_automated_backups_replication", _answer())
    us_stub.add_client_error("delete_db_instance_automated_backup",
                             "InvalidDBInstanceAutomatedBackupState", http_status_code=400)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED


def test_a_stop_refused_while_the_source_is_busy_is_deferred(stubs):
    # InvalidDBInstanceState is one of the type's not-ready codes (the source busy):
    # the stop's own error handling must not turn it into a failure nobody retries.
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described())
    us_stub.add_client_error("stop_db_instance_automated_backups_replication",
                             "InvalidDBInstanceState", http_status_code=400)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED


def test_a_backup_already_deleted_is_gone(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_client_error("describe_db_instance_automated_backups",
                             "DBInstanceAutomatedBackupNotFound", http_status_code=404)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.GONE


def test_a_live_instances_own_backups_are_left_to_the_instance(stubs):
    us_stub, clients, _ = stubs
    own = f"arn:aws:rds:{US}:{ACCOUNT}:auto-backup:ab-localinstance"
    us_stub.add_response("describe_db_instance_automated_backups", _described(
        status="active", region=US, arn=own, source=f"arn:aws:rds:{US}:{ACCOUNT}:db:local"))
    target = Target(TYPE, own, US, ACCOUNT, "scan")
    outcome = reaper.handle(target, Settings(dry_run=False), clients)
    assert outcome.action == reaper.SPARED and "AWS::RDS::DBInstance" in outcome.reason


def test_dry_run_reports_would_kill_without_a_write(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_db_instance_automated_backups", _described())
    [outcome] = _reap(clients, Settings(dry_run=True))
    assert outcome.action == reaper.WOULD_KILL


def test_the_scan_lists_replicated_and_retained_backups_not_a_live_instances(stubs):
    us_stub, clients, _ = stubs
    local = f"arn:aws:rds:{US}:{ACCOUNT}:db:local"
    us_stub.add_response("describe_db_instance_automated_backups", {
        "DBInstanceAutomatedBackups": [
            _backup(),  # replicated from Frankfurt
            _backup(status="retained", region=US, source=local, identifier="local",
                    arn=f"arn:aws:rds:{US}:{ACCOUNT}:auto-backup:ab-deleted"),
            _backup(status="active", region=US, source=local, identifier="local",
                    arn=f"arn:aws:rds:{US}:{ACCOUNT}:auto-backup:ab-live")]})
    unit = scan.Unit(ACCOUNT, US, TYPE)
    found = scan.list_unit(unit, {US}, clients, Settings(), scan._Counter())
    assert [t.id for t in found] == [BACKUP, f"arn:aws:rds:{US}:{ACCOUNT}:auto-backup:ab-deleted"]


@pytest.mark.parametrize("replicating", [True, False])
def test_every_call_a_kill_makes_is_declared_and_guarded_in_the_eu(stubs, replicating):
    us_stub, clients, _ = stubs
    made = []
    us_stub.client.meta.events.register(
        "before-parameter-build.*.*", lambda model, **kwargs: made.append(model.name))
    us_stub.add_response("describe_db_instance_automated_backups",
                         _described(status="replicating" if replicating else "retained"))
    if replicating:
        us_stub.add_response("stop_db_instance_automated_backups_replication", _answer())
    us_stub.add_response("delete_db_instance_automated_backup", _answer(status="retained"))
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED
    declared = set(registry.get(TYPE).actions)
    for operation in made:
        assert set(iam.actions_of("rds", operation)) <= declared, operation
    # The stop and the delete are denied in every allowed region: never a write there.
    for action in declared - {"rds:DescribeDBInstanceAutomatedBackups"}:
        assert iam.region_guarded(action), action


@pytest.mark.parametrize("answer", ["pending", ["a", "list"], 7,
                                    {"dBInstanceAutomatedBackup": "not an object"}])
def test_a_malformed_answer_leaves_the_backup_unplaced_instead_of_raising(answer):
    # A truncated or hostile record (responseElements not an object) must end as one
    # "unplaced" line, never an exception out of reap (the event would be retried
    # and fail the same way) or explain.
    event = load_event("rds.StartDBInstanceAutomatedBackupsReplication")
    event["detail"]["responseElements"] = answer
    verdict = reaper.explain(event, Settings())
    assert (verdict["decision"], verdict["targets"]) == ("ignore", [])
    assert "no identifier" in verdict["reason"]
    assert reaper.reap(event, Settings(dry_run=False), RegionClients()) == []


def _raises(event):
    raise AttributeError("'str' object has no attribute 'get'")


@pytest.mark.parametrize("placed", [_raises, lambda event: ["us-east-1"],
                                    lambda event: {"region": "us-east-1"}])
def test_a_types_region_that_raises_or_is_no_string_leaves_the_event_unplaced(
        monkeypatch, placed):
    # Whatever a type's region callable does with a hostile record, the event is one
    # 'cannot place' line: events.targets guards it as it guards a place.
    import dataclasses

    [(rtype, create)] = registry.claims("rds.amazonaws.com",
                                        "StartDBInstanceAutomatedBackupsReplication")
    odd = dataclasses.replace(create, region=placed)
    monkeypatch.setattr(registry, "claims", lambda source, name: ((rtype, odd),))
    event = load_event("rds.StartDBInstanceAutomatedBackupsReplication")
    verdict = reaper.explain(event, Settings())
    assert (verdict["decision"], verdict["targets"]) == ("ignore", [])
    assert "cannot place" in verdict["reason"]
    assert reaper.reap(event, Settings(dry_run=False), RegionClients()) == []
