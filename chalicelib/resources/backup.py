"""AWS Backup vaults, and the recovery points copied into them.

Why the vault is the type (and not the recovery point):

- ``StartCopyJob`` is called where the *source* recovery point is (the EU, say) and
  names its destination only as ``DestinationBackupVaultArn``, whose region is the
  copy's. The copied recovery point appears in that vault once the job completes,
  minutes or hours later, under an ARN no record carries. The vault is the one thing
  the record names that lives where the copy lands: the target is (vault name, the
  ARN's region), never the source vault or recovery point, which are in fields we
  do not read.
- A vault outside the allowed regions is itself a resource to kill (the nightly scan
  lists them), and AWS refuses to delete a vault that holds recovery points. One type
  that empties the vault, then deletes it, kills both the copy and its container, and
  deleting the destination vault while the job still runs makes the copy fail: the
  data never lands.
- The copy finishes asynchronously and recovery points delete asynchronously, so a
  kill usually takes several tries: each deletes what it can and raises NotReady,
  and the retry queue (chalicelib/retry.py) comes back until the vault is gone.

Vault Lock: in governance mode (or compliance mode still in its grace time) the lock
can be removed, like deletion protection: with MONOCYTE_FORCE it is, else the vault is
spared and reported. In compliance mode after its grace time (and in a logically
air-gapped vault, always locked) no one can delete a recovery point before its
retention ends, not even the account's root: the kill fails as *lasting* and is
escalated as needing a human, every night, until the retention lets it go. No
cut-off is pretended: a vault access policy would not stop a copied EBS or RDS
snapshot from being used directly.

A copy into a vault of another account (a central backup account) is placed in that
account: the kill goes through its member role when it is in the organization; when
it is not, assuming the role fails, and the failed outcome reports the copy.
"""
from __future__ import annotations

import datetime
import re

import jmespath

from chalicelib.errors import AwsError, NotReady, Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "backup.amazonaws.com"
_VAULT_ARN = re.compile(
    r"^arn:aws[\w-]*:backup:([a-z]{2}(?:-[a-z]+)+-\d):([0-9]{12}):backup-vault:([A-Za-z0-9_-]{2,50})$")
_DESTINATION = jmespath.compile("detail.requestParameters.destinationBackupVaultArn")
_ACCOUNT = jmespath.compile("detail.recipientAccountId || account")
# Our own code (no AWS call made it): the reaper's ``lasting`` list names it, so a
# vault locked for good is escalated as needing a human instead of retried.
VAULT_LOCKED = "VaultLockedInComplianceMode"
_AIR_GAPPED = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


def vault_of(arn: object) -> tuple[str, str, str] | None:
    """(region, account, name) of a backup vault ARN; None for anything else."""
    match = _VAULT_ARN.match(arn) if isinstance(arn, str) else None
    return match.groups() if match else None


def copy_destination(event: dict) -> list[tuple[str, ...]]:
    """(vault name, region) of a StartCopyJob's destination, with the vault's account
    when it is not the caller's (a copy into a central backup account)."""
    found = vault_of(_DESTINATION.search(event))
    if not found:
        return []
    region, account, name = found
    return [(name, region)] if account == _ACCOUNT.search(event) else [(name, region, account)]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def inspect_vault(client, name: str) -> Live | None:
    vault = client.describe_backup_vault(BackupVaultName=name)
    lock_date = vault.get("LockDate")
    locked = bool(vault.get("Locked"))
    # Past its lock date a compliance-mode lock can no longer be removed by anyone.
    immutable = vault.get("VaultType") == _AIR_GAPPED or (
        locked and isinstance(lock_date, datetime.datetime) and lock_date <= _now())
    note = ("its Vault Lock is in compliance mode: the kill fails until the retention of "
            "its recovery points ends" if immutable else None)
    return Live(protected=locked and not immutable, created=utc_iso(vault.get("CreationDate")),
                note=note, facts={"points": vault.get("NumberOfRecoveryPoints") or 0,
                       "immutable": immutable, "lock_date": utc_iso(lock_date)})


