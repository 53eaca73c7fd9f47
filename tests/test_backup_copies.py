"""Backup copies into another region (issue 13): FSx CopyBackup, against moto, and
CloudHSM CopyBackupToRegion, with botocore's Stubber (moto has neither copy call,
nor CloudHSM's DeleteBackup).

FSx is called in the destination region: the copy is judged where it lands, the
source backup in its own region is never a target. CloudHSM is called in the
SOURCE region and its answer names the source only: the copy is found in the
destination region by its source's id and deleted there; no call is ever made in
the source region.
"""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import pattern, reaper
from chalicelib.config import EU_REGIONS, Settings
from conftest import load_event
from kinds import KINDS

EU, US = "eu-central-1", "us-east-1"
ACCOUNT = "123456789012"
KILL = Settings(dry_run=False)
create_fsx_backup, fsx_backup_exists = KINDS["AWS::FSx::Backup"]


def _in(name: str, region: str) -> dict:
    event = load_event(name)
    event["region"] = event["detail"]["awsRegion"] = region
    return event


# -- FSx --------------------------------------------------------------------------------

def _copy_event(copy_id: str, source_id: str, source_region: str, region: str) -> dict:
    """The recorded CopyBackup, naming a copy and a source moto holds."""
    event = _in("fsx.CopyBackup", region)
    event["detail"]["requestParameters"].update(sourceBackupId=source_id,
                                                sourceRegion=source_region)
    event["detail"]["responseElements"]["backup"].update(
        backupId=copy_id, sourceBackupId=source_id, sourceBackupRegion=source_region)
    return event


