"""AWS Backup copies out of the EU (issue 13). StartCopyJob is logged in the source's
region (the EU) and names its destination vault by ARN: the vault outside the EU is
the target, emptied of its recovery points and then deleted; the EU source vault and
recovery point are never touched nor named. moto makes vaults but no recovery points
and no copy jobs, so the vault's emptying, its locks and the retries are played by
botocore's Stubber with the real response shapes."""
from __future__ import annotations

import copy
import datetime

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper, retry
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import OneClient, load_event
from kinds.backup import vault_exists

KILL = Settings(dry_run=False)
ACCOUNT = "123456789012"
VAULT = "dr-copies-us"
ARN = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:{VAULT}"
WHEN = datetime.datetime(2026, 11, 29, 11, 12, 5, tzinfo=datetime.timezone.utc)


def copy_job(destination: str = ARN, logged_in: str = "eu-central-1") -> dict:
    event = copy.deepcopy(load_event("backup.StartCopyJob"))
    event["detail"]["requestParameters"]["destinationBackupVaultArn"] = destination
    event["detail"]["awsRegion"] = event["region"] = logged_in
    return event


def _vault(points: int = 0, **more) -> dict:
    return {"BackupVaultName": VAULT, "BackupVaultArn": ARN, "VaultType": "BACKUP_VAULT",
            "VaultState": "AVAILABLE", "CreationDate": WHEN,
            "EncryptionKeyArn": "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "CreatorRequestId": "", "NumberOfRecoveryPoints": points, "Locked": False,
            **more}


def _point(n: int, status: str) -> dict:
    # A copied EBS snapshot: its recovery point ARN is the snapshot's.
    return {"RecoveryPointArn": f"arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f6789{n}",
            "BackupVaultName": VAULT, "BackupVaultArn": ARN,
            "SourceBackupVaultArn": f"arn:aws:backup:eu-central-1:{ACCOUNT}:backup-vault:eu-primary",
            "ResourceArn": "arn:aws:ec2:eu-central-1:123456789012:volume/vol-0a1b2c3d4e5f67890",
            "ResourceType": "EBS", "Status": status, "CreationDate": WHEN,
            "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"}


def _describe(stub, **vault) -> None:
    stub.add_response("describe_backup_vault", _vault(**vault), {"BackupVaultName": VAULT})


# -- the record names the copy's vault, never its source ----------------------------


def test_explain_names_only_the_destination_vault_never_the_eu_source():
    result = reaper.explain(copy_job(), KILL)
    assert result["decision"] == "kill"
    assert [(t["type"], t["id"], t["region"], t["account"]) for t in result["targets"]] == [
        ("AWS::Backup::BackupVault", VAULT, "us-east-1", ACCOUNT)]
    # Neither the source vault nor the recovery point is a target.
    named = {t["id"] for t in result["targets"]}
    params = copy_job()["detail"]["requestParameters"]
    assert params["sourceBackupVaultName"] not in named
    assert params["recoveryPointArn"] not in named


def test_a_copy_landing_in_the_eu_is_spared_without_a_call():
    backup = boto3.client("backup", "eu-west-1")
    destination = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:eu-secondary"
    with Stubber(backup):  # nothing queued: any call would fail the test
        [outcome] = reaper.reap(copy_job(destination), KILL, OneClient(backup))
    assert (outcome.action, outcome.id, outcome.region) == (reaper.SPARED, "eu-secondary",
                                                            "eu-west-1")


def test_a_copy_from_a_source_outside_the_eu_is_judged_by_where_it_lands():
    into_eu = f"arn:aws:backup:eu-north-1:{ACCOUNT}:backup-vault:eu-archive"
    spared = reaper.explain(copy_job(into_eu, logged_in="us-west-2"), KILL)
    assert [(t["id"], t["region"], t["decision"]) for t in spared["targets"]] == [
        ("eu-archive", "eu-north-1", "spare")]
    elsewhere = f"arn:aws:backup:ap-south-1:{ACCOUNT}:backup-vault:far-away"
    killed = reaper.explain(copy_job(elsewhere, logged_in="us-west-2"), KILL)
    assert [(t["id"], t["region"], t["decision"]) for t in killed["targets"]] == [
        ("far-away", "ap-south-1", "kill")]


def test_a_copy_into_another_accounts_vault_is_placed_in_that_account():
    other = "arn:aws:backup:us-east-1:210987654321:backup-vault:central-dr"
    [target] = reaper.explain(copy_job(other), KILL)["targets"]
    assert (target["id"], target["region"], target["account"]) == (
        "central-dr", "us-east-1", "210987654321")


OTHER = "arn:aws:backup:us-east-1:210987654321:backup-vault:central-dr"


def test_a_copy_into_an_account_monocyte_does_not_watch_is_spared_without_a_call():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup):  # nothing queued: any call would fail the test
        [outcome] = reaper.reap(copy_job(OTHER), KILL, OneClient(backup))
    assert (outcome.action, outcome.id, outcome.account) == (
        reaper.SPARED, "central-dr", "210987654321")
    assert "does not watch" in outcome.reason


