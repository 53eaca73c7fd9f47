"""Across every sample record: a copy's source is never a target (issue 13).

A copy, restore, import or replication names its source in the request: a field
called source-something (sourceDBInstanceIdentifier, sourceBackupVaultName,
sourceFileSystemId, SourceBucket...). Whatever the type, `monocyte explain` must never
list one of those values as a target's id, in any region. One exception is written
down: CloudHSM's answer names no copy, so its target is ``copy-of:<source id>``, a
description found by the source, never the source itself (its tests show that no
call names the source backup as the one to delete).
"""
from __future__ import annotations

import json
import re

import pytest

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import EVENTS, load_event

_SOURCE_KEY = re.compile(r"^source", re.IGNORECASE)
_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:([a-z0-9-]*):[0-9]*:(.+)$")
# Requests whose source member is not named source-something.
OTHER_SOURCE_KEYS = {
    "cloudhsm.CopyBackupToRegion": ("backupId",),
    "rds.RestoreDBInstanceFromDBSnapshot": ("dBSnapshotIdentifier",),
    "rds.RestoreDBClusterFromSnapshot": ("snapshotIdentifier",),
    "dynamodb.RestoreTableFromBackup": ("backupArn",),
    "dynamodb.ImportTable": ("s3BucketSource",),
    "kms.ReplicateKey": ("keyId",),
    "secretsmanager.ReplicateSecretToRegions": ("secretId",),
    "ec2.ImportImage": ("diskContainerSet",),
    "ec2.ImportSnapshot": ("diskContainer",),
    "ec2.CreateRestoreImageTask": ("bucket",),
}


def _texts(value) -> list[str]:
    if isinstance(value, dict):
        return [t for item in value.values() for t in _texts(item)]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return [value] if isinstance(value, str) and value else []


def _sources(name: str, detail: dict) -> set[tuple[str, str]]:
    """(id, region) of everything the request names as the copy's source. A name
    lives where the call was logged unless the request says otherwise (an ARN's
    region, a sourceRegion member); an ARN counts by its resource name too."""
    params = detail.get("requestParameters")
    if not isinstance(params, dict):
        return set()
    keys = set(OTHER_SOURCE_KEYS.get(name, ()))
    keys |= {k for k in params if _SOURCE_KEY.match(k) and k.lower() != "sourceregion"}
    home = params.get("sourceRegion") or params.get("SourceRegion") or detail["awsRegion"]
    found = set()
    for value in (t for k in keys for t in _texts(params.get(k))):
        arn = _ARN.match(value)
        region = (arn.group(1) if arn else "") or home
        found.add((value, region))
        if arn:
            found.add((re.split(r"[:/]", arn.group(2))[-1], region))
    return found


SAMPLES = sorted(p.stem for p in EVENTS.glob("*.json")
                 if _sources(p.stem, json.loads(p.read_text())["detail"]))


def test_the_copies_of_issue_13_are_among_the_samples():
    for name in ("rds.CreateDBInstanceReadReplica", "rds.CopyDBSnapshot", "ec2.CopyImage",
                 "backup.StartCopyJob", "fsx.CopyBackup", "cloudhsm.CopyBackupToRegion",
                 "rds.StartDBInstanceAutomatedBackupsReplication", "kms.ReplicateKey",
                 "dynamodb.RestoreTableFromBackup", "ec2.ImportImage"):
        assert name in SAMPLES, name


# Replicas that carry their source's own name (a KMS multi-Region key, a secret):
# such a target is the source only if it is also where the source is.
SHARED_NAMES = {"kms.ReplicateKey", "secretsmanager.ReplicateSecretToRegions"}


@pytest.mark.parametrize("name", SAMPLES)
def test_no_source_named_in_the_request_is_a_target(name):
    event = load_event(name)
    sources = _sources(name, event["detail"])
    names = {source for source, _ in sources}
    for settings in (Settings(), Settings(allowed_regions=frozenset({"eu-central-1"}))):
        for target in reaper.explain(event, settings).get("targets", []):
            if target["id"].startswith("copy-of:"):
                continue  # named after its source by design (see the docstring)
            if name in SHARED_NAMES:
                assert (target["id"], target["region"]) not in sources, (name, target)
            else:
                assert target["id"] not in names, (name, target)