@pytest.mark.parametrize("name, copy, source", [
    ("fsx.CopyBackup", "backup-0f9e8d7c6b5a43210", "backup-0a3e3f1b2c4d5e6f7"),
    ("fsx.CreateBackup", "backup-0b1c2d3e4f5a67890", "fs-0fedcba9876543210"),
])
def test_a_recorded_fsx_event_targets_only_the_backup_it_made(name, copy, source):
    verdict = reaper.explain(load_event(name), Settings())
    assert [(t["type"], t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        ("AWS::FSx::Backup", copy, US, "kill")]
    assert source not in str(verdict["targets"])


def test_a_us_copy_of_an_eu_fsx_backup_is_killed_and_the_source_survives(
        aws, trail, kill_settings, clients):
    source = create_fsx_backup(trail, EU)
    copy = create_fsx_backup(trail, US)  # moto has no CopyBackup: the backup it makes
    [outcome] = reaper.reap(_copy_event(copy, source, EU, US), kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, copy, US)
    assert not fsx_backup_exists(US, copy)
    assert fsx_backup_exists(EU, source)


def test_an_eu_copy_of_a_us_fsx_backup_is_spared(aws, trail, kill_settings, clients):
    source = create_fsx_backup(trail, US)
    copy = create_fsx_backup(trail, EU)
    [outcome] = reaper.reap(_copy_event(copy, source, US, EU), kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert fsx_backup_exists(EU, copy)


def test_a_copy_of_a_us_fsx_backup_elsewhere_outside_the_eu_is_killed_its_source_kept(
        aws, trail, kill_settings, clients):
    # Judged only by where the copy lands; its source goes by its own event.
    source = create_fsx_backup(trail, "us-west-2")
    copy = create_fsx_backup(trail, US)
    [outcome] = reaper.reap(_copy_event(copy, source, "us-west-2", US), kill_settings, clients)
    assert (outcome.action, outcome.id) == (reaper.KILLED, copy)
    assert fsx_backup_exists("us-west-2", source)


def test_a_backup_made_outside_the_eu_is_killed(aws, trail, kill_settings, clients):
    backup = create_fsx_backup(trail, US)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert (outcome.action, outcome.id) == (reaper.KILLED, backup)
    assert not fsx_backup_exists(US, backup)


def test_an_fsx_backup_still_being_copied_is_deferred():
    fsx = boto3.client("fsx", US)
    copy = "backup-0f9e8d7c6b5a43210"
    with Stubber(fsx) as stub:
        stub.add_response("describe_backups", {"Backups": [{
            "BackupId": copy, "Lifecycle": "COPYING", "Type": "USER_INITIATED",
            "CreationTime": "2026-12-01T09:02:44Z", "SourceBackupId": "backup-0a3e3f1b2c4d5e6f7",
            "SourceBackupRegion": EU,
            "FileSystem": {"FileSystemId": "fs-0123456789abcdef0", "FileSystemType": "LUSTRE"}}]},
            {"BackupIds": [copy]})
        stub.add_client_error("delete_backup", "BackupInProgress",
                              "Another backup is already under way", 400)
        [outcome] = reaper.reap(load_event("fsx.CopyBackup"), KILL, _One(fsx))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED


# -- CloudHSM ------------------------------------------------------------------------------

SOURCE_BACKUP, COPY = "backup-k7fgqmjx4rz", "backup-2ndmzq3hbfa"


class _One:
    """One stubbed client; asking for any other region fails the test."""

    def __init__(self, client):
        self._client = client

    def client(self, service, region, *args, **kwargs):
        assert region == self._client.meta.region_name, f"a client of {region} was made"
        return self._client


def _hsm_backup(backup_id: str, state: str = "READY", source: str | None = SOURCE_BACKUP):
    backup = {"BackupId": backup_id, "BackupState": state, "ClusterId": "cluster-igklspoyj5v",
              "BackupArn": f"arn:aws:cloudhsm:{US}:{ACCOUNT}:backup/{backup_id}",
              "CreateTimestamp": "2026-11-30T02:00:04Z", "NeverExpires": False,
              "HsmType": "hsm2m.medium", "Mode": "FIPS",
              "TagList": [{"Key": "team", "Value": "payments"}]}
    if source:
        backup.update(SourceRegion=EU, SourceBackup=source, SourceCluster="cluster-jxhlf7644ne",
                      CopyTimestamp="2026-12-01T09:12:41Z")
    return backup


def _reap_hsm(event, answers, settings=KILL):
    hsm = boto3.client("cloudhsmv2", US)
    with Stubber(hsm) as stub:
        for method, response, params in answers:
            stub.add_response(method, response, params)
        outcomes = reaper.reap(event, settings, _One(hsm))
        stub.assert_no_pending_responses()
    return outcomes


FIND = {"Filters": {"sourceBackupIds": [SOURCE_BACKUP]}}


def test_the_recorded_copy_targets_the_copy_in_the_destination_never_the_source():
    event = load_event("cloudhsm.CopyBackupToRegion")
    assert event["detail"]["awsRegion"] == EU  # logged where the source is
    verdict = reaper.explain(event, Settings())
    [target] = verdict["targets"]
    assert (target["type"], target["id"], target["region"], target["decision"]) == (
        "AWS::CloudHSM::Backup", f"copy-of:{SOURCE_BACKUP}", US, "kill")
    assert verdict["decision"] == "kill"


def test_a_us_copy_of_an_eu_hsm_backup_is_found_there_and_deleted_there():
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": [_hsm_backup(COPY)]}, FIND),
        ("delete_backup", {"Backup": _hsm_backup(COPY, "PENDING_DELETION")},
         {"BackupId": COPY})])
    assert (outcome.action, outcome.region) == (reaper.KILLED, US)
    assert outcome.notes == [f"deleted {COPY}; CloudHSM keeps a deleted backup "
                             "restorable for 7 days"]


def test_a_copy_not_there_yet_is_deferred_for_a_later_try():
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": []}, FIND)])
    assert outcome.action == reaper.DEFERRED
    assert "has not appeared in us-east-1 yet" in outcome.reason


def test_a_copy_already_pending_deletion_is_gone():
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": [_hsm_backup(COPY, "PENDING_DELETION")]}, FIND)])
    assert outcome.action == reaper.GONE