def test_a_copy_into_a_watched_account_is_acted_on_there():
    backup = boto3.client("backup", "us-east-1")
    watched = Settings(dry_run=False, accounts=(ACCOUNT, "210987654321"))
    with Stubber(backup) as stub:
        stub.add_client_error("describe_backup_vault", "ResourceNotFoundException",
                              expected_params={"BackupVaultName": "central-dr"})
        [outcome] = reaper.reap(copy_job(OTHER), watched, OneClient(backup))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.account) == (reaper.GONE, "210987654321")


@pytest.mark.parametrize("destination", [
    "arn:aws:backup:us-east-1:123456789012:recovery-point:1EB3B5E7",  # not a vault
    "arn:aws:backup:mars-north-1:123456789012:backup-vault:x1",      # no such region
    # Twelve digits to Python's \d, but not an account: never placed anywhere.
    "arn:aws:backup:us-east-1:\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
    "\u0669\u0660\u0661\u0662:backup-vault:x1",
    None])
def test_a_destination_that_is_not_a_vault_arn_places_nothing(destination):
    result = reaper.explain(copy_job(destination), KILL)
    assert result["decision"] == "ignore" and result["targets"] == []


def test_an_event_whose_account_is_not_twelve_ascii_digits_places_nothing():
    event = copy_job()
    event["account"] = event["detail"]["recipientAccountId"] = "\u0661" * 12
    result = reaper.explain(event, KILL)
    assert (result["decision"], result["targets"]) == ("ignore", [])
    assert "no 12-digit account" in result["reason"]


@pytest.mark.parametrize("account", ["21098765432", "not-an-account", 210987654321, None])
def test_a_place_naming_a_malformed_account_places_nothing_in_the_callers(
        monkeypatch, account):
    # A type's place may name the account a copy lands in; one that is not 12 digits
    # says nothing usable, and must not be read as the caller's (a vault of the same
    # name there is not the copy).
    import dataclasses

    from chalicelib import registry

    [(rtype, create)] = [c for c in registry.claims("backup.amazonaws.com", "StartCopyJob")]
    odd = dataclasses.replace(create, place=lambda event: [(VAULT, "us-east-1", account)])
    monkeypatch.setattr(registry, "claims", lambda source, name: ((rtype, odd),))
    result = reaper.explain(copy_job(), KILL)
    assert (result["decision"], result["targets"]) == ("ignore", [])
    assert "account" in result["reason"]


@pytest.mark.parametrize("placed", [[(VAULT, ["us-east-1"])], [(VAULT, {"r": 1})],
                                    [([VAULT], "us-east-1")], ["dr-copies-us"], [None]])
def test_a_place_answering_the_wrong_shapes_places_nothing_and_raises_nothing(
        monkeypatch, placed):
    # What a place returns comes from the record: an unhashable region or id must be
    # one 'no identifier' line, never a TypeError out of reap.
    import dataclasses

    from chalicelib import registry

    [(rtype, create)] = [c for c in registry.claims("backup.amazonaws.com", "StartCopyJob")]
    odd = dataclasses.replace(create, place=lambda event: placed)
    monkeypatch.setattr(registry, "claims", lambda source, name: ((rtype, odd),))
    result = reaper.explain(copy_job(), KILL)
    assert (result["decision"], result["targets"]) == ("ignore", [])
    assert reaper.reap(copy_job(), KILL, clients=None) == []


# -- the kill, against moto: the vault is empty while the copy is still running ------


def test_the_empty_destination_vault_goes_at_once_and_the_eu_source_survives(aws):
    boto3.client("backup", "eu-central-1").create_backup_vault(BackupVaultName="eu-primary")
    boto3.client("backup", "us-east-1").create_backup_vault(BackupVaultName=VAULT)
    [outcome] = reaper.reap(copy_job(), KILL, Clients(KILL))
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, VAULT, "us-east-1")
    assert not vault_exists("us-east-1", VAULT)
    assert vault_exists("eu-central-1", "eu-primary")


# -- the kill, stubbed: emptying, retries, locks ------------------------------------


def test_the_vault_is_emptied_first_and_the_kill_deferred_until_it_is():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=2)
        stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [
            _point(1, "COMPLETED"), _point(2, "DELETING")]}, {"BackupVaultName": VAULT})
        stub.add_response("delete_recovery_point", {}, {
            "BackupVaultName": VAULT, "RecoveryPointArn": _point(1, "")["RecoveryPointArn"]})
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id) == (reaper.DEFERRED, VAULT)
    assert "1 recovery points being deleted" in outcome.reason