def _empty(client, name: str) -> tuple[int, int]:
    """Start deleting every recovery point of the vault not already going: how many,
    and how many of them an earlier deletion left EXPIRED."""
    pages = client.get_paginator("list_recovery_points_by_backup_vault").paginate(
        BackupVaultName=name)
    started = expired = 0
    for point in (p for page in pages for p in page.get("RecoveryPoints", [])):
        if point.get("Status") == "DELETING":
            continue
        # One still CREATING (the copy landing) refuses with InvalidResourceState:
        # the kill is deferred, and a later try deletes it.
        client.delete_recovery_point(BackupVaultName=name,
                                     RecoveryPointArn=point["RecoveryPointArn"])
        started += 1
        # AWS answers 200 but leaves a point EXPIRED when its deletion lacks a
        # permission (Backup's service-linked role): said, so a human can see why
        # the kill keeps waiting.
        expired += point.get("Status") == "EXPIRED"
    return started, expired


def delete_vault(client, name: str, live: Live, force: bool) -> list[str]:
    if live.facts.get("immutable"):
        raise AwsError(f"backup vault {name} is locked in compliance mode (lock date "
                       f"{live.facts.get('lock_date') or 'unknown'}): AWS refuses to delete "
                       "its recovery points before their retention ends",
                       VAULT_LOCKED, "DeleteRecoveryPoint")
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"backup vault {name} has a Vault Lock that can still be removed")
        client.delete_backup_vault_lock_configuration(BackupVaultName=name)
        notes.append("Vault Lock removed")
    if live.facts.get("points"):
        started, expired = _empty(client, name)
        done = "; ".join(notes + [f"{started} recovery points being deleted"] + (
            [f"{expired} of them EXPIRED by an earlier deletion AWS did not complete "
             "(a missing permission of AWS Backup's service-linked role)"] if expired else []))
        # Recovery points go asynchronously: the vault on a later try.
        raise NotReady(f"backup vault {name} is being emptied ({done}); the vault "
                       "itself goes on a later try")
    # AWS answers InvalidRequestException while recovery points remain (a copy that
    # landed since the live check): deferred, and the next try empties the vault.
    client.delete_backup_vault(BackupVaultName=name)
    return notes


def _plain_vault(client, item: dict) -> bool:
    # Logically air-gapped vaults are AWS::Backup::LogicallyAirGappedBackupVault's
    # (the generic table); this type lists the standard ones only.
    return item.get("VaultType", "BACKUP_VAULT") == "BACKUP_VAULT"


TYPES = (
    ResourceType(
        cfn_type="AWS::Backup::BackupVault",
        service="backup",
        events=(CreateEvent(SOURCE, "CreateBackupVault",
                            "detail.responseElements.backupVaultName"
                            " || detail.requestParameters.backupVaultName"),
                # Logged in the source's region; the copy lands in the destination
                # vault's (see copy_destination). The source is never read.
                CreateEvent(SOURCE, "StartCopyJob",
                            "detail.requestParameters.destinationBackupVaultArn",
                            place=copy_destination)),
        inspect=inspect_vault,
        delete=delete_vault,
        listing=Listing("list_backup_vaults", "BackupVaultList[]", "BackupVaultName",
                        created="CreationDate", keep=_plain_vault),
        actions=("backup:DescribeBackupVault", "backup:ListBackupVaults",
                 "backup:ListRecoveryPointsByBackupVault", "backup:DeleteRecoveryPoint",
                 "backup:DeleteBackupVaultLockConfiguration", "backup:DeleteBackupVault"),
        not_found=("ResourceNotFoundException",),
        # A recovery point still being created, or a vault not yet empty.
        not_ready=("InvalidResourceStateException", "InvalidRequestException"),
        lasting=(VAULT_LOCKED,),
    ),
)