def test_a_backup_that_is_not_a_copy_of_the_source_is_never_deleted():
    # Whatever DescribeBackups answers, only backups whose SourceBackup is the
    # event's are copies of it; the source itself never is.
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": [_hsm_backup(SOURCE_BACKUP, source=None),
                                          _hsm_backup("backup-otherq3hbfa", source="backup-x")]},
         FIND)])
    assert outcome.action == reaper.DEFERRED  # no copy of it yet: nothing deleted


def test_several_copies_of_the_source_are_each_left_to_their_own_judgement():
    # The record names no copy, so several copies of one source in the region cannot
    # be told apart: an older one may be exempt (by its tag, or by its id in the
    # allowlist) or not this call's at all. None is deleted for this event; the scan
    # judges each by its own id and tags.
    import datetime

    soon = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    exempt = _hsm_backup("backup-keptq3hbfa")
    exempt["TagList"] = [{"Key": "monocyte-exempt", "Value": soon}]
    settings = Settings(dry_run=False, exemption_tag="monocyte-exempt")
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": [_hsm_backup(COPY), exempt]}, FIND)], settings)
    assert outcome.action == reaper.SPARED  # and no DeleteBackup: none was queued
    assert COPY in outcome.reason and "backup-keptq3hbfa" in outcome.reason


def test_the_copy_found_is_spared_by_an_allowlist_entry_naming_its_own_id():
    # The target is copy-of:<source>, but the allowlist names backups by their ids:
    # the copy the live check finds is judged by its own id too.
    import datetime

    from chalicelib.exemptions import Exemption

    kept = Exemption(id=COPY, reason="restore drill", owner="platform",
                     expires=datetime.date.today() + datetime.timedelta(days=10))
    settings = Settings(dry_run=False, exemptions=(kept,))
    [outcome] = _reap_hsm(load_event("cloudhsm.CopyBackupToRegion"), [
        ("describe_backups", {"Backups": [_hsm_backup(COPY)]}, FIND)], settings)
    assert outcome.action == reaper.SPARED  # and no DeleteBackup: none was queued
    assert COPY in outcome.reason and "restore drill" in outcome.reason


@pytest.mark.parametrize("destination", sorted(EU_REGIONS))
def test_a_copy_into_the_eu_is_spared_without_a_call(destination):
    event = load_event("cloudhsm.CopyBackupToRegion")
    event["detail"]["requestParameters"]["destinationRegion"] = destination
    [outcome] = reaper.reap(event, KILL, _One(boto3.client("cloudhsmv2", US)))
    assert (outcome.action, outcome.region) == (reaper.SPARED, destination)


def test_a_copy_of_a_us_backup_is_judged_by_where_it_lands():
    event = _in("cloudhsm.CopyBackupToRegion", "us-west-2")
    assert reaper.explain(event, Settings())["targets"][0]["region"] == US
    event["detail"]["requestParameters"]["destinationRegion"] = EU
    assert reaper.explain(event, Settings())["decision"] == "spare"


def test_a_record_without_a_destination_is_left_to_the_scan():
    event = load_event("cloudhsm.CopyBackupToRegion")
    del event["detail"]["requestParameters"]["destinationRegion"]
    verdict = reaper.explain(event, Settings())
    assert (verdict["decision"], verdict["targets"]) == ("ignore", [])


def test_the_scan_deletes_a_listed_hsm_backup_by_its_own_id():
    from chalicelib.events import Target

    hsm = boto3.client("cloudhsmv2", US)
    with Stubber(hsm) as stub:
        stub.add_response("describe_backups", {"Backups": [_hsm_backup(COPY)]},
                          {"Filters": {"backupIds": [COPY]}})
        stub.add_response("delete_backup", {"Backup": _hsm_backup(COPY, "PENDING_DELETION")},
                          {"BackupId": COPY})
        outcome = reaper.handle(Target("AWS::CloudHSM::Backup", COPY, US, ACCOUNT), KILL,
                                _One(hsm))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_the_pattern_forwards_the_copy_from_an_allowed_region():
    from moto.events.models import EventPattern
    import json

    rule = pattern.build(EU_REGIONS)
    assert EventPattern(json.dumps(rule), rule).matches_event(
        load_event("cloudhsm.CopyBackupToRegion"))