def test_a_recovery_point_left_expired_by_an_earlier_deletion_is_said():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=1)
        stub.add_response("list_recovery_points_by_backup_vault",
                          {"RecoveryPoints": [_point(1, "EXPIRED")]}, {"BackupVaultName": VAULT})
        stub.add_response("delete_recovery_point", {})
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
    assert outcome.action == reaper.DEFERRED
    assert "1 of them EXPIRED" in outcome.reason


def test_a_later_try_from_the_retry_queue_deletes_the_emptied_vault():
    backup = boto3.client("backup", "us-east-1")
    target = Target("AWS::Backup::BackupVault", VAULT, "us-east-1", ACCOUNT,
                    "backup.amazonaws.com:StartCopyJob")
    with Stubber(backup) as stub:
        _describe(stub, points=0)
        stub.add_response("delete_backup_vault", {}, {"BackupVaultName": VAULT})
        outcome = retry.run(retry.message(target, 2), KILL, OneClient(backup))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id) == (reaper.KILLED, VAULT)


def test_a_copy_still_landing_defers_the_kill():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=1)
        stub.add_response("list_recovery_points_by_backup_vault",
                          {"RecoveryPoints": [_point(1, "CREATING")]}, {"BackupVaultName": VAULT})
        stub.add_client_error("delete_recovery_point", "InvalidResourceStateException",
                              "Recovery point is in a transitional state", 400)
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
    assert outcome.action == reaper.DEFERRED


def test_a_copy_landed_since_the_live_check_defers_the_kill():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=0)
        stub.add_client_error("delete_backup_vault", "InvalidRequestException",
                              "Backup vault cannot be deleted because it contains recovery "
                              "points", 400, expected_params={"BackupVaultName": VAULT})
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
    assert outcome.action == reaper.DEFERRED


def test_a_vault_locked_in_compliance_mode_is_escalated_not_pretended_killed():
    backup = boto3.client("backup", "us-east-1")
    locked = dict(Locked=True, MinRetentionDays=30, LockDate=WHEN)  # grace time over
    with Stubber(backup) as stub:
        _describe(stub, points=1, **locked)
        # Nothing else queued: no delete is even tried.
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.FAILED
    assert "compliance mode" in outcome.reason and "a human must act" in outcome.reason


def test_its_dry_run_says_the_kill_will_fail():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=1, Locked=True, LockDate=WHEN)
        [outcome] = reaper.reap(copy_job(), Settings(dry_run=True), OneClient(backup))
    assert outcome.action == reaper.WOULD_KILL
    assert "the kill fails until the retention" in outcome.reason


def test_a_governance_lock_spares_the_vault_unless_forced():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        _describe(stub, points=0, Locked=True, MinRetentionDays=7)
        [outcome] = reaper.reap(copy_job(), Settings(dry_run=False, force=False),
                                OneClient(backup))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.SPARED and "MONOCYTE_FORCE" in outcome.reason


def test_a_governance_lock_is_removed_when_forced():
    backup = boto3.client("backup", "us-east-1")
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    with Stubber(backup) as stub:
        # Compliance mode still in its grace time can be removed as well.
        _describe(stub, points=0, Locked=True, MinRetentionDays=7, LockDate=future)
        stub.add_response("delete_backup_vault_lock_configuration", {},
                          {"BackupVaultName": VAULT})
        stub.add_response("delete_backup_vault", {}, {"BackupVaultName": VAULT})
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED and outcome.notes == ["Vault Lock removed"]


def test_a_vault_already_gone_is_gone():
    backup = boto3.client("backup", "us-east-1")
    with Stubber(backup) as stub:
        stub.add_client_error("describe_backup_vault", "ResourceNotFoundException",
                              f"Backup vault {VAULT} not found", 400)
        [outcome] = reaper.reap(copy_job(), KILL, OneClient(backup))
    assert outcome.action == reaper.GONE


def test_the_scan_leaves_logically_air_gapped_vaults_to_their_own_type():
    from chalicelib import registry

    keep = registry.get("AWS::Backup::BackupVault").listing.keep
    assert keep(None, _vault()) and not keep(
        None, _vault(VaultType="LOGICALLY_AIR_GAPPED_BACKUP_VAULT"))


def test_the_nightly_scan_kills_a_vault_outside_the_eu_and_never_lists_the_eu(aws):
    # A backup plan's copies are the service's own jobs, logged as no API call: the
    # scan is what finds the vault they land in.
    from chalicelib import scan

    boto3.client("backup", "eu-central-1").create_backup_vault(BackupVaultName="eu-primary")
    boto3.client("backup", "ap-southeast-2").create_backup_vault(BackupVaultName="dr-apac")
    report = scan.scan(KILL, Clients(KILL), regions=["ap-southeast-2", "eu-central-1"],
                       types=["AWS::Backup::BackupVault"])
    assert [(o.action, o.id, o.region) for o in report.outcomes] == [
        (reaper.KILLED, "dr-apac", "ap-southeast-2")]
    assert not vault_exists("ap-southeast-2", "dr-apac")
    assert vault_exists("eu-central-1", "eu-primary")
